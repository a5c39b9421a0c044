using System.Text.Json.Nodes;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Feeding.Import;
using DeepSeek.Portal.Feeding.Privacy;

namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>
/// Replaces personal data with typed placeholders ([EMAIL], [PHONE], [ID], [CARD], [IP]) in the text, prompt,
/// response and conversation turns: e-mail addresses, mainland-China and international phone numbers, resident ID numbers that pass their
/// checksum, Luhn-valid bank card numbers and IP addresses. The counts per kind go into the version's lineage.
/// </summary>
public sealed class MaskOperation : IDataOperation
{
    private static readonly Dictionary<string, PiiKind> Kinds = new()
    {
        ["email"] = PiiKind.Email, ["phone"] = PiiKind.Phone, ["id"] = PiiKind.IdNumber, ["card"] = PiiKind.BankCard, ["ip"] = PiiKind.IpAddress,
    };

    public string Name => "mask";

    public (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Validate(JsonObject? parameters)
    {
        var p = new ParameterReader(parameters);
        p.Choices("kinds", [.. Kinds.Keys], [.. Kinds.Keys]);
        return p.Result();
    }

    public async Task<IReadOnlyList<ImportError>> RunAsync(DataOperationContext context)
    {
        var kinds = context.Parameters["kinds"]!.AsArray().Select(k => Kinds[(string)k!]).Aggregate(PiiKind.None, (a, b) => a | b);
        var masker = new PiiMasker(kinds);
        var counts = Kinds.ToDictionary(k => k.Key, _ => 0L);
        long read = 0, changed = 0;
        await foreach (var record in context.ReadSource())
        {
            read++;
            var text = Mask(record.Text);
            var prompt = record.Prompt is null ? null : Mask(record.Prompt);
            var response = record.Response is null ? null : Mask(record.Response);
            var turns = record.Turns?.Select(t => t with { Content = Mask(t.Content) }).ToArray();
            if (!ReferenceEquals(text, record.Text) || !ReferenceEquals(prompt, record.Prompt) || !ReferenceEquals(response, record.Response)
                || (turns is not null && turns.Where((t, i) => !ReferenceEquals(t.Content, record.Turns![i].Content)).Any()))
                changed++;
            await context.KeepAsync(record with { Text = text, Prompt = prompt, Response = response, Turns = turns });
            if (read % 512 == 0)
                context.Progress(read);
        }
        context.Progress(read);
        context.Parameters["masked"] = new JsonObject(counts.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value)));
        context.Parameters["recordsChanged"] = changed;
        return [];

        string Mask(string value)
        {
            var result = masker.Mask(value);
            if (result.Spans.Count == 0)
                return value;
            foreach (var (name, kind) in Kinds)
                counts[name] += result.Count(kind);
            return result.Text;
        }
    }
}
