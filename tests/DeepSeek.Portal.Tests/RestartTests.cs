using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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

public sealed class DataJobRestartTests
{
    [Fact]
    public async Task An_import_a_crash_interrupted_runs_again_at_the_next_start_and_leaves_one_whole_version()
    {
        var dataDirectory = PortalFactory.NewDataDirectory();
        int jobId;
        await using (var first = new PortalFactory(dataDirectory))
        {
            var engineer = await first.ClientForRoleAsync(PortalRoles.Engineer);
            var staged = await engineer.PostAsync("/api/datasets/uploads", TestData.Upload("faq.jsonl", TestData.BilingualJsonl(50)));
            var uploadId = (await staged.Content.ReadFromJsonAsync<Datasets.Jobs.StagedUploadView>())!.Id;
            // The state a crash mid-import leaves: the job marked Running, a half-written work file, no version.
            await using var scope = first.Services.CreateAsyncScope();
            var jobs = scope.ServiceProvider.GetRequiredService<Datasets.Jobs.DataJobService>();
            var created = await jobs.CreateImportAsync(new Datasets.Jobs.ImportJobRequest(uploadId, "faq"), "engineer@test.local", schedule: false, CancellationToken.None);
            jobId = created.Job!.Id;
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            await db.DataJobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, DataJobStatus.Running));
            await File.WriteAllTextAsync(Path.Combine(dataDirectory, "temp", "version-interrupted.tmp"), "{\"text\":\"half");
        }

        await using var second = new PortalFactory(dataDirectory);
        var client = await second.ClientForRoleAsync(PortalRoles.Stakeholder);
        Datasets.Jobs.DataJobView? job = null;
        for (var i = 0; i < 600 && job is not { IsActive: false }; i++)
        {
            job = await client.GetFromJsonAsync<Datasets.Jobs.DataJobView>($"/api/datasets/jobs/{jobId}", Json);
            await Task.Delay(100);
        }
        Assert.Equal(DataJobStatus.Succeeded, job!.Status);
        var versions = await client.GetFromJsonAsync<List<Datasets.Versions.VersionSummary>>($"/api/datasets/{job.DatasetId}/versions", Json);
        Assert.Equal(50, Assert.Single(versions!).RecordCount);
        Assert.False(File.Exists(Path.Combine(dataDirectory, "temp", "version-interrupted.tmp")));
    }

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
}
