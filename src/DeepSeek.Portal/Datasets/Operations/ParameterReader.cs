using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>
/// Reads an operation's JSON parameters with defaults, collecting one error per bad field (its name and what was
/// expected) instead of throwing; <see cref="Complete"/> is what the lineage stores.
/// </summary>
internal sealed class ParameterReader(JsonObject? parameters)
{
    private readonly JsonObject _source = parameters ?? [];

    public List<ImportError> Errors { get; } = [];
    public JsonObject Complete { get; } = [];

    public bool Bool(string name, bool fallback)
    {
        var value = _source[name] switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            var other => Fail(name, "true or false", other, fallback),
        };
        Complete[name] = value;
        return value;
    }

    public double Number(string name, double fallback, double min, double max)
    {
        var value = _source[name] switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.GetValue<double>() is var d && d >= min && d <= max => d,
            var other => Fail(name, $"a number from {min} to {max}", other, fallback),
        };
        Complete[name] = value;
        return value;
    }

    public int Integer(string name, int fallback, int min, int max)
    {
        var value = _source[name] switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) && i >= min && i <= max => i,
            var other => Fail(name, $"a whole number from {min} to {max}", other, fallback),
        };
        Complete[name] = value;
        return value;
    }

    public int? OptionalInteger(string name, int min, int max)
    {
        if (_source[name] is null)
            return null;
        return Integer(name, min, min, max);
    }

    public string Choice(string name, string fallback, params string[] allowed)
    {
        var value = _source[name] switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && allowed.Contains((string)v!) => (string)v!,
            var other => Fail(name, "one of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")), other, fallback),
        };
        Complete[name] = value;
        return value;
    }

    public IReadOnlyList<string> Choices(string name, IReadOnlyList<string> fallback, params string[] allowed)
    {
        if (_source[name] is null)
        {
            Complete[name] = new JsonArray(fallback.Select(f => (JsonNode)f).ToArray());
            return fallback;
        }
        if (_source[name] is not JsonArray array || array.Any(a => a is not JsonValue v || v.GetValueKind() != JsonValueKind.String || !allowed.Contains((string)v!)))
            return Fail(name, "a list of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")), _source[name], fallback);
        var values = array.Select(a => (string)a!).Distinct().ToList();
        Complete[name] = new JsonArray(values.Select(v => (JsonNode)v).ToArray());
        return values;
    }

    /// <summary>Names the parameters that are not known (a typo would otherwise be silently ignored).</summary>
    public void RejectUnknown()
    {
        foreach (var (name, _) in _source)
        {
            if (!Complete.ContainsKey(name))
                Errors.Add(Error(name, $"\"{name}\" is not a parameter of this operation; expected one of {string.Join(", ", Complete.Select(c => c.Key))}"));
        }
    }

    private T Fail<T>(string name, string expected, JsonNode? got, T fallback)
    {
        Errors.Add(Error(name, $"expected {expected} but got {got?.ToJsonString() ?? "null"}"));
        return fallback;
    }

    public static ImportError Error(string field, string message) => new("parameters", null, field, message) { Kind = ImportErrorKind.InvalidUpload };

    public (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Result()
    {
        RejectUnknown();
        // With errors the parameters come back too (as far as they could be read): forms show them as a starting point.
        return (Complete, Errors);
    }
}
