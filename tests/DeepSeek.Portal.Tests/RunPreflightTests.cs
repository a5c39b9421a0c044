using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Training;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>A launch is checked as a whole: the machine's capacity, a dataset big enough to split, a dataset whose file exists.</summary>
public sealed class RunPreflightTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;

    public async Task InitializeAsync() => _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private static async Task<JsonElement> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("errors").Clone();
    }

    private async Task<int> RunCountAsync()
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Runs.CountAsync();
    }

    [Fact]
    public async Task Settings_valid_field_by_field_but_too_big_for_the_machine_are_refused_with_estimate_and_limit()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "capacity", records: 10);

        var response = await _engineer.PostAsJsonAsync("/api/runs", new { datasetId = dataset.Id, microBatchSize = 4096, gradientAccumulationSteps = 1024, sequenceLength = 4096 });

        var errors = await ErrorsAsync(response);
        var memory = errors.GetProperty("microBatchSize")[0].GetString()!;
        Assert.StartsWith("Estimated training memory is ", memory, StringComparison.Ordinal);
        Assert.Contains("for micro-batch 4096 × 4096 tokens); this machine can hold ", memory, StringComparison.Ordinal);
        Assert.Contains("the limit is 4,194,304", errors.GetProperty("gradientAccumulationSteps")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await RunCountAsync());
    }

    [Fact]
    public async Task The_memory_and_token_limits_are_configurable()
    {
        await using var small = _portal.WithWebHostBuilder(b => b
            .UseSetting("Portal:RunLimits:MaxMemoryBytes", (2L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .UseSetting("Portal:RunLimits:MaxTokensPerStep", "1000"));
        var client = small.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new("Bearer", await PortalFactory.TokenAsync(client, PortalFactory.AdminEmail));
        var dataset = await TestData.UploadDatasetAsync(client, "limits", records: 10);

        var errors = await ErrorsAsync(await client.PostAsJsonAsync("/api/runs", new { datasetId = dataset.Id }));

        Assert.EndsWith("this machine can hold 2 MB. Lower the micro-batch size or the sequence length.", errors.GetProperty("microBatchSize")[0].GetString(), StringComparison.Ordinal);
        Assert.StartsWith("One optimizer step would process 2,048 tokens (8 × 4 × 64); the limit is 1,000.", errors.GetProperty("gradientAccumulationSteps")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dataset_too_small_for_a_held_out_split_is_refused_for_training()
    {
        var upload = await _engineer.PostAsync("/api/datasets", TestData.Upload("one.jsonl", "{\"text\": \"只有一条记录\"}\n", "one"));
        var dataset = (await upload.Content.ReadFromJsonAsync<DatasetSummary>())!;

        var errors = await ErrorsAsync(await _engineer.PostAsJsonAsync("/api/runs", new { datasetId = dataset.Id, steps = 2 }));

        Assert.Equal("The dataset has 1 distinct record; training needs at least 2: one held out to measure perplexity and one to train on.",
            errors.GetProperty("datasetId")[0].GetString());
        Assert.Equal(0, await RunCountAsync());
    }

    [Fact]
    public async Task A_run_on_records_that_are_all_the_same_fails_with_a_readable_reason()
    {
        var line = "{\"text\": \"same\"}\n";
        var upload = await _engineer.PostAsync("/api/datasets", TestData.Upload("same.jsonl", line + line + line, "same"));
        var dataset = (await upload.Content.ReadFromJsonAsync<DatasetSummary>())!;

        var launched = await _engineer.PostAsJsonAsync("/api/runs", new { datasetId = dataset.Id, steps = 2 });
        Assert.Equal(HttpStatusCode.Created, launched.StatusCode);
        var run = (await launched.Content.ReadFromJsonAsync<RunSummary>())!;

        var failed = await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive);
        Assert.Equal((RunStatus.Failed, "The dataset has 1 distinct record; training needs at least 2: one held out to measure perplexity and one to train on."), (failed.Status, failed.Error));
    }

    [Fact]
    public async Task A_dataset_whose_file_is_missing_gives_a_clear_error_everywhere()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "lost", records: 10);
        File.Delete(Path.Combine(_portal.DataDirectory, "datasets", dataset.Sha256 + ".jsonl"));
        var expected = $"The file of dataset \"lost\" ({dataset.Sha256}.jsonl in the data directory's datasets folder) is missing; upload the data again or delete the dataset.";

        var preview = await _engineer.GetAsync($"/api/datasets/{dataset.Id}/preview");
        Assert.Equal(HttpStatusCode.Gone, preview.StatusCode);
        var body = await preview.Content.ReadAsStringAsync();
        using (var problem = JsonDocument.Parse(body))
            Assert.Equal(expected, problem.RootElement.GetProperty("detail").GetString());
        Assert.DoesNotContain(_portal.DataDirectory, body, StringComparison.Ordinal);

        var errors = await ErrorsAsync(await _engineer.PostAsJsonAsync("/api/runs", new { datasetId = dataset.Id, steps = 2 }));
        Assert.Equal(expected, errors.GetProperty("datasetId")[0].GetString());
    }

    [Fact]
    public async Task A_queued_run_whose_dataset_file_went_missing_fails_with_a_readable_reason()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "vanishing", records: 10);
        File.Delete(Path.Combine(_portal.DataDirectory, "datasets", dataset.Sha256 + ".jsonl"));
        int runId;
        await using (var scope = _portal.Services.CreateAsyncScope())
        {
            // Queued before the file went: the row and job exist as a launch would have made them.
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var run = TestData.StoredRun("vanishing run", RunStatus.Queued);
            run.DatasetId = dataset.Id;
            run.Apply(RunService.Defaults with { Steps = 2, WarmupSteps = 0 });
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            runId = run.Id;
            await scope.ServiceProvider.GetRequiredService<RunService>().ScheduleAsync(runId, CancellationToken.None);
        }

        var failed = await TestData.WaitForRunAsync(_engineer, runId, r => !r.IsActive);

        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.StartsWith("The file of dataset \"vanishing\" (", failed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(_portal.DataDirectory, failed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", failed.Error, StringComparison.Ordinal);
    }
}
