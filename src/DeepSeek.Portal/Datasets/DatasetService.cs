using DeepSeek.Portal.Platform;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Import;
using DeepSeek.Portal.Options;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Datasets;

public sealed record DatasetSummary(int Id, string Name, string? Description, string SourceFileName, string Format, int RecordCount, long Characters, long Bytes, string Sha256, bool IsDemo, DateTimeOffset CreatedAt, string? CreatedBy)
{
    public static DatasetSummary From(Dataset d) => new(d.Id, d.Name, d.Description, d.SourceFileName, d.Format, d.RecordCount, d.Characters, d.Bytes, d.Sha256, d.IsDemo, d.CreatedAt, d.CreatedBy);
}

/// <summary>Outcome of an upload: the new dataset, or the specific errors (nothing is stored then).</summary>
public sealed record DatasetImportOutcome(DatasetSummary? Dataset, IReadOnlyList<ImportError> Errors)
{
    public bool Succeeded => Dataset is not null;
}

/// <summary>
/// Imports and stores datasets. The validated records are written as canonical JSONL under the data directory,
/// named by content hash; the database row is added only after the file is complete, so a failed import leaves nothing behind.
/// </summary>
public sealed class DatasetService(PortalDbContext db, DataPaths paths, IOptions<PortalOptions> options, TimeProvider clock)
{
    public long MaxUploadBytes => options.Value.Uploads.MaxBytes;

    public async Task<IReadOnlyList<DatasetSummary>> ListAsync(CancellationToken ct) =>
        (await db.Datasets.AsNoTracking().OrderByDescending(d => d.IsDemo).ThenBy(d => d.Name).ToListAsync(ct)).Select(DatasetSummary.From).ToList();

    public async Task<DatasetSummary?> GetAsync(int id, CancellationToken ct) =>
        await db.Datasets.AsNoTracking().Where(d => d.Id == id).Select(d => DatasetSummary.From(d)).FirstOrDefaultAsync(ct);

    public async Task<DatasetImportOutcome> ImportAsync(Stream content, string fileName, string? name, string? description, string? user, CancellationToken ct)
    {
        var safeFileName = Path.GetFileName(fileName);
        if (DatasetImporter.DetectFormat(safeFileName) is not { } format)
            return Fail(safeFileName, null, null, "unsupported file type: expected a .jsonl, .ndjson or .txt file");
        var datasetName = string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(safeFileName) : name.Trim();
        if (datasetName.Length > 200)
            return Fail(safeFileName, null, "name", "the dataset name is longer than 200 characters");
        if (await db.Datasets.AnyAsync(d => d.Name == datasetName, ct))
            return Fail(safeFileName, null, "name", $"a dataset named \"{datasetName}\" already exists");

        var limits = new ImportLimits { MaxBytes = MaxUploadBytes };
        var result = await DatasetImporter.ParseAsync(content, safeFileName, limits, ct);
        if (!result.Succeeded)
        {
            var errors = result.Errors.Count > 0 ? result.Errors : [new ImportError(safeFileName, null, null, "the file contains no records")];
            return new DatasetImportOutcome(null, errors);
        }

        var (sha, bytes) = await WriteCanonicalAsync(result.Records.Select(r => r.Text), ct);
        var dataset = new Dataset
        {
            Name = datasetName,
            Description = string.IsNullOrWhiteSpace(description) ? null : description.Trim(),
            SourceFileName = safeFileName,
            Format = format.ToString().ToLowerInvariant(),
            RecordCount = result.Records.Count,
            Characters = result.Characters,
            Bytes = bytes,
            Sha256 = sha,
            CreatedAt = clock.GetUtcNow(),
            CreatedBy = user,
        };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(ct);
        return new DatasetImportOutcome(DatasetSummary.From(dataset), []);
    }

