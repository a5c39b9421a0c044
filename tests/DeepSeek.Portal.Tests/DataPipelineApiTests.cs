using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Versions;

namespace DeepSeek.Portal.Tests;

/// <summary>Staged upload → import job → version → records, comparison, filter, export: through HTTP, on a real SQLite file and the real Quartz scheduler.</summary>
public sealed class DataPipelineApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;

    public async Task InitializeAsync() => _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task A_staged_upload_imports_as_a_job_into_version_1_with_the_original_kept()
    {
        var content = TestData.BilingualJsonl(40);
        var staged = await StageAsync("faq.jsonl", content);
        Assert.Equal(Encoding.UTF8.GetByteCount(content), staged.Bytes);

        var job = await ImportAsync(staged.Id, "faq");
        Assert.Equal(Data.DataJobStatus.Succeeded, job.Status);
        Assert.Equal(100, job.Percent);
        Assert.Equal(40, job.Records);

        var versions = await _engineer.GetFromJsonAsync<List<VersionSummary>>($"/api/datasets/{job.DatasetId}/versions", Json);
        var v1 = Assert.Single(versions!);
        Assert.Equal((1, "import", 40L), (v1.Number, v1.Operation, v1.RecordCount));
        var detail = await _engineer.GetFromJsonAsync<JsonObject>($"/api/datasets/versions/{v1.Id}");
        Assert.Equal("faq.jsonl", (string?)detail!["parameters"]!["sourceFile"]);
        Assert.Equal(40, (int)detail["statistics"]!["records"]!);

        // The original comes back byte for byte.
        Assert.Equal(content, await _engineer.GetStringAsync($"/api/datasets/{job.DatasetId}/original"));
        // The upload is claimed: importing it again is refused.
        var again = await _engineer.PostAsJsonAsync("/api/datasets/imports", new { uploadId = staged.Id, name = "faq-2" });
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Records_page_and_search_and_export()
    {
        var job = await ImportAsync((await StageAsync("faq.jsonl", TestData.BilingualJsonl(30))).Id, "faq");
        var version = (await _engineer.GetFromJsonAsync<List<VersionSummary>>($"/api/datasets/{job.DatasetId}/versions", Json))!.Single();

        var page2 = await _engineer.GetFromJsonAsync<RecordPage>($"/api/datasets/versions/{version.Id}/records?page=2&pageSize=7", Json);
        Assert.Equal((30L, 7), (page2!.Matches, page2.Records.Count));
        Assert.Equal(8, page2.Records[0].Index);

        var search = await _engineer.GetFromJsonAsync<RecordPage>($"/api/datasets/versions/{version.Id}/records?q={Uri.EscapeDataString("张伟")}", Json);
        Assert.True(search!.Matches > 0);
        Assert.All(search.Records, r => Assert.Contains("张伟", r.Record.Text, StringComparison.Ordinal));

        var export = await _engineer.GetStringAsync($"/api/datasets/versions/{version.Id}/export");
        Assert.Equal(30, export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task A_file_that_fails_to_import_fails_the_job_with_line_and_leaves_nothing()
    {
        var filesBefore = Directory.GetFiles(Path.Combine(_portal.DataDirectory, "datasets")).Length;
        var staged = await StageAsync("broken.jsonl", "{\"text\":\"好\"}\n{\"text\": \"broken\n");
        var job = await ImportAsync(staged.Id, "broken");
        Assert.Equal(Data.DataJobStatus.Failed, job.Status);
        var error = Assert.Single(job.Errors);
        Assert.Equal(("broken.jsonl", 2), (error.FileName, error.Line));
        var datasets = await _engineer.GetFromJsonAsync<List<DatasetSummary>>("/api/datasets");
        Assert.DoesNotContain(datasets!, d => d.Name == "broken");
        Assert.Equal(filesBefore, Directory.GetFiles(Path.Combine(_portal.DataDirectory, "datasets")).Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(_portal.DataDirectory, "temp")));
    }

    [Fact]
    public async Task Import_requests_are_checked_before_a_job_is_queued()
    {
        var unknown = await _engineer.PostAsJsonAsync("/api/datasets/imports", new { uploadId = new string('a', 32), name = "x" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("uploadId", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var staged = await StageAsync("a.jsonl", TestData.BilingualJsonl(3));
        var noName = await _engineer.PostAsJsonAsync("/api/datasets/imports", new { uploadId = staged.Id, name = new string('名', 201) });
        Assert.Equal(HttpStatusCode.BadRequest, noName.StatusCode);
        Assert.Contains("201 characters", await noName.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await TestData.UploadDatasetAsync(_engineer, "taken", records: 3);
        var taken = await _engineer.PostAsJsonAsync("/api/datasets/imports", new { uploadId = staged.Id, name = "taken" });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.NotNull((await taken.Content.ReadFromJsonAsync<JsonObject>())!["datasetId"]);

        var viewer = await _portal.ClientForRoleAsync(PortalRoles.Stakeholder);
        var refused = await viewer.PostAsJsonAsync("/api/datasets/imports", new { uploadId = staged.Id, name = "mine" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task A_filter_makes_a_new_version_keeps_the_old_and_lists_what_it_dropped_with_the_rule()
    {
        // Scores written by hand into a JSONL of scored records, imported, then filtered on them.
        var job = await ImportAsync((await StageAsync("faq.jsonl", TestData.BilingualJsonl(12))).Id, "faq");
        var v1 = (await _engineer.GetFromJsonAsync<List<VersionSummary>>($"/api/datasets/{job.DatasetId}/versions", Json))!.Single();

        var bad = await _engineer.PostAsJsonAsync($"/api/datasets/versions/{v1.Id}/transform", new { operation = "filter", parameters = new { rules = new[] { new { score = "x", min = 2, max = 1 } } } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("rules[0]", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var unknown = await _engineer.PostAsJsonAsync($"/api/datasets/versions/{v1.Id}/transform", new { operation = "shred" });
        Assert.Contains("expected one of", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Records have no "domain" score: with missing = drop every record fails, and the job says nothing was stored.
        var start = await _engineer.PostAsJsonAsync($"/api/datasets/versions/{v1.Id}/transform", new { operation = "filter", parameters = new { rules = new[] { new { score = "domain", min = 0.5 } }, missing = "drop" } });
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var filtered = await WaitAsync((await start.Content.ReadFromJsonAsync<DataJobView>(Json))!.Id);
        Assert.Equal(Data.DataJobStatus.Failed, filtered.Status);
        Assert.Contains("left no records", filtered.Errors.Single().Message, StringComparison.Ordinal);
        Assert.Single((await _engineer.GetFromJsonAsync<List<VersionSummary>>($"/api/datasets/{job.DatasetId}/versions", Json))!);
    }

    [Fact]
    public async Task Comparing_a_version_with_itself_changes_nothing()
    {
        var job = await ImportAsync((await StageAsync("faq.jsonl", TestData.BilingualJsonl(9))).Id, "faq");
        var v1 = (await _engineer.GetFromJsonAsync<List<VersionSummary>>($"/api/datasets/{job.DatasetId}/versions", Json))!.Single();
        var same = await _engineer.GetFromJsonAsync<VersionComparison>($"/api/datasets/versions/compare?from={v1.Id}&to={v1.Id}", Json);
        Assert.Equal((0L, 0L, 9L), (same!.Added, same.Removed, same.Unchanged));
    }

    [Fact]
    public async Task A_json_array_of_poems_needs_a_mapping_and_the_preview_shows_it_applied()
    {
        var poems = """
            [{"title": "静夜思", "author": "李白", "paragraphs": ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"]},
             {"title": "春晓", "author": "孟浩然", "paragraphs": ["春眠不觉晓，处处闻啼鸟。", "夜来风雨声，花落知多少。"]}]
            """;
        var staged = await StageAsync("poems.json", poems);
        var raw = await (await _engineer.PostAsJsonAsync($"/api/datasets/uploads/{staged.Id}/inspect", new { })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("JsonArray", (string?)raw!["format"]);
        Assert.Null(raw["shape"]);
        Assert.Contains(raw["fields"]!.AsArray(), f => (string?)f!["path"] == "paragraphs");

        var mapping = new { template = "{title}\n{paragraphs}", listSeparator = "\n" };
        var mapped = await (await _engineer.PostAsJsonAsync($"/api/datasets/uploads/{staged.Id}/inspect", new { mapping })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("静夜思\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。", (string?)mapped!["records"]![0]!["text"]);

        var start = await _engineer.PostAsJsonAsync("/api/datasets/imports", new { uploadId = staged.Id, name = "唐诗", mapping });
        var job = await WaitAsync((await start.Content.ReadFromJsonAsync<DataJobView>(Json))!.Id);
        Assert.Equal(Data.DataJobStatus.Succeeded, job.Status);
        var detail = await _engineer.GetFromJsonAsync<JsonObject>($"/api/datasets/versions/{job.ResultVersionId}");
        Assert.Equal("{title}\n{paragraphs}", (string?)detail!["mapping"]!["template"]);
        Assert.Equal(2, (int)detail["statistics"]!["languages"]!["zh"]!);
    }

    [Fact]
    public async Task Score_then_filter_then_dedup_then_mask_each_make_a_version_with_lineage()
    {
        var texts = Enumerable.Range(0, 30).Select(i => $"客户：请问第{i}号网点几点开门？\n客服：工作日上午九点到下午五点，联系电话 13812345678。")
            .Append("客户：请问第0号网点几点开门？\n客服：工作日上午九点到下午五点，联系电话 13812345678。")
            .Concat(Enumerable.Range(0, 8).Select(i => string.Concat(Enumerable.Repeat("买买买!!! $$$ ", 20)) + i))
            .ToList();
        var jsonl = string.Join("\n", texts.Select(t => JsonSerializer.Serialize(new { text = t }))) + "\n";
        var job = await ImportAsync((await StageAsync("bank.jsonl", jsonl)).Id, "bank");
        var v1 = (await _engineer.GetFromJsonAsync<List<VersionSummary>>($"/api/datasets/{job.DatasetId}/versions", Json))!.Single();

        var scored = await TransformAsync(v1.Id, "score", new { referenceVersionId = v1.Id });
        Assert.Equal(Data.DataJobStatus.Succeeded, scored.Status);
        var page = await _engineer.GetFromJsonAsync<RecordPage>($"/api/datasets/versions/{scored.ResultVersionId}/records?pageSize=200", Json);
        Assert.All(page!.Records, r => Assert.True(r.Record.Scores!.ContainsKey("domain") && r.Record.Scores.ContainsKey("entropy") && r.Record.Scores.ContainsKey("rules")));
        var spam = page.Records.Where(r => r.Record.Text.StartsWith("买买买", StringComparison.Ordinal)).ToList();
        Assert.All(spam, r => Assert.True(r.Record.Scores!["rules"] > 0));

        var filtered = await TransformAsync(scored.ResultVersionId!.Value, "filter", new { rules = new object[] { new { score = "rules", max = 0 } } });
        var filteredVersion = await _engineer.GetFromJsonAsync<VersionDetail>($"/api/datasets/versions/{filtered.ResultVersionId}", Json);
        Assert.Equal((31L, 8L), (filteredVersion!.Version.RecordCount, filteredVersion.Version.DroppedCount));
        var dropped = await _engineer.GetFromJsonAsync<RecordPage>($"/api/datasets/versions/{filtered.ResultVersionId}/records?dropped=true", Json);
        Assert.All(dropped!.Records, r => Assert.StartsWith("rules > 0", r.Record.DroppedBy, StringComparison.Ordinal));
        Assert.Equal(["filter", "score", "import"], filteredVersion.Lineage.Select(l => l.Version.Operation));

        var deduped = await TransformAsync(filtered.ResultVersionId!.Value, "dedup", new { threshold = 0.8 });
        var dedupDropped = await _engineer.GetFromJsonAsync<RecordPage>($"/api/datasets/versions/{deduped.ResultVersionId}/records?dropped=true&pageSize=200", Json);
        Assert.Contains(dedupDropped!.Records, r => r.Record.DroppedBy == "exact duplicate of #1");
        // The cluster view: record 1 kept, its exact copy and its near copies (the same dialogue with another branch number) dropped.
        var clusters = await _engineer.GetFromJsonAsync<List<DuplicateCluster>>($"/api/datasets/versions/{deduped.ResultVersionId}/clusters", Json);
        var first = clusters!.Single(c => c.Representative == 1);
        Assert.Equal(dedupDropped.Matches + 1, clusters!.Sum(c => (long)c.Size - 1) + 1);
        Assert.True(first.Size >= 2 && first.Members.Count == Math.Min(first.Size - 1, 20));
        Assert.Contains(clusters!, c => c.Members.Any(m => m.Jaccard is > 0.5 and <= 1));

        var masked = await TransformAsync(deduped.ResultVersionId!.Value, "mask", null);
        var maskedPage = await _engineer.GetFromJsonAsync<RecordPage>($"/api/datasets/versions/{masked.ResultVersionId}/records?pageSize=5", Json);
        Assert.All(maskedPage!.Records, r => Assert.Contains("[PHONE]", r.Record.Text, StringComparison.Ordinal));
        var maskedDetail = await _engineer.GetFromJsonAsync<JsonObject>($"/api/datasets/versions/{masked.ResultVersionId}");
        // One phone number per record survived the dedup; each was counted.
        Assert.Equal((long)maskedDetail!["version"]!["recordCount"]!, (long)maskedDetail["parameters"]!["masked"]!["phone"]!);

        var compare = await _engineer.GetFromJsonAsync<VersionComparison>($"/api/datasets/versions/compare?from={v1.Id}&to={filtered.ResultVersionId}", Json);
        Assert.Equal((0L, 8L), (compare!.Added, compare.Removed));
    }

    [Fact]
    public async Task Operation_parameters_are_checked_by_name()
    {
        var job = await ImportAsync((await StageAsync("faq.jsonl", TestData.BilingualJsonl(5))).Id, "faq");
        var response = await _engineer.PostAsJsonAsync($"/api/datasets/versions/{job.ResultVersionId}/transform", new { operation = "dedup", parameters = new { threshold = 2, treshold = 0.5 } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("a number from 0.3 to 0.99", body, StringComparison.Ordinal);
        var errors = JsonNode.Parse(body)!["errors"]!.AsArray().Select(e => ((string?)e!["field"], (string?)e["message"])).ToList();
        Assert.Contains(errors, e => e.Item1 == "treshold" && e.Item2!.Contains("is not a parameter of this operation", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Item1 == "threshold");
    }

    private async Task<DataJobView> TransformAsync(int versionId, string operation, object? parameters)
    {
        var response = await _engineer.PostAsJsonAsync($"/api/datasets/versions/{versionId}/transform", new { operation, parameters });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await WaitAsync((await response.Content.ReadFromJsonAsync<DataJobView>(Json))!.Id);
        Assert.True(job.Status == Data.DataJobStatus.Succeeded, string.Join("; ", job.Errors.Select(e => e.ToString())));
        return job;
    }

    private async Task<StagedUploadView> StageAsync(string fileName, string content)
    {
        var response = await _engineer.PostAsync("/api/datasets/uploads", TestData.Upload(fileName, content));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<StagedUploadView>(Json))!;
    }

    private async Task<DataJobView> ImportAsync(string uploadId, string name)
    {
        var response = await _engineer.PostAsJsonAsync("/api/datasets/imports", new { uploadId, name });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = (await response.Content.ReadFromJsonAsync<DataJobView>(Json))!;
        return await WaitAsync(job.Id);
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
