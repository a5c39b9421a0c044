using System.Globalization;
using DeepSeek.Portal.Evaluations.Reports;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Planning.Roadmap;

/// <summary>
/// The roadmap as CSV (milestones, one row each, UTF-8 with a byte-order mark) and as an XLSX workbook (sheets
/// Milestones, Gates, Changes), written with the evaluation report's CSV and workbook writers. Headers, statuses and
/// phase/milestone names are in the current UI culture (zh-Hans uses the Chinese names where they exist); dates are
/// ISO (yyyy-MM-dd) and numbers plain, so spreadsheets sort and compute with them.
/// </summary>
public sealed class RoadmapExport(IStringLocalizer<SharedResource> l)
{
    private static bool Chinese => CultureInfo.CurrentUICulture.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase);

    public byte[] Csv(RoadmapView roadmap) => ReportExport.Csv(MilestoneRows(roadmap));

    public byte[] Xlsx(RoadmapView roadmap, IReadOnlyList<ChangeView> changes) => ReportExport.Xlsx(
    [
        ("Milestones", MilestoneRows(roadmap)),
        ("Gates", GateRows(roadmap)),
        ("Changes", ChangeRows(changes)),
    ]);

    private IEnumerable<object?[]> MilestoneRows(RoadmapView roadmap)
    {
        var phases = roadmap.Phases.ToDictionary(p => p.Id);
        var titles = roadmap.Milestones.ToDictionary(m => m.Id, Title);
        yield return [.. new[] { "RmColId", "RmColPhase", "RmColMilestone", "RmColOwner", "RmColStart", "RmColEnd", "RmColBaselineEnd", "RmColSlipDays",
            "RmColStatus", "RmColOverdue", "RmColDependsOn", "RmColGates", "RmColUpdatedBy" }.Select(k => l[k].Value)];
        foreach (var m in roadmap.Milestones)
            yield return
            [
                m.Id, phases.TryGetValue(m.PhaseId, out var p) ? Name(p) : null, Title(m), m.Owner, Iso(m.Start), Iso(m.End), Iso(m.BaselineEnd), m.SlipDays,
                l["RmStatus_" + m.Status].Value, m.Overdue ? l["RmYes"].Value : l["RmNo"].Value,
                string.Join("; ", m.DependsOn.Select(d => titles.GetValueOrDefault(d, $"#{d}"))),
                string.Join("; ", m.Gates.Select(g => $"{Gate(g)}: {l["RmGate_" + g.State].Value}")), m.UpdatedBy,
            ];
    }

    private IEnumerable<object?[]> GateRows(RoadmapView roadmap)
    {
        yield return [.. new[] { "RmColId", "RmColMilestone", "RmColMetric", "RmColScope", "RmColTargetLabel", "RmColComparison", "RmColTarget",
            "RmColState", "RmColValue", "RmColEvaluation", "RmColCheckedAt" }.Select(k => l[k].Value)];
        foreach (var m in roadmap.Milestones)
            foreach (var g in m.Gates)
                yield return
                [
                    g.Id, Title(m), g.Metric, g.Scope, g.TargetLabel, g.Comparison == GateComparison.AtLeast ? "≥" : "≤", g.Target,
                    l["RmGate_" + g.State].Value, g.Value, g.EvaluationId, g.CheckedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
                ];
    }

    private IEnumerable<object?[]> ChangeRows(IReadOnlyList<ChangeView> changes)
    {
        yield return [.. new[] { "RmColId", "RmColAt", "RmColUser", "RmColEntity", "RmColEntityId", "RmColAction", "RmColSummary" }.Select(k => l[k].Value)];
        foreach (var c in changes)
            yield return [(double)c.Id, c.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture), c.User, c.Entity, c.EntityId, c.Action,
                c.SummaryText?.Render(l) ?? c.Summary]; // older rows have only the English line
    }

    private static string Name(PhaseView p) => Chinese && p.NameZh is { } zh ? zh : p.Name;
    private static string Title(MilestoneView m) => Chinese && m.TitleZh is { } zh ? zh : m.Title;
    private static string Iso(DateOnly d) => RoadmapRules.Iso(d);
    private static string Gate(GateView g) =>
        g.Metric + (g.Scope == "all" ? "" : $" ({g.Scope})") + (g.Comparison == GateComparison.AtLeast ? " ≥ " : " ≤ ") + RoadmapRules.Number(g.Target);
}
