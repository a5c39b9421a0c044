using System.Globalization;
using DeepSeek.Portal.Evaluations.Reports;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Planning.Roadmap.Pages;

/// <summary>
/// The roadmap's words in the reader's language: phase and milestone names (the Chinese name on zh pages when one was
/// entered), statuses, gate targets and dates. One place, so the Gantt, the table and the print view say the same.
/// </summary>
public sealed class RoadmapText(IStringLocalizer<SharedResource> l, ReportText report)
{
    /// <summary>Whether the page is in Chinese (zh-Hans and its parents).</summary>
    public static bool Chinese => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "zh";

    /// <summary>
    /// The language of text people typed (owners, notes, descriptions, change summaries) when it differs from the page's:
    /// "en" for Latin-only text on a Chinese page, "zh-Hans" for Han-only text on an English page, else null. Screen
    /// readers then read it in its own language.
    /// </summary>
    public static string? Lang(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var han = text.Any(c => c is >= '\u2E80' and <= '\u9FFF' or >= '\uF900' and <= '\uFAFF');
        var latin = text.Any(char.IsAsciiLetter);
        return Chinese ? (latin && !han ? "en" : null) : (han && !latin ? "zh-Hans" : null);
    }

    public string Phase(PhaseView phase) => Chinese && !string.IsNullOrWhiteSpace(phase.NameZh) ? phase.NameZh! : phase.Name;

    public string Milestone(MilestoneView m) => Chinese && !string.IsNullOrWhiteSpace(m.TitleZh) ? m.TitleZh! : m.Title;

    /// <summary>The phase's description in the reader's language (the Chinese one on zh pages when entered).</summary>
    public static string? Description(PhaseView phase) => Chinese && !string.IsNullOrWhiteSpace(phase.DescriptionZh) ? phase.DescriptionZh : phase.Description;

    /// <summary>The milestone's notes in the reader's language (the Chinese ones on zh pages when entered).</summary>
    public static string? Notes(MilestoneView m) => Chinese && !string.IsNullOrWhiteSpace(m.NotesZh) ? m.NotesZh : m.Notes;

    public string Status(MilestoneStatus status) => l["RmStatus_" + status].Value;

    public string GateState(GateState state) => l["RmGate_" + state].Value;

    public string MetricName(string metric) => report.MetricName(metric);

    public string ScopeName(string scope) => RoadmapMessage.ScopeName(l, report, scope);

    /// <summary>"≥ 30" or "≤ 12.5".</summary>
    public static string Target(GateView gate) => (gate.Comparison == GateComparison.AtMost ? "≤ " : "≥ ") + ReportText.Number(gate.Target);

    /// <summary>"BLEU ≥ 30: 33.00" (the value left out while no evaluation decided it).</summary>
    public string Gate(GateView gate) =>
        $"{MetricName(gate.Metric)} {Target(gate)}{(gate.Value is { } v ? ": " + ReportText.Number(v) : "")}";

    /// <summary>A date as the reader writes it (2026-03-01 or 2026/3/1).</summary>
    public static string Date(DateOnly date) => date.ToString("d", CultureInfo.CurrentCulture);

    public string Days(int days) => l["RmUiDays", days].Value;

    /// <summary>A change's one line in the reader's language; the stored English for changes recorded before lines were stored as keys.</summary>
    public string Summary(ChangeView change) => change.SummaryText?.Render(l) ?? change.Summary;

    /// <summary>Why a gate changed state, in the reader's language (the stored English for older events).</summary>
    public string Reason(GateEventView e) => e.ReasonText?.Render(l) ?? e.Reason;
}
