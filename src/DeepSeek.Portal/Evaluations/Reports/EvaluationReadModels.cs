using DeepSeek.Portal.Evaluation.Scoring;

namespace DeepSeek.Portal.Evaluations.Reports;

/// <summary>What a dashboard or report says about an evaluation itself.</summary>
public sealed record EvaluationHeader(int Id, string Name, int SuiteVersionId, string TargetLabel, EvaluationStatus Status,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, int ItemsTotal, int ItemsDone, int ItemsFailed)
{
    /// <summary>When its figures are dated on charts: when it finished (or was created, if it never did).</summary>
    public DateTimeOffset At => FinishedAt ?? CreatedAt;

    /// <summary>Whether some items failed, so the figures cover only the others.</summary>
    public bool IsPartial => Status == EvaluationStatus.Partial || ItemsFailed > 0;

    internal static EvaluationHeader Of(EvaluationRun e) => new(e.Id, e.Name, e.SuiteVersionId, e.TargetLabel, e.Status, e.CreatedAt, e.FinishedAt, e.ItemsTotal, e.ItemsDone, e.ItemsFailed);
}

/// <summary>One stored figure.</summary>
public sealed record MetricFigure(string Metric, string Scope, int Tier, double Value, double? Lower, double? Upper, int Count, long? Tokens);

/// <summary>One point of a metric over time.</summary>
public sealed record SeriesPoint(int EvaluationId, string EvaluationName, DateTimeOffset At, double Value, double? Lower, double? Upper, int Count);

/// <summary>A metric (scope <c>all</c>) over time for one target label.</summary>
public sealed record MetricSeries(string Metric, string TargetLabel, IReadOnlyList<SeriesPoint> Points);

/// <summary>The latest figure of a metric for a target label, judged against the target.</summary>
public sealed record LatestFigure(string TargetLabel, string Metric, int EvaluationId, DateTimeOffset At, double Value, double? Lower, double? Upper, int Count, double? Target, bool? Met);

/// <summary>NPS and task completion from feedback for one model label and period (a calendar month, <c>yyyy-MM</c>, UTC).</summary>
public sealed record FeedbackFigure(string ModelLabel, string Period, Evaluation.Metrics.IntervalEstimate? Nps, Evaluation.Metrics.IntervalEstimate? TaskCompletion);

/// <summary>A dashboard tier: series per metric, latest values, targets and (business tier) feedback figures.</summary>
public sealed record DashboardView(int Tier, IReadOnlyList<string> Metrics, IReadOnlyList<MetricSeries> Series, IReadOnlyList<LatestFigure> Latest,
    IReadOnlyDictionary<string, double> Targets, IReadOnlyList<FeedbackFigure> Feedback);

/// <summary>Which way a figure moved since the previous evaluation of the same target and suite.</summary>
public enum Trend
{
    /// <summary>No earlier evaluation of the same target label and suite.</summary>
    None,
    /// <summary>Better (higher, or lower where lower is better).</summary>
    Better,
    /// <summary>Worse.</summary>
    Worse,
    /// <summary>Within 1 % (relative) or 0.1 (absolute) of the previous value.</summary>
    Flat,
}

/// <summary>One line of a report: a figure, its target and how it moved.</summary>
public sealed record ReportLine(string Metric, string Scope, int Tier, double Value, double? Lower, double? Upper, int Count,
    double? Target, bool? Met, Trend Trend, double? Previous, int? PreviousEvaluationId, string Source);

/// <summary>
/// A stakeholder report of one evaluation: the headline (targets met of those that apply), every figure with its
/// target and trend, business figures from feedback for the same model label, and the items.
/// </summary>
public sealed record EvaluationReport(EvaluationHeader Evaluation, int TargetsMet, int TargetsTotal, IReadOnlyList<ReportLine> Lines,
    IReadOnlyList<FeedbackFigure> Feedback, int? PreviousEvaluationId)
{
    /// <summary>Where a report line came from: the evaluation's items, or feedback records.</summary>
    public const string FromItems = "items", FromFeedback = "feedback";
}

/// <summary>One item of an evaluation, for exports and diffs.</summary>
public sealed record ReportItem(string ItemId, string Kind, string Slice, string? Domain, string Input, string? Output, string? References,
    IReadOnlyDictionary<string, double> Scores, string? Error);

/// <summary>One metric/scope across the compared evaluations.</summary>
public sealed record ComparisonRow(string Metric, string Scope, int Tier, IReadOnlyList<double?> Values, IReadOnlyList<double?> Deltas,
    IReadOnlyList<SignificanceResult?> Significance);

/// <summary>An item whose score changed between the first evaluation and another.</summary>
public sealed record ItemDiff(int EvaluationId, string ItemId, string Metric, double Before, double After)
{
    /// <summary>After − before.</summary>
    public double Delta => After - Before;
}

/// <summary>A side-by-side comparison; the first evaluation is the baseline.</summary>
public sealed record EvaluationComparison(IReadOnlyList<EvaluationHeader> Evaluations, IReadOnlyList<bool> PairedWithFirst,
    IReadOnlyList<ComparisonRow> Rows, IReadOnlyList<ItemDiff> ItemDiffs);
