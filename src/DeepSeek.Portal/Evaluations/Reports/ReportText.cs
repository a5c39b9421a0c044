using System.Globalization;
using DeepSeek.Portal.Evaluation.Scoring;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Evaluations.Reports;

/// <summary>
/// The words of reports, dashboards and exports in the current UI culture (resx keys <c>Metric_…</c>, <c>Trend…</c>,
/// <c>Scope…</c>), and numbers formatted in the current culture.
/// </summary>
public sealed class ReportText(IStringLocalizer<SharedResource> l)
{
    /// <summary>The display name of a metric ("Perplexity", "困惑度").</summary>
    public string MetricName(string metric) => l["Metric_" + metric] is { ResourceNotFound: false } s ? s.Value : metric;

    /// <summary>The tier's name ("Basic", "Domain", "Business").</summary>
    public string TierName(int tier) => l["Tier" + tier].Value;

    /// <summary>A scope in words: all items, a slice, a domain, or a feedback period.</summary>
    public string ScopeName(string scope)
    {
        if (scope == "all") return l["ScopeAll"].Value;
        var colon = scope.IndexOf(':');
        if (colon < 0) return scope;
        var (kind, name) = (scope[..colon], scope[(colon + 1)..]);
        return kind switch
        {
            "slice" => l["Slice_" + name] is { ResourceNotFound: false } s ? s.Value : name,
            "domain" => string.Format(CultureInfo.CurrentCulture, l["ScopeDomain"].Value, name),
            "feedback" => string.Format(CultureInfo.CurrentCulture, l["ScopeFeedback"].Value, name),
            _ => scope,
        };
    }

    /// <summary>A figure in the current culture: two decimals, or one for perplexity above 100.</summary>
    public static string Number(double value) => value.ToString(Math.Abs(value) >= 100 ? "N1" : "N2", CultureInfo.CurrentCulture);

    /// <summary>A figure with its unit ("42.00 %", "12.50").</summary>
    public string Value(string metric, double value) => metric switch
    {
        MetricNames.Perplexity or MetricNames.Nps or MetricNames.Bleu => Number(value),
        _ => string.Format(CultureInfo.CurrentCulture, l["PercentValue"].Value, Number(value)),
    };

    /// <summary>The 95 % interval in words, or empty.</summary>
    public string Interval(double? lower, double? upper) =>
        lower is { } lo && upper is { } hi ? string.Format(CultureInfo.CurrentCulture, l["IntervalText"].Value, Number(lo), Number(hi)) : "";

    /// <summary>Met / missed / no target.</summary>
    public string Met(bool? met) => met switch { true => l["TargetMet"].Value, false => l["TargetMissed"].Value, null => l["NoTarget"].Value };

    /// <summary>The target in words ("at least 30", "at most 20").</summary>
    public string Target(string metric, double? target) => target is { } t
        ? string.Format(CultureInfo.CurrentCulture, l[MetricNames.LowerIsBetter(metric) ? "TargetAtMost" : "TargetAtLeast"].Value, Number(t))
        : l["NoTarget"].Value;

    /// <summary>The trend in words, with the previous value.</summary>
    public string Trend(Trend trend, double? previous) => trend switch
    {
        Reports.Trend.Better => string.Format(CultureInfo.CurrentCulture, l["TrendBetter"].Value, Number(previous!.Value)),
        Reports.Trend.Worse => string.Format(CultureInfo.CurrentCulture, l["TrendWorse"].Value, Number(previous!.Value)),
        Reports.Trend.Flat => string.Format(CultureInfo.CurrentCulture, l["TrendFlat"].Value, Number(previous!.Value)),
        _ => l["TrendNone"].Value,
    };

    /// <summary>"3 of 5 targets met".</summary>
    public string Headline(EvaluationReport report) =>
        string.Format(CultureInfo.CurrentCulture, l["ReportHeadline"].Value, report.TargetsMet, report.TargetsTotal);

    /// <summary>What a metric measures, in one plain sentence (resx <c>MetricMeans_…</c>).</summary>
    public string Meaning(string metric) => l["MetricMeans_" + metric] is { ResourceNotFound: false } s ? s.Value : "";

    /// <summary>A localised resource by key.</summary>
    public string this[string key] => l[key].Value;
}
