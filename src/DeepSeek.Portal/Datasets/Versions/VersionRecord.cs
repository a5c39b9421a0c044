using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Datasets.Versions;

/// <summary>
/// One record of a dataset version, as a line of its canonical JSONL file. <see cref="Text"/> is what training reads;
/// the rest is present only where an operation put it there.
/// </summary>
public sealed record VersionRecord
{
    /// <summary>The training text.</summary>
    [JsonPropertyName("text")] public required string Text { get; init; }

    /// <summary>The prompt of a pair (alpaca, prompt/response, a conversation's turns before its last assistant turn); evaluation uses it.</summary>
    [JsonPropertyName("prompt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Prompt { get; init; }

    /// <summary>The reference answer of a pair.</summary>
    [JsonPropertyName("response"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Response { get; init; }

    /// <summary>
    /// A conversation's turns (role <c>system</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>, and content), in order;
    /// <see cref="Text"/> is their contents joined with <c>\n</c>. Chat training trains on every assistant turn. Absent
    /// for other shapes and in files written before turns were kept, which read as before.
    /// </summary>
    [JsonPropertyName("turns"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<ConversationTurn>? Turns { get; init; }

    /// <summary>Quality scores by scorer name (<c>domain</c>, <c>entropy</c>, <c>noise</c>, …).</summary>
    [JsonPropertyName("scores"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public SortedDictionary<string, double>? Scores { get; init; }

    /// <summary>For a record a filter dropped: the rule that dropped it (in the version's dropped file only).</summary>
    [JsonPropertyName("droppedBy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? DroppedBy { get; init; }

    /// <summary>Where the record came from (for composed suites and mixtures: source version, record, slice, perturbation).</summary>
    [JsonPropertyName("origin"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public SortedDictionary<string, string>? Origin { get; init; }

    /// <summary>
    /// For a record of an uploaded evaluation suite: the item as the suite file gave it (kind, references, choices,
    /// answer, criteria, …). Evaluations read it; <see cref="Text"/>, <see cref="Prompt"/>, <see cref="Response"/> and
    /// <see cref="Turns"/> carry the same item for the dataset pages. Last, so files written before it hash the same.
    /// </summary>
    [JsonPropertyName("evaluation"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public DeepSeek.Portal.Evaluation.Suites.SuiteItemSpec? Evaluation { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        // Chinese stays readable in the file (and in exports); the file is data, never HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The canonical line (no trailing newline): fixed property order, absent values left out.</summary>
    public string ToLine() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads one canonical line.</summary>
    public static VersionRecord Parse(string line) =>
        JsonSerializer.Deserialize<VersionRecord>(line, Json) ?? throw new JsonException("A version line is null.");
}
