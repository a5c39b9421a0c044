using System.Text.Json;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Turns one JSONL line into a training text. Each accepted shape is flattened to plain text because the
/// trainer feeds a causal language model; chat templates are applied later, at tokenisation, not here.
/// </summary>
internal static class JsonlRecordReader
{
    private const string ExpectedShapes = "expected one of: text, instruction+output, prompt+completion, conversations";

    private static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    /// <summary>Reads one line; reports at most one error for it so that one bad line cannot use up the error cap.</summary>
    public static void Read(ImportSession session, int line, ReadOnlyMemory<byte> bytes)
    {
        // Blank lines (often a trailing one) are not records. Only JSON whitespace counts as blank.
        if (bytes.Span.IndexOfAnyExcept(" \t\r"u8) < 0)
        {
            return;
        }

        var invalidAt = TextRules.IndexOfInvalidUtf8(bytes.Span);
        if (invalidAt >= 0)
        {
            session.Error(ImportErrorKind.InvalidUtf8, line, null, session.InvalidEncodingMessage(invalidAt));
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, Options);
        }
        catch (JsonException e)
        {
            session.Error(ImportErrorKind.MalformedJson, line, null, DescribeMalformed(e));
            return;
        }

        using (document)
        {
            // JSON parsers disagree on which of two equal keys wins ({"text": "a", "text": "b"}), so neither is guessed.
            if (FindDuplicateKey(document.RootElement, "") is { } duplicate)
            {
                session.Error(ImportErrorKind.DuplicateKey, line, duplicate.Path, $"the key \"{duplicate.Key}\" appears more than once in the same object");
                return;
            }

            if (TryExtract(document.RootElement, out var text, out var field, out var error))
            {
                session.AddRecord(line, field, text);
            }
            else
            {
                session.Error(error.Kind, line, error.Field, error.Message);
            }
        }
    }

    /// <summary>The first key that occurs twice in one object, with its path (<c>conversations[1].from</c>), depth first.</summary>
    private static (string Key, string Path)? FindDuplicateKey(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    var at = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (!seen.Add(property.Name))
                    {
                        return (property.Name, at);
                    }

                    if (FindDuplicateKey(property.Value, at) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindDuplicateKey(item, $"{path}[{index++}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static string DescribeMalformed(JsonException e)
    {
        // The reader appends "LineNumber: 0 | BytePositionInLine: n." to its message; the line number is
        // meaningless here (each line is parsed alone) and the position is stated once, 1-based, up front.
        var reason = e.Message;
        var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0)
        {
            reason = reason[..cut];
        }

        // Advice addressed to the programmer ("Change the reader options.") means nothing to the uploader.
        reason = reason.Replace(" Change the reader options.", "", StringComparison.Ordinal).TrimEnd().TrimEnd('.');
        var position = e.BytePositionInLine is { } p ? $" at byte {p + 1} of the line" : "";
        return $"malformed JSON{position}: {reason}";
    }

    private static bool TryExtract(JsonElement root, out string text, out string? field, out LineError error)
    {
        text = "";
        field = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = new(ImportErrorKind.NotAnObject, null, $"expected a JSON object but found {Describe(root.ValueKind)}");
            return false;
        }

        if (root.TryGetProperty("text", out var textElement))
        {
            field = "text";
            return TryReadString(textElement, "text", out text, out error);
        }

        // "messages" is the OpenAI chat fine-tuning shape; its turns have the same role/content fields.
        if (root.TryGetProperty("conversations", out var turns))
        {
            return TryReadConversation(turns, "conversations", out text, out error);
        }

        if (root.TryGetProperty("messages", out turns))
        {
            return TryReadConversation(turns, "messages", out text, out error);
        }

        var hasInstruction = root.TryGetProperty("instruction", out var instruction);
        var hasOutput = root.TryGetProperty("output", out var output);
        if (hasInstruction || hasOutput)
        {
            return TryReadAlpaca(root, hasInstruction, instruction, hasOutput, output, out text, out error);
        }

        var hasPrompt = root.TryGetProperty("prompt", out var prompt);
        var hasCompletion = root.TryGetProperty("completion", out var completion);
        if (hasPrompt || hasCompletion)
        {
            if (!hasPrompt || !hasCompletion)
            {
                error = new(ImportErrorKind.MissingField, hasPrompt ? "completion" : "prompt",
                    "missing; prompt/completion records need both prompt and completion");
                return false;
            }

            if (!TryReadPart(prompt, "prompt", out var p, out error) || !TryReadPart(completion, "completion", out var c, out error))
            {
                return false;
            }

            text = p + "\n" + c;
            return true;
        }

        error = new(ImportErrorKind.MissingField, null, ExpectedShapes);
        return false;
    }

    private static bool TryReadAlpaca(JsonElement root, bool hasInstruction, JsonElement instruction, bool hasOutput, JsonElement output,
        out string text, out LineError error)
    {
        text = "";
        if (!hasInstruction || !hasOutput)
        {
            error = new(ImportErrorKind.MissingField, hasInstruction ? "output" : "instruction",
                "missing; alpaca records need both instruction and output");
            return false;
        }

        if (!TryReadPart(instruction, "instruction", out var i, out error) || !TryReadPart(output, "output", out var o, out error))
        {
            return false;
        }

        var input = "";
        if (root.TryGetProperty("input", out var inputElement) && inputElement.ValueKind != JsonValueKind.Null
            && !TryReadString(inputElement, "input", out input, out error))
        {
            return false;
        }

        text = string.IsNullOrWhiteSpace(input) ? i + "\n" + o : i + "\n" + input + "\n" + o;
        error = default;
        return true;
    }

    private static bool TryReadConversation(JsonElement turns, string name, out string text, out LineError error)
    {
        text = "";
        if (turns.ValueKind != JsonValueKind.Array)
        {
            error = new(ImportErrorKind.WrongType, name, $"expected an array but found {Describe(turns.ValueKind)}");
            return false;
        }

        var parts = new List<string>();
        var index = 0;
        foreach (var turn in turns.EnumerateArray())
        {
            var at = $"{name}[{index++}]";
            if (turn.ValueKind != JsonValueKind.Object)
            {
                error = new(ImportErrorKind.WrongType, at, $"expected an object but found {Describe(turn.ValueKind)}");
                return false;
            }

            foreach (var roleName in (ReadOnlySpan<string>)["from", "role"])
            {
                if (!turn.TryGetProperty(roleName, out var role))
                {
                    continue;
                }

                if (role.ValueKind != JsonValueKind.String)
                {
                    error = new(ImportErrorKind.WrongType, $"{at}.{roleName}", $"expected a string but found {Describe(role.ValueKind)}");
                    return false;
                }

                if (!ConversationRoles.IsAccepted(role.GetString()))
                {
                    error = new(ImportErrorKind.UnknownRole, $"{at}.{roleName}",
                        $"unknown role \"{role.GetString()}\"; accepted roles are {string.Join(", ", ConversationRoles.Accepted)}");
                    return false;
                }
            }

            var contentName = turn.TryGetProperty("value", out var content) ? "value"
                : turn.TryGetProperty("content", out content) ? "content"
                : null;
            if (contentName is null)
            {
                error = new(ImportErrorKind.MissingField, at, "expected \"value\" or \"content\"");
                return false;
            }

            if (!TryReadString(content, $"{at}.{contentName}", out var value, out error))
            {
                return false;
            }

            // Empty turns (a blank system prompt, say) carry nothing to learn from; an all-empty
            // conversation is still rejected as an empty record.
            if (!string.IsNullOrWhiteSpace(value))
            {
                parts.Add(value);
            }
        }

        if (parts.Count == 0)
        {
            error = new(ImportErrorKind.EmptyText, name, index == 0 ? "the conversation has no turns" : "every turn is empty");
            return false;
        }

        text = string.Join('\n', parts);
        error = default;
        return true;
    }

    /// <summary>Reads a string that must have content of its own (an instruction, an output, a prompt, a completion).</summary>
    private static bool TryReadPart(JsonElement element, string field, out string value, out LineError error)
    {
        if (!TryReadString(element, field, out value, out error))
        {
            return false;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            error = new(ImportErrorKind.EmptyText, field, "the text is empty after trimming whitespace");
            return false;
        }

        return true;
    }

    private static bool TryReadString(JsonElement element, string field, out string value, out LineError error)
    {
        value = "";
        if (element.ValueKind != JsonValueKind.String)
        {
            error = new(ImportErrorKind.WrongType, field, $"expected a string but found {Describe(element.ValueKind)}");
            return false;
        }

        try
        {
            value = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // A \uD800-style escape that is not half of a surrogate pair cannot become .NET text.
            error = new(ImportErrorKind.WrongType, field, "the string contains an unpaired \\u surrogate escape");
            return false;
        }

        var control = TextRules.IndexOfForbiddenControl(value);
        if (control >= 0)
        {
            error = new(ImportErrorKind.ControlCharacter, field,
                $"contains the control character {TextRules.DescribeControl(value[control])} at character {control + 1}");
            return false;
        }

        error = default;
        return true;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private readonly record struct LineError(ImportErrorKind Kind, string? Field, string Message);
}
