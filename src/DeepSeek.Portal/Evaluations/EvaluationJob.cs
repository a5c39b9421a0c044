using System.Diagnostics;
using System.Text.Json;
using DeepSeek.Portal.Evaluation.Metrics;
using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluation.Scoring;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Evaluations.Suites;
using DeepSeek.Portal.Evaluations.Targets;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace DeepSeek.Portal.Evaluations;

/// <summary>
/// Runs one evaluation: its suite's items through <see cref="SuiteRunner"/> against its target, each item's result
/// stored as it arrives (in small batches), progress pushed live, and at the end the figures
/// (<see cref="EvaluationScoring.Summarise"/> plus the tier-3 figures of the target's stored feedback). A restart
/// re-fires the job and the items already stored are skipped. Items that fail are kept with their reason and left out
/// of every figure: the evaluation is then Partial, or Failed when none succeeded.
/// </summary>
public sealed class EvaluationJob(
    IServiceScopeFactory scopes,
    EvaluationSupervisor supervisor,
    EvaluationLiveFeed feed,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    IEnumerable<IEvaluationFinishedObserver> observers,
    ILogger<EvaluationJob> logger) : IJob
{
    public const string EvaluationIdKey = "evaluationId";
    /// <summary>Quartz execution group of evaluations: one at a time per node (an engine evaluation holds a model in memory).</summary>
    public const string ExecutionGroup = "evaluation";
    private const string Group = "evaluation";
    private const int BatchSize = 16;
    private static readonly TimeSpan BatchInterval = TimeSpan.FromSeconds(1);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static JobKey KeyFor(int evaluationId) => new($"evaluation-{evaluationId}", Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var id = context.MergedJobDataMap.GetInt(EvaluationIdKey);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            await RunAsync(id, stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !supervisor.WasCancelledByUser(id))
        {
            logger.LogInformation("Evaluation {EvaluationId} was interrupted by shutdown; it resumes at the next start", id);
        }
    }

    private async Task RunAsync(int id, CancellationToken stopping)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PortalDbContext>();
        var evaluation = await db.Evaluations.FirstOrDefaultAsync(e => e.Id == id, stopping);
        if (evaluation is null || evaluation.Status is not (EvaluationStatus.Queued or EvaluationStatus.Running))
            return;
        using var lease = supervisor.Register(id, stopping);
        if (evaluation.CancelRequested)
        {
            await FinishAsync(db, evaluation, EvaluationStatus.Cancelled, null);
            return;
        }

        evaluation.Status = EvaluationStatus.Running;
        evaluation.StartedAt ??= clock.GetUtcNow();
        evaluation.Error = null;
        await db.SaveChangesAsync(stopping);
        feed.Publish(EvaluationUpdate.From(evaluation));

        var items = await services.GetRequiredService<EvaluationSuites>().ItemsAsync(evaluation.SuiteVersionId, stopping);
        if (items is not { Count: > 0 })
        {
            await FinishAsync(db, evaluation, EvaluationStatus.Failed, $"The suite (dataset version {evaluation.SuiteVersionId}) no longer exists or has no items.");
            return;
        }
        var byId = items.ToDictionary(i => i.Id, StringComparer.Ordinal);
        var stored = (await db.EvaluationItems.AsNoTracking().Where(i => i.EvaluationId == id).Select(i => i.ItemId).ToListAsync(stopping)).ToHashSet(StringComparer.Ordinal);
        evaluation.ItemsTotal = items.Count;
        await db.SaveChangesAsync(stopping);

        IEvaluationTarget target;
        try
        {
            target = await services.GetRequiredService<EvaluationTargets>().OpenAsync(evaluation, lease.Token);
        }
        catch (TargetException e)
        {
            logger.LogWarning("Evaluation {EvaluationId}: the target {Target} cannot be used: {Message}", id, evaluation.TargetLabel, e.Message);
            await FinishAsync(db, evaluation, EvaluationStatus.Failed, e.Message);
            return;
        }
        catch (OperationCanceledException)
        {
            await StoppedAsync(db, evaluation);
            return;
        }

        var settings = EvaluationSettings.Read(evaluation.Settings);
        var concurrency = settings.Concurrency;
        // An endpoint's own limit caps every launch against it (the server may be shared or rate-limited).
        if (evaluation.TargetKind == EvaluationTargetKind.Endpoint
            && await db.EvaluationEndpoints.AsNoTracking().Where(e => e.Id == evaluation.TargetEndpointId).Select(e => (int?)e.MaxConcurrency).FirstOrDefaultAsync(stopping) is int cap)
            concurrency = Math.Clamp(Math.Min(concurrency, cap), 1, EvaluationSettings.ConcurrencyLimit);
        var options = new SuiteRunOptions
        {
            Concurrency = concurrency,
            MaxNewTokens = settings.MaxNewTokens,
            MeasurePerplexity = settings.MeasurePerplexity,
            Cache = services.GetRequiredService<DatabaseOutputCache>(),
            Skip = stored,
        };
        var batch = new List<(SuiteItem Item, ItemOutput Output)>();
        var sinceFlush = Stopwatch.StartNew();
        var attempt = Stopwatch.StartNew();
        int doneThisAttempt = 0;
        try
        {
            logger.LogInformation("Evaluation {EvaluationId} starts: {Items} items ({Stored} already stored) against {Target}", id, items.Count, stored.Count, evaluation.TargetLabel);
            await foreach (var output in SuiteRunner.RunAsync(target, items, options, lease.Token))
            {
                if (!byId.TryGetValue(output.ItemId, out var item) || !stored.Add(output.ItemId))
                    continue;
                batch.Add((item, output));
                doneThisAttempt++;
                if (batch.Count >= BatchSize || sinceFlush.Elapsed >= BatchInterval)
                {
                    await FlushAsync(db, evaluation, batch, doneThisAttempt / Math.Max(attempt.Elapsed.TotalSeconds, 1e-3));
                    sinceFlush.Restart();
                }
            }
            await FlushAsync(db, evaluation, batch, null);
        }
        catch (OperationCanceledException)
        {
            await FlushAsync(db, evaluation, batch, null);
            await StoppedAsync(db, evaluation);
            return;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Evaluation {EvaluationId} failed", id);
            try
            {
                await FlushAsync(db, evaluation, batch, null);
            }
            catch (Exception flush)
            {
                // What could not be stored is run again by a later evaluation; the row must still say why this one stopped.
                logger.LogError(flush, "Evaluation {EvaluationId}: the last results could not be stored", id);
                db.ChangeTracker.Clear();
                evaluation = await db.Evaluations.FirstAsync(x => x.Id == id, CancellationToken.None);
            }
            await FinishAsync(db, evaluation, EvaluationStatus.Failed, e is TargetException ? e.Message : $"The evaluation stopped: {e.Message}");
            return;
        }
        finally
        {
            (target as IDisposable)?.Dispose();
        }

        await SummariseAsync(db, evaluation, items, CancellationToken.None);
    }

    /// <summary>
    /// After cancellation: Cancelled when a user asked (the items already stored are kept), otherwise (shutdown) back
    /// to Queued, and the next start resumes it without the items already stored.
    /// </summary>
    private async Task StoppedAsync(PortalDbContext db, EvaluationRun evaluation)
    {
        var byUser = supervisor.WasCancelledByUser(evaluation.Id);
        await db.Entry(evaluation).ReloadAsync(CancellationToken.None);
        if (byUser || evaluation.CancelRequested)
        {
            await FinishAsync(db, evaluation, EvaluationStatus.Cancelled, null);
            return;
        }
        evaluation.Status = EvaluationStatus.Queued;
        await db.SaveChangesAsync(CancellationToken.None);
        feed.Publish(EvaluationUpdate.From(evaluation));
        logger.LogInformation("Evaluation {EvaluationId} paused by shutdown after {Done} items; it resumes at the next start", evaluation.Id, evaluation.ItemsDone);
    }

    /// <summary>Stores a batch of item results and the counts in one transaction, then pushes the progress.</summary>
    private async Task FlushAsync(PortalDbContext db, EvaluationRun evaluation, List<(SuiteItem Item, ItemOutput Output)> batch, double? rate)
    {
        if (batch.Count == 0)
            return;
        var now = clock.GetUtcNow();
        // Rows first: scoring may throw, and nothing may be half-counted then.
        var rows = batch.Select(b => ToRow(evaluation.Id, b.Item, b.Output)).ToList();
        db.EvaluationItems.AddRange(rows);
        var entries = batch.Select(b => EvaluationOutputs.Entry(evaluation.Id, b.Output, now)).ToList();
        db.EvaluationOutputCache.AddRange(entries);
        foreach (var (_, output) in batch)
        {
            evaluation.ItemsDone++;
            if (output.Failure is not null) evaluation.ItemsFailed++;
            if (output.FromCache) evaluation.ItemsCached++;
        }
        batch.Clear();
        await db.SaveChangesAsync(CancellationToken.None);
        // The job's context lives as long as the evaluation: stored rows leave its tracker, so each save checks one batch.
        foreach (var row in rows) db.Entry(row).State = EntityState.Detached;
        foreach (var entry in entries) db.Entry(entry).State = EntityState.Detached;
        feed.Publish(EvaluationUpdate.From(evaluation, rate));
    }

    /// <summary>The drill-down row: the input as people read it, the output, references, the item's own scores or its failure.</summary>
    internal static EvaluationItemResult ToRow(int evaluationId, SuiteItem item, ItemOutput output)
    {
        IReadOnlyDictionary<string, double>? scores = null;
        if (output.Failure is null)
            scores = EvaluationScoring.Score(item, output).Values;
        var references = item.Kind == ItemKind.Classification && item.Choices is { } choices && item.Answer is int answer
            ? [choices[answer]]
            : item.References;
        return new EvaluationItemResult
        {
            EvaluationId = evaluationId,
            ItemId = item.Id,
            Slice = SuiteFile.Name(item.Slice),
            Kind = SuiteFile.Name(item.Kind),
            Domain = item.Domain,
            Input = Input(item),
            Output = output.Text ?? (output.ChoiceLogLikelihoods is { Count: > 0 } lls && item.Choices is { } c && lls.Count == c.Count
                ? c[lls.Select((v, i) => (v, i)).MaxBy(x => x.v).i]
                : null),
            References = JsonSerializer.Serialize(references),
            Scores = scores is null ? null : JsonSerializer.Serialize(scores),
            Error = output.Failure is { } f ? $"{f.Kind}: {f.Message}" : null,
            // Kept so the drill-down says why an item has no perplexity instead of leaving it silently out.
            Note = output.Failure is null ? output.PerplexityUnavailable : null,
            FromCache = output.FromCache,
            Seconds = output.Seconds,
        };
    }

    private static string Input(SuiteItem item)
    {
        var text = item.Messages is { Count: > 0 } messages ? string.Join('\n', messages.Select(m => $"{m.Role}: {m.Content}")) : item.Prompt ?? "";
        if (item.Choices is { Count: > 0 } choices)
            text += "\n" + string.Join('\n', choices.Select((c, i) => $"({(char)('A' + Math.Min(i, 25))}) {c}"));
        return text;
    }

    /// <summary>The figures over every item's kept output (this attempt's and earlier ones'), and the final status.</summary>
    private async Task SummariseAsync(PortalDbContext db, EvaluationRun evaluation, IReadOnlyList<SuiteItem> items, CancellationToken ct)
    {
        try
        {
            var outputs = await EvaluationOutputs.ReadAsync(db, evaluation.Id, ct);
            var known = items.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
            outputs = outputs.Where(o => known.Contains(o.ItemId)).ToList();
            var figures = EvaluationScoring.Summarise(items, outputs).ToList();
            figures.AddRange(await FeedbackFiguresAsync(db, evaluation.TargetLabel, ct));
            await db.EvaluationMetrics.Where(m => m.EvaluationId == evaluation.Id).ExecuteDeleteAsync(ct);
            db.EvaluationMetrics.AddRange(figures.Select(f => new EvaluationMetricRow
            {
                EvaluationId = evaluation.Id, Tier = f.Tier, Metric = f.Metric, Scope = f.Scope, Value = f.Value,
                Lower = f.Lower, Upper = f.Upper, Count = f.Count, Tokens = f.Tokens,
            }));
            await db.SaveChangesAsync(ct);

            var failures = outputs.Where(o => o.Failure is not null).Select(o => o.Failure!).ToList();
            if (outputs.Count > 0 && failures.Count == outputs.Count)
            {
                // Nothing succeeded: say why in the words of the most common failure (a wrong key, an unknown model, …).
                var reason = failures.GroupBy(f => f.Message).OrderByDescending(g => g.Count()).First().Key;
                await FinishAsync(db, evaluation, EvaluationStatus.Failed, $"Every item failed: {reason}");
            }
            else if (failures.Count > 0)
            {
                var reasons = string.Join("; ", failures.GroupBy(f => f.Message).OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()} × {g.Key}"));
                await FinishAsync(db, evaluation, EvaluationStatus.Partial, $"{failures.Count} of {outputs.Count} items failed and are left out of every figure: {reasons}");
            }
            else
            {
                await FinishAsync(db, evaluation, EvaluationStatus.Succeeded, null);
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Evaluation {EvaluationId}: the figures could not be computed", evaluation.Id);
            await FinishAsync(db, evaluation, EvaluationStatus.Failed, $"The figures could not be computed: {e.Message}");
        }
    }

    /// <summary>
    /// Tier 3 from stored feedback whose model label is the evaluation's target label: NPS of the 0–10 scores and the
    /// task completion rate, each with its 95 % interval, scope <c>feedback</c>. None when there is no such feedback.
    /// </summary>
    internal static async Task<IReadOnlyList<MetricValue>> FeedbackFiguresAsync(PortalDbContext db, string label, CancellationToken ct)
    {
        var rows = await db.Feedback.AsNoTracking().Where(f => f.ModelLabel == label).Select(f => new { f.Score, f.TaskCompleted }).ToListAsync(ct);
        var figures = new List<MetricValue>();
        var scores = rows.Where(r => r.Score is not null).Select(r => r.Score!.Value).ToList();
        if (scores.Count > 0)
        {
            var nps = BusinessMetrics.Nps(scores);
            figures.Add(new MetricValue(MetricNames.Nps, FeedbackScope, nps.Value, nps.Count) { Lower = nps.Lower, Upper = nps.Upper });
        }
        var completions = rows.Where(r => r.TaskCompleted is not null).Select(r => r.TaskCompleted!.Value).ToList();
        if (completions.Count > 0)
        {
            var tcr = BusinessMetrics.TaskCompletion(completions.Count(c => c), completions.Count);
            figures.Add(new MetricValue(MetricNames.TaskCompletion, FeedbackScope, tcr.Value, tcr.Count) { Lower = tcr.Lower, Upper = tcr.Upper });
        }
        return figures;
    }

    /// <summary>The scope of figures computed from stored user feedback rather than from the suite's items.</summary>
    public const string FeedbackScope = "feedback";

    private async Task FinishAsync(PortalDbContext db, EvaluationRun evaluation, EvaluationStatus status, string? error)
    {
        evaluation.Status = status;
        evaluation.Error = error;
        evaluation.FinishedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
        feed.Publish(EvaluationUpdate.From(evaluation));
        logger.LogInformation("Evaluation {EvaluationId} {Status}", evaluation.Id, status);
        if (status is EvaluationStatus.Succeeded or EvaluationStatus.Partial)
        {
            foreach (var observer in observers)
            {
                try
                {
                    await observer.EvaluationFinishedAsync(evaluation.Id, CancellationToken.None);
                }
                catch (Exception e)
                {
                    // An observer (a roadmap gate) must never turn a finished evaluation into a failed job.
                    logger.LogError(e, "Evaluation {EvaluationId}: observer {Observer} failed", evaluation.Id, observer.GetType().Name);
                }
            }
        }
    }
}

/// <summary>
/// Told when an evaluation has finished with figures (succeeded or partial), after they are stored: roadmap KPI gates
/// re-check themselves against it. Called on the evaluation job's thread; implementations open their own scope.
/// </summary>
public interface IEvaluationFinishedObserver
{
    Task EvaluationFinishedAsync(int evaluationId, CancellationToken ct);
}
