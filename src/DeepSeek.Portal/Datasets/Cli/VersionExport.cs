using System.Text.Json;
using DeepSeek.Portal.Datasets.Versions;
using Parquet;
using Parquet.Schema;

namespace DeepSeek.Portal.Datasets.Cli;

/// <summary>What an export wrote.</summary>
/// <param name="Path">The output file (absolute).</param>
/// <param name="Format"><c>jsonl</c> or <c>parquet</c>.</param>
/// <param name="Records">Records written.</param>
/// <param name="Bytes">Size of the file.</param>
/// <param name="Columns">For Parquet, the column names in order; empty for JSONL.</param>
public sealed record ExportSummary(string Path, string Format, long Records, long Bytes, IReadOnlyList<string> Columns);

/// <summary>
/// Writes a version's records to a file. JSONL is the version's canonical file, copied byte for byte. Parquet has the
/// columns <c>text</c> (required string), <c>prompt</c> and <c>response</c> (optional strings), one optional double
/// column <c>score_&lt;name&gt;</c> per score any record carries (null where a record lacks it), <c>dropped_by</c> when the
/// dropped records are exported, and <c>origin</c> (a JSON object as a string) when any record has one. Finding the
/// score columns costs one extra pass over the file; memory is one row group of 10,000 records.
/// </summary>
internal static class VersionExport
{
    public const int RowGroupSize = 10_000;
    public const string ScorePrefix = "score_";

    public static async Task<ExportSummary> WriteAsync(DatasetVersionService versions, DatasetVersion version, bool dropped, string format, string target, CancellationToken ct)
    {
        var path = Path.GetFullPath(target);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Written beside the target and moved over it at the end: an interrupted export never leaves a truncated file.
        var temp = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            ExportSummary summary;
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                summary = format == "parquet"
                    ? await WriteParquetAsync(versions, version, dropped, output, path, ct)
                    : await WriteJsonlAsync(versions, version, dropped, output, path, ct);
            }
            File.Move(temp, path, overwrite: true);
            return summary with { Bytes = new FileInfo(path).Length };
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static async Task<ExportSummary> WriteJsonlAsync(DatasetVersionService versions, DatasetVersion version, bool dropped, Stream output, string path, CancellationToken ct)
    {
        var sha = dropped ? version.DroppedSha256 : version.Sha256;
        if (sha is not null)
        {
            var source = versions.FilePath(sha);
            if (!File.Exists(source))
                throw new DatasetFileMissingException(version.DatasetId, $"version {version.Number}", sha);
            await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await input.CopyToAsync(output, ct);
        }
        return new ExportSummary(path, "jsonl", dropped ? version.DroppedCount : version.RecordCount, 0, []);
    }

    private static async Task<ExportSummary> WriteParquetAsync(DatasetVersionService versions, DatasetVersion version, bool dropped, Stream output, string path, CancellationToken ct)
    {
        var scoreNames = new SortedSet<string>(StringComparer.Ordinal);
        var hasOrigin = false;
        await foreach (var record in versions.ReadAsync(version, dropped, ct))
        {
            if (record.Scores is not null)
                scoreNames.UnionWith(record.Scores.Keys);
            hasOrigin |= record.Origin is not null;
        }

        var text = new DataField<string>("text", nullable: false);
        var prompt = new DataField<string>("prompt", nullable: true);
        var response = new DataField<string>("response", nullable: true);
        var scores = scoreNames.Select(n => (Name: n, Field: new DataField<double?>(ScorePrefix + n))).ToList();
        var droppedBy = dropped ? new DataField<string>("dropped_by", nullable: true) : null;
        var origin = hasOrigin ? new DataField<string>("origin", nullable: true) : null;
        var fields = new List<Field> { text, prompt, response };
        fields.AddRange(scores.Select(s => s.Field));
        if (droppedBy is not null)
            fields.Add(droppedBy);
        if (origin is not null)
            fields.Add(origin);

        var rows = new List<VersionRecord>(RowGroupSize);
        long written = 0;
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), output, cancellationToken: ct))
        {
            writer.CustomMetadata = new Dictionary<string, string>
            {
                ["deepseek.portal.version"] = version.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["deepseek.portal.sha256"] = (dropped ? version.DroppedSha256 : version.Sha256) ?? "",
            };
            async Task FlushAsync()
            {
                if (rows.Count == 0)
                    return;
                using var group = writer.CreateRowGroup();
                await group.WriteAsync(text, rows.Select(r => r.Text).ToArray());
                await group.WriteAsync(prompt, rows.Select(r => r.Prompt!).ToArray());
                await group.WriteAsync(response, rows.Select(r => r.Response!).ToArray());
                foreach (var (name, field) in scores)
                {
                    var values = rows.Select(r => r.Scores is not null && r.Scores.TryGetValue(name, out var v) ? v : (double?)null).ToArray();
                    await group.WriteAsync<double>(field, values.AsMemory(), cancellationToken: ct);
                }
                if (droppedBy is not null)
                    await group.WriteAsync(droppedBy, rows.Select(r => r.DroppedBy!).ToArray());
                if (origin is not null)
                    await group.WriteAsync(origin, rows.Select(r => r.Origin is null ? null! : JsonSerializer.Serialize(r.Origin)).ToArray());
                written += rows.Count;
                rows.Clear();
            }

            await foreach (var record in versions.ReadAsync(version, dropped, ct))
            {
                rows.Add(record);
                if (rows.Count == RowGroupSize)
                    await FlushAsync();
            }
            await FlushAsync();
        }
        return new ExportSummary(path, "parquet", written, 0, fields.Select(f => f.Name).ToList());
    }
}
