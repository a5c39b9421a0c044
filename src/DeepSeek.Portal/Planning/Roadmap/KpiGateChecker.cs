using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Planning.Roadmap;

/// <summary>
/// Decides each KPI gate from the latest finished (succeeded or partial) evaluation that has a figure for the gate's
/// metric and scope (and target label, when the gate names one): met when that figure meets the target by the gate's
/// comparison, missed otherwise, pending when no evaluation has such a figure. "Latest" is by finish time, then id,
/// so an older evaluation finishing late does not overrule a newer one. Every change of state becomes a
/// <see cref="KpiGateEvent"/> with the evaluation, the value and a sentence saying why (in English and as a
/// <see cref="RoadmapMessage"/> the pages word in the reader's language). The caller saves.
/// </summary>
internal sealed class KpiGateChecker(PortalDbContext db)
{
    /// <summary>Re-checks the (tracked) gates; returns how many changed state.</summary>
    public async Task<int> CheckAsync(IReadOnlyList<KpiGate> gates, DateTimeOffset now, CancellationToken ct)
    {
        var changed = 0;
        foreach (var gate in gates)
        {
            var label = gate.TargetLabel;
            var latest = await (
                    from m in db.EvaluationMetrics.AsNoTracking()
                    join e in db.Evaluations.AsNoTracking() on m.EvaluationId equals e.Id
                    where m.Metric == gate.Metric && m.Scope == gate.Scope
                          && (e.Status == EvaluationStatus.Succeeded || e.Status == EvaluationStatus.Partial) && e.FinishedAt != null
                          && (label == null || e.TargetLabel == label)
                    orderby e.FinishedAt descending, e.Id descending
                    select new Figure(e.Id, e.Name, e.TargetLabel, m.Value))
                .FirstOrDefaultAsync(ct);

            var state = latest is null ? GateState.Pending : Meets(gate.Comparison, latest.Value, gate.Target) ? GateState.Met : GateState.Missed;
            if (state != gate.State)
            {
                var reason = Reason(gate, state, latest);
                db.RoadmapGateEvents.Add(new KpiGateEvent
                {
                    GateId = gate.Id, At = now, From = gate.State, To = state, EvaluationId = latest?.EvaluationId, Value = latest?.Value,
                    Reason = reason.English(), ReasonCode = reason.Code, ReasonArgs = reason.ArgsJson(),
                });
                changed++;
            }
            gate.State = state;
            gate.EvaluationId = latest?.EvaluationId;
            gate.Value = latest?.Value;
            gate.CheckedAt = now;
        }
        return changed;
    }

    public static bool Meets(GateComparison comparison, double value, double target) =>
        comparison == GateComparison.AtMost ? value <= target : value >= target; // NaN meets neither

    /// <summary>"bleu 42.1 ≥ 40 in evaluation #7 (demo-eval-suite · run #3)"; for pending, that no evaluation has the figure.</summary>
    internal static RoadmapMessage Reason(KpiGate gate, GateState state, Figure? figure)
    {
        var what = RoadmapMessage.MetricIn(gate.Metric, gate.Scope);
        if (figure is null)
            return gate.TargetLabel is null
                ? RoadmapMessage.Of(RoadmapSentences.ReasonNoFigure, what)
                : RoadmapMessage.Of(RoadmapSentences.ReasonNoFigureFor, what, gate.TargetLabel);
        var sign = (gate.Comparison, state) switch
        {
            (GateComparison.AtLeast, GateState.Met) => "≥",
            (GateComparison.AtLeast, _) => "<",
            (GateComparison.AtMost, GateState.Met) => "≤",
            _ => ">",
        };
        return RoadmapMessage.Of(RoadmapSentences.ReasonFigure, what, RoadmapRules.Number(figure.Value), sign, RoadmapRules.Number(gate.Target),
            figure.EvaluationId.ToString(System.Globalization.CultureInfo.InvariantCulture), figure.Name, figure.TargetLabel);
    }

    internal sealed record Figure(int EvaluationId, string Name, string TargetLabel, double Value);
}
