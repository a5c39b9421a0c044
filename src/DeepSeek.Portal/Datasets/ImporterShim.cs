// TEMPORARY: the streaming importer's API as agreed, over the old whole-file importer, until the import branch lands.
namespace DeepSeek.Portal.Feeding.Import;

public enum SourceFormat { Jsonl, JsonArray, Csv, Tsv, Text, Parquet }
public enum TextSplit { Line, Paragraph }
public enum RecordShape { Text, Alpaca, Conversation, PromptResponse, Mapped }

public sealed record FieldMapping
{
    public required string Template { get; init; }
    public string ListSeparator { get; init; } = "\n";
    public string? RecordsPath { get; init; }
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this);
    public static FieldMapping FromJson(string json) => System.Text.Json.JsonSerializer.Deserialize<FieldMapping>(json)!;
}

public sealed record ImportRequest
{
    public required string FileName { get; init; }
    public SourceFormat? Format { get; init; }
    public string? Encoding { get; init; }
    public TextSplit TextSplit { get; init; } = TextSplit.Paragraph;
    public FieldMapping? Mapping { get; init; }
    public ImportLimits Limits { get; init; } = new();
}

public sealed record ImportSummary(long Records, long Characters, long SourceBytes, IReadOnlyList<ImportError> Errors, SourceFormat Format, string Encoding, RecordShape Shape)
{
    public bool Succeeded => Errors.Count == 0 && Records > 0;
}

public static class StreamingImporter
{
    public static async Task<ImportSummary> ReadAsync(Stream content, ImportRequest request, Func<ImportedRecord, CancellationToken, ValueTask> sink, IProgress<long>? sourceBytesRead, CancellationToken ct)
    {
        var result = await DatasetImporter.ParseAsync(content, request.FileName, request.Limits, ct);
        foreach (var r in result.Records)
            await sink(r, ct);
        sourceBytesRead?.Report(result.Bytes);
        return new ImportSummary(result.Records.Count, result.Characters, result.Bytes, result.Errors, SourceFormat.Jsonl, "utf-8", RecordShape.Text);
    }
}
