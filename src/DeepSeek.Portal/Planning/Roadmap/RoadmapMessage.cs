using System.Globalization;
using System.Resources;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Evaluations.Reports;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Planning.Roadmap;

/// <summary>
/// A sentence of the roadmap's history (a change summary, a gate event's reason) kept as a resource key
/// (<see cref="RoadmapSentences"/>) and its arguments, so every reader sees it in their own language. The English
/// wording is stored beside it (<see cref="RoadmapChange.Summary"/>, <see cref="KpiGateEvent.Reason"/>): the API's text,
/// and what rows written before the keys existed fall back to.
/// </summary>
/// <remarks>
/// An argument is a JSON string (shown as is: a date, a number, an id), <c>{"key": k}</c> (a resource key: a field's
/// name, a status), <c>{"text": en, "zh": zh}</c> (a name entered in two languages), <c>{"metric": m}</c> and
/// <c>{"scope": s}</c> (an evaluation metric and scope: named in words on the pages as the gate chips name them, as stored
/// — <c>bleu</c>, <c>slice:domain</c> — in the English line), <c>{"code": c, "args": […]}</c> (a nested sentence) or
/// <c>{"join": […]}</c> (sentences joined with the language's list separator).
/// </remarks>
public sealed record RoadmapMessage(string Code, JsonArray Args)
{
    private static readonly ResourceManager Resources = new("DeepSeek.Portal.Resources.SharedResource", typeof(SharedResource).Assembly);

    public static RoadmapMessage Of(string code, params object?[] args) => new(code, [.. args.Select(Arg)]);

    /// <summary>A resource key, shown in the reader's language.</summary>
    public static JsonNode Key(string key) => new JsonObject { ["key"] = key };

    /// <summary>A name entered in two languages: the Chinese one on Chinese pages when there is one.</summary>
    public static JsonNode Name(string name, string? nameZh) =>
        string.IsNullOrWhiteSpace(nameZh) ? JsonValue.Create(name) : new JsonObject { ["text"] = name, ["zh"] = nameZh };

    /// <summary>"bleu" or "f1 (slice:domain)": a gate's metric with its scope unless that is every item.</summary>
    public static object MetricIn(string metric, string scope) =>
        scope == "all"
            ? new JsonObject { ["metric"] = metric }
            : Of(RoadmapSentences.MetricScope, new JsonObject { ["metric"] = metric }, new JsonObject { ["scope"] = scope });

    /// <summary>Sentences joined with "; " (or "；").</summary>
    public static JsonNode Join(IEnumerable<RoadmapMessage> items) => new JsonObject { ["join"] = new JsonArray([.. items.Select(i => i.ToNode())]) };

    /// <summary>The sentence in the current UI language, through <paramref name="l"/>; metrics and scopes as the reports name them.</summary>
    public string Render(IStringLocalizer<SharedResource> l)
    {
        var report = new ReportText(l);
        return Render(Code, Args, new Words(k => l[k] is { ResourceNotFound: false } s ? s.Value : null, CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "zh",
            report.MetricName, scope => ScopeName(l, report, scope)));
    }

    /// <summary>The sentence in English (the neutral resources), whatever the current culture, with metrics and scopes as stored.</summary>
    public string English() => Render(Code, Args, new Words(k => Resources.GetString(k, CultureInfo.InvariantCulture), Chinese: false, Metric: m => m, Scope: s => s));

    /// <summary>A gate's scope in words: the reports' wording, and "user feedback" for the whole feedback scope.</summary>
    public static string ScopeName(IStringLocalizer<SharedResource> l, ReportText report, string scope) =>
        scope == "feedback" ? l["RmUiScopeFeedback"].Value : report.ScopeName(scope);

    /// <summary>The arguments as stored.</summary>
    public string ArgsJson() => Args.ToJsonString();

