using DeepSeek.Portal.Feeding.Splitting;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Training;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace DeepSeek.Portal.Training;

/// <summary>
/// Executes one training run. Progress goes to <see cref="RunProgressPublisher"/>; the outcome to the run's row.
/// When the portal stops mid-run the run goes back to Queued and resumes from its last checkpoint at the next start.
/// </summary>
public sealed class TrainingRunJob(
    IServiceScopeFactory scopes,
    RunSupervisor supervisor,
    RunProgressPublisher publisher,
    DataPaths paths,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<TrainingRunJob> logger) : IJob
{
    public const string RunIdKey = "runId";
    /// <summary>Quartz execution group of training jobs, limited to one at a time per node.</summary>
    public const string ExecutionGroup = "training";
    private const string Group = "training";

    public static JobKey KeyFor(int runId) => new($"run-{runId}", Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var runId = context.MergedJobDataMap.GetInt(RunIdKey);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            await RunAsync(runId, stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !supervisor.WasCancelledByUser(runId))
        {
            logger.LogInformation("Run {RunId} was interrupted by shutdown while waiting; it stays queued", runId);
        }
    }

    private async Task RunAsync(int runId, CancellationToken stopping)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == runId, stopping);
        if (run is null || !run.IsActive)
            return;

        using var lease = supervisor.Register(runId, stopping);
        await db.Entry(run).ReloadAsync(stopping);
        if (run.CancelRequested)
        {
            await FinishAsync(db, run, RunStatus.Cancelled, null);
            return;
        }

        run.Status = RunStatus.Running;
        run.StartedAt ??= clock.GetUtcNow();
        run.Attempts++;
        run.Device = EngineDevice.Current.Description;
        run.Error = null;
        await db.SaveChangesAsync(stopping);
        await publisher.PublishStatusAsync(runId);

        try
        {
            // A fine-tuning run reads its base model's folder (stored at launch) on every attempt.
            var request = await RequestAsync(scope.ServiceProvider, run, stopping) with { BaseModel = run.BaseModelPath };
            logger.LogInformation("Run {RunId} starts (attempt {Attempt}) on {Device}", runId, run.Attempts, run.Device);
            var outcome = await Trainer.RunAsync(request, p => publisher.Report(runId, p), lease.Token);

            await publisher.PublishStatusAsync(runId); // every reported step is stored before the final status
            await db.Entry(run).ReloadAsync(CancellationToken.None);
            run.ParameterCount = outcome.ParameterCount;
            if (outcome.PeakResidentBytes is long peak && peak > (run.PeakMemoryBytes ?? 0))
                run.PeakMemoryBytes = peak;
            if (!outcome.Cancelled)
            {
                run.HeldOutLoss = outcome.HeldOutLoss;
                run.HeldOutPerplexity = outcome.HeldOutPerplexity;
                run.CurrentStep = outcome.StepsCompleted;
                await FinishAsync(db, run, RunStatus.Succeeded, null);
            }
            else if (supervisor.WasCancelledByUser(runId) || run.CancelRequested)
            {
                await FinishAsync(db, run, RunStatus.Cancelled, null);
            }
            else
            {
                // Shutdown: the engine wrote a checkpoint; the next start resumes from it.
                run.Status = RunStatus.Queued;
                await db.SaveChangesAsync(CancellationToken.None);
                await publisher.PublishStatusAsync(runId);
                logger.LogInformation("Run {RunId} paused at step {Step} by shutdown; it resumes at the next start", runId, outcome.StepsCompleted);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Run {RunId} failed", runId);
            await db.Entry(run).ReloadAsync(CancellationToken.None);
            await FinishAsync(db, run, RunStatus.Failed, RunErrorText.ForReaders(e.Message)); // full detail only in the log above
        }
    }

    /// <summary>
    /// What the engine trains on. Built the same way on every attempt from immutable version files and the settings and
    /// mixture stored at launch, so a resumed run passes the engine's check that it is the run its checkpoint belongs to.
    /// </summary>
    private async Task<TrainingRequest> RequestAsync(IServiceProvider services, TrainingRun run, CancellationToken ct)
    {
        var versions = services.GetRequiredService<DatasetVersionService>();
        var folder = paths.RunDirectory(run.Id);
        if (run.ReadMixture() is { } mixture)
        {
            // Each source is split on its own, so every source is represented in the held-out set; the run is
            // evaluated on their union.
            var train = new List<IReadOnlyList<string>>();
            var heldOut = new List<string>();
            foreach (var source in mixture.Sources)
            {
                var version = await versions.FindAsync(source.VersionId, ct)
                    ?? throw new InvalidOperationException($"Mixture source \"{source.Name}\" (version {source.VersionId}) no longer exists.");
                var (sourceTrain, sourceHeldOut) = SplitOrExplain(await ReadTextsAsync(versions, version, ct), source.Name);
                train.Add(sourceTrain);
                heldOut.AddRange(sourceHeldOut);
            }
            return new TrainingRequest(run.ToOptions(), [], heldOut, folder) { Mixture = RunMixtures.ToEngine(mixture, train) };
        }

        // Runs from before versions were recorded read the dataset's own file (its version 1).
        var pairs = new Dictionary<string, SupervisedExample>(StringComparer.Ordinal);
        var texts = run.DatasetVersionId is { } versionId
            ? await ReadTextsAsync(versions, await versions.FindAsync(versionId, ct) ?? throw new InvalidOperationException($"Dataset version {versionId} no longer exists."), ct, pairs)
            : await services.GetRequiredService<DatasetService>().LoadTextsAsync(run.DatasetId, ct);
        var (single, singleHeldOut) = SplitOrExplain(texts, null);
        // Chat/SFT records (pairs, alpaca, conversations) train on the assistant's answers only;
        // the held-out set stays plain text.
        var plain = single.Where(t => !pairs.ContainsKey(t)).ToList();
        var examples = single.Where(pairs.ContainsKey).Select(t => pairs[t]).ToList();
        return new TrainingRequest(run.ToOptions(), plain, singleHeldOut, folder) { SupervisedExamples = examples.Count > 0 ? examples : null };
    }

    /// <summary>The version's training texts; with <paramref name="pairs"/>, also each chat/SFT record's example (<see cref="SupervisedRecords"/>) by its text.</summary>
    private static async Task<List<string>> ReadTextsAsync(DatasetVersionService versions, DatasetVersion version, CancellationToken ct,
        Dictionary<string, SupervisedExample>? pairs = null)
    {
        var texts = new List<string>((int)Math.Min(version.RecordCount, int.MaxValue));
        await foreach (var record in versions.ReadAsync(version, dropped: false, ct))
        {
            texts.Add(record.Text);
            // Conversations (every assistant turn) and pairs (the answer) whose text is still as imported.
            if (pairs is not null && SupervisedRecords.From(record) is { } example)
                pairs.TryAdd(record.Text, example);
        }
        return texts;
    }

    private static (IReadOnlyList<string> Train, IReadOnlyList<string> HeldOut) SplitOrExplain(IReadOnlyList<string> texts, string? source)
    {
        if (HeldOutSplit.CheckSplittable(texts) is { } tooSmall)
            throw new InvalidOperationException(source is null ? tooSmall : $"{source}: {tooSmall}");
        var (train, heldOut) = HeldOutSplit.Split(texts);
        return (train, heldOut);
    }

    private async Task FinishAsync(PortalDbContext db, TrainingRun run, RunStatus status, string? error)
    {
        run.Status = status;
        run.Error = error;
        run.FinishedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
        await publisher.PublishStatusAsync(run.Id);
    }
}
