using System.Globalization;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>
/// Keeps the records whose scores pass every threshold. Parameters: <c>rules</c>, a list of
/// <c>{"score": name, "min": x}</c> and/or <c>{"score": name, "max": y}</c> (keep when min ≤ score ≤ max); a record
/// without a named score fails that rule when <c>missing</c> is <c>drop</c> (default <c>keep</c>). Dropped records
/// go to the version's dropped file with the first rule they failed (e.g. <c>domain &lt; 0.75</c>).
/// </summary>
public sealed class FilterOperation : IDataOperation
{
    public string Name => "filter";

    private sealed record Rule(string Score, double? Min, double? Max);

    public (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Validate(JsonObject? parameters)
    {
        var errors = new List<ImportError>();
        if (parameters?["rules"] is not JsonArray rules || rules.Count == 0)
            return (null, [Error("rules", "expected a non-empty list of rules like {\"score\": \"domain\", \"min\": 0.75}")]);
        var clean = new JsonArray();
        for (var i = 0; i < rules.Count; i++)
        {
            var field = $"rules[{i}]";
            if (rules[i] is not JsonObject rule || rule["score"]?.GetValueKind() != System.Text.Json.JsonValueKind.String || string.IsNullOrWhiteSpace((string?)rule["score"]))
            {
                errors.Add(Error(field, "expected an object with a \"score\" name"));
                continue;
            }
            double? min = Number(rule, "min", field, errors), max = Number(rule, "max", field, errors);
            if (min is null && max is null)
                errors.Add(Error(field, "expected \"min\" or \"max\" (or both)"));
            else if (min > max)
                errors.Add(Error(field, $"min {min} is greater than max {max}"));
            var copy = new JsonObject { ["score"] = ((string)rule["score"]!).Trim() };
            if (min is not null)
                copy["min"] = min;
            if (max is not null)
                copy["max"] = max;
            clean.Add(copy);
        }
        var missingNode = parameters["missing"];
        var missing = missingNode is null ? "keep" : missingNode.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)missingNode! : missingNode.ToJsonString();
        if (missing is not ("keep" or "drop"))
            errors.Add(Error("missing", $"expected \"keep\" or \"drop\" but got \"{missing}\""));
        return errors.Count > 0 ? (null, errors) : (new JsonObject { ["rules"] = clean, ["missing"] = missing }, []);
    }

    public async Task<IReadOnlyList<ImportError>> RunAsync(DataOperationContext context)
    {
        var rules = context.Parameters["rules"]!.AsArray()
            .Select(r => new Rule((string)r!["score"]!, (double?)r["min"], (double?)r["max"])).ToList();
        var dropMissing = (string?)context.Parameters["missing"] == "drop";
        long read = 0;
        await foreach (var record in context.ReadSource())
        {
            read++;
            var failed = FirstFailed(record.Scores, rules, dropMissing);
            if (failed is null)
                await context.KeepAsync(record);
            else
                await context.DropAsync(record, failed);
            if (read % 512 == 0)
                context.Progress(read);
        }
        context.Progress(read);
        return [];
    }

    private static string? FirstFailed(IReadOnlyDictionary<string, double>? scores, List<Rule> rules, bool dropMissing)
    {
        foreach (var rule in rules)
        {
            if (scores is null || !scores.TryGetValue(rule.Score, out var value))
            {
                if (dropMissing)
                    return $"{rule.Score} missing";
                continue;
            }
            if (rule.Min is { } min && value < min)
                return $"{rule.Score} < {min.ToString(CultureInfo.InvariantCulture)}";
            if (rule.Max is { } max && value > max)
                return $"{rule.Score} > {max.ToString(CultureInfo.InvariantCulture)}";
        }
        return null;
    }

    private static double? Number(JsonObject rule, string name, string field, List<ImportError> errors)
    {
        if (rule[name] is not { } node)
            return null;
        if (node.GetValueKind() == System.Text.Json.JsonValueKind.Number && double.IsFinite(node.GetValue<double>()))
            return node.GetValue<double>();
        errors.Add(Error($"{field}.{name}", $"expected a finite number but got {node.ToJsonString()}"));
        return null;
    }

    private static ImportError Error(string field, string message) => new("parameters", null, field, message) { Kind = ImportErrorKind.InvalidUpload };
}
