using System.Text.Json;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>A record turned into text, with its prompt/response halves for pair shapes and its turns for conversations.</summary>
internal readonly record struct ShapedRecord(string Text, string? Prompt, string? Response, RecordShape Shape, string? Field,
    IReadOnlyList<ConversationTurn>? Turns = null);

/// <summary>Why a record could not be turned into text.</summary>
internal readonly record struct ShapeError(ImportErrorKind Kind, string? Field, string Message);

/// <summary>
/// Recognises the record shapes (plain text, alpaca, conversations, prompt/response pairs) in a JSON object and
/// flattens them to training text. Chat templates are applied later, at tokenisation, not here.
/// </summary>
internal static class RecordShapes
{
    public const string ExpectedShapes =
        "text or content, instruction+output (alpaca), prompt+completion, prompt+response, question+answer, conversations or messages";

    public static bool TryExtract(JsonElement root, out ShapedRecord record, out ShapeError error)
    {
        record = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = new(ImportErrorKind.NotAnObject, null, $"expected a JSON object but found {JsonText.Describe(root.ValueKind)}");
            return false;
        }

        foreach (var name in (ReadOnlySpan<string>)["text", "content"])
        {
            if (root.TryGetProperty(name, out var textElement))
            {
                if (!TryReadString(textElement, name, out var text, out error))
                {
                    return false;
                }

                record = new(text, null, null, RecordShape.Text, name);
                return true;
            }
        }

        // "messages" is the OpenAI chat fine-tuning shape; its turns have the same role/content fields.
        foreach (var name in (ReadOnlySpan<string>)["conversations", "messages"])
        {
            if (root.TryGetProperty(name, out var turns))
            {
                return TryReadConversation(turns, name, out record, out error);
            }
        }

        var hasInstruction = root.TryGetProperty("instruction", out var instruction);
        var hasOutput = root.TryGetProperty("output", out var output);
        if (hasInstruction || hasOutput)
        {
            return TryReadAlpaca(root, hasInstruction, instruction, hasOutput, output, out record, out error);
        }

        var hasPrompt = root.TryGetProperty("prompt", out var prompt);
        var hasCompletion = root.TryGetProperty("completion", out var completion);
        var hasResponse = root.TryGetProperty("response", out var response);
        if (hasPrompt || hasCompletion || hasResponse)
        {
            var (second, answer) = hasCompletion || !hasResponse ? ("completion", completion) : ("response", response);
            if (!hasPrompt || !(hasCompletion || hasResponse))
            {
                error = new(ImportErrorKind.MissingField, hasPrompt ? second : "prompt",
                    $"missing; prompt/{second} records need both prompt and {second}");
                return false;
            }

            return TryReadPair(prompt, "prompt", answer, second, out record, out error);
        }

        var hasQuestion = root.TryGetProperty("question", out var question);
        var hasAnswer = root.TryGetProperty("answer", out var answerElement);
        if (hasQuestion || hasAnswer)
        {
            if (!hasQuestion || !hasAnswer)
            {
                error = new(ImportErrorKind.MissingField, hasQuestion ? "answer" : "question", "missing; question/answer records need both question and answer");
                return false;
            }

            return TryReadPair(question, "question", answerElement, "answer", out record, out error);
        }

