using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Import;
using DeepSeek.Portal.Options;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Datasets;

public sealed record DatasetSummary(int Id, string Name, string? Description, string SourceFileName, string Format, int RecordCount, long Characters, long Bytes, string Sha256, bool IsDemo, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? ArchivedAt = null)
{
    public bool IsArchived => ArchivedAt is not null;

    public static DatasetSummary From(Dataset d) => new(d.Id, d.Name, d.Description, d.SourceFileName, d.Format, d.RecordCount, d.Characters, d.Bytes, d.Sha256, d.IsDemo, d.CreatedAt, d.CreatedBy, d.ArchivedAt);
}

/// <summary>Outcome of an upload: the new dataset, or the specific errors (nothing is stored then).</summary>
/// <param name="ExistingDatasetId">Set when the upload conflicts with a stored dataset (same name or same content): that dataset.</param>
public sealed record DatasetImportOutcome(DatasetSummary? Dataset, IReadOnlyList<ImportError> Errors, int? ExistingDatasetId = null)
{
    public bool Succeeded => Dataset is not null;
}

/// <summary>
/// Imports and stores datasets. The validated records are written as canonical JSONL under the data directory,
/// named by content hash; the database row is added only after the file is complete, so a failed import leaves nothing behind.
/// </summary>
public sealed class DatasetService(PortalDbContext db, DataPaths paths, IOptions<PortalOptions> options, TimeProvider clock, Versions.VersionStatisticsFactory statisticsFactory)
{
    public long MaxUploadBytes => options.Value.Uploads.MaxBytes;

    /// <summary>The datasets a run can be launched on (archived ones left out), the demo dataset first.</summary>
    public Task<IReadOnlyList<DatasetSummary>> ListAsync(CancellationToken ct) => ListAsync(includeArchived: false, ct);

    public async Task<IReadOnlyList<DatasetSummary>> ListAsync(bool includeArchived, CancellationToken ct) =>
        (await db.Datasets.AsNoTracking().Where(d => includeArchived || d.ArchivedAt == null)
            .OrderByDescending(d => d.IsDemo).ThenBy(d => d.Name).ToListAsync(ct)).Select(DatasetSummary.From).ToList();

    /// <summary>
    /// Deletes a dataset and its file, or archives it when any run used it (the run pages still name it, and a queued
    /// run still reads its file). Deciding and deleting is one statement, so a run launched at the same moment can
    /// never lose its dataset.
    /// </summary>
    public async Task<DatasetRemoval> DeleteAsync(int id, CancellationToken ct)
    {
        var dataset = await db.Datasets.AsNoTracking().Where(d => d.Id == id).Select(d => new { d.Sha256, d.OriginalFile }).FirstOrDefaultAsync(ct);
        if (dataset is null)
            return DatasetRemoval.NotFound;
        var files = await db.DatasetVersions.Where(v => v.DatasetId == id).Select(v => new { v.Sha256, v.DroppedSha256 }).ToListAsync(ct);
        // Kept (archived) when a run trained on it (alone or as a source of a mixture, whose JSON names each source's
        // dataset), another dataset's version derives from one of its versions, or a mix drew from it (its lineage
        // parameters name each source's dataset the same way).
        var mixtureMarker = $"\"datasetId\":{id},";
        var deleted = await db.Datasets.Where(d => d.Id == id
                && !db.Runs.Any(r => r.DatasetId == d.Id || (r.Mixture != null && r.Mixture.Contains(mixtureMarker)))
                && !db.DatasetVersions.Any(child => child.DatasetId != d.Id && db.DatasetVersions.Any(v => v.DatasetId == d.Id && v.Id == child.ParentId))
                && !db.DatasetVersions.Any(mix => mix.DatasetId != d.Id && mix.Operation == "mix" && mix.Parameters != null && mix.Parameters.Contains(mixtureMarker)))
            .ExecuteDeleteAsync(ct);
        if (deleted == 1)
        {
            // Files are shared by content: remove only those no remaining version (or dataset) names.
            foreach (var sha in files.SelectMany(f => new[] { f.Sha256, f.DroppedSha256 }).Append(dataset.Sha256).OfType<string>().Distinct())
            {
                if (!await db.DatasetVersions.AnyAsync(v => v.Sha256 == sha || v.DroppedSha256 == sha, CancellationToken.None)
                    && !await db.Datasets.AnyAsync(d => d.Sha256 == sha, CancellationToken.None))
                    File.Delete(FilePath(sha));
            }
            if (dataset.OriginalFile is not null)
                File.Delete(Path.Combine(paths.Uploads, dataset.OriginalFile));
            return DatasetRemoval.Deleted;
        }
        var now = clock.GetUtcNow();
        await db.Datasets.Where(d => d.Id == id && d.ArchivedAt == null).ExecuteUpdateAsync(u => u.SetProperty(d => d.ArchivedAt, now), ct);
        return await db.Datasets.AnyAsync(d => d.Id == id, ct) ? DatasetRemoval.Archived : DatasetRemoval.NotFound;
    }

