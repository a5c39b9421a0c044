using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Training;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

public sealed class LiveProgressTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task A_run_with_slow_steps_still_gets_heartbeats_with_a_falling_eta_and_they_stop_when_it_finishes()
    {
        int runId;
        await using (var scope = _portal.Services.CreateAsyncScope())
        {
            // A run row without a job: this test plays the engine.
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var dataset = new Dataset { Name = "live", SourceFileName = "live.jsonl", Format = "jsonl", Sha256 = "x", CreatedAt = DateTimeOffset.UtcNow };
            db.Datasets.Add(dataset);
            var run = TestData.StoredRun("slow", RunStatus.Running, steps: 100);
            run.Dataset = dataset;
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            runId = run.Id;
        }
        var updates = new List<(DateTime At, RunUpdate Update)>();
        using var subscription = _portal.Services.GetRequiredService<RunLiveFeed>().Subscribe(runId, u =>
        {
            lock (updates) updates.Add((DateTime.UtcNow, u));
            return Task.CompletedTask;
        });
        var publisher = _portal.Services.GetRequiredService<RunProgressPublisher>();

        // One step that "took" 60 s: the next one is a minute away.
        publisher.Report(runId, new TrainingProgress(1, 100, 7.5, 1e-4, 30, 1.0, TimeSpan.FromSeconds(60)));
        await Task.Delay(TimeSpan.FromSeconds(4));

        List<(DateTime At, RunUpdate Update)> seen;
        lock (updates) seen = [.. updates];
        Assert.Single(seen, u => u.Update.Points.Count == 1);
        Assert.True(seen.Count >= 3, $"expected heartbeats, got {seen.Count} update(s)");
        var etas = seen.Select(u => u.Update.EtaSeconds!.Value).ToList();
        Assert.True(etas[^1] < etas[0], "the ETA counts down between steps");

        await using (var scope = _portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var run = await db.Runs.FindAsync(runId);
            run!.Status = RunStatus.Cancelled;
            await db.SaveChangesAsync();
        }
        await publisher.PublishStatusAsync(runId);
        // Delivery to watchers is asynchronous: wait for the final status to arrive, then for silence.
        await LiveFeedTests.WaitUntilAsync(() => { lock (updates) return updates.Any(u => u.Update.Status == RunStatus.Cancelled); });
        int countAfterFinish;
        lock (updates) countAfterFinish = updates.Count;
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        lock (updates) Assert.Equal(countAfterFinish, updates.Count);
    }
}
