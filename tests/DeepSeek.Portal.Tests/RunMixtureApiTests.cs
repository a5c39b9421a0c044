using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Training;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace DeepSeek.Portal.Tests;

public sealed class RunMixtureApiTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;

    public async Task InitializeAsync() => _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    internal static async Task<VersionSummary> NewestVersionAsync(HttpClient client, int datasetId) =>
        (await client.GetFromJsonAsync<List<VersionSummary>>($"/api/datasets/{datasetId}/versions"))!.OrderBy(v => v.Number).Last();

    internal static RunLaunchRequest TinyMixtureRun(string policy, params (int VersionId, double Weight)[] sources) => new()
    {
        Steps = 30, MicroBatchSize = 2, GradientAccumulationSteps = 2, WarmupSteps = 1, SequenceLength = 32,
        Mixture = new RunMixtureRequest { Policy = policy, Sources = sources.Select(s => new RunMixtureSourceRequest { VersionId = s.VersionId, Weight = s.Weight }).ToList() },
    };

    [Fact]
    public async Task A_dynamic_mixture_of_two_versions_trains_and_stores_each_sources_weight_probability_and_loss_per_step()
    {
        var bank = await TestData.UploadDatasetAsync(_engineer, "mix-bank");
        var general = await TestData.UploadDatasetAsync(_engineer, "mix-general", records: 60);
        var (bankV1, generalV1) = (await NewestVersionAsync(_engineer, bank.Id), await NewestVersionAsync(_engineer, general.Id));

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

        var launch = await _engineer.PostAsJsonAsync("/api/runs", TinyMixtureRun("dynamic", (bankV1.Id, 1.5), (generalV1.Id, 0.5)));
        Assert.Equal(HttpStatusCode.Created, launch.StatusCode);
        var run = (await launch.Content.ReadFromJsonAsync<RunSummary>())!;
        await hub.InvokeAsync("Watch", run.Id);
        Assert.Equal(bank.Id, run.DatasetId);
        Assert.Null(run.DatasetVersionId);
        Assert.Equal("dynamic", run.Mixture!.Policy);
        Assert.Equal(0.01, run.Mixture.FeederLearningRate);
        Assert.Equal(["mix-bank v1", "mix-general v1"], run.Mixture.Sources.Select(s => s.Name));
        Assert.Equal([1.5, 0.5], run.Mixture.Sources.Select(s => s.Weight));

        var done = await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive);
        Assert.True(done.Status == RunStatus.Succeeded, done.Error);
        Assert.NotNull(done.HeldOutPerplexity);

        var steps = (await _engineer.GetFromJsonAsync<List<RunSourceStep>>($"/api/runs/{run.Id}/sources"))!;
        Assert.Equal(Enumerable.Range(1, 30), steps.Select(s => s.Step));
        Assert.All(steps, step =>
        {
            Assert.Equal([0, 1], step.Sources.Select(s => s.Source));
            Assert.Equal(["mix-bank v1", "mix-general v1"], step.Sources.Select(s => s.Name));
            Assert.All(step.Sources, s => Assert.InRange(s.Weight, 0.1, 2.0));
            Assert.Equal(1.0, step.Sources.Sum(s => s.Probability), 1e-9);
            // Dynamic: probability is w / Σw.
            Assert.All(step.Sources, s => Assert.Equal(s.Weight / step.Sources.Sum(x => x.Weight), s.Probability, 1e-9));
            // Every sequence of the step came from one of the sources (2 × 2 per step); a source drawn has a loss.
            Assert.Equal(4, step.Sources.Sum(s => s.Sequences));
            Assert.All(step.Sources.Where(s => s.Sequences > 0), s => Assert.True(s.Loss > 0));
        });
        // The weights moved with the losses (a source drawn in a step moves by lr·w).
        Assert.NotEqual(steps[0].Sources.Select(s => s.Weight), steps[^1].Sources.Select(s => s.Weight));
        var later = (await _engineer.GetFromJsonAsync<List<RunSourceStep>>($"/api/runs/{run.Id}/sources?afterStep=25"))!;
        Assert.Equal([26, 27, 28, 29, 30], later.Select(s => s.Step));

        // The second source's dataset is not the run's own, but the run used it: deleting it archives it.
        var removal = await (await _engineer.DeleteAsync($"/api/datasets/{general.Id}")).Content.ReadFromJsonAsync<DatasetRemovalResult>(
            new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } });
        Assert.Equal(DatasetRemoval.Archived, removal!.Result);

        // Live: the points pushed over the hub carry the same per-source values as the history.
        var byStep = steps.ToDictionary(s => s.Step);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !received.Any(u => u.Status == RunStatus.Succeeded))
            await Task.Delay(100);
        lock (received)
        {
            var live = received.SelectMany(u => u.Points).ToList();
            Assert.NotEmpty(live);
            Assert.All(live, p => Assert.Equal(byStep[p.Step].Sources.Select(s => (s.Name, s.Weight, s.Probability)), p.Sources!.Select(s => (s.Name, s.Weight, s.Probability))));
        }
    }

    [Fact]
    public async Task The_api_document_describes_the_sources_history_and_the_mixture_fields_of_a_launch()
    {
        using var doc = JsonDocument.Parse(await _engineer.GetStringAsync("/openapi/v1.json"));
        var sources = doc.RootElement.GetProperty("paths").GetProperty("/api/runs/{id}/sources").GetProperty("get");
        Assert.Contains("probabilit", sources.GetProperty("summary").GetString(), StringComparison.OrdinalIgnoreCase);
        var launch = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("RunLaunchRequest").GetProperty("properties");
        Assert.True(launch.TryGetProperty("mixture", out _));
        Assert.True(launch.TryGetProperty("datasetVersionId", out _));
    }

    [Fact]
    public async Task A_run_without_a_version_trains_on_the_datasets_newest_version_and_records_it()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "newest");
        var newest = await NewestVersionAsync(_engineer, dataset.Id);
        var run = (await (await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest { DatasetId = dataset.Id, Steps = 3, MicroBatchSize = 2, GradientAccumulationSteps = 1, WarmupSteps = 1, SequenceLength = 32 }))
            .Content.ReadFromJsonAsync<RunSummary>())!;
        Assert.Equal(newest.Id, run.DatasetVersionId);
        Assert.Null(run.Mixture);
        var done = await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive);
        Assert.True(done.Status == RunStatus.Succeeded, done.Error);
        Assert.Empty((await _engineer.GetFromJsonAsync<List<RunSourceStep>>($"/api/runs/{run.Id}/sources"))!);
        Assert.Equal(HttpStatusCode.NotFound, (await _engineer.GetAsync("/api/runs/99999/sources")).StatusCode);
    }

    [Theory]
    [InlineData("unknown-version", "mixture.sources[1].versionId")]
    [InlineData("one-source", "mixture.sources")]
    [InlineData("negative-weight", "mixture.sources[0].weight")]
    [InlineData("all-zero", "mixture.sources")]
    [InlineData("same-version-twice", "mixture.sources")]
    [InlineData("bad-policy", "mixture.policy")]
    [InlineData("bad-feeder-rate", "mixture.feederLearningRate")]
    [InlineData("wrong-dataset-version", "datasetVersionId")]
    public async Task Impossible_mixtures_are_rejected_with_the_field_and_what_was_expected(string problem, string field)
    {
        var a = await TestData.UploadDatasetAsync(_engineer, $"{problem}-a", records: 10);
        var b = await TestData.UploadDatasetAsync(_engineer, $"{problem}-b", records: 11); // a different content: an identical file is refused as a duplicate
        var (va, vb) = ((await NewestVersionAsync(_engineer, a.Id)).Id, (await NewestVersionAsync(_engineer, b.Id)).Id);
        var request = problem switch
        {
            "unknown-version" => TinyMixtureRun("dynamic", (va, 1), (987654, 1)),
            "one-source" => TinyMixtureRun("dynamic", (va, 1)),
            "negative-weight" => TinyMixtureRun("static", (va, -1), (vb, 1)),
            "all-zero" => TinyMixtureRun("static", (va, 0), (vb, 0)),
            "same-version-twice" => TinyMixtureRun("uniform", (va, 1), (va, 2)),
            "bad-policy" => TinyMixtureRun("greedy", (va, 1), (vb, 1)),
            "bad-feeder-rate" => TinyMixtureRun("dynamic", (va, 1), (vb, 1)) with { Mixture = TinyMixtureRun("dynamic", (va, 1), (vb, 1)).Mixture! with { FeederLearningRate = 1.5 } },
            _ => new RunLaunchRequest { DatasetId = a.Id, DatasetVersionId = vb, Steps = 3 },
        };

        var response = await _engineer.PostAsJsonAsync("/api/runs", request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(body.RootElement.GetProperty("errors").TryGetProperty(field, out var messages), body.RootElement.ToString());
        Assert.True(messages.GetArrayLength() > 0 && messages[0].GetString()!.Length > 10);
        Assert.Empty((await _engineer.GetFromJsonAsync<List<RunSummary>>("/api/runs"))!);
    }
}
