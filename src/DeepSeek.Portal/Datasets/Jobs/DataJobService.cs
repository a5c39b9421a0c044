using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Feeding.Import;
using DeepSeek.Portal.Options;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Quartz;

namespace DeepSeek.Portal.Datasets.Jobs;

/// <summary>A staged upload as the API shows it.</summary>
public sealed record StagedUploadView(string Id, string FileName, long Bytes, DateTimeOffset CreatedAt);

/// <summary>Either the queued job or the errors that kept it from being queued (nothing is stored then).</summary>
public sealed record DataJobStart(DataJobView? Job, IReadOnlyList<ImportError> Errors, int StatusCode, int? ExistingDatasetId = null)
{
    public bool Started => Job is not null;
}

/// <summary>
/// Stages uploads, queues imports and transformations as Quartz jobs, and answers for their progress. A job's result
/// becomes visible only as a whole (see <see cref="DataWorkJob"/>).
/// </summary>
public sealed class DataJobService(
    PortalDbContext db,
    DataPaths paths,
    DatasetVersionService versions,
    IEnumerable<IDataOperation> operations,
    IServiceProvider services,
    DataJobFeed feed,
    IOptions<PortalOptions> options,
    TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public long MaxStagedBytes => options.Value.Uploads.MaxStagedBytes;

    /// <summary>Keeps an uploaded file for inspection and import; its id addresses it from then on.</summary>
    public async Task<StagedUploadView> StageAsync(DatasetUpload upload, string? user, CancellationToken ct)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var extension = Path.GetExtension(upload.FileName);
        // Only a short, plain extension goes into the stored name (the client's name is shown, never used as a path).
        var stored = id + (extension.Length is > 1 and <= 10 && extension.Skip(1).All(char.IsAsciiLetterOrDigit) ? extension.ToLowerInvariant() : "");
        var bytes = upload.Content.Length;
        await upload.KeepAsAsync(Path.Combine(paths.Uploads, stored));
        var row = new StagedUpload { Id = id, FileName = upload.FileName, StoredName = stored, Bytes = bytes, CreatedAt = clock.GetUtcNow(), CreatedBy = user };
        db.StagedUploads.Add(row);
        await db.SaveChangesAsync(ct);
        return new StagedUploadView(row.Id, row.FileName, row.Bytes, row.CreatedAt);
    }

    public async Task<StagedUpload?> FindUploadAsync(string id, CancellationToken ct) =>
        id.Length == 32 ? await db.StagedUploads.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, ct) : null;

    public string UploadPath(StagedUpload upload) => Path.Combine(paths.Uploads, upload.StoredName);

    /// <summary>
    /// Reads the first records of a staged upload the way an import with these settings would: detected format,
    /// encoding and shape, the fields seen (for the mapping step), raw samples, and the records as they would import.
    /// </summary>
    public async Task<SourceInspection?> InspectAsync(string uploadId, InspectRequest request, CancellationToken ct)
    {
        var upload = await FindUploadAsync(uploadId, ct);
        if (upload is null)
            return null;
        await using var content = new FileStream(UploadPath(upload), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var importRequest = new ImportRequest
        {
            FileName = upload.FileName, Format = request.Format, Encoding = request.Encoding, TextSplit = request.TextSplit, Mapping = request.Mapping,
        };
        return await StreamingImporter.InspectAsync(content, importRequest, Math.Clamp(request.Sample, 1, 50), ct);
    }

    /// <summary>Queues the import of a staged upload as a new dataset.</summary>
    public Task<DataJobStart> StartImportAsync(ImportJobRequest request, string? user, CancellationToken ct) =>
        CreateImportAsync(request, user, schedule: true, ct);

    /// <summary>Queues a transformation of a version into a new version of its dataset.</summary>
    public Task<DataJobStart> StartTransformAsync(int versionId, TransformJobRequest request, string? user, CancellationToken ct) =>
        CreateTransformAsync(versionId, request, user, schedule: true, ct);

    /// <summary>
    /// Checks an import request and stores its job; with <paramref name="schedule"/> false the caller runs it itself
    /// (the command line does, with <see cref="DataWorkJob.RunAsync"/>) instead of the scheduler.
    /// </summary>
    public async Task<DataJobStart> CreateImportAsync(ImportJobRequest request, string? user, bool schedule, CancellationToken ct)
    {
        var upload = await FindUploadAsync(request.UploadId ?? "", ct);
        if (upload is null)
            return Refused(StatusCodes.Status404NotFound, request.UploadId ?? "", "uploadId", "no staged upload has this id (uploads are kept for a day; upload the file again)");
        var name = (request.Name ?? "").Trim();
        if (name.Length == 0)
            name = Path.GetFileNameWithoutExtension(upload.FileName);
        if (DatasetNames.Check(name) is { } problem)
            return Refused(StatusCodes.Status400BadRequest, upload.FileName, "name", problem);
        if (CheckImportSettings(request) is { } setting)
            return Refused(StatusCodes.Status400BadRequest, upload.FileName, setting.Field, setting.Message);
        if (await db.Datasets.Where(d => d.Name == name).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct) is { } existing)
            return new DataJobStart(null, [new ImportError(upload.FileName, null, "name", $"a dataset named \"{name}\" already exists (id {existing})") { Kind = ImportErrorKind.DuplicateName }], StatusCodes.Status409Conflict, existing);
        if (await db.DataJobs.AnyAsync(j => j.DatasetName == name && (j.Status == DataJobStatus.Queued || j.Status == DataJobStatus.Running), ct))
            return Refused(StatusCodes.Status409Conflict, upload.FileName, "name", $"a job making a dataset named \"{name}\" is already under way");
        var job = new DataJob
        {
            Kind = DataJobKinds.Import,
            Status = DataJobStatus.Queued,
            Request = JsonSerializer.Serialize(request with { Name = name }, Json),
            DatasetName = name,
            Total = upload.Bytes,
            CreatedAt = clock.GetUtcNow(),
            CreatedBy = user,
        };
        return await QueueAsync(job, schedule, ct);
    }

    /// <summary>Checks a transformation request and stores its job (see <see cref="CreateImportAsync"/>).</summary>
    public async Task<DataJobStart> CreateTransformAsync(int versionId, TransformJobRequest request, string? user, bool schedule, CancellationToken ct)
    {
        var source = await versions.FindAsync(versionId, ct);
        if (source is null)
            return Refused(StatusCodes.Status404NotFound, $"version {versionId}", "versionId", "no dataset version has this id");
        var operation = operations.FirstOrDefault(o => o.Name == request.Operation);
        if (operation is null)
            return Refused(StatusCodes.Status400BadRequest, $"version {versionId}", "operation",
                $"unknown operation \"{request.Operation}\"; expected one of {string.Join(", ", operations.Select(o => o.Name).Order())}");
        var (parameters, errors) = operation.Validate(request.Parameters);
        if (errors.Count > 0)
            return new DataJobStart(null, errors, StatusCodes.Status400BadRequest);
        var check = await operation.CheckAsync(source, parameters!, ct);
        if (check.Errors.Count > 0)
            return new DataJobStart(null, check.Errors, StatusCodes.Status400BadRequest);
        if (check.NewDataset is { } name)
        {
            // The result is a new dataset (a mix): its name follows the rules of an import's, and is reserved the same way.
            if (DatasetNames.Check(name) is { } problem)
                return Refused(StatusCodes.Status400BadRequest, "parameters", "name", problem);
            if (await db.Datasets.Where(d => d.Name == name).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct) is { } existing)
                return new DataJobStart(null, [new ImportError("parameters", null, "name", $"a dataset named \"{name}\" already exists (id {existing})") { Kind = ImportErrorKind.DuplicateName }], StatusCodes.Status409Conflict, existing);
            if (await db.DataJobs.AnyAsync(j => j.DatasetName == name && (j.Status == DataJobStatus.Queued || j.Status == DataJobStatus.Running), ct))
                return Refused(StatusCodes.Status409Conflict, "parameters", "name", $"a job making a dataset named \"{name}\" is already under way");
        }
        var job = new DataJob
        {
            Kind = operation.Name,
            Status = DataJobStatus.Queued,
            Request = JsonSerializer.Serialize(new TransformJobRequest(operation.Name, parameters), Json),
            // A job that makes a new dataset has none until it succeeds (as an import); its name is reserved meanwhile.
            DatasetId = check.NewDataset is null ? source.DatasetId : null,
            DatasetName = check.NewDataset,
            SourceVersionId = source.Id,
            Total = check.Records ?? source.RecordCount,
            CreatedAt = clock.GetUtcNow(),
            CreatedBy = user,
        };
        return await QueueAsync(job, schedule, ct);
    }

    private async Task<DataJobStart> QueueAsync(DataJob job, bool schedule, CancellationToken ct)
    {
        db.DataJobs.Add(job);
        await db.SaveChangesAsync(ct);
        if (schedule)
            await ScheduleAsync(job.Id, ct);
        var view = DataJobView.From(job, clock.GetUtcNow());
        feed.Publish(view);
        return new DataJobStart(view, [], StatusCodes.Status202Accepted);
    }

    public async Task ScheduleAsync(int jobId, CancellationToken ct)
    {
        var scheduler = await services.GetRequiredService<ISchedulerFactory>().GetScheduler(ct);
        var key = DataWorkJob.KeyFor(jobId);
        if (await scheduler.Exists(key, ct))
            return;
        var detail = JobBuilder.Create<DataWorkJob>().WithIdentity(key).UsingJobData(DataWorkJob.JobIdKey, jobId).RequestRecovery().Build();
        var trigger = TriggerBuilder.Create().WithIdentity(key.Name, key.Group).WithExecutionGroup(DataWorkJob.ExecutionGroup).StartNow().Build();
        await scheduler.ScheduleJob(detail, trigger, cancellationToken: ct);
    }

    public async Task<DataJobView?> GetAsync(int id, CancellationToken ct) =>
        await db.DataJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct) is { } job ? DataJobView.From(job, clock.GetUtcNow()) : null;

    public async Task<IReadOnlyList<DataJobView>> ListAsync(int? datasetId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return (await db.DataJobs.AsNoTracking().Where(j => datasetId == null || j.DatasetId == datasetId)
            .OrderByDescending(j => j.Id).Take(100).ToListAsync(ct)).Select(j => DataJobView.From(j, now)).ToList();
    }

    /// <summary>
    /// Cancels a queued or running job: a queued one is marked at once, a running one stops at its next record and
    /// leaves nothing behind. False when the job is unknown or already finished.
    /// </summary>
    public async Task<bool> CancelAsync(int id, DataJobCancellation cancellations, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var queued = await db.DataJobs.Where(j => j.Id == id && j.Status == DataJobStatus.Queued)
            .ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, DataJobStatus.Cancelled).SetProperty(j => j.FinishedAt, now), ct);
        if (queued == 1)
        {
            if (await GetAsync(id, ct) is { } view)
                feed.Publish(view);
            return true;
        }
        return await db.DataJobs.AnyAsync(j => j.Id == id && j.Status == DataJobStatus.Running, ct) && cancellations.Cancel(id);
    }

    /// <summary>
    /// What the importer would refuse before reading a byte: a format or text split that is no member of its enum (a
    /// number sent instead of a name), a mapping whose templates do not parse. Refused here so no job is queued for it.
    /// </summary>
    private static (string Field, string Message)? CheckImportSettings(ImportJobRequest request)
    {
        if (request.Format is { } format && !Enum.IsDefined(format))
            return ("format", $"unknown format {(int)format}; expected one of {string.Join(", ", Enum.GetNames<SourceFormat>())}");
        if (!Enum.IsDefined(request.TextSplit))
            return ("textSplit", $"unknown text split {(int)request.TextSplit}; expected one of {string.Join(", ", Enum.GetNames<TextSplit>())}");
        if (request.Mapping?.Validate() is { } problem)
        {
            // Validate says "template: unclosed \"{\" at character 7": the part before the colon is the mapping's field.
            var colon = problem.IndexOf(": ", StringComparison.Ordinal);
            return colon > 0 && !problem[..colon].Contains(' ')
                ? ("mapping." + problem[..colon], problem[(colon + 2)..])
                : ("mapping", problem);
        }
        return null;
    }

    private static DataJobStart Refused(int status, string file, string field, string message) =>
        new(null, [new ImportError(file, null, field, message) { Kind = ImportErrorKind.InvalidUpload }], status);

    internal static T ReadRequest<T>(string json) => JsonSerializer.Deserialize<T>(json, Json)!;
}

/// <summary>Cancellation of running data jobs on this node.</summary>
public sealed class DataJobCancellation
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, CancellationTokenSource> _running = new();

    public CancellationTokenSource Register(int jobId, CancellationToken stopping)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _running[jobId] = cts;
        return cts;
    }

    public void Unregister(int jobId) => _running.TryRemove(jobId, out _);

    public bool Cancel(int jobId)
    {
        if (!_running.TryGetValue(jobId, out var cts))
            return false;
        cts.Cancel();
        return true;
    }

    public bool WasCancelled(int jobId) => _running.TryGetValue(jobId, out var cts) && cts.IsCancellationRequested;
}

/// <summary>The rules for a dataset's name, shared by every way a dataset is created.</summary>
public static class DatasetNames
{
    public const int MaxLength = 200;

    /// <summary>What is wrong with the name, or <see langword="null"/> when it is acceptable.</summary>
    public static string? Check(string name) =>
        name.Length == 0 ? "the dataset has no name: give one, or a file name with something before its extension"
        : name.Length > MaxLength ? $"the dataset name is {name.Length} characters long; the limit is {MaxLength}"
        : name.Any(char.IsControl) ? "the dataset name contains a control character"
        : null;
}
