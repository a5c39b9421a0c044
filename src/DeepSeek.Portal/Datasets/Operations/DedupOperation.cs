using System.Globalization;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Feeding.Dedup;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>
/// Drops exact duplicates (same text after NFKC, lower-casing and whitespace collapsing) and near duplicates (MinHash
/// LSH over character n-grams at a Jaccard threshold), keeping each text's first occurrence. Every dropped record names
/// the record it repeats. Memory: about 1 KB per record for the near-duplicate index, 64 B for the exact one.
/// </summary>
public sealed class DedupOperation : IDataOperation
{
    public string Name => "dedup";

    public (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Validate(JsonObject? parameters)
    {
        var p = new ParameterReader(parameters);
        var exact = p.Bool("exact", true);
        var near = p.Bool("near", true);
        p.Number("threshold", 0.8, 0.3, 0.99);
        p.Integer("permutations", 128, 128, 512);
        if (!exact && !near)
            p.Errors.Add(ParameterReader.Error("exact", "at least one of \"exact\" and \"near\" must be true"));
        return p.Result();
    }

    public async Task<IReadOnlyList<ImportError>> RunAsync(DataOperationContext context)
    {
        var parameters = context.Parameters;
        var exact = (bool)parameters["exact"]!;
        var near = (bool)parameters["near"]!;
        var exactIndex = exact ? new ExactDuplicateIndex() : null;
        var nearIndex = near
            ? new NearDuplicateIndex(new MinHashOptions { Threshold = (double)parameters["threshold"]!, Permutations = (int)parameters["permutations"]! }, (int)Math.Min(context.Source.RecordCount, int.MaxValue))
            : null;
        long read = 0, exactDropped = 0, nearDropped = 0;
        await foreach (var record in context.ReadSource())
        {
            read++;
            var id = read.ToString(CultureInfo.InvariantCulture);
            if (exactIndex?.Add(id, record.Text) is { IsDuplicate: true } same)
            {
                exactDropped++;
                await context.DropAsync(record, $"exact duplicate of #{same.FirstId}");
            }
            else if (nearIndex?.Add(id, record.Text) is { IsDuplicate: true } similar)
            {
                nearDropped++;
                await context.DropAsync(record, string.Create(CultureInfo.InvariantCulture, $"near duplicate of #{similar.RepresentativeId} (Jaccard ≈ {similar.EstimatedJaccard:F2})"));
            }
            else
            {
                await context.KeepAsync(record);
            }
            if (read % 256 == 0)
                context.Progress(read);
        }
        context.Progress(read);
        parameters["exactDuplicates"] = exactDropped;
        parameters["nearDuplicates"] = nearDropped;
        if (nearIndex is not null)
            parameters["lsh"] = $"{nearIndex.Parameters.Bands} bands × {nearIndex.Parameters.Rows} rows";
        return [];
    }
}
