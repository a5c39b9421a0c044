using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DeepSeek.Portal.Feeding.Composer;

namespace DeepSeek.Portal.Evaluation.Suites;

/// <summary>One problem of a suite file, by line (1-based) and field (<c>null</c> for the whole line or file).</summary>
/// <param name="Line">The line, or 0 for the file as a whole.</param>
/// <param name="Field">The item field (<c>references</c>, <c>answer</c>, <c>messages[1].role</c>, …).</param>
/// <param name="Message">What is wrong and what was expected.</param>
public sealed record SuiteFileError(int Line, string? Field, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Line == 0 ? Message : Field is null ? $"line {Line}: {Message}" : $"line {Line}, {Field}: {Message}";
}

/// <summary>A read suite file: every item, or every problem (never both: a suite with one bad line is refused whole).</summary>
public sealed record SuiteFileResult(IReadOnlyList<SuiteItem> Items, IReadOnlyList<SuiteFileError> Errors)
{
    /// <summary>Whether the file was read without a problem.</summary>
    public bool Succeeded => Errors.Count == 0 && Items.Count > 0;
}

/// <summary>
/// An item as stored in a dataset version record (<c>"evaluation"</c>) and as written in a suite file: the file's
/// field names, with <see cref="Answer"/> always an index and <see cref="References"/> always a list.
/// </summary>
public sealed record SuiteItemSpec
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("kind")] public required string Kind { get; init; }
    [JsonPropertyName("slice")] public required string Slice { get; init; }
    [JsonPropertyName("domain"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Domain { get; init; }
    [JsonPropertyName("prompt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Prompt { get; init; }
    [JsonPropertyName("messages"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<ChatTurn>? Messages { get; init; }
    [JsonPropertyName("references"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? References { get; init; }
    [JsonPropertyName("choices"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Choices { get; init; }
    [JsonPropertyName("answer"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Answer { get; init; }
    [JsonPropertyName("scoring"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Scoring { get; init; }
    [JsonPropertyName("criteria"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Criteria { get; init; }
    [JsonPropertyName("perturbation"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Perturbation { get; init; }
    [JsonPropertyName("source"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Source { get; init; }

    /// <summary>The spec of an item (lower-case names, as in the file).</summary>
    public static SuiteItemSpec From(SuiteItem item) => new()
    {
        Id = item.Id,
        Kind = SuiteFile.Name(item.Kind),
        Slice = SuiteFile.Name(item.Slice),
        Domain = item.Domain,
        Prompt = item.Prompt,
        Messages = item.Messages,
        References = item.References.Count > 0 ? item.References : null,
        Choices = item.Choices,
        Answer = item.Answer,
        Scoring = item.Kind == ItemKind.Classification ? (item.Scoring == ChoiceScoring.LogLikelihood ? "loglikelihood" : "generation") : null,
        Criteria = item.CompletionCriteria,
        Perturbation = item.Perturbation,
        Source = item.SourceItemId,
    };

    /// <summary>The item again; unknown names (a spec edited by hand) fall back to generation / domain / log-likelihood.</summary>
    public SuiteItem ToItem() => new(Id, SuiteFile.TryKind(Kind) ?? ItemKind.Generation, SuiteFile.TrySlice(Slice) ?? EvaluationSlice.Domain)
    {
        Domain = Domain,
        Prompt = Prompt,
        Messages = Messages,
        References = References ?? [],
        Choices = Choices,
        Answer = Answer,
        Scoring = string.Equals(Scoring, "generation", StringComparison.OrdinalIgnoreCase) ? ChoiceScoring.Generation : ChoiceScoring.LogLikelihood,
        CompletionCriteria = Criteria,
        Perturbation = Perturbation,
        SourceItemId = Source,
    };
}

/// <summary>
/// Reads a suite file: JSONL, UTF-8 (a BOM is fine), one item per line. Fields: <c>id</c>; <c>kind</c>
/// (generation | extraction | classification | conversation); <c>slice</c> (general | domain | adversarial, default
/// domain); <c>domain</c>; <c>prompt</c>; <c>messages</c> [{role, content}]; <c>references</c> [..] or
/// <c>reference</c>; <c>choices</c>; <c>answer</c> (index or the choice's text); <c>scoring</c> (loglikelihood |
/// generation); <c>criteria</c> [..]. Every problem is reported by line and field, and a file with any problem yields
/// no items: a suite is used whole or not at all, so its figures always mean the same items.
/// </summary>
public static class SuiteFile
{
    /// <summary>Most items one file may hold.</summary>
    public const int MaxItems = 100_000;

    /// <summary>Most problems reported (the rest are counted in a last entry).</summary>
    public const int MaxErrors = 200;

    private static readonly string[] Kinds = ["generation", "extraction", "classification", "conversation"];
    private static readonly string[] Slices = ["general", "domain", "adversarial"];
    private static readonly string[] Roles = ["system", "user", "assistant"];

    /// <summary>The file name of a kind.</summary>
    public static string Name(ItemKind kind) => Kinds[(int)kind];

    /// <summary>The file name of a slice.</summary>
    public static string Name(EvaluationSlice slice) => slice.ToString().ToLowerInvariant();

    /// <summary>The kind of a name (any case), or null.</summary>
    public static ItemKind? TryKind(string? name) => Array.FindIndex(Kinds, k => string.Equals(k, name?.Trim(), StringComparison.OrdinalIgnoreCase)) is var i and >= 0 ? (ItemKind)i : null;

    /// <summary>The slice of a name (any case), or null.</summary>
    public static EvaluationSlice? TrySlice(string? name) => Array.FindIndex(Slices, s => string.Equals(s, name?.Trim(), StringComparison.OrdinalIgnoreCase)) is var i and >= 0 ? (EvaluationSlice)i : null;

    /// <summary>Reads a whole file (strict UTF-8; invalid bytes are a problem of their line).</summary>
    public static async Task<SuiteFileResult> ReadAsync(Stream content, CancellationToken ct)
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        using var reader = new StreamReader(content, utf8, detectEncodingFromByteOrderMarks: false);
        var lines = new List<string>();
        try
        {
            while (await reader.ReadLineAsync(ct) is { } line)
                lines.Add(line);
        }
        catch (DecoderFallbackException)
        {
            return new SuiteFileResult([], [new SuiteFileError(lines.Count + 1, null, "the file is not UTF-8 text (save it as UTF-8 and upload it again)")]);
        }
        if (lines.Count > 0 && lines[0].StartsWith('\uFEFF'))
            lines[0] = lines[0][1..];
        return Read(lines);
    }

    /// <summary>Reads the lines of a file (line numbers are positions in <paramref name="lines"/> + 1).</summary>
    public static SuiteFileResult Read(IReadOnlyList<string> lines)
    {
        var items = new List<SuiteItem>();
        var errors = new List<SuiteFileError>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        int dropped = 0;
        void Error(int line, string? field, string message)
        {
            if (errors.Count < MaxErrors) errors.Add(new SuiteFileError(line, field, message));
            else dropped++;
        }

        for (int i = 0; i < lines.Count; i++)
        {
            var text = lines[i];
            if (string.IsNullOrWhiteSpace(text))
                continue;
            int line = i + 1;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException e)
            {
                Error(line, null, $"not valid JSON ({e.Message.Split(" Path:", 2)[0].TrimEnd('.')}); each line must be one JSON object");
                continue;
            }
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    Error(line, null, "each line must be a JSON object ({\"id\": …, \"kind\": …})");
                    continue;
                }
                var before = errors.Count + dropped;
                var item = ReadItem(document.RootElement, line, Error);
                if (item is null || errors.Count + dropped > before)
                    continue;
                if (seen.TryGetValue(item.Id, out var first))
                {
                    Error(line, "id", $"the id \"{item.Id}\" is already used on line {first}; ids must be unique");
                    continue;
                }
                seen[item.Id] = line;
                if (items.Count >= MaxItems)
                {
                    Error(line, null, $"a suite file holds at most {MaxItems:N0} items");
                    break;
                }
                items.Add(item);
            }
        }
        if (dropped > 0)
            errors.Add(new SuiteFileError(0, null, $"… and {dropped} more problem(s)"));
        if (errors.Count == 0 && items.Count == 0)
            errors.Add(new SuiteFileError(0, null, "the file holds no items (one JSON object per line)"));
        return errors.Count > 0 ? new SuiteFileResult([], errors) : new SuiteFileResult(items, []);
    }

    private static SuiteItem? ReadItem(JsonElement o, int line, Action<int, string?, string> error)
    {
        void Err(string field, string message) => error(line, field, message);

        string? id = o.TryGetProperty("id", out var idElement)
            ? idElement.ValueKind switch
            {
                JsonValueKind.String => idElement.GetString(),
                JsonValueKind.Number => idElement.GetRawText(),
                _ => null,
            }
            : null;
        if (string.IsNullOrWhiteSpace(id))
            Err("id", "every item needs an id (a non-empty string or number)");

        var kindName = String(o, "kind", Err);
        ItemKind? kind = null;
        if (kindName is null)
            Err("kind", "every item needs a kind: generation, extraction, classification or conversation");
        else if ((kind = TryKind(kindName)) is null)
            Err("kind", $"unknown kind \"{kindName}\"; expected generation, extraction, classification or conversation");

        var sliceName = String(o, "slice", Err);
        var slice = EvaluationSlice.Domain;
        if (sliceName is not null)
        {
            if (TrySlice(sliceName) is { } s) slice = s;
            else Err("slice", $"unknown slice \"{sliceName}\"; expected general, domain or adversarial");
        }

        var domain = String(o, "domain", Err);
        var prompt = String(o, "prompt", Err);
        var messages = Messages(o, Err);
        var references = StringList(o, "references", Err);
        if (o.TryGetProperty("reference", out _))
        {
            if (references is not null) Err("reference", "give either reference or references, not both");
            else if (String(o, "reference", Err) is { } single) references = [single];
        }
        var choices = StringList(o, "choices", Err);
        var criteria = StringList(o, "criteria", Err);
        var perturbation = String(o, "perturbation", Err);
        var source = String(o, "source", Err);
        var scoringName = String(o, "scoring", Err);
        var scoring = ChoiceScoring.LogLikelihood;
        if (scoringName is not null)
        {
            if (string.Equals(scoringName, "generation", StringComparison.OrdinalIgnoreCase)) scoring = ChoiceScoring.Generation;
            else if (!string.Equals(scoringName, "loglikelihood", StringComparison.OrdinalIgnoreCase))
                Err("scoring", $"unknown scoring \"{scoringName}\"; expected loglikelihood or generation");
        }

        int? answer = null;
        if (o.TryGetProperty("answer", out var answerElement) && answerElement.ValueKind != JsonValueKind.Null)
        {
            if (choices is null)
                Err("answer", "an answer needs choices to point into");
            else if (answerElement.ValueKind == JsonValueKind.Number)
            {
                if (answerElement.TryGetInt32(out var index) && index >= 0 && index < choices.Count) answer = index;
                else Err("answer", $"the answer index {answerElement.GetRawText()} is not among the {choices.Count} choices (0 to {choices.Count - 1})");
            }
            else if (answerElement.ValueKind == JsonValueKind.String)
            {
                var textAnswer = answerElement.GetString()!;
                var index = choices.ToList().FindIndex(c => string.Equals(c, textAnswer, StringComparison.Ordinal));
                if (index < 0) index = choices.ToList().FindIndex(c => string.Equals(c.Trim(), textAnswer.Trim(), StringComparison.OrdinalIgnoreCase));
                if (index >= 0) answer = index;
                else Err("answer", $"the answer \"{textAnswer}\" is not among the choices ({string.Join(", ", choices.Select(c => $"\"{c}\""))})");
            }
            else Err("answer", "the answer must be a choice's index (0-based) or its text");
        }

        switch (kind)
        {
            case ItemKind.Generation or ItemKind.Extraction:
                if (string.IsNullOrWhiteSpace(prompt) && messages is null)
                    Err("prompt", $"a {kindName!.ToLowerInvariant()} item needs a prompt (or messages)");
                if (references is not { Count: > 0 } || references.All(string.IsNullOrWhiteSpace))
                    Err("references", $"a {kindName!.ToLowerInvariant()} item needs a reference: \"reference\": \"…\" or \"references\": [\"…\"]");
                break;
            case ItemKind.Classification:
                if (string.IsNullOrWhiteSpace(prompt) && messages is null)
                    Err("prompt", "a classification item needs a prompt (or messages)");
                if (choices is not { Count: >= 2 })
                    Err("choices", "a classification item needs at least two choices");
                else if (choices.Distinct(StringComparer.Ordinal).Count() != choices.Count)
                    Err("choices", "the choices must differ from one another");
                else if (!o.TryGetProperty("answer", out _))
                    Err("answer", "a classification item needs an answer (the right choice's index or text)");
                break;
            case ItemKind.Conversation:
                if (messages is not { Count: > 0 })
                    Err("messages", "a conversation item needs messages: [{\"role\": \"user\", \"content\": \"…\"}, …]");
                else if (messages[^1].Role == "assistant")
                    Err("messages", "the last message must not be the assistant's: the model writes the next assistant turn");
                if (criteria is not { Count: > 0 } && references is not { Count: > 0 })
                    Err("criteria", "a conversation item needs criteria (phrases the reply must contain) to judge completion, or a reference");
                break;
        }

        if (id is null || kind is null)
            return null;
        return new SuiteItem(id.Trim(), kind.Value, slice)
        {
            Domain = string.IsNullOrWhiteSpace(domain) ? null : domain.Trim(),
            Prompt = prompt,
            Messages = messages,
            References = references ?? [],
            Choices = choices,
            Answer = answer,
            Scoring = scoring,
            CompletionCriteria = criteria,
            SourceItemId = string.IsNullOrWhiteSpace(source) ? id.Trim() : source.Trim(),
            Perturbation = string.IsNullOrWhiteSpace(perturbation) ? null : perturbation.Trim(),
        };
    }

    private static string? String(JsonElement o, string name, Action<string, string> error)
    {
        if (!o.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
            return null;
        if (e.ValueKind == JsonValueKind.String)
            return e.GetString();
        error(name, $"{name} must be a string (was {Describe(e)})");
        return null;
    }

    private static List<string>? StringList(JsonElement o, string name, Action<string, string> error)
    {
        if (!o.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
            return null;
        if (e.ValueKind != JsonValueKind.Array)
        {
            error(name, $"{name} must be an array of strings (was {Describe(e)})");
            return null;
        }
        var list = new List<string>();
        int i = 0;
        foreach (var value in e.EnumerateArray())
        {
            if (value.ValueKind == JsonValueKind.String) list.Add(value.GetString()!);
            else error(string.Create(CultureInfo.InvariantCulture, $"{name}[{i}]"), $"must be a string (was {Describe(value)})");
            i++;
        }
        return list;
    }

    private static List<ChatTurn>? Messages(JsonElement o, Action<string, string> error)
    {
        if (!o.TryGetProperty("messages", out var e) || e.ValueKind == JsonValueKind.Null)
            return null;
        if (e.ValueKind != JsonValueKind.Array)
        {
            error("messages", $"messages must be an array of {{role, content}} objects (was {Describe(e)})");
            return null;
        }
        var turns = new List<ChatTurn>();
        int i = 0;
        foreach (var m in e.EnumerateArray())
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"messages[{i++}]");
            if (m.ValueKind != JsonValueKind.Object)
            {
                error(at, "each message must be an object {\"role\": …, \"content\": …}");
                continue;
            }
            var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()!.Trim().ToLowerInvariant() : null;
            var content = m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            if (role is null || !Roles.Contains(role))
                error(at + ".role", "the role must be system, user or assistant");
            if (content is null)
                error(at + ".content", "the content must be a string");
            if (role is not null && content is not null)
                turns.Add(new ChatTurn(role, content));
        }
        return turns;
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true/false",
        JsonValueKind.String => "a string",
        _ => "null",
    };
}
