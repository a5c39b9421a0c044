using System.Collections.Concurrent;
using DeepSeek.Portal.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.BrowserBench;

/// <summary>
/// A stand-in for a watching Blazor circuit that costs a SignalR connection instead of a browser. On the server it
/// subscribes to <see cref="RunLiveFeed"/> exactly as the run page does, and its handler waits for the client to
/// acknowledge each update (a server-to-client invocation with a result), as the page's handler waits for the
/// browser to answer the chart's extendTraces call. What it leaves out: the server-side render diff and Plotly's redraw.
/// </summary>
public sealed class SimulatedCircuitHub(RunLiveFeed feed, SimulatedCircuitRegistry registry, IHubContext<SimulatedCircuitHub> hub) : Hub
{
    public const string Path = "/bench/circuits";

    public void Watch(int runId)
    {
        var connectionId = Context.ConnectionId;
        registry.Add(connectionId, feed.Subscribe(runId, async update =>
        {
            if (update.Points.Count > 0)
                await hub.Clients.Client(connectionId).InvokeAsync<bool>("Render", update.Points.Select(p => p.Step).ToArray(), CancellationToken.None);
        }));
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        registry.Remove(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>Subscriptions of the simulated circuits, ended when their connection closes.</summary>
public sealed class SimulatedCircuitRegistry
{
    private readonly ConcurrentDictionary<string, IDisposable> _subscriptions = new();

    public void Add(string connectionId, IDisposable subscription) => _subscriptions[connectionId] = subscription;

    public void Remove(string connectionId)
    {
        if (_subscriptions.TryRemove(connectionId, out var subscription))
            subscription.Dispose();
    }
}

/// <summary>Maps the simulated-circuit hub on a branch of its own, before the portal's pipeline (bench only, anonymous).</summary>
public sealed class SimulatedCircuitStartup : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.MapWhen(c => c.Request.Path.StartsWithSegments(SimulatedCircuitHub.Path), branch =>
        {
            branch.UseRouting();
            branch.UseEndpoints(e => e.MapHub<SimulatedCircuitHub>(SimulatedCircuitHub.Path));
        });
        next(app);
    };
}

/// <summary>The client side of one simulated circuit: notes when each step first arrives and acknowledges it.</summary>
public sealed class SimulatedCircuitClient : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly ConcurrentDictionary<int, long> _seen = new();

    private SimulatedCircuitClient(string baseUrl)
    {
        _connection = new HubConnectionBuilder().WithUrl(baseUrl + SimulatedCircuitHub.Path).Build();
        _connection.On("Render", (int[] steps) =>
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var step in steps)
                _seen.TryAdd(step, now);
            return true;
        });
    }

    /// <summary>Unix milliseconds at which each step first arrived.</summary>
    public IReadOnlyDictionary<int, long> Seen => _seen;

    public static async Task<SimulatedCircuitClient> WatchAsync(string baseUrl, int runId)
    {
        var client = new SimulatedCircuitClient(baseUrl);
        await client._connection.StartAsync();
        await client._connection.InvokeAsync(nameof(SimulatedCircuitHub.Watch), runId);
        return client;
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
