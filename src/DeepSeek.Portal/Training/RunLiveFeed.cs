using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Training;

/// <summary>
/// In-process fan-out of run updates to the Blazor circuits watching a run (the circuit itself is the SignalR
/// connection to the browser). API clients get the same updates from <see cref="RunsHub"/> through <see cref="RunHubRelay"/>.
/// </summary>
/// <remarks>
/// Publishing never waits for a watcher: each subscription has its own small mailbox and delivery task. A watcher
/// that falls behind gets its waiting updates merged; one whose handler throws or does not finish within
/// <see cref="LiveUpdateOptions.SubscriberTimeout"/> (a browser that lost its network never answers) is dropped and logged.
/// Handlers run in the culture that was current when they subscribed (the circuit's).
/// </remarks>
public sealed class RunLiveFeed(ILogger<RunLiveFeed> logger, IOptions<LiveUpdateOptions> options) : IDisposable
{
    private const int AllRuns = -1;
    private readonly ConcurrentDictionary<int, ImmutableList<UpdateMailbox>> _subscribers = new();

    /// <summary>Calls <paramref name="handler"/> with each update of the run until the subscription is disposed.</summary>
    public IDisposable Subscribe(int runId, Func<RunUpdate, Task> handler)
    {
        var name = runId == AllRuns ? "A watcher of all runs" : $"A watcher of run {runId}";
        var mailbox = new UpdateMailbox(name, (update, _) => handler(update), dropOnFailure: true, options.Value, logger, dropped: m => Remove(runId, m));
        _subscribers.AddOrUpdate(runId, _ => [mailbox], (_, list) => list.Add(mailbox));
        return new Subscription(() =>
        {
            Remove(runId, mailbox);
            mailbox.Dispose();
        });
    }

    /// <summary>Subscribes to every run (list pages).</summary>
    public IDisposable SubscribeAll(Func<RunUpdate, Task> handler) => Subscribe(AllRuns, handler);

    /// <summary>Watchers currently subscribed (to one run or to all).</summary>
    public int Count => _subscribers.Values.Sum(l => l.Count);

    /// <summary>Queues the update for every watcher of its run and of all runs; returns at once.</summary>
    internal void Publish(RunUpdate update)
    {
        foreach (var mailbox in _subscribers.GetValueOrDefault(update.RunId) ?? [])
            mailbox.Post(update);
        foreach (var mailbox in _subscribers.GetValueOrDefault(AllRuns) ?? [])
            mailbox.Post(update);
    }

    /// <summary>Stops every delivery (host shutdown); handlers still running are abandoned, not awaited.</summary>
    public void Dispose()
    {
        foreach (var list in _subscribers.Values)
            foreach (var mailbox in list)
                mailbox.Dispose();
        _subscribers.Clear();
    }

    private void Remove(int runId, UpdateMailbox mailbox) =>
        _subscribers.AddOrUpdate(runId, _ => [], (_, list) => list.Remove(mailbox));

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