    /// <summary>The kept upload a dataset was imported from: its stored name under the uploads folder and its original name.</summary>
    public async Task<(string StoredName, string FileName)?> OriginalFileAsync(int id, CancellationToken ct) =>
        await db.Datasets.AsNoTracking().Where(d => d.Id == id && d.OriginalFile != null).Select(d => new { d.OriginalFile, d.SourceFileName }).FirstOrDefaultAsync(ct) is { } o
            ? (o.OriginalFile!, o.SourceFileName) : null;

    public async Task<DatasetSummary?> GetAsync(int id, CancellationToken ct) =>
        await db.Datasets.AsNoTracking().Where(d => d.Id == id).Select(d => DatasetSummary.From(d)).FirstOrDefaultAsync(ct);

    /// <summary>The longest dataset name (the column's length).</summary>
    public const int MaxNameLength = Jobs.DatasetNames.MaxLength;

    public async Task<DatasetImportOutcome> ImportAsync(Stream content, string fileName, string? name, string? description, string? user, CancellationToken ct)
    {
        // Only the last segment of a client's path is a name; Path.GetFileName would keep "C:\x\a.jsonl" whole on Linux.
        var safeFileName = fileName.Split('/', '\\')[^1];
        if (DatasetImporter.DetectFormat(safeFileName) is not { } format)
            return Fail(safeFileName, null, ImportErrorKind.UnsupportedFormat, "unsupported file type: expected a .jsonl, .ndjson or .txt file");
        var datasetName = string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(safeFileName) : name.Trim();
        if (Jobs.DatasetNames.Check(datasetName) is { } problem)
            return Fail(safeFileName, "name", ImportErrorKind.InvalidName, problem);
        if (await IdByNameAsync(datasetName, ct) is { } sameName)
            return Conflict(safeFileName, "name", ImportErrorKind.DuplicateName, $"a dataset named \"{datasetName}\" already exists (id {sameName})", sameName);

        var limits = new ImportLimits { MaxBytes = MaxUploadBytes };
        var result = await DatasetImporter.ParseAsync(content, safeFileName, limits, ct);
        if (!result.Succeeded)
        {
            var errors = result.Errors.Count > 0 ? result.Errors : [new ImportError(safeFileName, null, null, "the file contains no records") { Kind = ImportErrorKind.NoRecords }];
            return new DatasetImportOutcome(null, errors);
        }

        var (temp, sha, bytes) = await WriteCanonicalAsync(result.Records.Select(r => r.Text), ct);
        try
        {
            var sameContent = await db.Datasets.Where(d => d.Sha256 == sha).Select(d => new { d.Id, d.Name }).FirstOrDefaultAsync(ct);
            if (sameContent is not null)
                return Conflict(safeFileName, null, ImportErrorKind.DuplicateContent, $"the same records are already stored as dataset \"{sameContent.Name}\" (id {sameContent.Id})", sameContent.Id);

            var target = FilePath(sha);
            var placed = TryPlace(temp, target);
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
            try
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                await db.SaveChangesAsync(ct);
                db.DatasetVersions.Add(FirstVersion(dataset, new System.Text.Json.Nodes.JsonObject { ["sourceFile"] = safeFileName, ["format"] = dataset.Format }, result.Records.Select(r => r.Text)));
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
            }
            catch (Exception e)
            {
                db.Entry(dataset).State = EntityState.Detached;
                // Nothing of this import may outlive it: the file goes unless another row (a concurrent import of the same records) uses it.
                if (placed && !await db.Datasets.AnyAsync(d => d.Sha256 == sha, CancellationToken.None))
                    File.Delete(target);
                // Two uploads with one name at once both pass the check above; the unique index decides, and the loser is told who won.
                if (e is DbUpdateException { InnerException: SqliteException { SqliteExtendedErrorCode: UniqueConstraintFailed } }
                    && await IdByNameAsync(datasetName, CancellationToken.None) is { } winner)
                    return Conflict(safeFileName, "name", ImportErrorKind.DuplicateName, $"a dataset named \"{datasetName}\" already exists (id {winner})", winner);
                throw;
            }
            // A concurrent import of the same records placed the file first; make sure it is still there for this row.
            if (!placed && !File.Exists(target))
                TryPlace(temp, target);
            return new DatasetImportOutcome(DatasetSummary.From(dataset), []);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private const int UniqueConstraintFailed = 2067; // SQLITE_CONSTRAINT_UNIQUE

    private Task<int?> IdByNameAsync(string name, CancellationToken ct) =>
        db.Datasets.Where(d => d.Name == name).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct);

