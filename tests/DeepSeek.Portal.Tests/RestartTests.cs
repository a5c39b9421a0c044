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
}
