using System.Collections.Concurrent;
using System.Threading.Channels;
using DeepSeek.Portal.Engine.Training;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Training;

/// <summary>
/// Takes the engine's per-step progress off the training thread, stores it in SQLite in small batches and then
/// pushes it to the browser and the hub. Storing first means a reload always shows every point that was pushed.
/// </summary>
/// <remarks>
/// Storing never depends on a watcher: pushing only queues the update in each watcher's mailbox
/// (<see cref="RunLiveFeed"/>, <see cref="RunHubRelay"/>), so a browser that went away cannot stop the metrics, the
/// job that waits for them (<see cref="PublishStatusAsync"/>), Cancel or shutdown.
/// </remarks>
public sealed class RunProgressPublisher(
    IServiceScopeFactory scopes,
    RunLiveFeed feed,
    RunHubRelay hubRelay,
    ILogger<RunProgressPublisher> logger) : BackgroundService
{
    private const int MaxBatch = 500;
    private readonly Channel<Item> _channel = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    /// <summary>Longest silence for a training run: slower steps get heartbeats (status, ETA counting down).</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<int, (TrainingProgress Progress, long AtUnixMs)> _latest = new();
    private readonly ConcurrentDictionary<int, long> _lastPushUnixMs = new();
    private readonly Dictionary<int, RunState> _runs = [];

    /// <summary>Called on the training thread after each optimizer step; never blocks.</summary>
    public void Report(int runId, TrainingProgress progress)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _latest[runId] = (progress, now);
        _channel.Writer.TryWrite(new Item(runId, progress, now, null));
    }

    /// <summary>Announces a status change of the run (after everything reported before it is stored).</summary>
    public Task PublishStatusAsync(int runId)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _channel.Writer.TryWrite(new Item(runId, null, 0, done)) ? done.Task : Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var heartbeat = HeartbeatAsync(stoppingToken);
        await PumpAsync();
        await heartbeat;
    }

    // Big models take longer than a second per step; the page still hears from a live run at least once a second.
    private async Task HeartbeatAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(HeartbeatInterval / 4);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                foreach (var runId in _latest.Keys)
                {
                    // Leave room for the store-and-push after the tick, so the page hears within the interval.
                    if (now - _lastPushUnixMs.GetValueOrDefault(runId) >= HeartbeatInterval.TotalMilliseconds * 0.7)
                        _channel.Writer.TryWrite(new Item(runId, null, now, null));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Ends when StopAsync completes the channel and everything reported before it is stored.
    private async Task PumpAsync()
    {
        var batch = new List<Item>();
        while (await _channel.Reader.WaitToReadAsync(CancellationToken.None))
        {
            // Take whatever has arrived, without waiting for more: steps that come while a batch is being stored
            // form the next batch, so fast runs are batched and slow ones wait for nothing.
            batch.Clear();
            while (batch.Count < MaxBatch && _channel.Reader.TryRead(out var item))
            {
                batch.Add(item);
                if (item.Done is not null)
                    break;
            }
            try
            {
                await FlushAsync(batch);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Storing run progress failed; its points are not pushed");
            }
            finally
            {
                foreach (var item in batch)
                    item.Done?.TrySetResult();
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Jobs have stopped by now (Quartz waits for them); drain what they reported.
        _channel.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task FlushAsync(List<Item> batch)
    {
        var byRun = batch.GroupBy(i => i.RunId).ToList();
        var points = new Dictionary<int, List<RunPoint>>();
        // A batch of heartbeats alone touches no row: their updates come from memory.
        if (byRun.Any(g => g.Any(i => !i.IsHeartbeat)))
            await StoreAsync(byRun, points);

        // Stored; now hand the updates to the watchers, which never makes this pump wait.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var group in byRun)
        {
            if (!_runs.TryGetValue(group.Key, out var state))
                continue;
            // A heartbeat queued just before the run finished has nothing left to say.
            if (group.All(i => i.IsHeartbeat) && !_latest.ContainsKey(group.Key))
                continue;
            var active = state.Status.IsActive();
            var update = new RunUpdate(
                group.Key, state.Status, state.CurrentStep, state.Steps,
                RunStatusFacts.Percent(state.CurrentStep, state.Steps),
                active ? EtaSeconds(group.Key) : null,
                state.TokensPerSecond,
                points.GetValueOrDefault(group.Key) ?? [],
                state.HeldOutPerplexity, state.Error);
            _lastPushUnixMs[group.Key] = now;
            if (state.Status != RunStatus.Running)
            {
                // Not running: no heartbeats; the next status announcement reads the row again.
                _latest.TryRemove(group.Key, out _);
                _lastPushUnixMs.TryRemove(group.Key, out _);
                _runs.Remove(group.Key);
            }
            feed.Publish(update);
            hubRelay.Publish(update);
        }
    }

    /// <summary>Stores the batch's steps (one transaction) and reads the rows whose status the job changed.</summary>
    private async Task StoreAsync(List<IGrouping<int, Item>> byRun, Dictionary<int, List<RunPoint>> points)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            // The job changed the row before announcing a status: read it then (and for a run first seen), never
            // after this pump's own writes, which the in-memory state already holds.
            foreach (var group in byRun)
            {
                if (group.Any(i => i.Done is not null) || (!_runs.ContainsKey(group.Key) && group.Any(i => i.Progress is not null)))
                    await LoadStateAsync(db, group.Key);
            }
            if (!byRun.Any(g => g.Any(i => i.Progress is not null)))
                return;

            await using var transaction = await db.Database.BeginTransactionAsync();
            foreach (var group in byRun)
            {
                if (!_runs.TryGetValue(group.Key, out var state))
                    continue;
                // One point per step; a repeated step keeps the newest report.
                var steps = group.Where(i => i.Progress is not null).GroupBy(i => i.Progress!.Step).Select(g => g.Last()).ToList();
                if (steps.Count == 0)
                    continue;
                var runId = group.Key;
                var (first, last) = (steps.Min(s => s.Progress!.Step), steps.Max(s => s.Progress!.Step));
                // A resumed run repeats the steps after its last checkpoint and keeps the newest values. An attempt's
                // steps only go up, so when one (re)starts below what is stored, every stored step from there on is
                // from an earlier attempt — also those this batch has not reached yet (a killed attempt may have
                // stored several steps past the checkpoint the next one resumes from).
                if (state.StoredThrough is not { } through || first <= through)
                {
                    await db.RunMetrics.Where(m => m.RunId == runId && m.Step >= first).ExecuteDeleteAsync();
                    await db.RunSourceMetrics.Where(m => m.RunId == runId && m.Step >= first).ExecuteDeleteAsync();
                }
                var list = new List<RunPoint>(steps.Count);
                foreach (var s in steps)
                {
                    var p = s.Progress!;
                    var sources = p.Sources?.Select((source, i) => new RunSourcePoint(i, source.Name, source.Weight, source.Probability, source.Loss, source.Sequences)).ToList();
                    list.Add(new RunPoint(p.Step, p.Loss, p.LearningRate, p.TokensPerSecond, p.GradNorm, p.Elapsed.TotalSeconds, s.UnixMs) { Sources = sources });
                    db.RunMetrics.Add(new RunMetric
                    {
                        RunId = runId, Step = p.Step, Loss = p.Loss, LearningRate = p.LearningRate, TokensPerSecond = p.TokensPerSecond,
                        GradNorm = p.GradNorm, ElapsedSeconds = p.Elapsed.TotalSeconds, RecordedAtUnixMs = s.UnixMs,
                    });
                    foreach (var source in sources ?? [])
                    {
                        db.RunSourceMetrics.Add(new RunSourceMetric
                        {
                            RunId = runId, Step = p.Step, Source = source.Source, Weight = source.Weight, Probability = source.Probability,
                            Loss = source.Loss, Sequences = source.Sequences,
                        });
                    }
                }
                state.StoredThrough = last; // everything stored past it was just removed
                var latest = group.Last(i => i.Progress is not null).Progress!;
                (state.CurrentStep, state.TokensPerSecond) = (latest.Step, latest.TokensPerSecond);
                var (step, loss, rate, parameters) = (latest.Step, latest.Loss, latest.TokensPerSecond, latest.ParameterCount > 0 ? latest.ParameterCount : (long?)null);
                // The run's peak over all its attempts: a resumed attempt that stays lower keeps the earlier peak.
                long peak = group.Max(i => i.Progress?.PeakResidentBytes) ?? 0;
                await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u
                    .SetProperty(r => r.CurrentStep, step)
                    .SetProperty(r => r.LastLoss, loss)
                    .SetProperty(r => r.TokensPerSecond, rate)
                    // Shown on the run page while it runs.
                    .SetProperty(r => r.ParameterCount, parameters)
                    .SetProperty(r => r.PeakMemoryBytes, r => peak > 0 && (r.PeakMemoryBytes == null || r.PeakMemoryBytes < peak) ? peak : r.PeakMemoryBytes));
                points[runId] = list;
            }
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        catch
        {
            // What this process believes it stored may be wrong now: read the rows again next time.
            foreach (var group in byRun)
                _runs.Remove(group.Key);
            throw;
        }
    }

    private async Task LoadStateAsync(PortalDbContext db, int runId)
    {
        var row = await db.Runs.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new { r.Status, r.Steps, r.CurrentStep, r.TokensPerSecond, r.HeldOutPerplexity, r.Error })
            .FirstOrDefaultAsync();
        if (row is null)
        {
            _runs.Remove(runId);
            return;
        }
        var storedThrough = _runs.GetValueOrDefault(runId)?.StoredThrough;
        _runs[runId] = new RunState
        {
            Status = row.Status, Steps = row.Steps, CurrentStep = row.CurrentStep, TokensPerSecond = row.TokensPerSecond,
            HeldOutPerplexity = row.HeldOutPerplexity, Error = row.Error, StoredThrough = storedThrough,
        };
    }

    /// <summary>What the pump knows of a run it is storing for; touched by the pump only.</summary>
    private sealed class RunState
    {
        public RunStatus Status { get; init; }
        public int Steps { get; init; }
        public int CurrentStep { get; set; }
        public double? TokensPerSecond { get; set; }
        public double? HeldOutPerplexity { get; init; }
        public string? Error { get; init; }
        /// <summary>Highest step this process stored for the run; unknown (null) until its first batch.</summary>
        public int? StoredThrough { get; set; }
    }

    /// <summary>The engine's latest ETA, counted down by the time since it was reported.</summary>
    private double? EtaSeconds(int runId)
    {
        if (!_latest.TryGetValue(runId, out var latest) || latest.Progress.Eta is not { } eta)
            return null;
        var since = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - latest.AtUnixMs) / 1000.0;
        return Math.Max(0, eta.TotalSeconds - since);
    }

    private sealed record Item(int RunId, TrainingProgress? Progress, long UnixMs, TaskCompletionSource? Done)
    {
        public bool IsHeartbeat => Progress is null && Done is null;
    }
}
