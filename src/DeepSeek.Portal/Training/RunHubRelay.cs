using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Training;

/// <summary>
/// Sends run updates to the API clients watching a run on <see cref="RunsHub"/> (group "run-{id}") without the store
/// pump ever waiting for them: each run's group has its own mailbox and sending task.
/// </summary>
/// <remarks>
/// A group send waits for every member's connection to take the message, so one client that stopped reading holds up
/// the send until SignalR's client timeout closes its connection. Meanwhile that run's updates wait merged; the send
/// is abandoned after <see cref="LiveUpdateOptions.SubscriberTimeout"/> and the group keeps receiving later updates
/// (the group outlives any one client, so it is never dropped). The group, not a per-node list of connections, keeps
/// working when a SignalR backplane spreads clients over several nodes.
/// </remarks>
public sealed class RunHubRelay(IHubContext<RunsHub> hub, IOptions<LiveUpdateOptions> options, ILogger<RunHubRelay> logger) : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<int, UpdateMailbox> _runs = [];

    /// <summary>Queues the update for the run's hub group and returns at once.</summary>
    internal void Publish(RunUpdate update)
    {
        lock (_gate)
        {
            if (!_runs.TryGetValue(update.RunId, out var mailbox))
            {
                var group = RunsHub.Group(update.RunId);
                mailbox = new UpdateMailbox(
                    $"Hub group {group}", (u, ct) => hub.Clients.Group(group).SendAsync(RunsHub.UpdateMethod, u, ct),
                    dropOnFailure: false, options.Value, logger);
                _runs.Add(update.RunId, mailbox);
            }
            mailbox.Post(update);
            // A finished run sends nothing more: deliver its last update, then let the sending task end.
            if (!update.Status.IsActive())
            {
                _runs.Remove(update.RunId);
                mailbox.CompleteAfterDrain();
            }
        }
    }

    /// <summary>Stops every send (host shutdown); sends in progress are abandoned, not awaited.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var mailbox in _runs.Values)
                mailbox.Dispose();
            _runs.Clear();
        }
    }
}
