using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Turns records of an unrecognised shape into text with a template. Placeholders name fields by path:
/// <c>{title}</c>, <c>{meta.author}</c>, <c>{turns[0].text}</c>; a list of strings, numbers or booleans is joined with
/// <see cref="ListSeparator"/>; numbers keep their text exactly as written, booleans render as <c>true</c>/<c>false</c>,
/// <c>null</c> as nothing. <c>{{</c> and <c>}}</c> stand for literal braces. A placeholder naming a field that a record
/// lacks is an error naming the record and the field.
/// </summary>
/// <remarks>The portal stores the mapping (<see cref="ToJson"/>) in the dataset version's lineage and reuses it through the API and the command line.</remarks>
public sealed record FieldMapping
{
    /// <summary>The record's training text, for example <c>{title}\n{author}\n{paragraphs}</c>.</summary>
    public required string Template { get; init; }

    /// <summary>What joins the items of a list field. Default a line feed.</summary>
    public string ListSeparator { get; init; } = "\n";

    /// <summary>
    /// For a JSON file whose top level is an object: the dotted path of the property holding the array of records
    /// (<c>data</c>, <c>result.items</c>). <see langword="null"/> takes the first array-valued top-level property.
    /// </summary>
    public string? RecordsPath { get; init; }

    /// <summary>Optional template for <see cref="ImportedRecord.Prompt"/> (what a model is given), for evaluation references.</summary>
    public string? PromptTemplate { get; init; }

    /// <summary>Optional template for <see cref="ImportedRecord.Response"/> (the reference answer).</summary>
    public string? ResponseTemplate { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The mapping as compact JSON: <c>{"template":"{title}\n{paragraphs}","listSeparator":"\n"}</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a mapping written by <see cref="ToJson"/> (property names are case-insensitive).</summary>
    /// <exception cref="FormatException">The JSON is malformed, lacks <c>template</c>, or a template does not parse (see <see cref="Validate"/>).</exception>
    public static FieldMapping FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        FieldMapping? mapping;
        try
        {
            mapping = JsonSerializer.Deserialize<FieldMapping>(json, new JsonSerializerOptions(JsonOptions) { PropertyNameCaseInsensitive = true });
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a field mapping: {e.Message}", e);
        }

        if (mapping is null)
        {
            throw new FormatException("not a field mapping: the JSON is null");
        }

        if (mapping.Validate() is { } problem)
        {
            throw new FormatException(problem);
        }

        return mapping;
    }

    /// <summary>What is wrong with the templates (<c>template: unclosed "{" at character 7</c>), or <see langword="null"/> when they parse.</summary>
    public string? Validate()
    {
        if (ListSeparator is null)
        {
            return "listSeparator: must not be null";
        }

        foreach (var (name, template) in new[] { ("template", Template), ("promptTemplate", PromptTemplate), ("responseTemplate", ResponseTemplate) })
        {
            if (template is not null && !RecordTemplate.TryParse(template, out _, out var error))
            {
                return $"{name}: {error}";
            }
        }

        if (Template is null || !RecordTemplate.TryParse(Template, out var main, out _) || main.Placeholders == 0)
        {
            return "template: names no field; use placeholders such as {title} or {text}";
        }

        if (RecordsPath is not null && RecordsPath.Split('.').Any(s => s.Length == 0))
        {
            return $"recordsPath: \"{RecordsPath}\" has an empty segment";
        }

        return null;
    }
}

/// <summary>A parsed template: literal text and field paths.</summary>
internal sealed class RecordTemplate
{
    private readonly List<(string? Literal, FieldPath? Path)> _parts;

    private RecordTemplate(List<(string?, FieldPath?)> parts) => _parts = parts;

    public int Placeholders => _parts.Count(p => p.Path is not null);

