using System.Text.Json;
using DeepSeek.Portal.Evaluation.Metrics;
using DeepSeek.Portal.Evaluation.Scoring;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Evaluations.Reports;

/// <summary>
/// Read-only queries over the evaluation tables for dashboards, comparisons and reports. Only finished evaluations
/// (succeeded or partial) have figures worth charting. Dates are ordered in memory: SQLite cannot order
/// DateTimeOffset columns, and the number of evaluations is small (hundreds, not millions).
/// </summary>
public sealed class EvaluationReadService(PortalDbContext db, MetricTargetService targets)
{
    /// <summary>At most this many evaluations side by side.</summary>
    public const int MaxCompared = 8;

    /// <summary>Items listed in a comparison's diff.</summary>
    public const int MaxItemDiffs = 25;

    private static readonly EvaluationStatus[] Finished = [EvaluationStatus.Succeeded, EvaluationStatus.Partial];

    /// <summary>The metrics of a tier, in display order.</summary>
    public static IReadOnlyList<string> MetricsOf(int tier) => MetricNames.All.Where(m => MetricNames.TierOf(m) == tier).ToList();

    /// <summary>A tier's dashboard: each metric (scope <c>all</c>) over time per target label, the latest per label, targets, and for tier 3 feedback by label and month.</summary>
    public async Task<DashboardView> DashboardAsync(int tier, CancellationToken ct)
    {
        if (tier is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(tier), tier, "Tiers are 1 (basic), 2 (domain) and 3 (business).");
        var metrics = MetricsOf(tier);
        var evaluations = (await db.Evaluations.AsNoTracking().Where(e => Finished.Contains(e.Status)).ToListAsync(ct))
            .Select(EvaluationHeader.Of).ToDictionary(e => e.Id);
        var rows = await db.EvaluationMetrics.AsNoTracking().Where(r => r.Scope == "all" && metrics.Contains(r.Metric)).ToListAsync(ct);
        var targetMap = await targets.MapAsync(ct);

        var series = new List<MetricSeries>();
        var latest = new List<LatestFigure>();
        foreach (var group in rows.Where(r => evaluations.ContainsKey(r.EvaluationId))
                     .GroupBy(r => (r.Metric, Label: evaluations[r.EvaluationId].TargetLabel))
                     .OrderBy(g => MetricOrder(g.Key.Metric)).ThenBy(g => g.Key.Label, StringComparer.Ordinal))
        {
            var points = group.Select(r => (Row: r, Evaluation: evaluations[r.EvaluationId]))
                .OrderBy(p => p.Evaluation.At).ThenBy(p => p.Evaluation.Id)
                .Select(p => new SeriesPoint(p.Evaluation.Id, p.Evaluation.Name, p.Evaluation.At, p.Row.Value, p.Row.Lower, p.Row.Upper, p.Row.Count))
                .ToList();
            series.Add(new MetricSeries(group.Key.Metric, group.Key.Label, points));
            var last = points[^1];
            double? target = targetMap.TryGetValue(group.Key.Metric, out var t) ? t : null;
            latest.Add(new LatestFigure(group.Key.Label, group.Key.Metric, last.EvaluationId, last.At, last.Value, last.Lower, last.Upper, last.Count,
                target, target is { } tv ? MetricTargetDefaults.Meets(group.Key.Metric, last.Value, tv) : null));
        }
        var feedback = tier == 3 ? await FeedbackAsync(null, ct) : [];
        return new DashboardView(tier, metrics, series, latest, targetMap, feedback);
    }

