using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Training;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// A watcher that never answers (a browser whose network is gone) against the real portal: real training, SQLite,
/// Quartz. The watchers here are never dropped (the timeout is ten minutes), so nothing below relies on dropping them.
/// </summary>
public sealed class DeadWatcherTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> _host = default!;
    private readonly StalledHubContext _stalledHub = new();
    private HttpClient _engineer = default!;

    public async Task InitializeAsync()
    {
        _host = _portal.WithWebHostBuilder(b => b.UseSetting("Portal:LiveUpdates:SubscriberTimeout", "00:10:00"));
        _engineer = await ClientAsync(_host);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _portal.DisposeAsync();
    }

    [Fact]
    public async Task A_watcher_that_never_answers_does_not_stop_storing_the_other_watchers_or_cancel()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "dead-watcher");
        var run = await LaunchAsync(dataset.Id);
        var feed = _host.Services.GetRequiredService<RunLiveFeed>();
        var hungCalls = 0;
        using var hung = feed.Subscribe(run.Id, _ =>
        {
            Interlocked.Increment(ref hungCalls);
            return new TaskCompletionSource().Task;
        });
        var received = new List<int>();
        using var healthy = feed.Subscribe(run.Id, u =>
        {
            lock (received)
                received.AddRange(u.Points.Select(p => p.Step));
            return Task.CompletedTask;
        });

        // The hung watcher took its first update and never returns; steps keep being stored after that.
        var stalled = await TestData.WaitForRunAsync(_engineer, run.Id, r => r.CurrentStep >= 1 && Volatile.Read(ref hungCalls) == 1);
        var later = await TestData.WaitForRunAsync(_engineer, run.Id, r => r.CurrentStep >= stalled.CurrentStep + 10);
        var stored = await _engineer.GetFromJsonAsync<List<RunPoint>>($"/api/runs/{run.Id}/metrics");
        Assert.True(stored!.Count >= later.CurrentStep, $"{stored.Count} points stored, run at step {later.CurrentStep}");
        await LiveFeedTests.WaitUntilAsync(() => { lock (received) return received.Contains(later.CurrentStep); });

        var cancel = await _engineer.PostAsync($"/api/runs/{run.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive, TimeSpan.FromSeconds(60));
        Assert.Equal(RunStatus.Cancelled, done.Status);
        await LiveFeedTests.WaitUntilAsync(() => { lock (received) return received.Contains(done.CurrentStep); });
        Assert.Equal(1, Volatile.Read(ref hungCalls));
    }

    [Fact]
    public async Task Shutdown_mid_run_is_prompt_while_a_watcher_never_answers()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "dead-watcher-stop");
        var run = await LaunchAsync(dataset.Id);
        var hungCalls = 0;
        using var hung = _host.Services.GetRequiredService<RunLiveFeed>().Subscribe(run.Id, _ =>
        {
            Interlocked.Increment(ref hungCalls);
            return new TaskCompletionSource().Task;
        });
        await TestData.WaitForRunAsync(_engineer, run.Id, r => r.CurrentStep >= 3 && Volatile.Read(ref hungCalls) == 1);

        var stopping = Stopwatch.StartNew();
        await _host.DisposeAsync();
        stopping.Stop();

        // Before the fix the job waited for the watcher and shutdown ran into the host's 30 s limit.
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(20), $"shutdown took {stopping.Elapsed.TotalSeconds:F1} s");
        await using var db = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>()
            .UseSqlite($"Data Source={Path.Combine(_portal.DataDirectory, "portal.db")}").Options);
        var row = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == run.Id);
        var steps = await db.RunMetrics.CountAsync(m => m.RunId == run.Id);
        Assert.True(steps >= row.CurrentStep && row.CurrentStep >= 3, $"{steps} points stored, run at step {row.CurrentStep}");
    }

    [Fact]
    public async Task A_hub_send_that_never_completes_does_not_stop_storing_or_the_circuits()
    {
        await using var portal = new PortalFactory();
        await using var host = portal.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IHubContext<RunsHub>>(_stalledHub)));
        var runId = await InsertRunningRunAsync(host);
        var received = new List<int>();
        using var healthy = host.Services.GetRequiredService<RunLiveFeed>().Subscribe(runId, u =>
        {
            lock (received)
                received.AddRange(u.Points.Select(p => p.Step));
            return Task.CompletedTask;
        });
        var publisher = host.Services.GetRequiredService<RunProgressPublisher>();

        for (var step = 1; step <= 20; step++)
        {
            publisher.Report(runId, Progress(step, 5.0 / step));
            await Task.Delay(10);
        }
        // The job waits for this before it finishes a run: it must not wait for the hub.
        await publisher.PublishStatusAsync(runId).WaitAsync(TimeSpan.FromSeconds(30));

        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        Assert.Equal(Enumerable.Range(1, 20), await db.RunMetrics.Where(m => m.RunId == runId).OrderBy(m => m.Step).Select(m => m.Step).ToListAsync());
        Assert.Equal(20, (await db.Runs.SingleAsync(r => r.Id == runId)).CurrentStep);
        await LiveFeedTests.WaitUntilAsync(() => { lock (received) return received.Contains(20); });
        Assert.Equal(1, _stalledHub.Sends); // still stuck on the first; the rest wait merged behind it
    }

    [Fact]
    public async Task Steps_repeated_by_a_resumed_run_replace_the_stored_ones()
    {
        var runId = await InsertRunningRunAsync(_host);
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            // An earlier attempt stored steps 1–5, then crashed after its checkpoint at step 2.
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            db.RunMetrics.AddRange(Enumerable.Range(1, 5).Select(s => new RunMetric { RunId = runId, Step = s, Loss = 9 }));
            await db.SaveChangesAsync();
        }
        var publisher = _host.Services.GetRequiredService<RunProgressPublisher>();

        foreach (var step in new[] { 3, 4, 5, 6 })
            publisher.Report(runId, Progress(step, step));
        await publisher.PublishStatusAsync(runId).WaitAsync(TimeSpan.FromSeconds(30));

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var stored = await db.RunMetrics.Where(m => m.RunId == runId).OrderBy(m => m.Step).Select(m => new { m.Step, m.Loss }).ToListAsync();
            Assert.Equal([(1, 9.0), (2, 9.0), (3, 3.0), (4, 4.0), (5, 5.0), (6, 6.0)], stored.Select(m => (m.Step, m.Loss)));
        }
    }

    private static TrainingProgress Progress(int step, double loss) => new(step, 100, loss, 1e-3, 1000, 1.0, TimeSpan.FromSeconds(step));

    private static async Task<HttpClient> ClientAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> host)
    {
        await using (var scope = host.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<AccountService>().CreateUserAsync("engineer@test.local", PortalFactory.Password, PortalRoles.Engineer);
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", await PortalFactory.TokenAsync(client, "engineer@test.local"));
        return client;
    }

    private async Task<RunSummary> LaunchAsync(int datasetId)
    {
        var launch = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest
        {
            DatasetId = datasetId, Steps = 2000, MicroBatchSize = 2, GradientAccumulationSteps = 1, WarmupSteps = 1, SequenceLength = 32,
        });
        Assert.Equal(HttpStatusCode.Created, launch.StatusCode);
        return (await launch.Content.ReadFromJsonAsync<RunSummary>())!;
    }

    // A run row without a job: the test plays the engine.
    private static async Task<int> InsertRunningRunAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var dataset = new Dataset { Name = $"live-{Guid.NewGuid():N}", SourceFileName = "live.jsonl", Format = "jsonl", Sha256 = Guid.NewGuid().ToString("N"), CreatedAt = DateTimeOffset.UtcNow };
        var run = TestData.StoredRun("played", RunStatus.Running, steps: 100);
        run.Dataset = dataset;
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    /// <summary>A hub whose group sends never complete, like a group with one client that stopped reading.</summary>
    private sealed class StalledHubContext : IHubContext<RunsHub>, IHubClients, IClientProxy
    {
        private int _sends;

        public int Sends => Volatile.Read(ref _sends);
        IHubClients IHubContext<RunsHub>.Clients => this;
        IGroupManager IHubContext<RunsHub>.Groups => throw new NotSupportedException();

        public Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _sends);
            return new TaskCompletionSource().Task; // ignores the token too
        }

        public IClientProxy All => this;
        public IClientProxy AllExcept(IReadOnlyList<string> excludedConnectionIds) => this;
        public ISingleClientProxy Client(string connectionId) => throw new NotSupportedException();
        IClientProxy IHubClients<IClientProxy>.Client(string connectionId) => this;
        public IClientProxy Clients(IReadOnlyList<string> connectionIds) => this;
        public IClientProxy Group(string groupName) => this;
        public IClientProxy GroupExcept(string groupName, IReadOnlyList<string> excludedConnectionIds) => this;
        public IClientProxy Groups(IReadOnlyList<string> groupNames) => this;
        public IClientProxy User(string userId) => this;
        public IClientProxy Users(IReadOnlyList<string> userIds) => this;
    }
}
