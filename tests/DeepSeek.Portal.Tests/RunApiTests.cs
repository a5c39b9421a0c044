using DeepSeek.Portal.Data;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Training;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace DeepSeek.Portal.Tests;

public sealed class RunApiTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;

    public async Task InitializeAsync() => _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Theory]
    [InlineData("microBatchSize", 0, null, null)]
    [InlineData("learningRate", 8, -0.01, null)]
    [InlineData("precision", 8, null, "fp8")]
    [InlineData("learningRateDecay", 8, null, null, "step")]
    public async Task Impossible_settings_are_rejected_before_anything_is_queued(string field, int microBatch, double? lr, string? precision, string? decay = null)
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, $"validation-{field}", records: 5);
        var response = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest
        {
            DatasetId = dataset.Id, MicroBatchSize = microBatch, LearningRate = lr, Precision = precision, LearningRateDecay = decay,
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out var messages), problem.RootElement.ToString());
        Assert.True(messages.GetArrayLength() > 0);
        Assert.Empty((await _engineer.GetFromJsonAsync<List<RunSummary>>("/api/runs"))!);
        var scheduler = await _portal.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.Empty((await scheduler.QueryJobs(new JobQuery())).Items);
    }

    [Fact]
    public async Task Defaults_expose_an_effective_batch_of_32_from_8_by_4()
    {
        var defaults = await _engineer.GetFromJsonAsync<RunLaunchRequest>("/api/runs/defaults");
        Assert.Equal(8, defaults!.MicroBatchSize);
        Assert.Equal(4, defaults.GradientAccumulationSteps);
    }

    [Fact]
    public async Task A_run_trains_streams_over_signalr_stores_every_step_and_reports_held_out_perplexity()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "e2e");
        var token = await PortalFactory.TokenAsync(_portal.CreateClient(), "engineer@test.local");
        var received = new List<RunUpdate>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(_portal.Server.BaseAddress, RunsHub.Path), o =>
            {
                o.HttpMessageHandlerFactory = _ => _portal.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        hub.On<RunUpdate>(RunsHub.UpdateMethod, u => { lock (received) received.Add(u); });
        await hub.StartAsync();

        var launch = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest { DatasetId = dataset.Id, Steps = 100, MicroBatchSize = 2, GradientAccumulationSteps = 2, WarmupSteps = 1, SequenceLength = 32 });
        Assert.Equal(HttpStatusCode.Created, launch.StatusCode);
        var run = (await launch.Content.ReadFromJsonAsync<RunSummary>())!;
        await hub.InvokeAsync("Watch", run.Id);

        var done = await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive);
        Assert.Equal(RunStatus.Succeeded, done.Status);
        Assert.Equal(100, done.CurrentStep);
        Assert.NotNull(done.HeldOutPerplexity);
        Assert.True(double.IsFinite(done.HeldOutPerplexity!.Value) && done.HeldOutPerplexity > 1);
        Assert.Equal(Math.Exp(done.HeldOutLoss!.Value), done.HeldOutPerplexity.Value, 1e-6);

        var points = await _engineer.GetFromJsonAsync<List<RunPoint>>($"/api/runs/{run.Id}/metrics");
        Assert.Equal(Enumerable.Range(1, 100), points!.Select(p => p.Step));
        Assert.All(points!, p => Assert.True(p.Loss > 0 && p.TokensPerSecond > 0));

        // The hub saw the final status (it may have joined after the first steps were pushed).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !received.Any(u => u.Status == RunStatus.Succeeded))
            await Task.Delay(100);
        lock (received)
        {
            Assert.Contains(received, u => u.Status == RunStatus.Succeeded && u.HeldOutPerplexity is not null);
            Assert.Contains(received, u => u.Status == RunStatus.Running && u.Points.Count > 0);
            Assert.All(received, u => Assert.Equal(run.Id, u.RunId));
        }
    }

    [Fact]
    public async Task Cancelling_a_running_run_stops_it_and_keeps_its_curve()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "cancel");
        var launch = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest { DatasetId = dataset.Id, Steps = 2000, MicroBatchSize = 2, GradientAccumulationSteps = 1, SequenceLength = 32 });
        var run = (await launch.Content.ReadFromJsonAsync<RunSummary>())!;
        await TestData.WaitForRunAsync(_engineer, run.Id, r => r.CurrentStep >= 2);

        var cancel = await _engineer.PostAsync($"/api/runs/{run.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);

        var done = await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive, TimeSpan.FromSeconds(60));
        Assert.Equal(RunStatus.Cancelled, done.Status);
        Assert.True(done.CurrentStep < 2000);
        var points = await _engineer.GetFromJsonAsync<List<RunPoint>>($"/api/runs/{run.Id}/metrics");
        Assert.Equal(done.CurrentStep, points!.Count);
    }

    [Fact]
    public async Task Hub_accepts_the_token_as_access_token_query_like_browser_clients_send_it_and_refuses_without()
    {
        var token = await PortalFactory.TokenAsync(_portal.CreateClient(), "engineer@test.local");
        var client = _portal.CreateClient();
        var withToken = await client.PostAsync($"{RunsHub.Path}/negotiate?negotiateVersion=1&access_token={Uri.EscapeDataString(token)}", null);
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        var without = await client.PostAsync($"{RunsHub.Path}/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
    }

    [Fact]
    public async Task Runs_take_turns_on_the_engine_and_a_queued_run_can_be_cancelled_before_it_starts()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "turns");
        async Task<RunSummary> LaunchAsync(int steps) => (await (await _engineer.PostAsJsonAsync("/api/runs",
            new RunLaunchRequest { DatasetId = dataset.Id, Steps = steps, MicroBatchSize = 2, GradientAccumulationSteps = 1, WarmupSteps = 1, SequenceLength = 32 }))
            .Content.ReadFromJsonAsync<RunSummary>())!;

        var first = await LaunchAsync(400);
        await TestData.WaitForRunAsync(_engineer, first.Id, r => r.CurrentStep >= 1);
        var second = await LaunchAsync(3);
        var third = await LaunchAsync(3);
        await Task.Delay(500);
        Assert.Equal(RunStatus.Queued, (await _engineer.GetFromJsonAsync<RunSummary>($"/api/runs/{second.Id}"))!.Status);

        var cancelled = await (await _engineer.PostAsync($"/api/runs/{third.Id}/cancel", null)).Content.ReadFromJsonAsync<RunSummary>();
        Assert.Equal(RunStatus.Cancelled, cancelled!.Status);
        await _engineer.PostAsync($"/api/runs/{first.Id}/cancel", null);

        var secondDone = await TestData.WaitForRunAsync(_engineer, second.Id, r => !r.IsActive);
        Assert.Equal(RunStatus.Succeeded, secondDone.Status);
        Assert.True(secondDone.StartedAt >= (await _engineer.GetFromJsonAsync<RunSummary>($"/api/runs/{first.Id}"))!.FinishedAt);
        var thirdAfter = await _engineer.GetFromJsonAsync<RunSummary>($"/api/runs/{third.Id}");
        Assert.Equal(RunStatus.Cancelled, thirdAfter!.Status);
        Assert.Equal(0, thirdAfter.Attempts);
    }

    [Fact]
    public async Task A_new_run_is_not_confused_by_a_stale_folder_left_from_a_reset_database()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "stale");
        var stale = Path.Combine(_portal.DataDirectory, "runs", "1");
        Directory.CreateDirectory(Path.Combine(stale, "checkpoint-000050"));
        await File.WriteAllTextAsync(Path.Combine(stale, "checkpoint-000050", "trainer_state.json"), "{\"step\": 50, \"fingerprint\": \"another run\"}");
        var launch = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest { DatasetId = dataset.Id, Steps = 3, MicroBatchSize = 2, GradientAccumulationSteps = 1, WarmupSteps = 0, SequenceLength = 32 });
        var run = (await launch.Content.ReadFromJsonAsync<RunSummary>())!;
        Assert.Equal(1, run.Id);
        var done = await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive);
        Assert.Equal(RunStatus.Succeeded, done.Status);
        Assert.Equal(3, done.CurrentStep);
    }

    [Fact]
    public async Task Cancelling_a_finished_run_changes_nothing()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "finished");
        var launch = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest { DatasetId = dataset.Id, Steps = 2, MicroBatchSize = 2, GradientAccumulationSteps = 1, WarmupSteps = 0, SequenceLength = 32 });
        var run = (await launch.Content.ReadFromJsonAsync<RunSummary>())!;
        await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive);
        var cancel = await _engineer.PostAsync($"/api/runs/{run.Id}/cancel", null);
        var after = await cancel.Content.ReadFromJsonAsync<RunSummary>();
        Assert.Equal(RunStatus.Succeeded, after!.Status);
    }
}
