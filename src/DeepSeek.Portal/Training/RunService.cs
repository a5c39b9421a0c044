using DeepSeek.Portal.Platform;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Options;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace DeepSeek.Portal.Training;

public sealed record RunLaunchOutcome(RunSummary? Run, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool Succeeded => Run is not null;
}

/// <summary>Creates, queries and cancels training runs. A run executes as a Quartz job; this service never trains.</summary>
public sealed class RunService(PortalDbContext db, ISchedulerFactory schedulerFactory, RunSupervisor supervisor, DataPaths paths, TimeProvider clock)
{
    public static TrainingOptions Defaults { get; } = new();

    /// <summary>Engine options for a request, unset fields taking the engine defaults.</summary>
    public static TrainingOptions ToOptions(RunLaunchRequest r) => Defaults with
    {
        MicroBatchSize = r.MicroBatchSize,
        GradientAccumulationSteps = r.GradientAccumulationSteps,
        LearningRate = r.LearningRate ?? Defaults.LearningRate,
        Steps = r.Steps ?? Defaults.Steps,
        Precision = (r.Precision ?? Defaults.Precision).Trim().ToLowerInvariant(),
        Seed = r.Seed ?? Defaults.Seed,
        WarmupSteps = r.WarmupSteps ?? Math.Min(Defaults.WarmupSteps, Math.Max(0, (r.Steps ?? Defaults.Steps) / 10)),
        SequenceLength = r.SequenceLength ?? Defaults.SequenceLength,
    };

    /// <summary>The engine's rules for a request's settings, keyed by the request's JSON field names (camelCase).</summary>
    public static Dictionary<string, string[]> ValidateSettings(RunLaunchRequest request) =>
        ToOptions(request).Validate().ToDictionary(kv => char.ToLowerInvariant(kv.Key[0]) + kv.Key[1..], kv => kv.Value);

    /// <summary>Field → messages for a launch request; empty when it may be queued.</summary>
    public async Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(RunLaunchRequest request, CancellationToken ct)
    {
        var errors = ValidateSettings(request);
        if (!await db.Datasets.AnyAsync(d => d.Id == request.DatasetId, ct))
            errors["datasetId"] = [$"Dataset {request.DatasetId} does not exist."];
        if (request.Name is { Length: > 200 })
            errors["name"] = ["The name is longer than 200 characters."];
        return errors;
    }

    public async Task<RunLaunchOutcome> LaunchAsync(RunLaunchRequest request, string? user, CancellationToken ct)
    {
        var errors = await ValidateAsync(request, ct);
        if (errors.Count > 0)
            return new RunLaunchOutcome(null, errors);
        var options = ToOptions(request);
        var dataset = await db.Datasets.FirstAsync(d => d.Id == request.DatasetId, ct);
        var now = clock.GetUtcNow();
        var run = new TrainingRun
        {
            Name = string.IsNullOrWhiteSpace(request.Name) ? $"{dataset.Name} {now:yyyy-MM-dd HH:mm}" : request.Name.Trim(),
            DatasetId = dataset.Id,
            Dataset = dataset,
            Status = RunStatus.Queued,
            Precision = options.Precision,
            CreatedAt = now,
            CreatedBy = user,
        };
        run.Apply(options);
        db.Runs.Add(run);
        await db.SaveChangesAsync(ct);
        // A new run owns its folder: anything there is left from a database that was reset, and the engine would
        // rightly refuse to resume someone else's checkpoint.
        var folder = paths.RunDirectory(run.Id);
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        await ScheduleAsync(run.Id, ct);
        return new RunLaunchOutcome(RunSummary.From(run), new Dictionary<string, string[]>());
    }

    public async Task ScheduleAsync(int runId, CancellationToken ct)
    {
        var scheduler = await schedulerFactory.GetScheduler(ct);
        var key = TrainingRunJob.KeyFor(runId);
        if (await scheduler.Exists(key, ct))
            return;
        var job = JobBuilder.Create<TrainingRunJob>()
            .WithIdentity(key)
            .UsingJobData(TrainingRunJob.RunIdKey, runId)
            // A crash mid-run re-fires the job on the next start; the engine resumes from its last checkpoint.
            .RequestRecovery()
            .Build();
        var trigger = TriggerBuilder.Create().WithIdentity(key.Name, key.Group).WithExecutionGroup(TrainingRunJob.ExecutionGroup).StartNow().Build();
        await scheduler.ScheduleJob(job, trigger, cancellationToken: ct);
    }

    public async Task<IReadOnlyList<RunSummary>> ListAsync(CancellationToken ct) =>
        (await db.Runs.AsNoTracking().Include(r => r.Dataset).OrderByDescending(r => r.Id).Take(200).ToListAsync(ct)).Select(RunSummary.From).ToList();

    public async Task<RunSummary?> GetAsync(int id, CancellationToken ct) =>
        await db.Runs.AsNoTracking().Include(r => r.Dataset).FirstOrDefaultAsync(r => r.Id == id, ct) is { } r ? RunSummary.From(r) : null;

    public async Task<IReadOnlyList<RunPoint>> GetPointsAsync(int id, int afterStep, CancellationToken ct) =>
        (await db.RunMetrics.AsNoTracking().Where(m => m.RunId == id && m.Step > afterStep).OrderBy(m => m.Step).ToListAsync(ct)).Select(RunPoint.From).ToList();

    /// <summary>Requests cancellation. A queued run is cancelled at once; a running one stops after its current micro-batch.</summary>
    public async Task<RunSummary?> CancelAsync(int id, CancellationToken ct)
    {
        var run = await db.Runs.Include(r => r.Dataset).FirstOrDefaultAsync(r => r.Id == id, ct);
        if (run is null)
            return null;
        if (!run.IsActive)
            return RunSummary.From(run);
        run.CancelRequested = true;
        if (run.Status == RunStatus.Queued && !supervisor.IsRunning(id))
        {
            run.Status = RunStatus.Cancelled;
            run.FinishedAt = clock.GetUtcNow();
            var scheduler = await schedulerFactory.GetScheduler(ct);
            await scheduler.DeleteJob(TrainingRunJob.KeyFor(id), ct);
        }
        await db.SaveChangesAsync(ct);
        supervisor.Cancel(id);
        return RunSummary.From(run);
    }

    /// <summary>Deletes a finished run with its metrics and checkpoint folder; a queued or running run is refused.</summary>
    public async Task<RemovalOutcome> DeleteAsync(int id, CancellationToken ct)
    {
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (run is null)
            return RemovalOutcome.NotFound;
        // The job writes its last checkpoint before it marks the run finished, so a finished run's folder is at rest.
        if (run.IsActive)
            return RemovalOutcome.Refused;
        await db.RunMetrics.Where(m => m.RunId == id).ExecuteDeleteAsync(ct);
        db.Runs.Remove(run);
        await db.SaveChangesAsync(ct);
        var folder = paths.RunDirectory(id);
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        return RemovalOutcome.Deleted;
    }
}