    /// <summary>NPS and TCR from feedback records, by model label and calendar month (UTC); one label only when given.</summary>
    public async Task<IReadOnlyList<FeedbackFigure>> FeedbackAsync(string? modelLabel, CancellationToken ct)
    {
        var query = db.Feedback.AsNoTracking();
        if (modelLabel is not null)
            query = query.Where(f => f.ModelLabel == modelLabel);
        var records = await query.Select(f => new { f.ModelLabel, f.Score, f.TaskCompleted, f.RecordedAt }).ToListAsync(ct);
        return records
            .GroupBy(f => (f.ModelLabel, Period: f.RecordedAt.UtcDateTime.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(g => g.Key.ModelLabel, StringComparer.Ordinal).ThenBy(g => g.Key.Period, StringComparer.Ordinal)
            .Select(g =>
            {
                var scores = g.Where(f => f.Score is >= 0 and <= 10).Select(f => f.Score!.Value).ToList();
                var attempts = g.Count(f => f.TaskCompleted is not null);
                var successes = g.Count(f => f.TaskCompleted == true);
                return new FeedbackFigure(g.Key.ModelLabel, g.Key.Period,
                    scores.Count > 0 ? BusinessMetrics.Nps(scores) : null,
                    attempts > 0 ? BusinessMetrics.TaskCompletion(successes, attempts) : null);
            })
            .ToList();
    }

    /// <summary>An evaluation's header, or null.</summary>
    public async Task<EvaluationHeader?> HeaderAsync(int id, CancellationToken ct) =>
        await db.Evaluations.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct) is { } e ? EvaluationHeader.Of(e) : null;

    /// <summary>An evaluation's stored figures, by tier, metric and scope.</summary>
    public async Task<IReadOnlyList<MetricFigure>> FiguresAsync(int id, CancellationToken ct) =>
        (await db.EvaluationMetrics.AsNoTracking().Where(r => r.EvaluationId == id).ToListAsync(ct))
            .Select(r => new MetricFigure(r.Metric, r.Scope, r.Tier, r.Value, r.Lower, r.Upper, r.Count, r.Tokens))
            .OrderBy(f => f.Tier).ThenBy(f => MetricOrder(f.Metric)).ThenBy(f => ScopeOrder(f.Scope)).ThenBy(f => f.Scope, StringComparer.Ordinal)
            .ToList();

    /// <summary>An evaluation's items with their parsed scores, in item order.</summary>
    public async Task<IReadOnlyList<ReportItem>> ItemsAsync(int id, CancellationToken ct) =>
        (await db.EvaluationItems.AsNoTracking().Where(i => i.EvaluationId == id).OrderBy(i => i.Id).ToListAsync(ct))
            .Select(i => new ReportItem(i.ItemId, i.Kind, i.Slice, i.Domain, i.Input, i.Output, i.References, ParseScores(i.Scores), i.Error))
            .ToList();

    /// <summary>
    /// The stakeholder report of an evaluation: every figure with its target and its trend against the previous finished
    /// evaluation of the same target label and suite; feedback figures for the same label. Null when there is no such evaluation.
    /// </summary>
    public async Task<EvaluationReport?> ReportAsync(int id, CancellationToken ct)
    {
        var header = await HeaderAsync(id, ct);
        if (header is null) return null;
        var figures = await FiguresAsync(id, ct);
        var targetMap = await targets.MapAsync(ct);

        var earlier = (await db.Evaluations.AsNoTracking()
                .Where(e => e.Id != id && e.TargetLabel == header.TargetLabel && e.SuiteVersionId == header.SuiteVersionId && Finished.Contains(e.Status))
                .ToListAsync(ct))
            .Select(EvaluationHeader.Of)
            .Where(e => e.At < header.At || (e.At == header.At && e.Id < header.Id))
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .FirstOrDefault();
        var previous = earlier is null ? new Dictionary<(string, string), MetricFigure>()
            : (await FiguresAsync(earlier.Id, ct)).ToDictionary(f => (f.Metric, f.Scope));

        var lines = new List<ReportLine>();
        foreach (var f in figures)
        {
            double? target = f.Scope == "all" && targetMap.TryGetValue(f.Metric, out var t) ? t : null;
            var before = previous.GetValueOrDefault((f.Metric, f.Scope));
            lines.Add(new ReportLine(f.Metric, f.Scope, f.Tier, f.Value, f.Lower, f.Upper, f.Count, target,
                target is { } tv ? MetricTargetDefaults.Meets(f.Metric, f.Value, tv) : null,
                TrendOf(f.Metric, before?.Value, f.Value), before?.Value, before is null ? null : earlier!.Id, EvaluationReport.FromItems));
        }

        // Tier 3 from what users said about the same model: the latest month with feedback, judged against the targets too.
        var feedback = await FeedbackAsync(header.TargetLabel, ct);
        if (feedback.Count > 0)
        {
            void Add(string metric, Func<FeedbackFigure, IntervalEstimate?> pick)
            {
                var withValue = feedback.Where(x => pick(x) is not null).ToList();
                if (withValue.Count == 0) return;
                var now = pick(withValue[^1])!;
                var before = withValue.Count > 1 ? pick(withValue[^2]) : null;
                double? target = targetMap.TryGetValue(metric, out var t) ? t : null;
                lines.Add(new ReportLine(metric, "feedback:" + withValue[^1].Period, 3, now.Value, now.Lower, now.Upper, now.Count, target,
                    target is { } tv ? MetricTargetDefaults.Meets(metric, now.Value, tv) : null, TrendOf(metric, before?.Value, now.Value), before?.Value, null,
                    EvaluationReport.FromFeedback));
            }
            Add(MetricNames.Nps, x => x.Nps);
            Add(MetricNames.TaskCompletion, x => x.TaskCompletion);
        }

        var judged = lines.Where(l => l.Met is not null).ToList();
        return new EvaluationReport(header, judged.Count(l => l.Met == true), judged.Count, lines, feedback, earlier?.Id);
    }

    /// <summary>
    /// Evaluations side by side (the first is the baseline): every metric/scope with each value, its delta from the
    /// first, and where the items allow it the significance of that delta — paired (bootstrap over item scores,
    /// McNemar on right/wrong) when both ran the same suite version, a two-proportion z-test on pass rates otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two or more than <see cref="MaxCompared"/> ids, or an unknown id (the message names it).</exception>
    public async Task<EvaluationComparison> CompareAsync(IReadOnlyList<int> ids, CancellationToken ct)
    {
        if (ids.Count < 2 || ids.Count > MaxCompared)
            throw new ArgumentException($"Expected 2 to {MaxCompared} evaluation ids, got {ids.Count}.", nameof(ids));
        if (ids.Distinct().Count() != ids.Count)
            throw new ArgumentException("Each evaluation may appear only once.", nameof(ids));
        var found = (await db.Evaluations.AsNoTracking().Where(e => ids.Contains(e.Id)).ToListAsync(ct)).ToDictionary(e => e.Id);
        var missing = ids.Where(i => !found.ContainsKey(i)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"No evaluation {string.Join(", ", missing)}.", nameof(ids));
        var headers = ids.Select(i => EvaluationHeader.Of(found[i])).ToList();
        var figures = new List<Dictionary<(string, string), MetricFigure>>();
        var items = new List<IReadOnlyList<ReportItem>>();
        foreach (var id in ids)
        {
            figures.Add((await FiguresAsync(id, ct)).ToDictionary(f => (f.Metric, f.Scope)));
            items.Add(await ItemsAsync(id, ct));
        }
        var paired = headers.Select(h => h.SuiteVersionId == headers[0].SuiteVersionId).ToList();

        var keys = figures.SelectMany(f => f.Values).Select(f => (f.Metric, f.Scope, f.Tier)).Distinct()
            .OrderBy(k => k.Tier).ThenBy(k => MetricOrder(k.Metric)).ThenBy(k => ScopeOrder(k.Scope)).ThenBy(k => k.Scope, StringComparer.Ordinal).ToList();
        var rows = new List<ComparisonRow>();
        foreach (var (metric, scope, tier) in keys)
        {
            var values = figures.Select(f => f.TryGetValue((metric, scope), out var x) ? x.Value : (double?)null).ToList();
            var deltas = values.Select((v, i) => i == 0 || v is null || values[0] is null ? null : v - values[0]).ToList();
            var tests = new List<SignificanceResult?> { null };
            for (int i = 1; i < ids.Count; i++)
                tests.Add(values[0] is null || values[i] is null ? null
                    : Test(metric, scope, items[0], items[i], paired[i], figures[0][(metric, scope)], figures[i][(metric, scope)]));
            rows.Add(new ComparisonRow(metric, scope, tier, values, deltas, tests));
        }

        var diffs = new List<ItemDiff>();
        for (int i = 1; i < ids.Count; i++)
        {
            if (!paired[i]) continue;
            var before = items[0].ToDictionary(x => x.ItemId);
            foreach (var after in items[i])
            {
                if (!before.TryGetValue(after.ItemId, out var b)) continue;
                foreach (var metric in ItemMetrics)
                    if (ItemScore(b, metric) is { } x && ItemScore(after, metric) is { } y && x != y)
                        diffs.Add(new ItemDiff(headers[i].Id, after.ItemId, metric, x, y));
            }
        }
        return new EvaluationComparison(headers, paired, rows,
            diffs.OrderByDescending(d => Math.Abs(d.Delta)).ThenBy(d => d.ItemId, StringComparer.Ordinal).Take(MaxItemDiffs).ToList());
    }

    /// <summary>Metrics that are means (or rates) of per-item scores, and so can be tested item by item.</summary>
    private static readonly string[] ItemMetrics = [MetricNames.Bleu, MetricNames.RougeL, MetricNames.F1, MetricNames.ExactMatch, MetricNames.Accuracy, MetricNames.TaskCompletion];

    // Right/wrong metrics (0 or 100 per item).
    private static bool IsCorrectness(string metric) => metric is MetricNames.Accuracy or MetricNames.ExactMatch or MetricNames.TaskCompletion;

    private static SignificanceResult? Test(string metric, string scope, IReadOnlyList<ReportItem> a, IReadOnlyList<ReportItem> b, bool paired, MetricFigure fa, MetricFigure fb)
    {
        if (!ItemMetrics.Contains(metric)) return null;
        if (paired)
        {
            var first = a.Where(x => InScope(x, scope)).Select(x => (x.ItemId, Score: ItemScore(x, metric))).Where(x => x.Score is not null).ToDictionary(x => x.ItemId, x => x.Score!.Value);
            var pairs = b.Where(x => InScope(x, scope)).Select(x => (x.ItemId, Score: ItemScore(x, metric)))
                .Where(x => x.Score is not null && first.ContainsKey(x.ItemId)).Select(x => (A: first[x.ItemId], B: x.Score!.Value)).ToList();
            if (pairs.Count == 0) return null;
            return IsCorrectness(metric)
                ? Significance.McNemar(pairs.Select(p => p.A >= 50).ToList(), pairs.Select(p => p.B >= 50).ToList())
                : Significance.PairedBootstrap(pairs.Select(p => p.A).ToList(), pairs.Select(p => p.B).ToList());
        }
        if (!IsCorrectness(metric) || fa.Count < 1 || fb.Count < 1) return null;
        return Significance.TwoProportionZ((int)Math.Round(fa.Value * fa.Count / 100), fa.Count, (int)Math.Round(fb.Value * fb.Count / 100), fb.Count);
    }

    private static bool InScope(ReportItem item, string scope) => scope switch
    {
        "all" => true,
        _ when scope.StartsWith("slice:", StringComparison.Ordinal) => item.Slice == scope["slice:".Length..],
        _ when scope.StartsWith("domain:", StringComparison.Ordinal) => item.Domain == scope["domain:".Length..],
        _ => false,
    };

    /// <summary>
    /// An item's score for a metric: stored under the metric's name; right/wrong may also be stored as <c>correct</c>
    /// (accuracy) or <c>completed</c> (task completion), 0/100 or 0/1.
    /// </summary>
    public static double? ItemScore(ReportItem item, string metric)
    {
        if (item.Error is not null) return null;
        if (item.Scores.TryGetValue(metric, out var v)) return v;
        var alias = metric switch { MetricNames.Accuracy => "correct", MetricNames.TaskCompletion => "completed", _ => null };
        if (alias is not null && item.Scores.TryGetValue(alias, out var a)) return a <= 1 ? a * 100 : a;
        return null;
    }

    /// <summary>Scores JSON (metric → number) as a dictionary; anything unreadable is left out.</summary>
    public static IReadOnlyDictionary<string, double> ParseScores(string? json)
    {
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json)) return scores;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return scores;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetDouble(out var d)) scores[p.Name] = d;
                else if (p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False) scores[p.Name] = p.Value.GetBoolean() ? 100 : 0;
            }
        }
        catch (JsonException)
        {
            // A malformed row shows no scores rather than breaking the page.
        }
        return scores;
    }

    /// <summary>Better/worse/flat: flat within 1 % of the previous value (or 0.1 absolute, for values near zero).</summary>
    public static Trend TrendOf(string metric, double? previous, double current)
    {
        if (previous is not { } p) return Trend.None;
        var change = current - p;
        if (Math.Abs(change) <= Math.Max(0.1, 0.01 * Math.Abs(p))) return Trend.Flat;
        return (change > 0) != MetricNames.LowerIsBetter(metric) ? Trend.Better : Trend.Worse;
    }

    private static int MetricOrder(string metric) => MetricNames.All.ToList().IndexOf(metric) is var i and >= 0 ? i : int.MaxValue;

    private static int ScopeOrder(string scope) => scope == "all" ? 0 : scope.StartsWith("slice:", StringComparison.Ordinal) ? 1 : 2;
}
