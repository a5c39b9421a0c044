using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace DeepSeek.Portal.Datasets.Jobs;

/// <summary>SignalR hub for API clients: <c>Watch(jobId)</c>, then <c>DataJobUpdated</c> messages with a <see cref="DataJobView"/>.</summary>
[Microsoft.AspNetCore.Authorization.Authorize(Policy = Accounts.PortalPolicies.Read)]
public sealed class DataJobsHub : Hub
{
    public const string Path = "/hubs/data-jobs";
    public const string UpdateMethod = "DataJobUpdated";

    public static string Group(int jobId) => $"data-job-{jobId}";

    public Task Watch(int jobId) => Groups.AddToGroupAsync(Context.ConnectionId, Group(jobId));

    public Task Unwatch(int jobId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(jobId));
}

/// <summary>
/// Pushes data-job progress to watching pages and hub clients. Progress is "latest wins": each watcher holds at most
/// one waiting update, handed over by its own task, so a watcher that is slow or gone never holds up a job.
/// </summary>
public sealed class DataJobFeed(IHubContext<DataJobsHub> hub, ILogger<DataJobFeed> logger)
{
    private ILogger Logger => logger;
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<Watcher, byte> _watchers = new();

    /// <summary>Starts watching; <paramref name="deliver"/> receives every job's updates (filter by id). Dispose to stop.</summary>
    public IDisposable Subscribe(Func<DataJobView, Task> deliver)
    {
        var watcher = new Watcher(this, deliver);
        _watchers[watcher] = 0;
        return watcher;
    }

    /// <summary>Queues an update for every watcher and the job's hub group; returns at once.</summary>
    public void Publish(DataJobView view)
    {
        foreach (var watcher in _watchers.Keys)
            watcher.Post(view);
        _ = SendToHubAsync(view);
    }

    private async Task SendToHubAsync(DataJobView view)
    {
        try
        {
            using var timeout = new CancellationTokenSource(DeliveryTimeout);
            await hub.Clients.Group(DataJobsHub.Group(view.Id)).SendAsync(DataJobsHub.UpdateMethod, view, timeout.Token);
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Data job {JobId}: a hub update was not delivered", view.Id);
        }
    }

    private sealed class Watcher(DataJobFeed feed, Func<DataJobView, Task> deliver) : IDisposable
    {
        private readonly object _gate = new();
        private readonly Dictionary<int, DataJobView> _pending = [];
        private bool _delivering;
        private bool _closed;

        public void Post(DataJobView view)
        {
            lock (_gate)
            {
                if (_closed)
                    return;
                _pending[view.Id] = view;
                if (_delivering)
                    return;
                _delivering = true;
            }
            _ = Task.Run(PumpAsync);
        }

        private async Task PumpAsync()
        {
            while (true)
            {
                DataJobView next;
                lock (_gate)
                {
                    if (_closed || _pending.Count == 0)
                    {
                        _delivering = false;
                        return;
                    }
                    var first = _pending.First();
                    _pending.Remove(first.Key);
                    next = first.Value;
                }
                try
                {
                    var delivery = deliver(next);
                    if (await Task.WhenAny(delivery, Task.Delay(DeliveryTimeout)) != delivery)
                        throw new TimeoutException("The watcher did not take an update within 10 s.");
                    await delivery;
                }
                catch (Exception e)
                {
                    feed.Logger.LogInformation(e, "A data-job watcher was dropped: it failed or did not answer");
                    Dispose();
                    return;
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _closed = true;
                _pending.Clear();
            }
            feed._watchers.TryRemove(this, out _);
        }
    }
}
