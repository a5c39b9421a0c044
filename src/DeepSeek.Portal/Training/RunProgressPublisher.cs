using System.Collections.Concurrent;
using System.Threading.Channels;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Training;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Training;

/// <summary>
/// Takes the engine's per-step progress off the training thread, stores it in SQLite in small batches and then
/// pushes it to the browser and the hub. Storing first means a reload always shows every point that was pushed.
/// </summary>
public sealed class RunProgressPublisher(
    IServiceScopeFactory scopes,
    RunLiveFeed feed,
    IHubContext<RunsHub> hub,
    ILogger<RunProgressPublisher> logger) : BackgroundService
{
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(40);
    private readonly Channel<Item> _channel = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    /// <summary>Longest silence for a training run: slower steps get heartbeats (status, ETA counting down).</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<int, (TrainingProgress Progress, long AtUnixMs)> _latest = new();
    private readonly ConcurrentDictionary<int, long> _lastPushUnixMs = new();

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
        await PumpAsync(stoppingToken);
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

    private async Task PumpAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Item>();
        while (await _channel.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            var deadline = DateTimeOffset.UtcNow + BatchWindow;
            while (batch.Count < 500)
            {
                if (_channel.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                    if (item.Done is not null)
                        break;
                    continue;
                }
                var wait = deadline - DateTimeOffset.UtcNow;
                if (wait <= TimeSpan.Zero || stoppingToken.IsCancellationRequested)
                    break;
                using var timeout = new CancellationTokenSource(wait);
                try
                {
                    await _channel.Reader.WaitToReadAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            try
            {
                await FlushAsync(batch);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Storing or pushing run progress failed");
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
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var byRun = batch.GroupBy(i => i.RunId).ToList();
        var points = new Dictionary<int, List<RunPoint>>();
        foreach (var group in byRun)
        {
            var steps = group.Where(i => i.Progress is not null).ToList();
            if (steps.Count == 0)
                continue;
            var runId = group.Key;
            var firstStep = steps.Min(s => s.Progress!.Step);
            var stored = await db.RunMetrics.Where(m => m.RunId == runId && m.Step >= firstStep).Select(m => m.Step).ToListAsync();
            var existing = stored.ToHashSet();
            var list = new List<RunPoint>();
            foreach (var s in steps)
            {
                var p = s.Progress!;
                var point = new RunPoint(p.Step, p.Loss, p.LearningRate, p.TokensPerSecond, p.GradNorm, p.Elapsed.TotalSeconds, s.UnixMs);
                list.Add(point);
                // A resumed run repeats the steps after its last checkpoint: keep the newest values.
                if (existing.Contains(p.Step))
                {
                    var step = p.Step;
                    await db.RunMetrics.Where(m => m.RunId == runId && m.Step == step).ExecuteDeleteAsync();
                }
                db.RunMetrics.Add(new RunMetric
                {
                    RunId = group.Key, Step = p.Step, Loss = p.Loss, LearningRate = p.LearningRate, TokensPerSecond = p.TokensPerSecond,
                    GradNorm = p.GradNorm, ElapsedSeconds = p.Elapsed.TotalSeconds, RecordedAtUnixMs = s.UnixMs,
                });
                existing.Add(p.Step);
            }
            var last = steps[^1].Progress!;
            var (lastStep, lastLoss, lastRate, parameters) = (last.Step, last.Loss, last.TokensPerSecond, last.ParameterCount > 0 ? last.ParameterCount : (long?)null);
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u
                .SetProperty(r => r.CurrentStep, lastStep)
                .SetProperty(r => r.LastLoss, lastLoss)
                .SetProperty(r => r.TokensPerSecond, lastRate)
                .SetProperty(r => r.ParameterCount, parameters)); // shown on the run page while it runs
            points[group.Key] = list;
        }
        await db.SaveChangesAsync();

        foreach (var group in byRun)
        {
            // A heartbeat queued just before the run finished has nothing left to say.
            if (group.All(i => i.IsHeartbeat) && !_latest.ContainsKey(group.Key))
                continue;
            var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == group.Key);
            if (run is null)
                continue;
            var eta = EtaSeconds(run.Id);
            _lastPushUnixMs[run.Id] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (run.Status != RunStatus.Running)
            {
                _latest.TryRemove(run.Id, out _);
                _lastPushUnixMs.TryRemove(run.Id, out _);
            }
            var update = new RunUpdate(
                run.Id, run.Status.ToString(), run.CurrentStep, run.Steps,
                run.Steps == 0 ? 0 : 100.0 * run.CurrentStep / run.Steps,
                run.IsActive ? eta : null,
                run.TokensPerSecond,
                points.GetValueOrDefault(run.Id) ?? [],
                run.HeldOutPerplexity, run.Error);
            await feed.PublishAsync(update);
            await hub.Clients.Group(RunsHub.Group(run.Id)).SendAsync(RunsHub.UpdateMethod, update);
        }
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