    /// <summary>A stored sentence, or null for rows written before sentences were stored (or unreadable ones).</summary>
    public static RoadmapMessage? Parse(string? code, string? args)
    {
        if (string.IsNullOrEmpty(code)) return null;
        try
        {
            return new RoadmapMessage(code, args is null ? [] : JsonNode.Parse(args) as JsonArray ?? []);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private JsonObject ToNode() => new() { ["code"] = Code, ["args"] = Args.DeepClone() };

    private static JsonNode? Arg(object? a) => a switch
    {
        null => null,
        JsonNode n => n.Parent is null ? n : n.DeepClone(),
        RoadmapMessage m => m.ToNode(),
        string s => JsonValue.Create(s),
        IFormattable f => JsonValue.Create(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(a.ToString()),
    };

    /// <summary>How to word arguments: resource lookup (null when missing), Chinese names, metric and scope names.</summary>
    private sealed record Words(Func<string, string?> Lookup, bool Chinese, Func<string, string> Metric, Func<string, string> Scope)
    {
        public string Text(string key) => Lookup(key) ?? key;
    }

    private static string Render(string code, JsonArray args, Words words)
    {
        var values = args.Select(a => (object)Value(a, words)).ToArray();
        var template = words.Text(code);
        try
        {
            return string.Format(CultureInfo.InvariantCulture, template, values);
        }
        catch (FormatException)
        {
            return template + " " + string.Join(", ", values); // a template and its arguments out of step: show both rather than fail the page
        }
    }

    private static string Value(JsonNode? node, Words w) => node switch
    {
        null => "",
        JsonValue v => v.TryGetValue<string>(out var s) ? s : v.ToJsonString(),
        JsonObject o when o["key"] is JsonValue key => w.Text(key.GetValue<string>()),
        JsonObject o when o["code"] is JsonValue code => Render(code.GetValue<string>(), o["args"] as JsonArray ?? [], w),
        JsonObject o when o["join"] is JsonArray items => string.Join(w.Text("RmSumSeparator"), items.Select(i => Value(i, w))),
        JsonObject o when o["text"] is JsonValue name => w.Chinese && o["zh"] is JsonValue zh ? zh.GetValue<string>() : name.GetValue<string>(),
        JsonObject o when o["metric"] is JsonValue metric => w.Metric(metric.GetValue<string>()),
        JsonObject o when o["scope"] is JsonValue scope => w.Scope(scope.GetValue<string>()),
        _ => node.ToJsonString(),
    };
}

/// <summary>
/// The resource keys of the roadmap's stored sentences and how many arguments each takes: change summaries
/// (<c>RmSum…</c>) and gate reasons (<c>RmRsn…</c>). Both resource files must word each with that many placeholders.
/// </summary>
public static class RoadmapSentences
{
    public const string PhaseCreated = "RmSumPhaseCreated";
    public const string PhaseUpdated = "RmSumPhaseUpdated";
    public const string PhaseDeleted = "RmSumPhaseDeleted";
    public const string PhaseDeletedWith = "RmSumPhaseDeletedWith";
    public const string MilestoneCreated = "RmSumMilestoneCreated";
    public const string MilestoneUpdated = "RmSumMilestoneUpdated";
    public const string MilestoneMoved = "RmSumMilestoneMoved";
    public const string MilestoneDeleted = "RmSumMilestoneDeleted";
    public const string DependencyAdded = "RmSumDependencyAdded";
    public const string DependencyRemoved = "RmSumDependencyRemoved";
    public const string DependencyRemovedDeleted = "RmSumDependencyRemovedDeleted";
    public const string GateAdded = "RmSumGateAdded";
    public const string GateUpdated = "RmSumGateUpdated";
    public const string GateDeleted = "RmSumGateDeleted";
    /// <summary>"bleu (slice:domain) ≥ 30", and with a target label.</summary>
    public const string Gate = "RmSumGate";
    public const string GateFor = "RmSumGateFor";
    /// <summary>"End 2027-03-31 → 2027-04-15": field, before, after.</summary>
    public const string Diff = "RmSumDiff";
    /// <summary>"Notes changed": field.</summary>
    public const string Changed = "RmSumChanged";
    /// <summary>A value in quotes; no value.</summary>
    public const string Quoted = "RmSumQuoted";
    public const string None = "RmSumNone";
    /// <summary>"f1 (slice:domain)": metric, scope.</summary>
    public const string MetricScope = "RmSumMetricScope";
    public const string ReasonNoFigure = "RmRsnNoFigure";
    public const string ReasonNoFigureFor = "RmRsnNoFigureFor";
    public const string ReasonFigure = "RmRsnFigure";

    /// <summary>Field names in summaries (<c>RmSumField_</c> + the name).</summary>
    public static readonly IReadOnlyList<string> Fields =
        ["Name", "NameZh", "Order", "Description", "DescriptionZh", "Phase", "Title", "TitleZh", "Owner", "Start", "End", "BaselineEnd", "Status", "Notes", "NotesZh"];

    public static JsonNode Field(string field) => RoadmapMessage.Key("RmSumField_" + field);

    /// <summary>Every sentence key with its number of arguments (plain keys used as arguments have none).</summary>
    public static readonly IReadOnlyDictionary<string, int> Arity = new Dictionary<string, int>
    {
        [PhaseCreated] = 1, [PhaseUpdated] = 2, [PhaseDeleted] = 1, [PhaseDeletedWith] = 2,
        [MilestoneCreated] = 4, [MilestoneUpdated] = 2, [MilestoneMoved] = 6, [MilestoneDeleted] = 1,
        [DependencyAdded] = 2, [DependencyRemoved] = 2, [DependencyRemovedDeleted] = 2,
        [GateAdded] = 2, [GateUpdated] = 3, [GateDeleted] = 2, [Gate] = 3, [GateFor] = 4,
        [Diff] = 3, [Changed] = 1, [Quoted] = 1, [None] = 0, [MetricScope] = 2, ["RmSumSeparator"] = 0,
        [ReasonNoFigure] = 1, [ReasonNoFigureFor] = 2, [ReasonFigure] = 7,
    }.Concat(Fields.Select(f => KeyValuePair.Create("RmSumField_" + f, 0))).ToDictionary();
}
