using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Evaluations;
using DeepSeek.Portal.Evaluations.Endpoints;
using DeepSeek.Portal.Evaluations.Schedules;
using DeepSeek.Portal.Evaluations.Suites;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Quartz;

namespace DeepSeek.Portal.Tests.Evaluations;

/// <summary>One portal for the API tests of this class (they do not depend on one another's rows).</summary>
public sealed class EvaluationPortal : IAsyncLifetime
{
    public PortalFactory Portal { get; } = new();
    public HttpClient Engineer { get; private set; } = default!;
    public HttpClient Stakeholder { get; private set; } = default!;
    public HttpClient Manager { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Engineer = await Portal.ClientForRoleAsync(PortalRoles.Engineer);
        Stakeholder = await Portal.ClientForRoleAsync(PortalRoles.Stakeholder);
        Manager = await Portal.ClientForRoleAsync(PortalRoles.Manager);
    }

    public async Task DisposeAsync() => await Portal.DisposeAsync();

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> work)
    {
        await using var scope = Portal.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }
}

public sealed class EvaluationApiTests(EvaluationPortal fixture) : IClassFixture<EvaluationPortal>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private HttpClient Engineer => fixture.Engineer;

    internal const string GoodSuite =
        """
        {"id":"g1","kind":"generation","prompt":"Say hello","reference":"hello","domain":"banking"}
        {"id":"x1","kind":"extraction","slice":"general","prompt":"Capital of France?","references":["Paris"]}
        {"id":"c1","kind":"classification","slice":"adversarial","prompt":"Is 2 even?","choices":["yes","no"],"answer":"yes"}
        {"id":"t1","kind":"conversation","messages":[{"role":"user","content":"Open an account"}],"criteria":["account"]}
        """;

    private async Task<SuiteUploaded> UploadSuiteAsync(string name, string content)
    {
        var response = await Engineer.PostAsync("/api/evaluation-suites", TestData.Upload($"{name}.jsonl", content, name));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<SuiteUploaded>(Json))!;
    }

    [Fact]
    public async Task An_uploaded_suite_becomes_a_dataset_version_whose_records_keep_each_item()
    {
        var suite = await UploadSuiteAsync("suite-upload", GoodSuite);
        Assert.Equal(4, suite.Items);

        var (version, records) = await fixture.WithDbAsync(async db =>
        {
            var v = await db.DatasetVersions.AsNoTracking().SingleAsync(x => x.Id == suite.VersionId);
            var path = Path.Combine(fixture.Portal.DataDirectory, "datasets", v.Sha256 + ".jsonl");
            return (v, File.ReadAllLines(path).Select(VersionRecord.Parse).ToList());
        });
        Assert.Equal(suite.DatasetId, version.DatasetId);
        Assert.Equal(4, version.RecordCount);
        // The dataset pages see a prompt and a response; evaluations read the spec.
        Assert.Equal("Say hello", records[0].Prompt);
        Assert.Equal("hello", records[0].Response);
        Assert.Equal("yes", records[2].Response);
        Assert.Equal("adversarial", records[2].Origin!["slice"]);
        Assert.Equal("user", records[3].Turns!.Single().Role);
        var items = SuiteItems.FromVersion(records);
        Assert.Equal(["g1", "x1", "c1", "t1"], items.Select(i => i.Id));
        Assert.Equal([ItemKind.Generation, ItemKind.Extraction, ItemKind.Classification, ItemKind.Conversation], items.Select(i => i.Kind));
        Assert.Equal(0, items[2].Answer);

        // The version is offered as a suite.
        var choices = await Engineer.GetFromJsonAsync<List<SuiteVersionChoice>>("/api/evaluations/suites", Json);
        Assert.Contains(choices!, c => c.VersionId == suite.VersionId && c.IsSuiteFile);
    }

    [Fact]
    public async Task A_suite_file_with_a_missing_reference_is_refused_by_line_and_field_and_nothing_is_stored()
    {
        var datasetsBefore = await fixture.WithDbAsync(db => db.Datasets.CountAsync());
        var content = GoodSuite + "\n" + """{"id":"g2","kind":"generation","prompt":"no reference here"}""" + "\n" + """{"id":"c9","kind":"classification","prompt":"p","choices":["a","b"],"answer":"maybe"}""";
        var response = await Engineer.PostAsync("/api/evaluation-suites", TestData.Upload("bad.jsonl", content, "bad-suite"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray();
        Assert.Contains(errors, e => (int)e!["line"]! == 5 && (string?)e["field"] == "references");
        Assert.Contains(errors, e => (int)e!["line"]! == 6 && (string?)e["field"] == "answer");
        Assert.Equal(datasetsBefore, await fixture.WithDbAsync(db => db.Datasets.CountAsync()));
    }

    [Fact]
    public void Records_without_a_spec_become_items_composed_pairs_conversations_and_plain_text()
    {
        var records = new[]
        {
            new VersionRecord { Text = "q\na", Prompt = "q", Response = "a", Origin = new(StringComparer.Ordinal) { ["slice"] = "adversarial", ["source"] = "v3#7", ["perturbation"] = "Typo" } },
            new VersionRecord { Text = "hi\nhello", Turns = [new("user", "hi"), new("assistant", "hello")] },
            new VersionRecord { Text = "just text" },
        };
        var items = SuiteItems.FromVersion(records);
        Assert.Equal(["r1", "r2", "r3"], items.Select(i => i.Id));
        Assert.Equal((ItemKind.Generation, Feeding.Composer.EvaluationSlice.Adversarial, "q", "a", "Typo", "v3#7"),
            (items[0].Kind, items[0].Slice, items[0].Prompt, items[0].References[0], items[0].Perturbation, items[0].SourceItemId));
        Assert.Equal(ItemKind.Conversation, items[1].Kind);
        Assert.Equal("hi", items[1].Messages!.Single().Content);
        Assert.Equal("hello", items[1].References[0]);
        Assert.Equal(("", "just text"), (items[2].Prompt, items[2].References[0]));
    }

    [Fact]
    public async Task A_launch_with_bad_fields_is_refused_per_field_and_nothing_is_queued()
    {
        var suite = await UploadSuiteAsync("suite-launch", GoodSuite.Replace("hello", "hi there"));
        var before = await fixture.WithDbAsync(db => db.Evaluations.CountAsync());

        async Task<JsonObject> RefusedAsync(object body)
        {
            var response = await Engineer.PostAsJsonAsync("/api/evaluations", body);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        }

        var errors = await RefusedAsync(new { suiteVersionId = 99999, target = new { kind = "robot", id = 1 }, maxNewTokens = 0, concurrency = 65 });
        Assert.Contains("99999", (string)errors["suiteVersionId"]![0]!);
        Assert.Contains("run, model or endpoint", (string)errors["target.kind"]![0]!);
        Assert.NotNull(errors["maxNewTokens"]);
        Assert.NotNull(errors["concurrency"]);

        errors = await RefusedAsync(new { suiteVersionId = suite.VersionId, target = new { kind = "run", id = 4242 } });
        Assert.Equal(["target.id"], errors.Select(e => e.Key));
        Assert.Contains("does not exist", (string)errors["target.id"]![0]!);
        errors = await RefusedAsync(new { suiteVersionId = suite.VersionId, target = new { kind = "model", id = 4242 } });
        Assert.Contains("not registered", (string)errors["target.id"]![0]!);
        errors = await RefusedAsync(new { suiteVersionId = suite.VersionId, target = new { kind = "endpoint", id = 4242 } });
        Assert.Contains("Endpoint 4242", (string)errors["target.id"]![0]!);
        errors = await RefusedAsync(new { target = new { kind = "endpoint" } });
        Assert.NotNull(errors["suiteVersionId"]);
        Assert.NotNull(errors["target.id"]);

        // A run that has not succeeded cannot be evaluated.
        var runId = await fixture.WithDbAsync(async db =>
        {
            var run = TestData.StoredRun("not-finished", RunStatus.Failed);
            run.DatasetId = suite.DatasetId;
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            return run.Id;
        });
        errors = await RefusedAsync(new { suiteVersionId = suite.VersionId, target = new { kind = "run", id = runId } });
        Assert.Contains("has not succeeded", (string)errors["target.id"]![0]!);

        Assert.Equal(before, await fixture.WithDbAsync(db => db.Evaluations.CountAsync()));
    }

    [Fact]
    public async Task Stakeholders_and_managers_read_but_cannot_launch_or_manage()
    {
        foreach (var reader in new[] { fixture.Stakeholder, fixture.Manager })
        {
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/evaluations")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/evaluation-endpoints")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/evaluation-schedules")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/feedback")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsJsonAsync("/api/evaluations", new { suiteVersionId = 1, target = new { kind = "run", id = 1 } })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsJsonAsync("/api/evaluation-endpoints", new { name = "x", baseUrl = "http://127.0.0.1:1/v1", model = "m" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsJsonAsync("/api/evaluation-schedules", new { name = "x" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync("/api/evaluation-suites", TestData.Upload("s.jsonl", GoodSuite, "s-by-reader"))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync("/api/feedback/import", TestData.Upload("f.csv", "model,score,completed,task,comment,recorded_at\n", null))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync("/api/evaluations/1/cancel", null)).StatusCode);
        }
    }

    [Fact]
    public async Task An_endpoint_key_is_stored_encrypted_and_never_returned()
    {
        const string key = "sk-test-very-secret-0123456789";
        var response = await Engineer.PostAsJsonAsync("/api/evaluation-endpoints", new { name = "vllm-key", baseUrl = "http://127.0.0.1:9/v1/", model = "deepseek-v3", apiKey = key });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        Assert.DoesNotContain(key, body);
        var created = JsonSerializer.Deserialize<EndpointView>(body, Json)!;
        Assert.True(created.HasKey);
        Assert.Equal("http://127.0.0.1:9/v1", created.BaseUrl);

        var list = await Engineer.GetStringAsync("/api/evaluation-endpoints");
        var one = await fixture.Stakeholder.GetStringAsync($"/api/evaluation-endpoints/{created.Id}");
        Assert.DoesNotContain(key, list);
        Assert.DoesNotContain(key, one);
        Assert.DoesNotContain("apiKey", one, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("protectedKey", one, StringComparison.OrdinalIgnoreCase);

        var stored = await fixture.WithDbAsync(db => db.EvaluationEndpoints.AsNoTracking().SingleAsync(e => e.Id == created.Id));
        Assert.NotNull(stored.ProtectedKey);
        Assert.DoesNotContain(key, stored.ProtectedKey);
        var protector = fixture.Portal.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(EndpointRegistry.KeyPurpose);
        Assert.Equal(key, protector.Unprotect(stored.ProtectedKey!));

        // A change without a key keeps it; clearKey removes it.
        var renamed = await (await Engineer.PutAsJsonAsync($"/api/evaluation-endpoints/{created.Id}", new { model = "deepseek-r1" })).Content.ReadFromJsonAsync<EndpointView>(Json);
        Assert.True(renamed!.HasKey);
        Assert.Equal("deepseek-r1", renamed.Model);
        var cleared = await (await Engineer.PutAsJsonAsync($"/api/evaluation-endpoints/{created.Id}", new { clearKey = true })).Content.ReadFromJsonAsync<EndpointView>(Json);
        Assert.False(cleared!.HasKey);
        Assert.Null((await fixture.WithDbAsync(db => db.EvaluationEndpoints.AsNoTracking().SingleAsync(e => e.Id == created.Id))).ProtectedKey);
    }

    [Fact]
    public async Task An_endpoint_url_must_be_absolute_http()
    {
        foreach (var url in new[] { "ftp://host/v1", "/v1", "not a url", "http://user:pw@host/v1", "" })
        {
            var response = await Engineer.PostAsJsonAsync("/api/evaluation-endpoints", new { name = "bad-url " + url, baseUrl = url, model = "m" });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["baseUrl"]);
        }
        // In the caller's language: a Chinese page (or a request asking for zh-Hans) reads Chinese.
        var zh = await Engineer.PostAsJsonAsync("/api/evaluation-endpoints?culture=zh-Hans", new { name = "", baseUrl = "ftp://host/v1", model = "m", maxConcurrency = 99 });
        var errors = (await zh.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!;
        Assert.Equal("基础 URL 必须是完整的 http 或 https 地址，例如 http://10.0.0.5:8000/v1（实际为“ftp://host/v1”）。", (string?)errors["baseUrl"]![0]);
        Assert.Equal("请为端点命名。", (string?)errors["name"]![0]);
        Assert.Equal("并发数必须在 1 到 64 之间（实际为 99）。", (string?)errors["maxConcurrency"]![0]);
    }

    [Fact]
    public async Task A_schedule_needs_a_valid_cron_and_time_zone_and_gets_a_trigger()
    {
        var suite = await UploadSuiteAsync("suite-schedule", GoodSuite.Replace("hello", "good day"));
        var endpoint = await (await Engineer.PostAsJsonAsync("/api/evaluation-endpoints", new { name = "for-schedule", baseUrl = "http://127.0.0.1:9/v1", model = "m" }))
            .Content.ReadFromJsonAsync<EndpointView>(Json);

        var bad = await Engineer.PostAsJsonAsync("/api/evaluation-schedules", new { name = "nightly", suiteVersionId = suite.VersionId, target = new { kind = "endpoint", id = endpoint!.Id }, cron = "0 0 25 * * ?", timeZone = "Mars/Olympus" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Contains("cron", errors.Select(e => e.Key));
        Assert.Contains("Mars/Olympus", (string)errors["timeZone"]![0]!);
        var fiveFields = await Engineer.PostAsJsonAsync("/api/evaluation-schedules", new { name = "nightly", suiteVersionId = suite.VersionId, target = new { kind = "endpoint", id = endpoint.Id }, cron = "0 2 * * *" });
        Assert.Equal(HttpStatusCode.BadRequest, fiveFields.StatusCode);

        var created = await Engineer.PostAsJsonAsync("/api/evaluation-schedules", new { name = "nightly", suiteVersionId = suite.VersionId, target = new { kind = "endpoint", id = endpoint.Id }, cron = "0 0 2 * * ?", timeZone = "Asia/Shanghai" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var schedule = (await created.Content.ReadFromJsonAsync<ScheduleView>(Json))!;
        Assert.NotNull(schedule.NextRunAt);
        Assert.Equal(18, schedule.NextRunAt!.Value.UtcDateTime.Hour); // 02:00 in Shanghai
        var scheduler = await fixture.Portal.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.True(await scheduler.Exists(ScheduleService.KeyFor(schedule.Id)));

        // An endpoint a schedule uses cannot be deleted.
        Assert.Equal(HttpStatusCode.Conflict, (await Engineer.DeleteAsync($"/api/evaluation-endpoints/{endpoint.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Engineer.DeleteAsync($"/api/evaluation-schedules/{schedule.Id}")).StatusCode);
        Assert.False(await scheduler.Exists(ScheduleService.KeyFor(schedule.Id)));
        Assert.Equal(HttpStatusCode.NoContent, (await Engineer.DeleteAsync($"/api/evaluation-endpoints/{endpoint.Id}")).StatusCode);
    }

    [Fact]
    public async Task Feedback_import_reports_errors_by_line_and_column_and_stores_nothing_then()
    {
        const string csv = "model,score,completed,task,comment,recorded_at\n" +
                           "bank-bot,9,true,open account,fine,2026-05-01\n" +
                           "bank-bot,11,,,,2026-05-01\n" +
                           ",7,yes,,,2026-05-02\n" +
                           "bank-bot,,maybe,,,2026-05-02\n" +
                           "bank-bot,5,no,,,yesterday\n" +
                           "bank-bot,,,,,2026-05-03\n";
        var before = await fixture.WithDbAsync(db => db.Feedback.CountAsync());
        var response = await Engineer.PostAsync("/api/feedback/import", TestData.Upload("survey.csv", csv));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray().Select(e => ((int)e!["line"]!, (string?)e["field"])).ToList();
        Assert.Equal([(3, "score"), (4, "model"), (5, "completed"), (6, "recorded_at"), (7, "score")], errors);
        Assert.Equal(before, await fixture.WithDbAsync(db => db.Feedback.CountAsync()));

        var header = await Engineer.PostAsync("/api/feedback/import", TestData.Upload("survey.csv", "model;score\nx;1\n"));
        Assert.Equal(HttpStatusCode.BadRequest, header.StatusCode);
        Assert.Contains("model,score,completed", await header.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Feedback_in_gbk_is_imported_and_summarised_with_nps_and_completion()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        const string csv = "model,score,completed,task,comment,recorded_at\r\n" +
                           "客服模型,10,是,开户,\"很好, 很快\",2026-05-01T09:00:00+08:00\r\n" +
                           "客服模型,9,否,转账,,2026-05-01\r\n" +
                           "客服模型,3,是,挂失,太慢,2026-05-02\r\n" +
                           "客服模型,8,,查询,,2026-05-02\r\n";
        var response = await Engineer.PostAsync("/api/feedback/import", TestData.Upload("调查.csv", Encoding.GetEncoding(936).GetBytes(csv)));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var imported = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("gbk", (string)imported!["encoding"]!);
        Assert.Equal(4, (int)imported["records"]!);

        var summary = await fixture.Stakeholder.GetFromJsonAsync<JsonObject>("/api/feedback?model=" + Uri.EscapeDataString("客服模型"));
        Assert.Equal(4, (int)summary!["records"]!);
        // 2 promoters, 1 passive, 1 detractor of 4: NPS 25; 2 of 3 tasks completed.
        Assert.Equal(25, (double)summary["nps"]!["value"]!, 6);
        Assert.Equal(200.0 / 3, (double)summary["taskCompletion"]!["value"]!, 6);
        Assert.Contains(summary["latest"]!.AsArray(), r => (string?)r!["comment"] == "很好, 很快");
    }

    [Fact]
    public async Task The_endpoint_test_probes_the_model_list_with_the_stored_key()
    {
        // A loopback stand-in for an OpenAI-compatible server: /v1/models with one accepted key.
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        await using var server = builder.Build();
        server.MapGet("/v1/models", (Microsoft.AspNetCore.Http.HttpRequest r) =>
            r.Headers.Authorization.ToString() == "Bearer sk-right"
                ? Microsoft.AspNetCore.Http.Results.Json(new { @object = "list", data = new[] { new { id = "deepseek-v3" }, new { id = "qwen" } } })
                : Microsoft.AspNetCore.Http.Results.StatusCode(401));
        server.MapGet("/html/models", () => Microsoft.AspNetCore.Http.Results.Content("<html></html>", "text/html"));
        await server.StartAsync();
        var address = server.Urls.First().TrimEnd('/');

        async Task<EndpointProbe> ProbeAsync(string name, string baseUrl, string model, string? key)
        {
            var endpoint = await (await Engineer.PostAsJsonAsync("/api/evaluation-endpoints", new { name, baseUrl, model, apiKey = key })).Content.ReadFromJsonAsync<EndpointView>(Json);
            var response = await Engineer.PostAsync($"/api/evaluation-endpoints/{endpoint!.Id}/test", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<EndpointProbe>(Json))!;
        }

        var ok = await ProbeAsync("probe-ok", address + "/v1", "deepseek-v3", "sk-right");
        Assert.True(ok.Ok, ok.Message);
        Assert.Equal(["deepseek-v3", "qwen"], ok.Models);
        var wrongKey = await ProbeAsync("probe-key", address + "/v1", "deepseek-v3", "sk-wrong");
        Assert.Equal((false, 401, "The endpoint refused the API key."), (wrongKey.Ok, wrongKey.Status, wrongKey.Message));
        var wrongKeyZh = await Engineer.PostAsync($"/api/evaluation-endpoints/{(await Engineer.GetFromJsonAsync<List<EndpointView>>("/api/evaluation-endpoints", Json))!.Single(e => e.Name == "probe-key").Id}/test?culture=zh-Hans", null);
        Assert.Equal("端点拒绝了该 API 密钥。", (await wrongKeyZh.Content.ReadFromJsonAsync<EndpointProbe>(Json))!.Message);
        var unknownModel = await ProbeAsync("probe-model", address + "/v1", "gpt-9", "sk-right");
        Assert.False(unknownModel.Ok);
        Assert.Contains("gpt-9", unknownModel.Message);
        var html = await ProbeAsync("probe-html", address + "/html", "m", null);
        Assert.False(html.Ok);
        Assert.Contains("text/html", html.Message);
        await server.StopAsync();
        var down = await ProbeAsync("probe-down", address + "/v1", "deepseek-v3", "sk-right");
        Assert.False(down.Ok);
        Assert.Contains("could not be reached", down.Message);
    }
}
