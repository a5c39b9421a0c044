using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Models.Generation;

/// <summary>A chat message of a generation request.</summary>
/// <param name="Role">system, user or assistant.</param>
/// <param name="Content">Its text.</param>
public sealed record GenerateMessage(string Role, string Content);

/// <summary>
/// What to generate from. Give <see cref="Prompt"/> (plain text, BOS added) or <see cref="Messages"/> (rendered
/// through the model's chat template with the assistant prompt appended). Unset sampling fields take the defaults
/// shown; 0 temperature is greedy.
/// </summary>
/// <param name="Prompt">Plain-text prompt.</param>
/// <param name="Messages">A conversation; needs a model with a chat template.</param>
/// <param name="MaxNewTokens">Most new tokens (default 64, at most Portal:Models:MaxNewTokens).</param>
/// <param name="Temperature">Softmax temperature; 0 is greedy (default 0.7).</param>
/// <param name="TopK">Top-k, 0 = off (default 0).</param>
/// <param name="TopP">Nucleus p, 1 = off (default 0.95).</param>
/// <param name="RepetitionPenalty">HF repetition penalty, 1 = off (default 1).</param>
/// <param name="StopStrings">Texts that end the output; cut from the final text.</param>
/// <param name="Seed">Sampling seed (default 0): same seed, model and prompt give the same output.</param>
public sealed record GenerateRequest(
    string? Prompt = null,
    IReadOnlyList<GenerateMessage>? Messages = null,
    int? MaxNewTokens = null,
    double? Temperature = null,
    int? TopK = null,
    double? TopP = null,
    double? RepetitionPenalty = null,
    IReadOnlyList<string>? StopStrings = null,
    int? Seed = null);

/// <summary>
/// One line of the <c>application/x-ndjson</c> generation stream. <see cref="Type"/> is <c>start</c> (once, with the
/// prompt's ids), <c>token</c> (each generated token, with the text it adds), then <c>done</c> (why it stopped, all
/// ids and the final text with any stop string cut) or <c>error</c>.
/// </summary>
public sealed record GenerationEvent
{
    /// <summary>start, token, done or error.</summary>
    public required string Type { get; init; }
    /// <summary>start: the prompt as token ids (BOS or chat template included).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<long>? PromptTokenIds { get; init; }
    /// <summary>token: position in the output (0 = first new token).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Index { get; init; }
    /// <summary>token: the id.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? TokenId { get; init; }
    /// <summary>token: text this token adds (may be empty while a multi-byte character or a possible stop string is incomplete); done: the whole output.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Text { get; init; }
    /// <summary>done: Length, StopToken or StopString.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Reason { get; init; }
    /// <summary>done: every generated id (a stop token included).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<long>? TokenIds { get; init; }
    /// <summary>error: what went wrong after the stream had started.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Message { get; init; }
}

/// <summary>What a generation runs on: a folder with config.json, safetensors weights and tokenizer.json.</summary>
/// <param name="Key">One generation at a time per key ("model:3", "run:7").</param>
/// <param name="Folder">The folder.</param>
/// <param name="CheckFile">Returns a file's canonical path, or throws when it must not be read (model roots); identity for run folders the portal wrote.</param>
public sealed record GenerationSource(string Key, string Folder, Func<string, string> CheckFile);

/// <summary>The request cannot be served as asked (400); <see cref="Errors"/> is field → messages.</summary>
public sealed class GenerationRequestException(IReadOnlyDictionary<string, string[]> errors)
    : Exception(string.Join(" ", errors.SelectMany(e => e.Value)))
{
    /// <summary>Field → messages.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>The source is already generating for someone (429).</summary>
public sealed class GenerationBusyException(string key) : Exception($"{key} is already generating; one generation at a time per model.");
