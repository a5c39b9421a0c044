using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Feeding.Import;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace DeepSeek.Portal.Datasets.Jobs;

/// <summary>
/// Runs one data job. Records stream from the source (an uploaded file or a version) into a temporary canonical file;
/// only when all of them are written is the file moved to its content-hash name and the version row added, in the
/// job's final step. A failure, a cancellation or a crash before that step leaves nothing visible; after a restart a
/// job that was running starts again from the beginning (see <see cref="DatasetsFeature"/>).
/// </summary>
public sealed class DataWorkJob(
    IServiceScopeFactory scopes,
    DataPaths paths,
    DataJobFeed feed,
    DataJobCancellation cancellations,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<DataWorkJob> logger) : IJob
{
    public const string JobIdKey = "dataJobId";
    /// <summary>Quartz execution group of data jobs: two at a time per node (imports are I/O and one core each).</summary>
    public const string ExecutionGroup = "data";
    private const string Group = "data";
    private static readonly TimeSpan StoreEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PushEvery = TimeSpan.FromMilliseconds(250);

    public static JobKey KeyFor(int jobId) => new($"data-job-{jobId}", Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var jobId = context.MergedJobDataMap.GetInt(JobIdKey);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        using var cts = cancellations.Register(jobId, stopping.Token);
        try
        {
            await RunAsync(jobId, cts.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            logger.LogInformation("Data job {JobId} was interrupted by shutdown; it starts again at the next start", jobId);
        }
        finally
        {
            cancellations.Unregister(jobId);
        }
    }

    /// <summary>
    /// Runs a stored job to its end on the calling thread: what the Quartz job does, and what the command line calls
    /// directly. Cancelling <paramref name="ct"/> leaves the job as it was (a restart runs it again).
    /// </summary>
    public async Task RunAsync(int jobId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var job = await db.DataJobs.FirstOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || job.Status is not (DataJobStatus.Queued or DataJobStatus.Running))
            return;
        job.Status = DataJobStatus.Running;
        job.StartedAt = clock.GetUtcNow();
        job.Done = job.Records = 0;
        await db.SaveChangesAsync(ct);
        Publish(job);

        var progress = new Throttle(this, db, job);
        IReadOnlyList<ImportError> errors;
        try
        {
            errors = job.Kind == DataJobKinds.Import
                ? await ImportAsync(scope.ServiceProvider, db, job, progress, ct)
                : await TransformAsync(scope.ServiceProvider, db, job, progress, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && cancellations.WasCancelled(jobId) && !lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await FinishAsync(db, job, DataJobStatus.Cancelled, []);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Data job {JobId} ({Kind}) failed", job.Id, job.Kind);
            errors = [new ImportError(job.DatasetName ?? $"job {job.Id}", null, null, $"the job failed: {e.Message}") { Kind = ImportErrorKind.InvalidUpload }];
        }
        if (errors.Count > 0)
            await FinishAsync(db, job, DataJobStatus.Failed, errors);
    }

    private async Task<IReadOnlyList<ImportError>> ImportAsync(IServiceProvider services, PortalDbContext db, DataJob job, Throttle progress, CancellationToken ct)
    {
        var request = DataJobService.ReadRequest<ImportJobRequest>(job.Request);
        var upload = await db.StagedUploads.AsNoTracking().FirstOrDefaultAsync(u => u.Id == request.UploadId, ct);
        var path = upload is null ? null : Path.Combine(paths.Uploads, upload.StoredName);
        if (upload is null || !File.Exists(path))
            return [new ImportError(request.Name, null, "uploadId", "the staged upload is gone (uploads are kept for a day); upload the file again") { Kind = ImportErrorKind.InvalidUpload }];

        var statistics = services.GetRequiredService<VersionStatisticsFactory>().Create();
        await using var output = new VersionFileWriter(paths.Temp, statistics);
        ImportSummary summary;
        await using (var content = new FileStream(path!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        {
            var importRequest = new ImportRequest
            {
                FileName = upload.FileName, Format = request.Format, Encoding = request.Encoding, TextSplit = request.TextSplit, Mapping = request.Mapping,
                Limits = new ImportLimits { MaxBytes = long.MaxValue / 4 },
            };
            summary = await StreamingImporter.ReadAsync(content, importRequest, async (record, token) =>
            {
                await output.WriteAsync(new VersionRecord { Text = record.Text, Prompt = record.Prompt, Response = record.Response, Turns = record.Turns }, token);
                progress.Records = output.Records;
            }, new Progress(progress), ct);
        }
        if (!summary.Succeeded)
            return summary.Errors.Count > 0 ? summary.Errors : [new ImportError(upload.FileName, null, null, "the file contains no records") { Kind = ImportErrorKind.NoRecords }];

        var sha = await output.FinishAsync(ct);
        if (await db.Datasets.Where(d => d.Sha256 == sha).Select(d => new { d.Id, d.Name }).FirstOrDefaultAsync(ct) is { } same)
        {
            job.ConflictDatasetId = same.Id;
            return [new ImportError(upload.FileName, null, null, $"the same records are already stored as dataset \"{same.Name}\" (id {same.Id})") { Kind = ImportErrorKind.DuplicateContent }];
        }
        if (await db.Datasets.Where(d => d.Name == request.Name).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct) is { } sameName)
        {
            job.ConflictDatasetId = sameName;
            return [new ImportError(upload.FileName, null, "name", $"a dataset named \"{request.Name}\" already exists (id {sameName})") { Kind = ImportErrorKind.DuplicateName }];
        }

        var target = Path.Combine(paths.Datasets, sha + ".jsonl");
        var placed = output.Place(target);
        var now = clock.GetUtcNow();
        var parameters = new JsonObject
        {
            ["sourceFile"] = upload.FileName,
            ["format"] = summary.Format.ToString().ToLowerInvariant(),
            ["encoding"] = summary.Encoding,
            ["shape"] = summary.Shape.ToString().ToLowerInvariant(),
            ["textSplit"] = request.TextSplit.ToString().ToLowerInvariant(),
            ["sourceBytes"] = summary.SourceBytes,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        try
        {
            var dataset = new Dataset
            {
                Name = request.Name, Description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim(),
                SourceFileName = upload.FileName, Format = summary.Format.ToString().ToLowerInvariant(), RecordCount = checked((int)output.Records),
                Characters = output.Characters, Bytes = output.Bytes, Sha256 = sha, CreatedAt = now, CreatedBy = job.CreatedBy, OriginalFile = upload.StoredName,
            };
            db.Datasets.Add(dataset);
            await db.SaveChangesAsync(ct);
            var version = NewVersion(dataset.Id, 1, null, DataJobKinds.Import, parameters, request.Mapping?.ToJson(), sha, output, statistics, job, now);
            db.DatasetVersions.Add(version);
            db.StagedUploads.Remove(new StagedUpload { Id = upload.Id, FileName = upload.FileName, StoredName = upload.StoredName });
            await db.SaveChangesAsync(ct);
            job.DatasetId = dataset.Id;
            await SucceedAsync(db, job, version, output.Records);
            await transaction.CommitAsync(ct);
            Publish(job);
            return [];
        }
        catch
        {
            await transaction.RollbackAsync(CancellationToken.None);
            db.ChangeTracker.Clear();
            if (placed && !await db.DatasetVersions.AnyAsync(v => v.Sha256 == sha, CancellationToken.None))
                File.Delete(target);
            throw;
        }
    }

    private async Task<IReadOnlyList<ImportError>> TransformAsync(IServiceProvider services, PortalDbContext db, DataJob job, Throttle progress, CancellationToken ct)
    {
        var request = DataJobService.ReadRequest<TransformJobRequest>(job.Request);
        var operation = services.GetServices<IDataOperation>().First(o => o.Name == request.Operation);
        var versions = services.GetRequiredService<DatasetVersionService>();
        var source = await versions.FindAsync(job.SourceVersionId!.Value, ct);
        if (source is null)
            return [new ImportError($"version {job.SourceVersionId}", null, null, "the source version was deleted") { Kind = ImportErrorKind.InvalidUpload }];

        var statisticsFactory = services.GetRequiredService<VersionStatisticsFactory>();
        var statistics = statisticsFactory.Create();
        await using var output = new VersionFileWriter(paths.Temp, statistics);
        VersionFileWriter? dropped = null;
        try
        {
            var context = new DataOperationContext(source, request.Parameters ?? [], versions, output, () => dropped = new VersionFileWriter(paths.Temp, null),
                read => { progress.Done = read; progress.Records = read; progress.Tick(); }, services, ct);
            var errors = await operation.RunAsync(context);
            if (errors.Count > 0)
                return errors;
            var where = $"{source.Sha256[..8]} (version {source.Number})";
            if (output.Records == 0)
                return [new ImportError(where, null, null, $"{operation.Name} left no records; nothing was stored") { Kind = ImportErrorKind.NoRecords }];
            var sha = await output.FinishAsync(ct);
            var droppedSha = dropped is null ? null : await dropped.FinishAsync(ct);
            // An operation that makes a new dataset (a mix) names it; the job reserved the name (DataJobService).
            var newDataset = job.DatasetName;
            if (newDataset is null && sha == source.Sha256 && droppedSha is null)
                return [new ImportError(where, null, null, $"{operation.Name} changed nothing; no new version was made") { Kind = ImportErrorKind.DuplicateContent }];
            if (newDataset is not null && await db.Datasets.Where(d => d.Name == newDataset).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct) is { } sameName)
            {
                job.ConflictDatasetId = sameName;
                return [new ImportError("parameters", null, "name", $"a dataset named \"{newDataset}\" already exists (id {sameName})") { Kind = ImportErrorKind.DuplicateName }];
            }

            var target = versions.FilePath(sha);
            var placed = output.Place(target);
            var droppedPlaced = droppedSha is not null && dropped!.Place(versions.FilePath(droppedSha));
            var now = clock.GetUtcNow();
            try
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                var datasetId = source.DatasetId;
                if (newDataset is not null)
                {
                    var dataset = new Dataset
                    {
                        Name = newDataset, SourceFileName = newDataset + ".jsonl", Format = "jsonl", RecordCount = checked((int)output.Records),
                        Characters = output.Characters, Bytes = output.Bytes, Sha256 = sha, CreatedAt = now, CreatedBy = job.CreatedBy,
                    };
                    db.Datasets.Add(dataset);
                    await db.SaveChangesAsync(ct);
                    datasetId = dataset.Id;
                    job.DatasetId = dataset.Id;
                }
                // The parent is the version the job was started on, also when it belongs to another dataset (a mix's).
                var number = newDataset is null ? await versions.NextNumberAsync(datasetId, ct) : 1;
                var version = NewVersion(datasetId, number, source.Id, operation.Name, context.Parameters, null, sha, output, statistics, job, now);
                version.DroppedSha256 = droppedSha;
                version.DroppedCount = dropped?.Records ?? 0;
                db.DatasetVersions.Add(version);
                await db.SaveChangesAsync(ct);
                await SucceedAsync(db, job, version, output.Records);
                await transaction.CommitAsync(ct);
                Publish(job);
                return [];
            }
            catch
            {
                db.ChangeTracker.Clear();
                if (placed && !await db.DatasetVersions.AnyAsync(v => v.Sha256 == sha || v.DroppedSha256 == sha, CancellationToken.None))
                    File.Delete(target);
                if (droppedPlaced && !await db.DatasetVersions.AnyAsync(v => v.Sha256 == droppedSha || v.DroppedSha256 == droppedSha, CancellationToken.None))
                    File.Delete(versions.FilePath(droppedSha!));
                throw;
            }
        }
        finally
        {
            if (dropped is not null)
                await dropped.DisposeAsync();
        }
    }

    private static DatasetVersion NewVersion(int datasetId, int number, int? parentId, string operation, JsonObject parameters, string? mapping, string sha,
        VersionFileWriter output, IVersionStatistics statistics, DataJob job, DateTimeOffset now) => new()
    {
        DatasetId = datasetId, Number = number, ParentId = parentId, Operation = operation,
        Parameters = parameters.ToJsonString(), Mapping = mapping, Sha256 = sha,
        RecordCount = output.Records, Characters = output.Characters, Bytes = output.Bytes,
        Statistics = statistics.ToJson().ToJsonString(), Tokens = statistics.Tokens,
        CreatedAt = now, CreatedBy = job.CreatedBy,
    };

    private async Task SucceedAsync(PortalDbContext db, DataJob job, DatasetVersion version, long records)
    {
        job.ResultVersionId = version.Id;
        job.Status = DataJobStatus.Succeeded;
        job.Records = records;
        job.Done = job.Total;
        job.FinishedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
    }

    private async Task FinishAsync(PortalDbContext db, DataJob job, DataJobStatus status, IReadOnlyList<ImportError> errors)
    {
        db.ChangeTracker.Clear();
        var now = clock.GetUtcNow();
        var error = errors.Count > 0 ? DataJobErrors.Serialize(errors) : null;
        var conflict = job.ConflictDatasetId;
        await db.DataJobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(u => u
            .SetProperty(j => j.Status, status).SetProperty(j => j.FinishedAt, now).SetProperty(j => j.Error, error)
            .SetProperty(j => j.ConflictDatasetId, conflict), CancellationToken.None);
        job.Status = status;
        job.FinishedAt = now;
        job.Error = error;
        Publish(job);
        logger.LogInformation("Data job {JobId} ({Kind}) {Status}", job.Id, job.Kind, status);
    }

    private void Publish(DataJob job) => feed.Publish(DataJobView.From(job, clock.GetUtcNow()));

    /// <summary>Source bytes read, from the importer.</summary>
    private sealed class Progress(Throttle throttle) : IProgress<long>
    {
        public void Report(long value)
        {
            throttle.Done = value;
            throttle.Tick();
        }
    }

    /// <summary>Stores progress at most once a second and pushes it at most four times a second.</summary>
    private sealed class Throttle(DataWorkJob owner, PortalDbContext db, DataJob job)
    {
        private readonly Stopwatch _sinceStore = Stopwatch.StartNew();
        private readonly Stopwatch _sincePush = Stopwatch.StartNew();

        public long Done { get; set; }
        public long Records { get; set; }

        public void Tick()
        {
            if (_sincePush.Elapsed < PushEvery)
                return;
            _sincePush.Restart();
            job.Done = Done;
            job.Records = Records;
            owner.Publish(job);
            if (_sinceStore.Elapsed < StoreEvery)
                return;
            _sinceStore.Restart();
            // Counters only, by statement: the tracked entity stays as the job loaded it.
            var (id, done, records) = (job.Id, Done, Records);
            db.DataJobs.Where(j => j.Id == id).ExecuteUpdate(u => u.SetProperty(j => j.Done, done).SetProperty(j => j.Records, records));
        }
    }
}
