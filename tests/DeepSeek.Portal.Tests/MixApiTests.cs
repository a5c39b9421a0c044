using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Versions;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// The <c>mix</c> operation through <c>POST /api/datasets/versions/{id}/transform</c>: two imported versions mixed into
/// a new dataset by the real job (Quartz, SQLite, files), its records traced back to their sources, its lineage, and
/// the requests it refuses.
/// </summary>
public sealed class MixApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;
    private VersionSummary _bank = default!;
    private VersionSummary _general = default!;

    public async Task InitializeAsync()
    {
        _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
        _bank = await ImportAsync("bank", TestData.BilingualJsonl(40));
        _general = await ImportAsync("general", string.Concat(Enumerable.Range(1, 30).Select(i => JsonSerializer.Serialize(new { text = $"第{i}天：今天天气晴朗，适合去公园散步。Day {i}: sunny." }) + "\n")));
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task A_mix_takes_each_sources_exact_share_once_in_a_seeded_order_and_records_its_lineage()
    {
        var job = await MixAsync(_bank.Id, new { name = "bank-general", sources = Sources((_bank.Id, 3), (_general.Id, 1)), seed = 11 });
        Assert.NotEqual(_bank.DatasetId, job.DatasetId!.Value);
        var detail = (await _engineer.GetFromJsonAsync<VersionDetail>($"/api/datasets/versions/{job.ResultVersionId}", Json))!;
        Assert.Equal(("bank-general", 1, "mix", 53L), (detail.DatasetName, detail.Version.Number, detail.Version.Operation, detail.Version.RecordCount));

        // 40 and 30 records at 3:1: 53 is the most without a repeat (at 54 the bank would have to give 41).
        var parameters = detail.Parameters!;
        Assert.Null(parameters["records"]);
        Assert.Equal((53, 53, 11, "static", false), ((int)parameters["target"]!, (int)parameters["maxWithoutRepeats"]!, (int)parameters["seed"]!, (string?)parameters["policy"], (bool)parameters["allowRepeats"]!));
        var sources = parameters["sources"]!.AsArray();
        Assert.Equal([("bank", 1, 40L, 0.75, 40L), ("general", 1, 30L, 0.25, 13L)],
            sources.Select(s => ((string)s!["dataset"]!, (int)s["version"]!, (long)s["available"]!, (double)s["share"]!, (long)s["taken"]!)));
        // The new dataset's version descends from the version the job was started on; the other source is in the parameters.
        Assert.Equal([("mix", "bank-general"), ("import", "bank")], detail.Lineage.Select(l => (l.Version.Operation, l.DatasetName!)));

        // Every record leads back to its source record; each source gives its share, no record twice, all of the bank.
        var mixed = await RecordsAsync(job.ResultVersionId!.Value);
        var bank = await RecordsAsync(_bank.Id);
        var general = await RecordsAsync(_general.Id);
        var origins = mixed.Select(r => r.Record.Origin!["source"]).ToList();
        Assert.Equal(origins.Count, origins.Distinct().Count());
        Assert.Equal(40, origins.Count(o => o.StartsWith($"v{_bank.Id}#", StringComparison.Ordinal)));
        Assert.Equal(13, origins.Count(o => o.StartsWith($"v{_general.Id}#", StringComparison.Ordinal)));
        foreach (var record in mixed)
        {
            var (versionId, index) = ParseOrigin(record.Record.Origin!["source"]);
            var source = versionId == _bank.Id ? bank : general;
            Assert.Equal(source[(int)index - 1].Record.Text, record.Record.Text);
            Assert.Equal(versionId == _bank.Id ? "bank" : "general", record.Record.Origin["dataset"]);
        }
        // Interleaved: the general records are spread through the output, not appended after the bank's.
        var generalPlaces = origins.Select((o, i) => (o, i)).Where(x => x.o.StartsWith($"v{_general.Id}#", StringComparison.Ordinal)).Select(x => x.i).ToList();
        Assert.True(generalPlaces.Min() < 26 && generalPlaces.Max() >= 26, string.Join(",", generalPlaces));

        // The same sources, target and seed give the same file; another seed draws other general records in another order.
        var again = await MixAsync(_bank.Id, new { name = "bank-general-again", sources = Sources((_bank.Id, 3), (_general.Id, 1)), seed = 11 });
        var otherSeed = await MixAsync(_bank.Id, new { name = "bank-general-12", sources = Sources((_bank.Id, 3), (_general.Id, 1)), seed = 12 });
        var againVersion = (await _engineer.GetFromJsonAsync<VersionDetail>($"/api/datasets/versions/{again.ResultVersionId}", Json))!.Version;
        var otherVersion = (await _engineer.GetFromJsonAsync<VersionDetail>($"/api/datasets/versions/{otherSeed.ResultVersionId}", Json))!;
        Assert.Equal(detail.Version.Sha256, againVersion.Sha256);
        Assert.NotEqual(detail.Version.Sha256, otherVersion.Version.Sha256);
        Assert.Equal([40L, 13], otherVersion.Parameters!["sources"]!.AsArray().Select(s => (long)s!["taken"]!));
        var otherGeneral = (await RecordsAsync(otherSeed.ResultVersionId!.Value)).Select(r => r.Record.Origin!["source"]).Where(o => o.StartsWith($"v{_general.Id}#", StringComparison.Ordinal)).ToHashSet();
        Assert.NotEqual(origins.Where(o => o.StartsWith($"v{_general.Id}#", StringComparison.Ordinal)).ToHashSet(), otherGeneral);

        // A dataset a mix drew from is archived, not deleted, though no version descends from it: the mixes' lineage names it.
        var removal = await _engineer.DeleteAsync($"/api/datasets/{_general.DatasetId}");
        Assert.Equal(DatasetRemoval.Archived, (await removal.Content.ReadFromJsonAsync<DatasetRemovalResult>(Json))!.Result);
    }

    [Fact]
    public async Task Repeats_when_allowed_are_spread_evenly_and_uniform_shares_ignore_the_weights()
    {
        var job = await MixAsync(_bank.Id, new { name = "even", sources = Sources((_bank.Id, 3), (_general.Id, 1)), records = 100, policy = "uniform", allowRepeats = true, seed = 3 });
        var detail = (await _engineer.GetFromJsonAsync<VersionDetail>($"/api/datasets/versions/{job.ResultVersionId}", Json))!;
        Assert.Equal([50L, 50], detail.Parameters!["sources"]!.AsArray().Select(s => (long)s!["taken"]!));
        var uses = (await RecordsAsync(job.ResultVersionId!.Value)).GroupBy(r => r.Record.Origin!["source"]).ToDictionary(g => g.Key, g => g.Count());
        var bankUses = uses.Where(u => u.Key.StartsWith($"v{_bank.Id}#", StringComparison.Ordinal)).Select(u => u.Value).ToList();
        var generalUses = uses.Where(u => u.Key.StartsWith($"v{_general.Id}#", StringComparison.Ordinal)).Select(u => u.Value).ToList();
        // Every record at least once; 50 of 40 → 10 twice, 50 of 30 → 20 twice; none three times.
        Assert.Equal((40, 10), (bankUses.Count, bankUses.Count(u => u == 2)));
        Assert.Equal((30, 20), (generalUses.Count, generalUses.Count(u => u == 2)));
        Assert.All(bankUses.Concat(generalUses), u => Assert.InRange(u, 1, 2));
    }

    [Fact]
    public async Task A_bad_mix_request_answers_400_naming_the_field_and_leaves_no_job_dataset_or_file()
    {
        var files = Directory.GetFiles(Path.Combine(_portal.DataDirectory, "datasets")).Length;
        var datasets = (await _engineer.GetFromJsonAsync<List<DatasetSummary>>("/api/datasets"))!.Count;
        var cases = new (string Field, string Says, object Parameters)[]
        {
            ("sources[1].versionId", "no dataset version has the id 99999", new { name = "m", sources = Sources((_bank.Id, 1), (99999, 1)) }),
            ("sources[0].weight", "greater than 0", new { name = "m", sources = new object[] { new { versionId = _bank.Id, weight = 0 } } }),
            ("sources[1].weight", "but got -2", new { name = "m", sources = new object[] { new { versionId = _bank.Id, weight = 1 }, new { versionId = _general.Id, weight = -2 } } }),
            ("sources[0].weight", "but got \"heavy\"", new { name = "m", sources = new object[] { new { versionId = _bank.Id, weight = "heavy" } } }),
            ("records", "from 1 to", new { name = "m", sources = Sources((_bank.Id, 1)), records = 0 }),
            ("records", "at most 53 records", new { name = "m", sources = Sources((_bank.Id, 3), (_general.Id, 1)), records = 54 }),
            ("name", "name of the new dataset", new { sources = Sources((_bank.Id, 1)) }),
            ("sources", "must be one of its sources", new { name = "m", sources = Sources((_general.Id, 1)) }),
            ("sources", "one or more sources", new { name = "m", sources = Array.Empty<object>() }),
            ("sources[1].versionId", "already source 1", new { name = "m", sources = Sources((_bank.Id, 1), (_bank.Id, 2)) }),
            ("policy", "\"uniform\"", new { name = "m", sources = Sources((_bank.Id, 1)), policy = "dynamic" }),
        };
        foreach (var (field, says, parameters) in cases)
        {
            var response = await _engineer.PostAsJsonAsync($"/api/datasets/versions/{_bank.Id}/transform", new { operation = "mix", parameters });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray();
            Assert.Contains(errors, e => (string?)e!["field"] == field && ((string)e["message"]!).Contains(says, StringComparison.Ordinal));
        }
        var taken = await _engineer.PostAsJsonAsync($"/api/datasets/versions/{_bank.Id}/transform", new { operation = "mix", parameters = new { name = "general", sources = Sources((_bank.Id, 1)) } });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal(_general.DatasetId, (int)(await taken.Content.ReadFromJsonAsync<JsonObject>())!["datasetId"]!);
        var viewer = await _portal.ClientForRoleAsync(PortalRoles.Stakeholder);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/datasets/versions/{_bank.Id}/transform", new { operation = "mix", parameters = new { name = "m", sources = Sources((_bank.Id, 1)) } })).StatusCode);

        Assert.Equal(files, Directory.GetFiles(Path.Combine(_portal.DataDirectory, "datasets")).Length);
        Assert.Equal(datasets, (await _engineer.GetFromJsonAsync<List<DatasetSummary>>("/api/datasets"))!.Count);
        Assert.DoesNotContain(await _engineer.GetFromJsonAsync<List<DataJobView>>("/api/datasets/jobs", Json) ?? [], j => j.Kind == "mix");
    }

    [Fact]
    public async Task The_transform_endpoint_describes_mix_for_OpenAPI()
    {
        using var doc = JsonDocument.Parse(await _engineer.GetStringAsync("/openapi/v1.json"));
        var transform = doc.RootElement.GetProperty("paths").GetProperty("/api/datasets/versions/{versionId}/transform").GetProperty("post");
        Assert.Contains("mix", transform.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("allowRepeats", transform.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.True(transform.GetProperty("responses").TryGetProperty("409", out _));
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private static object[] Sources(params (int VersionId, double Weight)[] sources) =>
        sources.Select(s => (object)new { versionId = s.VersionId, weight = s.Weight }).ToArray();

    private static (int VersionId, long Index) ParseOrigin(string origin)
    {
        var hash = origin.IndexOf('#');
        return (int.Parse(origin[1..hash], System.Globalization.CultureInfo.InvariantCulture), long.Parse(origin[(hash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<DataJobView> MixAsync(int versionId, object parameters)
    {
        var response = await _engineer.PostAsJsonAsync($"/api/datasets/versions/{versionId}/transform", new { operation = "mix", parameters });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var job = await WaitAsync((await response.Content.ReadFromJsonAsync<DataJobView>(Json))!.Id);
        Assert.True(job.Status == Data.DataJobStatus.Succeeded, string.Join("; ", job.Errors.Select(e => e.ToString())));
        return job;
    }

    private async Task<IReadOnlyList<RecordView>> RecordsAsync(int versionId) =>
        (await _engineer.GetFromJsonAsync<RecordPage>($"/api/datasets/versions/{versionId}/records?pageSize=200", Json))!.Records;

    private async Task<VersionSummary> ImportAsync(string name, string content)
    {
        var staged = await _engineer.PostAsync("/api/datasets/uploads", TestData.Upload(name + ".jsonl", content));
        Assert.Equal(HttpStatusCode.Created, staged.StatusCode);
        var uploadId = (await staged.Content.ReadFromJsonAsync<StagedUploadView>(Json))!.Id;
        var response = await _engineer.PostAsJsonAsync("/api/datasets/imports", new { uploadId, name });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await WaitAsync((await response.Content.ReadFromJsonAsync<DataJobView>(Json))!.Id);
        Assert.Equal(Data.DataJobStatus.Succeeded, job.Status);
        return (await _engineer.GetFromJsonAsync<List<VersionSummary>>($"/api/datasets/{job.DatasetId}/versions", Json))!.Single();
    }

    private async Task<DataJobView> WaitAsync(int jobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = (await _engineer.GetFromJsonAsync<DataJobView>($"/api/datasets/jobs/{jobId}", Json))!;
            if (!job.IsActive)
                return job;
            Assert.True(DateTime.UtcNow < deadline, $"data job {jobId} still {job.Status} after 60 s");
            await Task.Delay(100);
        }
    }
}
