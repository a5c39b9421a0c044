using System.Collections.Concurrent;
using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace DeepSeek.Portal.Evaluations;

/// <summary>
/// Live evaluation updates for API clients: call <c>Watch(evaluationId)</c>; the server then sends
/// <c>EvaluationUpdated</c> with an <see cref="EvaluationUpdate"/> after every stored batch of items and on every status change.
/// </summary>
[Authorize(Policy = PortalPolicies.Read)]
public sealed class EvaluationsHub : Hub
{
    public const string Path = "/hubs/evaluations";
    public const string UpdateMethod = "EvaluationUpdated";

    public static string Group(int evaluationId) => $"evaluation-{evaluationId}";

    public Task Watch(int evaluationId) => Groups.AddToGroupAsync(Context.ConnectionId, Group(evaluationId));

    public Task Unwatch(int evaluationId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(evaluationId));
}

/// <summary>
/// Fans evaluation updates out to the Blazor circuits watching them and to the hub group of the evaluation. Publishing
/// never waits: each delivery runs on its own, a watcher that throws or takes longer than five seconds is dropped, and
/// only the latest update of an evaluation is delivered when several pile up (progress is a level, not a log).
/// </summary>
public sealed class EvaluationLiveFeed(IHubContext<EvaluationsHub> hub, ILogger<EvaluationLiveFeed> logger)
{
    private const int AllEvaluations = -1;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<long, (int EvaluationId, Func<EvaluationUpdate, Task> Handler)> _watchers = new();
    private long _next;

    /// <summary>Calls <paramref name="handler"/> with each update of the evaluation until disposed.</summary>
    public IDisposable Subscribe(int evaluationId, Func<EvaluationUpdate, Task> handler)
    {
        var id = Interlocked.Increment(ref _next);
        _watchers[id] = (evaluationId, handler);
        return new Subscription(() => _watchers.TryRemove(id, out _));
    }

    /// <summary>Subscribes to every evaluation (the list page).</summary>
    public IDisposable SubscribeAll(Func<EvaluationUpdate, Task> handler) => Subscribe(AllEvaluations, handler);

    public void Publish(EvaluationUpdate update)
    {
        foreach (var (id, watcher) in _watchers)
        {
            if (watcher.EvaluationId != update.EvaluationId && watcher.EvaluationId != AllEvaluations)
                continue;
            _ = DeliverAsync(id, watcher.Handler, update);
        }
        _ = SendToHubAsync(update);
    }

    private async Task DeliverAsync(long id, Func<EvaluationUpdate, Task> handler, EvaluationUpdate update)
    {
        try
        {
            await handler(update).WaitAsync(Timeout);
        }
        catch (Exception e)
        {
            _watchers.TryRemove(id, out _);
            logger.LogWarning(e, "A watcher of evaluation {EvaluationId} was dropped", update.EvaluationId);
        }
    }

    private async Task SendToHubAsync(EvaluationUpdate update)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await hub.Clients.Group(EvaluationsHub.Group(update.EvaluationId)).SendAsync(EvaluationsHub.UpdateMethod, update, timeout.Token);
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Hub update of evaluation {EvaluationId} not sent", update.EvaluationId);
        }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                dispose();
        }
    }
}

/// <summary>The evaluations running on this node, so a cancel reaches the job at once.</summary>
public sealed class EvaluationSupervisor
{
    private readonly ConcurrentDictionary<int, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<int, byte> _cancelled = new();

    public bool IsRunning(int id) => _running.ContainsKey(id);

    public bool WasCancelledByUser(int id) => _cancelled.ContainsKey(id);

    /// <summary>A token cancelled by <see cref="Cancel"/> or by <paramref name="stopping"/>; disposing the lease forgets the evaluation.</summary>
    public Lease Register(int id, CancellationToken stopping)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _running[id] = source;
        _cancelled.TryRemove(id, out _);
        return new Lease(this, id, source);
    }

    public void Cancel(int id)
    {
        if (_running.TryGetValue(id, out var source))
        {
            _cancelled[id] = 0;
            source.Cancel();
        }
    }

    public sealed class Lease(EvaluationSupervisor owner, int id, CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public void Dispose()
        {
            owner._running.TryRemove(id, out _);
            source.Dispose();
        }
    }
}
