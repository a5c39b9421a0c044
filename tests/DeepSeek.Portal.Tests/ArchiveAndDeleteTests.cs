using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Training;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>DELETE /api/datasets/{id} deletes or archives; DELETE /api/runs/{id} deletes a finished run and everything it wrote.</summary>
public sealed class ArchiveAndDeleteTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;

    public async Task InitializeAsync() => _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private string DatasetFile(DatasetSummary d) => Path.Combine(_portal.DataDirectory, "datasets", d.Sha256 + ".jsonl");

    private async Task<RunSummary> FinishedRunAsync(int datasetId)
    {
        var launched = await _engineer.PostAsJsonAsync("/api/runs", new { datasetId, steps = 2, warmupSteps = 0 });
        Assert.Equal(HttpStatusCode.Created, launched.StatusCode);
        var run = (await launched.Content.ReadFromJsonAsync<RunSummary>())!;
        return await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive);
    }

    [Fact]
    public async Task Deleting_an_unused_dataset_removes_its_row_and_file()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "unused", records: 5);

        var response = await _engineer.DeleteAsync($"/api/datasets/{dataset.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new DatasetRemovalResult(dataset.Id, DatasetRemoval.Deleted), await response.Content.ReadFromJsonAsync<DatasetRemovalResult>(JsonOptions));
        Assert.Equal(HttpStatusCode.NotFound, (await _engineer.GetAsync($"/api/datasets/{dataset.Id}")).StatusCode);
        Assert.False(File.Exists(DatasetFile(dataset)));
        Assert.Equal(HttpStatusCode.NotFound, (await _engineer.DeleteAsync($"/api/datasets/{dataset.Id}")).StatusCode);
    }

    [Fact]
    public async Task A_dataset_a_run_used_is_archived_hidden_from_lists_and_launches_and_kept_for_the_run()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "used", records: 20);
        var run = await FinishedRunAsync(dataset.Id);

        var response = await _engineer.DeleteAsync($"/api/datasets/{dataset.Id}");

        Assert.Equal(DatasetRemoval.Archived, (await response.Content.ReadFromJsonAsync<DatasetRemovalResult>(JsonOptions))!.Result);
        Assert.DoesNotContain(await _engineer.GetFromJsonAsync<List<DatasetSummary>>("/api/datasets") ?? [], d => d.Id == dataset.Id);
        var archived = Assert.Single(await _engineer.GetFromJsonAsync<List<DatasetSummary>>("/api/datasets?includeArchived=true") ?? [], d => d.Id == dataset.Id);
        Assert.NotNull(archived.ArchivedAt);
        Assert.True(File.Exists(DatasetFile(dataset)));
        Assert.Equal("used", (await _engineer.GetFromJsonAsync<RunSummary>($"/api/runs/{run.Id}"))!.DatasetName);
        await using (var scope = _portal.Services.CreateAsyncScope())
            Assert.DoesNotContain(await scope.ServiceProvider.GetRequiredService<DatasetService>().ListAsync(CancellationToken.None), d => d.Id == dataset.Id);

        var relaunch = await _engineer.PostAsJsonAsync("/api/runs", new { datasetId = dataset.Id, steps = 2 });
        Assert.Equal(HttpStatusCode.BadRequest, relaunch.StatusCode);
        Assert.Contains("is archived", await relaunch.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Once its runs are gone, deleting it again deletes it for good.
        Assert.Equal(HttpStatusCode.NoContent, (await _engineer.DeleteAsync($"/api/runs/{run.Id}")).StatusCode);
        Assert.Equal(DatasetRemoval.Deleted, (await (await _engineer.DeleteAsync($"/api/datasets/{dataset.Id}")).Content.ReadFromJsonAsync<DatasetRemovalResult>(JsonOptions))!.Result);
        Assert.False(File.Exists(DatasetFile(dataset)));
    }

    [Fact]
    public async Task Deleting_a_finished_run_removes_its_metrics_row_and_folder()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "for-run", records: 20);
        var run = await FinishedRunAsync(dataset.Id);
        var folder = Path.Combine(_portal.DataDirectory, "runs", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(Directory.Exists(folder));
        Assert.NotEmpty(await _engineer.GetFromJsonAsync<List<RunPoint>>($"/api/runs/{run.Id}/metrics") ?? []);

        Assert.Equal(HttpStatusCode.NoContent, (await _engineer.DeleteAsync($"/api/runs/{run.Id}")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await _engineer.GetAsync($"/api/runs/{run.Id}")).StatusCode);
        Assert.False(Directory.Exists(folder));
        await using var scope = _portal.Services.CreateAsyncScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<PortalDbContext>().RunMetrics.AnyAsync(m => m.RunId == run.Id));
    }

    [Fact]
    public async Task A_queued_run_cannot_be_deleted()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "queued", records: 5);
        int runId;
        await using (var scope = _portal.Services.CreateAsyncScope())
        {
            // A queued row without a job: it stays queued for as long as the test needs.
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var run = TestData.StoredRun("waiting", RunStatus.Queued);
            run.DatasetId = dataset.Id;
            run.Apply(RunService.Defaults);
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            runId = run.Id;
        }

        var response = await _engineer.DeleteAsync($"/api/runs/{runId}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("still queued or running", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _engineer.GetAsync($"/api/runs/{runId}")).StatusCode);
        Assert.Equal(DatasetRemoval.Archived, (await (await _engineer.DeleteAsync($"/api/datasets/{dataset.Id}")).Content.ReadFromJsonAsync<DatasetRemovalResult>(JsonOptions))!.Result);
    }

    [Fact]
    public async Task Readers_cannot_delete()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "protected", records: 5);
        var reader = await _portal.ClientForRoleAsync(PortalRoles.Stakeholder);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.DeleteAsync($"/api/datasets/{dataset.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.DeleteAsync("/api/runs/1")).StatusCode);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
}
