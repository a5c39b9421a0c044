using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace DeepSeek.Portal.Training;

/// <summary>
/// In-process fan-out of run updates to the Blazor circuits watching a run (the circuit itself is the SignalR
/// connection to the browser). API clients get the same updates from <see cref="RunsHub"/>.
/// </summary>
public sealed class RunLiveFeed(ILogger<RunLiveFeed> logger)
{
    private readonly ConcurrentDictionary<int, ImmutableList<Func<RunUpdate, Task>>> _subscribers = new();

    public IDisposable Subscribe(int runId, Func<RunUpdate, Task> handler)
    {
        _subscribers.AddOrUpdate(runId, _ => [handler], (_, list) => list.Add(handler));
        return new Subscription(() => _subscribers.AddOrUpdate(runId, _ => [], (_, list) => list.Remove(handler)));
    }

    /// <summary>Subscribes to every run (list pages).</summary>
    public IDisposable SubscribeAll(Func<RunUpdate, Task> handler) => Subscribe(AllRuns, handler);

    internal async Task PublishAsync(RunUpdate update)
    {
        var handlers = (_subscribers.GetValueOrDefault(update.RunId) ?? []).AddRange(_subscribers.GetValueOrDefault(AllRuns) ?? []);
        foreach (var handler in handlers)
        {
            try
            {
                await handler(update);
            }
            catch (Exception e)
            {
                // A closed circuit must not stop the others from getting the update.
                logger.LogDebug(e, "A run {RunId} subscriber failed", update.RunId);
            }
        }
    }

    private const int AllRuns = -1;

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
