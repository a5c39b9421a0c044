using System.Globalization;
using DeepSeek.Portal.Evaluation.Scoring;
using DeepSeek.Portal.Evaluations;
using DeepSeek.Portal.Evaluations.Reports;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Planning.Roadmap;

/// <summary>
/// What a roadmap edit must satisfy, checked whole before anything is saved: each problem is collected under its field
/// (the request's property name, camelCase) in the current UI language, so the API's 400 and the editor's form show the
/// same words.
/// </summary>
internal sealed class RoadmapRules(IStringLocalizer<SharedResource> l)
{
    public const int NameMax = 200;
    public const int TitleMax = 300;
    public const int OwnerMax = 200;
    public const int DescriptionMax = 2000;
    public const int NotesMax = 4000;
    public const int TargetLabelMax = 200;
    public const int DomainNameMax = 100;
    /// <summary>A move by more than ten years is a typo, not a plan.</summary>
    public const int MoveDaysMax = 3660;

    public static readonly IReadOnlyList<string> Slices = ["general", "domain", "adversarial"];

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool HasErrors => _errors.Count > 0;

    public void Add(string field, string key, params object[] args)
    {
        var template = l[key];
        var message = args.Length == 0 ? template.Value : string.Format(CultureInfo.CurrentCulture, template.Value, args);
        if (!_errors.TryGetValue(field, out var list))
            _errors[field] = list = [];
        list.Add(message);
    }

    /// <summary>Throws <see cref="RoadmapValidationException"/> with every problem collected so far; nothing has been saved.</summary>
    public void ThrowIfAny()
    {
        if (HasErrors)
            throw new RoadmapValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
    }

    public string Text(string key, params object[] args) =>
        args.Length == 0 ? l[key].Value : string.Format(CultureInfo.CurrentCulture, l[key].Value, args);

    /// <summary>A required text: trimmed, non-empty, at most <paramref name="max"/> characters.</summary>
    public string Required(string field, string? value, int max)
    {
        var trimmed = value?.Trim() ?? "";
        if (trimmed.Length == 0)
            Add(field, "RmErrRequired");
        else if (trimmed.Length > max)
            Add(field, "RmErrTooLong", max, trimmed.Length);
        return trimmed;
    }

    /// <summary>An optional text: trimmed, empty becomes null, at most <paramref name="max"/> characters.</summary>
    public string? Optional(string field, string? value, int max)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
            return null;
        if (trimmed.Length > max)
            Add(field, "RmErrTooLong", max, trimmed.Length);
        return trimmed;
    }

    public void Dates(DateOnly start, DateOnly end)
    {
        if (end < start)
            Add("end", "RmErrEndBeforeStart", Iso(end), Iso(start));
    }

    /// <summary>The metric in its canonical spelling (case-insensitive match against <see cref="MetricNames.All"/>), or null with an error listing them.</summary>
    public string? Metric(string? metric)
    {
        var found = MetricNames.All.FirstOrDefault(m => string.Equals(m, metric?.Trim(), StringComparison.OrdinalIgnoreCase));
        if (found is null)
            Add("metric", "RmErrUnknownMetric", metric ?? "", string.Join(", ", MetricNames.All));
        return found;
    }

    /// <summary>
    /// The scope in the form evaluation figures use: <c>all</c>, <c>slice:general|domain|adversarial</c>,
    /// <c>domain:&lt;name&gt;</c> or <c>feedback</c> (NPS exists only there: it comes from imported feedback).
    /// </summary>
    public string Scope(string? scope, string? metric)
    {
        var value = string.IsNullOrWhiteSpace(scope) ? "all" : scope.Trim();
        var colon = value.IndexOf(':');
        var wellFormed = value is "all" or EvaluationJob.FeedbackScope
            || colon > 0 && value[..colon] switch
            {
                "slice" => Slices.Contains(value[(colon + 1)..]),
                "domain" => value.Length > colon + 1 && value.Length - colon - 1 <= DomainNameMax,
                _ => false,
            };
        if (!wellFormed)
            Add("scope", "RmErrScope", value);
        else if (metric == MetricNames.Nps && value != EvaluationJob.FeedbackScope)
            Add("scope", "RmErrNpsScope", value);
        return value;
    }

    /// <summary>A finite target within the values the metric can take (0–100 for percentages, −100–100 for NPS, ≥ 1 for perplexity).</summary>
    public void Target(string? metric, double target)
    {
        if (!double.IsFinite(target))
        {
            Add("target", "RmErrTargetNotFinite");
            return;
        }
        if (metric is null) return;
        var (low, high) = MetricTargetService.Range(metric);
        if (target < low || target > high)
            Add("target", "RmErrTargetRange", metric, Number(low), Number(high), Number(target));
    }

    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A number as reasons and summaries write it: invariant, up to six significant digits.</summary>
    public static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