    /// <summary>Seeds the demo dataset once; a no-op when it exists.</summary>
    public async Task<Dataset> EnsureDemoAsync(CancellationToken ct)
    {
        var existing = await db.Datasets.FirstOrDefaultAsync(d => d.IsDemo, ct);
        if (existing is not null)
            return existing;
        var texts = DemoDataset.Generate();
        var (sha, bytes) = await WriteCanonicalAsync(texts, ct);
        var dataset = new Dataset
        {
            Name = DemoDataset.Name,
            Description = DemoDataset.Describe(),
            SourceFileName = DemoDataset.Name + ".jsonl",
            Format = "jsonl",
            RecordCount = texts.Count,
            Characters = texts.Sum(t => (long)t.Length),
            Bytes = bytes,
            Sha256 = sha,
            IsDemo = true,
            CreatedAt = clock.GetUtcNow(),
            CreatedBy = "system",
        };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(ct);
        return dataset;
    }

    public async Task<IReadOnlyList<string>> LoadTextsAsync(int datasetId, CancellationToken ct) =>
        await ReadTextsAsync(datasetId, int.MaxValue, ct);

    /// <summary>The first records only: a preview reads no further into the file than it shows.</summary>
    public async Task<IReadOnlyList<string>> PreviewAsync(int datasetId, int count, CancellationToken ct) =>
        await ReadTextsAsync(datasetId, Math.Clamp(count, 1, 100), ct);

    private async Task<List<string>> ReadTextsAsync(int datasetId, int limit, CancellationToken ct)
    {
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == datasetId, ct)
            ?? throw new InvalidOperationException($"Dataset {datasetId} does not exist.");
        var texts = new List<string>(Math.Min(limit, dataset.RecordCount));
        await foreach (var line in File.ReadLinesAsync(FilePath(dataset.Sha256), ct))
        {
            if (texts.Count >= limit)
                break;
            if (line.Length == 0)
                continue;
            using var doc = JsonDocument.Parse(line);
            texts.Add(doc.RootElement.GetProperty("text").GetString() ?? string.Empty);
        }
        return texts;
    }

    private string FilePath(string sha) => Path.Combine(paths.Datasets, sha + ".jsonl");

    private async Task<(string Sha, long Bytes)> WriteCanonicalAsync(IEnumerable<string> texts, CancellationToken ct)
    {
        Directory.CreateDirectory(paths.Datasets);
        var temp = Path.Combine(paths.Datasets, $".import-{Guid.NewGuid():N}.tmp");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long bytes = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                foreach (var text in texts)
                {
                    var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { text }, JsonOptions) + "\n");
                    hash.AppendData(line);
                    await file.WriteAsync(line, ct);
                    bytes += line.Length;
                }
                await file.FlushAsync(ct);
            }
            var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            var target = FilePath(sha);
            // Same content, same name: an identical earlier import already holds this file.
            if (File.Exists(target))
                File.Delete(temp);
            else
                File.Move(temp, target);
            return (sha, bytes);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static DatasetImportOutcome Fail(string file, int? line, string? field, string message) =>
        new(null, [new ImportError(file, line, field, message)]);

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Deletes a dataset no run used (row and, when no other dataset shares it, its file). A dataset a run used is
    /// archived by the input area's version of this method; until <c>Dataset.ArchivedAt</c> exists it is refused.
    /// </summary>
    public async Task<RemovalOutcome> DeleteAsync(int id, CancellationToken ct)
    {
        var dataset = await db.Datasets.FirstOrDefaultAsync(d => d.Id == id, ct);
        if (dataset is null)
            return RemovalOutcome.NotFound;
        if (await db.Runs.AnyAsync(r => r.DatasetId == id, ct))
            return RemovalOutcome.Refused;
        db.Datasets.Remove(dataset);
        await db.SaveChangesAsync(ct);
        if (!await db.Datasets.AnyAsync(d => d.Sha256 == dataset.Sha256, ct))
            File.Delete(FilePath(dataset.Sha256));
        return RemovalOutcome.Deleted;
    }
}
