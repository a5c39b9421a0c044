using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace DeepSeek.Portal.Training;

/// <summary>
/// Live run updates for API clients. Call <c>Watch(runId)</c>; the server then sends <c>RunUpdated</c>
/// with a <see cref="RunUpdate"/> after every persisted batch of steps and on every status change.
/// </summary>
[Authorize(Policy = PortalPolicies.Read)]
public sealed class RunsHub : Hub
{
    public const string Path = "/hubs/runs";
    public const string UpdateMethod = "RunUpdated";

    public static string Group(int runId) => $"run-{runId}";

    public Task Watch(int runId) => Groups.AddToGroupAsync(Context.ConnectionId, Group(runId));

    public Task Unwatch(int runId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(runId));
}
