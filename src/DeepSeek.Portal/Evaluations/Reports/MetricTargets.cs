using DeepSeek.Portal.Evaluation.Scoring;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Evaluations.Reports;

/// <summary>
/// Targets per metric: the portal's own defaults (not from any reference or seed; chosen as "good enough to ship" for
/// a small domain model and meant to be edited), overridden by rows in MetricTargets once someone changes them.
/// </summary>
public static class MetricTargetDefaults
{
    /// <summary>
    /// The defaults: ppl ≤ 20, BLEU ≥ 30, ROUGE-L ≥ 40, F1 ≥ 70, EM ≥ 50, accuracy ≥ 80, macro-F1 ≥ 70, micro-F1 ≥ 80,
    /// robustness drop ≤ 10, TCR ≥ 78 (MeasuringU's reported average completion rate), NPS ≥ 30.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Values { get; } = new Dictionary<string, double>
    {
        [MetricNames.Perplexity] = 20,
        [MetricNames.Bleu] = 30,
        [MetricNames.RougeL] = 40,
        [MetricNames.F1] = 70,
        [MetricNames.ExactMatch] = 50,
        [MetricNames.Accuracy] = 80,
        [MetricNames.MacroF1] = 70,
        [MetricNames.MicroF1] = 80,
        [MetricNames.RobustnessDrop] = 10,
        [MetricNames.TaskCompletion] = 78,
        [MetricNames.Nps] = 30,
    };

    /// <summary>Whether <paramref name="value"/> meets <paramref name="target"/> for <paramref name="metric"/> (at most it where lower is better).</summary>
    public static bool Meets(string metric, double value, double target) =>
        MetricNames.LowerIsBetter(metric) ? value <= target : value >= target;
}

/// <summary>A metric's target as the API shows it.</summary>
/// <param name="Metric">The metric name.</param>
/// <param name="Value">The target.</param>
/// <param name="LowerIsBetter">Whether the target is a ceiling (met at or below it) rather than a floor.</param>
/// <param name="IsDefault">Whether it is the portal's default (never changed).</param>
/// <param name="UpdatedAt">When it was last changed, for changed targets.</param>
/// <param name="UpdatedBy">Who changed it.</param>
public sealed record MetricTargetView(string Metric, double Value, bool LowerIsBetter, bool IsDefault, DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <summary>What a target update got wrong: the field and what was expected.</summary>
public sealed record TargetProblem(string Field, string Message);

/// <summary>Reads and changes metric targets.</summary>
public sealed class MetricTargetService(PortalDbContext db, TimeProvider clock)
{
    /// <summary>Every metric's target, defaults where none was stored.</summary>
    public async Task<IReadOnlyList<MetricTargetView>> ListAsync(CancellationToken ct)
    {
        var stored = await db.MetricTargets.AsNoTracking().ToDictionaryAsync(t => t.Metric, ct);
        return MetricNames.All.Select(m => stored.TryGetValue(m, out var t)
            ? new MetricTargetView(m, t.Value, MetricNames.LowerIsBetter(m), false, t.UpdatedAt, t.UpdatedBy)
            : new MetricTargetView(m, MetricTargetDefaults.Values[m], MetricNames.LowerIsBetter(m), true, null, null)).ToList();
    }

    /// <summary>Metric → target value.</summary>
    public async Task<IReadOnlyDictionary<string, double>> MapAsync(CancellationToken ct) =>
        (await ListAsync(ct)).ToDictionary(t => t.Metric, t => t.Value);

    /// <summary>
    /// Stores the given targets (metric → value); metrics not named keep theirs. Everything is checked first, so a bad
    /// entry changes nothing.
    /// </summary>
    public async Task<(IReadOnlyList<MetricTargetView>? Targets, TargetProblem? Problem)> UpdateAsync(IReadOnlyDictionary<string, double>? values, string? user, CancellationToken ct)
    {
        if (values is null || values.Count == 0)
            return (null, new TargetProblem("targets", "Expected an object of metric name → target value with at least one entry."));
        foreach (var (metric, value) in values)
        {
            if (!MetricNames.All.Contains(metric))
                return (null, new TargetProblem($"targets.{metric}", $"Unknown metric '{metric}'; expected one of {string.Join(", ", MetricNames.All)}."));
            var (low, high) = Range(metric);
            if (!double.IsFinite(value) || value < low || value > high)
                return (null, new TargetProblem($"targets.{metric}", $"Expected a number from {low} to {high} for {metric}."));
        }
        var now = clock.GetUtcNow();
        var stored = await db.MetricTargets.ToDictionaryAsync(t => t.Metric, ct);
        foreach (var (metric, value) in values)
        {
            if (stored.TryGetValue(metric, out var row))
            {
                row.Value = value;
                row.UpdatedAt = now;
                row.UpdatedBy = user;
            }
            else
            {
                db.MetricTargets.Add(new MetricTarget { Metric = metric, Value = value, UpdatedAt = now, UpdatedBy = user });
            }
        }
        await db.SaveChangesAsync(ct);
        return (await ListAsync(ct), null);
    }

    /// <summary>The values a target of <paramref name="metric"/> may take.</summary>
    public static (double Low, double High) Range(string metric) => metric switch
    {
        MetricNames.Perplexity => (1, 1_000_000),
        MetricNames.Nps => (-100, 100),
        _ => (0, 100),
    };
}
