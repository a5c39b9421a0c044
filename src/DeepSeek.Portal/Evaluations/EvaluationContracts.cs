using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Evaluations;

/// <summary>What an evaluation runs against: <c>run</c>, <c>model</c> or <c>endpoint</c>, and its id.</summary>
public sealed record EvaluationTargetRequest(string? Kind, int? Id);

/// <summary>A launch. Unset settings take <see cref="EvaluationSettings"/>'s defaults.</summary>
public sealed record EvaluationLaunchRequest(
    string? Name,
    int? SuiteVersionId,
    EvaluationTargetRequest? Target,
    int? MaxNewTokens = null,
    int? Concurrency = null,
    bool? MeasurePerplexity = null);

/// <summary>The settings an evaluation ran with (stored as JSON on its row).</summary>
public sealed record EvaluationSettings
{
    public const int MaxNewTokensLimit = 4096;
    public const int ConcurrencyLimit = 64;

    [JsonPropertyName("maxNewTokens")] public int MaxNewTokens { get; init; } = 128;
    [JsonPropertyName("concurrency")] public int Concurrency { get; init; } = 4;
    [JsonPropertyName("measurePerplexity")] public bool MeasurePerplexity { get; init; } = true;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static EvaluationSettings Read(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return new();
        try { return JsonSerializer.Deserialize<EvaluationSettings>(json, Json) ?? new(); }
        catch (JsonException) { return new(); }
    }

    public static EvaluationSettings From(EvaluationLaunchRequest r) => new EvaluationSettings() with
    {
        MaxNewTokens = r.MaxNewTokens ?? 128,
        Concurrency = r.Concurrency ?? 4,
        MeasurePerplexity = r.MeasurePerplexity ?? true,
    };

    /// <summary>Field → messages, keyed by the launch request's JSON names.</summary>
    public static void Validate(EvaluationLaunchRequest r, Dictionary<string, string[]> errors)
    {
        if (r.MaxNewTokens is { } m && (m < 1 || m > MaxNewTokensLimit))
            errors["maxNewTokens"] = [$"Max new tokens must be between 1 and {MaxNewTokensLimit} (was {m})."];
        if (r.Concurrency is { } c && (c < 1 || c > ConcurrencyLimit))
            errors["concurrency"] = [$"Concurrency must be between 1 and {ConcurrencyLimit} (was {c})."];
    }
}

/// <summary>One figure of an evaluation (a stored <see cref="EvaluationMetricRow"/>).</summary>
public sealed record EvaluationFigure(int Tier, string Metric, string Scope, double Value, double? Lower, double? Upper, int Count, long? Tokens)
{
    public static EvaluationFigure From(EvaluationMetricRow r) => new(r.Tier, r.Metric, r.Scope, r.Value, r.Lower, r.Upper, r.Count, r.Tokens);
}

/// <summary>An evaluation as lists and the detail page show it.</summary>
/// <param name="Partial">Finished with failed items: every figure leaves them out.</param>
/// <param name="ItemsPerSecond">Items finished per second since the evaluation (last) started; null before the first.</param>
/// <param name="EtaSeconds">Seconds until the remaining items are done at that rate.</param>
public sealed record EvaluationSummary(
    int Id, string Name, int SuiteVersionId, string? SuiteName, string TargetKind, int? TargetId, string TargetLabel,
    EvaluationSettings Settings, [property: JsonConverter(typeof(JsonStringEnumConverter<EvaluationStatus>))] EvaluationStatus Status, int ItemsTotal, int ItemsDone, int ItemsFailed, int ItemsCached,
    bool Partial, string? Error, int? ScheduleId, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    string? CreatedBy, double? ItemsPerSecond, double? EtaSeconds)
{
    public bool IsActive => Status is EvaluationStatus.Queued or EvaluationStatus.Running;

    public static EvaluationSummary From(EvaluationRun e, string? suiteName, DateTimeOffset now, double? rate = null)
    {
        if (rate is null && e.Status == EvaluationStatus.Running && e.StartedAt is { } started && e.ItemsDone > 0 && now > started)
            rate = e.ItemsDone / (now - started).TotalSeconds;
        double? eta = rate is > 0 && e.ItemsTotal > e.ItemsDone ? (e.ItemsTotal - e.ItemsDone) / rate : null;
        return new(e.Id, e.Name, e.SuiteVersionId, suiteName, e.TargetKind.ToString().ToLowerInvariant(),
            e.TargetKind switch { EvaluationTargetKind.Run => e.TargetRunId, EvaluationTargetKind.Model => e.TargetModelId, _ => e.TargetEndpointId },
            e.TargetLabel, EvaluationSettings.Read(e.Settings), e.Status, e.ItemsTotal, e.ItemsDone, e.ItemsFailed, e.ItemsCached,
            e.Status == EvaluationStatus.Partial, e.Error, e.ScheduleId, e.CreatedAt, e.StartedAt, e.FinishedAt, e.CreatedBy,
            e.Status == EvaluationStatus.Running ? rate : null, e.Status == EvaluationStatus.Running ? eta : null);
    }
}

/// <summary>An evaluation with its figures.</summary>
public sealed record EvaluationDetail(EvaluationSummary Evaluation, IReadOnlyList<EvaluationFigure> Figures);

/// <summary>One item's input, output, references and scores (drill-down).</summary>
public sealed record EvaluationItemView(string ItemId, string Slice, string Kind, string? Domain, string Input, string? Output,
    IReadOnlyList<string> References, IReadOnlyDictionary<string, double> Scores, string? Error, bool FromCache, double Seconds, string? Note = null);

/// <summary>A page of items.</summary>
public sealed record EvaluationItemPage(int Total, int Page, int PageSize, IReadOnlyList<EvaluationItemView> Items);

/// <summary>Live progress of an evaluation (hub <c>/hubs/evaluations</c>, method <c>EvaluationUpdated</c>; and in-process watchers).</summary>
public sealed record EvaluationUpdate(int EvaluationId, [property: JsonConverter(typeof(JsonStringEnumConverter<EvaluationStatus>))] EvaluationStatus Status, int ItemsTotal, int ItemsDone, int ItemsFailed, int ItemsCached,
    double? ItemsPerSecond, double? EtaSeconds, string? Error)
{
    public bool IsActive => Status is EvaluationStatus.Queued or EvaluationStatus.Running;

    public static EvaluationUpdate From(EvaluationRun e, double? rate = null)
    {
        double? eta = rate is > 0 && e.ItemsTotal > e.ItemsDone ? (e.ItemsTotal - e.ItemsDone) / rate : null;
        return new(e.Id, e.Status, e.ItemsTotal, e.ItemsDone, e.ItemsFailed, e.ItemsCached, rate, eta, e.Error);
    }
}

/// <summary>A choice for the launch form: a dataset version that can be a suite.</summary>
public sealed record SuiteVersionChoice(int VersionId, int DatasetId, string DatasetName, int Number, long RecordCount, bool IsSuiteFile);