    /// <summary>Moves the complete file to its content-hash name in one step; false when that name already exists (same content).</summary>
    private static bool TryPlace(string temp, string target)
    {
        try
        {
            File.Move(temp, target, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(target))
        {
            return false;
        }
    }

    /// <summary>Seeds the demo datasets once (the banking set, then the general set); a no-op for each that exists.</summary>
    public async Task<Dataset> EnsureDemoAsync(CancellationToken ct)
    {
        var bank = await EnsureDemoAsync(DemoDataset.Name, DemoDataset.Describe(), DemoDataset.Generate(), ct);
        await EnsureDemoAsync(DemoGeneral.Name, "Everyday bilingual text (weather, food, travel, sport): the general contrast to the banking set.", DemoGeneral.Generate(), ct);
        return bank;
    }

    private async Task<Dataset> EnsureDemoAsync(string name, string description, IReadOnlyList<string> texts, CancellationToken ct)
    {
        var existing = await db.Datasets.FirstOrDefaultAsync(d => d.IsDemo && d.Name == name, ct);
        if (existing is not null)
            return existing;
        var (temp, sha, bytes) = await WriteCanonicalAsync(texts, ct);
        if (!TryPlace(temp, FilePath(sha)))
            File.Delete(temp);
        var dataset = new Dataset
        {
            Name = name,
            Description = description,
            SourceFileName = name + ".jsonl",
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
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        db.DatasetVersions.Add(FirstVersion(dataset, new System.Text.Json.Nodes.JsonObject { ["generator"] = "demo" }, texts));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return dataset;
    }

    /// <summary>Version 1 of a dataset stored in one piece (the synchronous upload, the demo): the dataset's own file, with its statistics.</summary>
    private DatasetVersion FirstVersion(Dataset dataset, System.Text.Json.Nodes.JsonObject parameters, IEnumerable<string> texts)
    {
        var statistics = statisticsFactory.Create();
        foreach (var text in texts)
            statistics.Add(text);
        return new()
        {
            DatasetId = dataset.Id, Number = 1, Operation = "import", Parameters = parameters.ToJsonString(), Sha256 = dataset.Sha256,
            RecordCount = dataset.RecordCount, Characters = dataset.Characters, Bytes = dataset.Bytes, CreatedAt = dataset.CreatedAt, CreatedBy = dataset.CreatedBy,
            Statistics = statistics.ToJson().ToJsonString(), Tokens = statistics.Tokens,
        };
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
        var path = FilePath(dataset.Sha256);
        if (!File.Exists(path))
            throw new DatasetFileMissingException(dataset.Id, dataset.Name, dataset.Sha256);
        var texts = new List<string>(Math.Min(limit, dataset.RecordCount));
        try
        {
            await foreach (var line in File.ReadLinesAsync(path, ct))
            {
                if (texts.Count >= limit)
                    break;
                if (line.Length == 0)
                    continue;
                using var doc = JsonDocument.Parse(line);
                texts.Add(doc.RootElement.GetProperty("text").GetString() ?? string.Empty);
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetFileMissingException(dataset.Id, dataset.Name, dataset.Sha256);
        }
        return texts;
    }

    private string FilePath(string sha) => Path.Combine(paths.Datasets, sha + ".jsonl");

    /// <summary>Writes canonical JSONL to a temporary file; the caller moves it into place or deletes it.</summary>
    private async Task<(string Temp, string Sha, long Bytes)> WriteCanonicalAsync(IEnumerable<string> texts, CancellationToken ct)
    {
        Directory.CreateDirectory(paths.Datasets);
        Directory.CreateDirectory(paths.Temp);
        var temp = Path.Combine(paths.Temp, $"canonical-{Guid.NewGuid():N}.tmp");
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
            return (temp, Convert.ToHexStringLower(hash.GetHashAndReset()), bytes);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static DatasetImportOutcome Fail(string file, string? field, ImportErrorKind kind, string message) =>
        new(null, [new ImportError(file, null, field, message) { Kind = kind }]);

    private static DatasetImportOutcome Conflict(string file, string? field, ImportErrorKind kind, string message, int existingId) =>
        new(null, [new ImportError(file, null, field, message) { Kind = kind }], existingId);

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