        var fields = root.EnumerateObject().Select(p => p.Name).Take(30).ToList();
        error = fields.Count == 0
            ? new(ImportErrorKind.NeedsMapping, null, $"the object has no fields; expected one of: {ExpectedShapes}")
            : new(ImportErrorKind.NeedsMapping, null,
                $"no known record shape in the fields {string.Join(", ", fields)}; expected one of: {ExpectedShapes}; or give a field mapping (for example {{{fields[0]}}})");
        return false;
    }

    private static bool TryReadPair(JsonElement first, string firstName, JsonElement second, string secondName, out ShapedRecord record, out ShapeError error)
    {
        record = default;
        if (!TryReadPart(first, firstName, out var p, out error) || !TryReadPart(second, secondName, out var c, out error))
        {
            return false;
        }

        record = new(p + "\n" + c, p, c, RecordShape.PromptResponse, null);
        return true;
    }

    private static bool TryReadAlpaca(JsonElement root, bool hasInstruction, JsonElement instruction, bool hasOutput, JsonElement output,
        out ShapedRecord record, out ShapeError error)
    {
        record = default;
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

        var prompt = string.IsNullOrWhiteSpace(input) ? i : i + "\n" + input;
        record = new(prompt + "\n" + o, prompt, o, RecordShape.Alpaca, null);
        error = default;
        return true;
    }

    private static bool TryReadConversation(JsonElement turns, string name, out ShapedRecord record, out ShapeError error)
    {
        record = default;
        if (turns.ValueKind != JsonValueKind.Array)
        {
            error = new(ImportErrorKind.WrongType, name, $"expected an array but found {JsonText.Describe(turns.ValueKind)}");
            return false;
        }

        var parts = new List<ConversationTurn>();
        var lastAssistant = -1; // index into parts
        var index = 0;
        foreach (var turn in turns.EnumerateArray())
        {
            var at = $"{name}[{index++}]";
            if (turn.ValueKind != JsonValueKind.Object)
            {
                error = new(ImportErrorKind.WrongType, at, $"expected an object but found {JsonText.Describe(turn.ValueKind)}");
                return false;
            }

            string? role = null;
            foreach (var roleName in (ReadOnlySpan<string>)["from", "role"])
            {
                if (!turn.TryGetProperty(roleName, out var roleElement))
                {
                    continue;
                }

                if (roleElement.ValueKind != JsonValueKind.String)
                {
                    error = new(ImportErrorKind.WrongType, $"{at}.{roleName}", $"expected a string but found {JsonText.Describe(roleElement.ValueKind)}");
                    return false;
                }

                if (!JsonText.TryGetString(roleElement, out var roleText))
                {
                    error = new(ImportErrorKind.WrongType, $"{at}.{roleName}", "the string contains an unpaired \\u surrogate escape");
                    return false;
                }

                role = ConversationRoles.Normalise(roleText);
                if (role is null)
                {
                    error = new(ImportErrorKind.UnknownRole, $"{at}.{roleName}",
                        $"unknown role \"{roleText}\"; accepted roles are {string.Join(", ", ConversationRoles.Accepted)}");
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

            // Every turn says who speaks: training targets the assistant's turns, so a turn of unknown speaker
            // would be trained on, or not, by guesswork.
            if (role is null)
            {
                error = new(ImportErrorKind.MissingField, at,
                    $"expected \"role\" or \"from\" naming the speaker ({string.Join(", ", ConversationRoles.Accepted)})");
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
                if (role == ConversationRoles.Assistant)
                {
                    lastAssistant = parts.Count;
                }

                parts.Add(new ConversationTurn(role, value));
            }
        }

        if (parts.Count == 0)
        {
            error = new(ImportErrorKind.EmptyText, name, index == 0 ? "the conversation has no turns" : "every turn is empty");
            return false;
        }

        if (lastAssistant < 0)
        {
            error = new(ImportErrorKind.MissingField, name,
                "the conversation has no assistant turn with content (role \"assistant\" or from \"gpt\"); chat records train on the assistant's answers, so import text without answers as {\"text\": …}");
            return false;
        }

        // The reference pair is the last assistant turn and everything said before it.
        string? prompt = null, response = null;
        if (lastAssistant > 0)
        {
            prompt = ConversationTurn.JoinText(parts.Take(lastAssistant));
            response = parts[lastAssistant].Content;
        }

        record = new(ConversationTurn.JoinText(parts), prompt, response, RecordShape.Conversation, null, parts);
        error = default;
        return true;
    }

    /// <summary>Reads a string that must have content of its own (an instruction, an output, a prompt, a completion).</summary>
    private static bool TryReadPart(JsonElement element, string field, out string value, out ShapeError error)
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

    public static bool TryReadString(JsonElement element, string field, out string value, out ShapeError error)
    {
        value = "";
        if (element.ValueKind != JsonValueKind.String)
        {
            error = new(ImportErrorKind.WrongType, field, $"expected a string but found {JsonText.Describe(element.ValueKind)}");
            return false;
        }

        if (!JsonText.TryGetString(element, out value))
        {
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
}

/// <summary>Small JSON helpers shared by the readers.</summary>
internal static class JsonText
{
    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    public static bool TryGetString(JsonElement element, out string value)
    {
        try
        {
            value = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            // A \uD800-style escape that is not half of a surrogate pair cannot become .NET text.
            value = "";
            return false;
        }
    }

    /// <summary>The first key that occurs twice in one object, with its path (<c>conversations[1].from</c>), depth first.</summary>
    public static (string Key, string Path)? FindDuplicateKey(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                HashSet<string>? seen = null;
                foreach (var property in element.EnumerateObject())
                {
                    var at = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(property.Name))
                    {
                        return (property.Name, at);
                    }

                    if (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array && FindDuplicateKey(property.Value, at) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array && FindDuplicateKey(item, $"{path}[{index}]") is { } inner)
                    {
                        return inner;
                    }

                    index++;
                }

                return null;
            default:
                return null;
        }
    }
}