    public static bool TryParse(string template, out RecordTemplate parsed, out string error)
    {
        var parts = new List<(string?, FieldPath?)>();
        var literal = new StringBuilder();
        parsed = new RecordTemplate(parts);
        error = "";
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                literal.Append('{');
                i++;
            }
            else if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                literal.Append('}');
                i++;
            }
            else if (c == '}')
            {
                error = $"unmatched \"}}\" at character {i + 1} (write \"}}}}\" for a literal brace)";
                return false;
            }
            else if (c == '{')
            {
                var close = template.IndexOf('}', i + 1);
                if (close < 0)
                {
                    error = $"unclosed \"{{\" at character {i + 1} (write \"{{{{\" for a literal brace)";
                    return false;
                }

                var text = template[(i + 1)..close].Trim();
                if (!FieldPath.TryParse(text, out var path, out var pathError))
                {
                    error = $"the placeholder at character {i + 1}: {pathError}";
                    return false;
                }

                if (literal.Length > 0)
                {
                    parts.Add((literal.ToString(), null));
                    literal.Clear();
                }

                parts.Add((null, path));
                i = close;
            }
            else
            {
                literal.Append(c);
            }
        }

        if (literal.Length > 0)
        {
            parts.Add((literal.ToString(), null));
        }

        return true;
    }

    /// <summary>Renders the template for one record, or returns the field at fault and why.</summary>
    public bool TryRender(JsonElement record, string listSeparator, out string text, out string? field, out ImportErrorKind kind, out string error)
    {
        var builder = new StringBuilder();
        foreach (var (literal, path) in _parts)
        {
            if (literal is not null)
            {
                builder.Append(literal);
                continue;
            }

            if (!path!.TryResolve(record, out var value))
            {
                (text, field, kind, error) = ("", path.Text, ImportErrorKind.MissingField, "the mapping names this field but the record has no such field");
                return false;
            }

            if (!TryAppend(builder, value, listSeparator, out var problem))
            {
                (text, field, kind, error) = ("", path.Text, ImportErrorKind.WrongType, problem);
                return false;
            }
        }

        (text, field, kind, error) = (builder.ToString(), null, default, "");
        return true;
    }

    private static bool TryAppend(StringBuilder builder, JsonElement value, string separator, out string problem)
    {
        problem = "";
        switch (value.ValueKind)
        {
            case JsonValueKind.Array:
                var first = true;
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        problem = $"expected a list of strings, numbers or booleans but item {index} is {JsonText.Describe(item.ValueKind)}; name a field inside it, e.g. [{index}].name";
                        return false;
                    }

                    index++;
                    if (item.ValueKind == JsonValueKind.Null)
                    {
                        continue;
                    }

                    if (!first)
                    {
                        builder.Append(separator);
                    }

                    first = false;
                    if (!TryAppend(builder, item, separator, out problem))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Object:
                problem = "expected a string, a number, a boolean or a list of them but found an object; name one of its fields (field.name)";
                return false;
            case JsonValueKind.Null:
                return true;
            case JsonValueKind.String:
                if (!JsonText.TryGetString(value, out var s))
                {
                    problem = "the string contains an unpaired \\u surrogate escape";
                    return false;
                }

                builder.Append(s);
                return true;
            default:
                // Numbers keep their text exactly (no double rounding of 2^53+1 or 1e400); booleans are true/false.
                builder.Append(value.GetRawText());
                return true;
        }
    }
}

/// <summary>A field path: property names separated by dots, with <c>[n]</c> list indices (<c>a.b[0].c</c>).</summary>
internal sealed class FieldPath
{
    private readonly List<object> _steps; // string (property) or int (index)

    private FieldPath(string text, List<object> steps) => (Text, _steps) = (text, steps);

    public string Text { get; }

    public static bool TryParse(string text, out FieldPath path, out string error)
    {
        var steps = new List<object>();
        path = new FieldPath(text, steps);
        error = "";
        if (text.Length == 0)
        {
            error = "an empty field name ({}); write {{}} for literal braces";
            return false;
        }

        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0 || !int.TryParse(text.AsSpan(i + 1, close - i - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
                {
                    error = $"\"{text}\": expected a list index such as [0] at character {i + 1}";
                    return false;
                }

                steps.Add(index);
                i = close + 1;
                if (i < text.Length && text[i] == '.')
                {
                    i++;
                    if (i == text.Length)
                    {
                        error = $"\"{text}\" ends with a dot";
                        return false;
                    }
                }

                continue;
            }

            var end = text.IndexOfAny(['.', '['], i);
            if (end < 0)
            {
                end = text.Length;
            }

            if (end == i)
            {
                error = $"\"{text}\" has an empty field name at character {i + 1}";
                return false;
            }

            steps.Add(text[i..end]);
            i = end;
            if (i < text.Length && text[i] == '.')
            {
                i++;
                if (i == text.Length)
                {
                    error = $"\"{text}\" ends with a dot";
                    return false;
                }
            }
        }

        return true;
    }

    public bool TryResolve(JsonElement root, out JsonElement value)
    {
        value = root;
        foreach (var step in _steps)
        {
            if (step is string name)
            {
                if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out value))
                {
                    return false;
                }
            }
            else
            {
                var index = (int)step;
                if (value.ValueKind != JsonValueKind.Array || index >= value.GetArrayLength())
                {
                    return false;
                }

                value = value[index];
            }
        }

        return true;
    }
}
