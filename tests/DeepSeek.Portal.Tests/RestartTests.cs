using DeepSeek.Portal.Data;
using System.Net.Http.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Training;

namespace DeepSeek.Portal.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task A_run_interrupted_by_a_restart_resumes_from_its_checkpoint_and_its_curve_stays_complete()
    {
        var dataDirectory = PortalFactory.NewDataDirectory();
        int runId;
        const int steps = 60;
        await using (var first = new PortalFactory(dataDirectory))
        {
            var engineer = await first.ClientForRoleAsync(PortalRoles.Engineer);
            var dataset = await TestData.UploadDatasetAsync(engineer, "restart");
            var launch = await engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest
            {
                DatasetId = dataset.Id, Steps = steps, MicroBatchSize = 2, GradientAccumulationSteps = 1, WarmupSteps = 2, SequenceLength = 32,
                // Not the defaults: a resume that took today's defaults instead would fail the engine's fingerprint check.
                WeightDecay = 0.05, MaxGradNorm = 0.5, CheckpointEvery = 10, TokenizerVocabSize = 400,
            });
            runId = (await launch.Content.ReadFromJsonAsync<RunSummary>())!.Id;
            await TestData.WaitForRunAsync(engineer, runId, r => r.CurrentStep >= 3);
        } // graceful stop while training

        var second = new PortalFactory(dataDirectory);
        try
        {
            var client = await second.ClientForRoleAsync(PortalRoles.Stakeholder);
            var done = await TestData.WaitForRunAsync(client, runId, r => !r.IsActive);
            Assert.Equal(RunStatus.Succeeded, done.Status);
            Assert.Equal(2, done.Attempts);
            Assert.Equal((0.05, 0.5, 10, 400), (done.Settings.WeightDecay, done.Settings.MaxGradNorm, done.Settings.CheckpointEvery, done.Settings.TokenizerVocabSize));
            var points = await client.GetFromJsonAsync<List<RunPoint>>($"/api/runs/{runId}/metrics");
            Assert.Equal(Enumerable.Range(1, steps), points!.Select(p => p.Step));
        }
        finally
        {
            await second.DisposeAsync();
            PortalFactory.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task A_mixture_run_interrupted_by_a_restart_resumes_with_the_same_mixture_and_its_source_history_stays_complete()
    {
        var dataDirectory = PortalFactory.NewDataDirectory();
        int runId;
        const int steps = 40;
        await using (var first = new PortalFactory(dataDirectory))
        {
            var engineer = await first.ClientForRoleAsync(PortalRoles.Engineer);
            var a = await TestData.UploadDatasetAsync(engineer, "restart-mix-a");
            var b = await TestData.UploadDatasetAsync(engineer, "restart-mix-b", records: 80);
            var request = RunMixtureApiTests.TinyMixtureRun("dynamic",
                ((await RunMixtureApiTests.NewestVersionAsync(engineer, a.Id)).Id, 1.2), ((await RunMixtureApiTests.NewestVersionAsync(engineer, b.Id)).Id, 0.8));
            var launch = await engineer.PostAsJsonAsync("/api/runs", request with
            {
                Steps = steps, GradientAccumulationSteps = 1, CheckpointEvery = 10,
                Mixture = request.Mixture! with { FeederLearningRate = 0.05 },
            });
            runId = (await launch.Content.ReadFromJsonAsync<RunSummary>())!.Id;
            await TestData.WaitForRunAsync(engineer, runId, r => r.CurrentStep >= 3);
        } // graceful stop while training

        var second = new PortalFactory(dataDirectory);
        try
        {
            var client = await second.ClientForRoleAsync(PortalRoles.Stakeholder);
            // The engine refuses to resume a checkpoint whose mixture (sources, weights, policy, feeder rate) differs.
            var done = await TestData.WaitForRunAsync(client, runId, r => !r.IsActive);
            Assert.True(done.Status == RunStatus.Succeeded, done.Error);
            Assert.Equal(2, done.Attempts);
            Assert.Equal(0.05, done.Mixture!.FeederLearningRate);
            var history = await client.GetFromJsonAsync<List<RunSourceStep>>($"/api/runs/{runId}/sources");
            Assert.Equal(Enumerable.Range(1, steps), history!.Select(s => s.Step));
            Assert.All(history!, s => Assert.Equal(1.0, s.Sources.Sum(x => x.Probability), 1e-9));
        }
        finally
        {
            await second.DisposeAsync();
            PortalFactory.DeleteDataDirectory(dataDirectory);
        }
    }
}
