using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Evaluations;
using DeepSeek.Portal.Evaluations.Endpoints;
using DeepSeek.Portal.Evaluations.Schedules;
using DeepSeek.Portal.Evaluations.Suites;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepSeek.Portal.Tests.Evaluations;

/// <summary>Keeps every line the portal logs (message and exception), so tests can check that no key is logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>One portal for the end-to-end endpoint evaluations: one retry, short back-off, every log line kept.</summary>
public sealed class EndToEndPortal : IAsyncLifetime
{
    public CapturingLoggerProvider Logs { get; } = new();
    public PortalFactory Portal { get; }
    public HttpClient Engineer { get; private set; } = default!;

    public EndToEndPortal()
    {
        Portal = new PortalFactory { LoggerProvider = Logs };
        Portal.Settings["Portal:Evaluations:MaxRetries"] = "1";
        Portal.Settings["Portal:Evaluations:BackoffBaseMilliseconds"] = "20";
        Portal.Settings["Portal:Evaluations:BackoffCapMilliseconds"] = "100";
    }

    public async Task InitializeAsync() => Engineer = await Portal.ClientForRoleAsync(PortalRoles.Engineer);

    public async Task DisposeAsync() => await Portal.DisposeAsync();
}

/// <summary>
/// Endpoint evaluations end to end: the portal's REST API, its SQLite database and Quartz, the runner's
/// OpenAI-compatible client, and a loopback OpenAI-protocol server whose answers make every figure computable by hand.
/// </summary>
public sealed class EndpointEvaluationEndToEndTests(EndToEndPortal fixture) : IClassFixture<EndToEndPortal>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private HttpClient Engineer => fixture.Engineer;

    /// <summary>Ten items of every kind in English and Chinese; <see cref="Answer"/> gives the server's replies.</summary>
    private const string BilingualSuite =
        """
        {"id":"g-en","kind":"generation","slice":"general","domain":"greetings","prompt":"Say good morning","reference":"good morning to you all"}
        {"id":"g-zh","kind":"generation","slice":"domain","domain":"greetings","prompt":"用中文说今天天气","reference":"今天天气很好"}
        {"id":"x-en","kind":"extraction","slice":"general","domain":"geography","prompt":"What is the capital of France?","references":["Paris"]}
        {"id":"x-zh","kind":"extraction","slice":"domain","domain":"geography","prompt":"中国的首都是哪里","references":["北京"]}
        {"id":"c-en1","kind":"classification","slice":"general","prompt":"Is 7 even?","choices":["yes","no"],"answer":"no"}
        {"id":"c-zh","kind":"classification","slice":"domain","prompt":"八是偶数吗","choices":["是","不是"],"answer":"是"}
        {"id":"c-en2","kind":"classification","slice":"adversarial","prompt":"Is 3 odd?","choices":["even","odd number"],"answer":"odd number"}
        {"id":"t-en1","kind":"conversation","slice":"general","messages":[{"role":"user","content":"Open an account"}],"criteria":["account"]}
        {"id":"t-zh","kind":"conversation","slice":"domain","messages":[{"role":"user","content":"我要挂失银行卡"}],"criteria":["挂失"]}
        {"id":"t-en2","kind":"conversation","slice":"adversarial","messages":[{"role":"user","content":"Transfer money abroad"}],"criteria":["transfer"]}
        """;

    private static void Answer(LoopbackOpenAiServer server)
    {
        server.Replies.Add(("Say good morning", "good morning to you all"));
        server.Replies.Add(("今天天气", "今天天气很好"));
        server.Replies.Add(("capital of France", "Paris"));
        server.Replies.Add(("中国的首都", "北京市"));
        server.Replies.Add(("Open an account", "Your account is open."));
        server.Replies.Add(("挂失", "好的，已为您挂失。"));
        server.Replies.Add(("Transfer money", "Sorry, I cannot help with that."));
    }

    private async Task<SuiteUploaded> UploadSuiteAsync(string name, string content)
    {
        var response = await Engineer.PostAsync("/api/evaluation-suites", TestData.Upload($"{name}.jsonl", content, name));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<SuiteUploaded>(Json))!;
    }

    private async Task<EndpointView> RegisterAsync(LoopbackOpenAiServer server, string name, string? key = null, string? model = null, int? maxConcurrency = null, int? timeoutSeconds = null)
    {
        var response = await Engineer.PostAsJsonAsync("/api/evaluation-endpoints",
            new { name, baseUrl = server.BaseUrl.ToString(), model = model ?? server.Model, apiKey = key, maxConcurrency, timeoutSeconds });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<EndpointView>(Json))!;
    }

    private async Task<EvaluationSummary> LaunchAsync(int versionId, int endpointId, int concurrency = 4)
    {
        var response = await Engineer.PostAsJsonAsync("/api/evaluations", new { suiteVersionId = versionId, target = new { kind = "endpoint", id = endpointId }, concurrency, maxNewTokens = 32 });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<EvaluationSummary>(Json))!;
    }

    private async Task<EvaluationDetail> DetailAsync(int id) => (await Engineer.GetFromJsonAsync<EvaluationDetail>($"/api/evaluations/{id}", Json))!;

    private async Task<EvaluationDetail> WaitForEndAsync(int id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var detail = await DetailAsync(id);
            if (detail.Evaluation.Status is not (EvaluationStatus.Queued or EvaluationStatus.Running))
                return detail;
            Assert.True(DateTime.UtcNow < deadline, $"Evaluation {id} is still {detail.Evaluation.Status} ({detail.Evaluation.ItemsDone} of {detail.Evaluation.ItemsTotal} done).");
            await Task.Delay(100);
        }
    }

    private async Task<List<EvaluationItemView>> ItemsAsync(int id) =>
        [.. (await Engineer.GetFromJsonAsync<EvaluationItemPage>($"/api/evaluations/{id}/items?pageSize=200", Json))!.Items];

    private static EvaluationFigure Figure(EvaluationDetail detail, string metric, string scope = "all") =>
        detail.Figures.SingleOrDefault(f => f.Metric == metric && f.Scope == scope) ?? throw new Xunit.Sdk.XunitException($"No {metric} figure for {scope}: {string.Join(", ", detail.Figures.Select(f => $"{f.Metric}/{f.Scope}"))}");

    private void AssertNowhere(string secret, params string[] places)
    {
        foreach (var place in places)
            Assert.DoesNotContain(secret, place);
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_endpoint_evaluation_through_the_api_has_the_figures_computed_by_hand_keeps_the_key_secret_and_respects_the_endpoint_concurrency()
    {
        const string key = "sk-e2e-secret-5f2c9a71d3";
        await using var server = await LoopbackOpenAiServer.StartAsync("model-main");
        Answer(server);
        server.RequiredKey = key;
        server.Latency = TimeSpan.FromMilliseconds(20); // so that concurrent requests overlap
        var endpoint = await RegisterAsync(server, "e2e-main", key, maxConcurrency: 2);
        var suite = await UploadSuiteAsync("e2e-bilingual", BilingualSuite);
        Assert.Equal(10, suite.Items);

        var launched = await LaunchAsync(suite.VersionId, endpoint.Id, concurrency: 8);
        var detail = await WaitForEndAsync(launched.Id);
        var e = detail.Evaluation;
        Assert.True(e.Status == EvaluationStatus.Succeeded, e.Error);
        Assert.Equal((10, 10, 0, 0), (e.ItemsTotal, e.ItemsDone, e.ItemsFailed, e.ItemsCached));
        // The endpoint's limit (2) caps the launch's concurrency (8).
        Assert.InRange(server.MaxInFlight, 1, 2);
        Assert.All(server.Authorizations, a => Assert.Equal($"Bearer {key}", a));

        // Perplexity: the references after their prompts; each token −0.1 per code point.
        // " good morning to you all" 5 tokens 24 code points; "今天天气很好" 6; " Paris" 1 of 6; "北京" 2.
        var ppl = Figure(detail, "ppl");
        Assert.Equal(Math.Exp((2.4 + 0.6 + 0.6 + 0.2) / 14), ppl.Value, 9);
        Assert.Equal((4, 14L), (ppl.Count, ppl.Tokens));
        Assert.Equal(Math.Exp(3.0 / 11), Figure(detail, "ppl", "domain:greetings").Value, 9);
        // Both generations are answered word for word.
        Assert.Equal((100.0, 2), (Math.Round(Figure(detail, "bleu").Value, 9), Figure(detail, "bleu").Count));
        // "Paris" = "Paris" (100); "北京市" against "北京", by character: P 2/3, R 1 → 80.
        Assert.Equal(90, Figure(detail, "f1").Value, 9);
        Assert.Equal(80, Figure(detail, "f1", "slice:domain").Value, 9);
        Assert.Equal(50, Figure(detail, "em").Value, 9);
        // Log-likelihood favours the shorter choice: " no" right, "是" right, " even" wrong.
        Assert.Equal(200.0 / 3, Figure(detail, "accuracy").Value, 9);
        Assert.Equal(3, Figure(detail, "accuracy").Count);
        Assert.Equal(0, Figure(detail, "accuracy", "slice:adversarial").Value);
        Assert.Equal(100, Figure(detail, "accuracy", "slice:domain").Value);
        Assert.Equal(100, Figure(detail, "robustnessDrop").Value, 9);
        // Two of three conversations meet their criteria.
        var tcr = Figure(detail, "tcr");
        Assert.Equal(200.0 / 3, tcr.Value, 9);
        Assert.Equal(3, tcr.Count);
        Assert.True(tcr.Lower < tcr.Value && tcr.Value < tcr.Upper);

        // Drill-down: every item with its input, output, references and own scores.
        var items = await ItemsAsync(launched.Id);
        Assert.Equal(10, items.Count);
        var xzh = items.Single(i => i.ItemId == "x-zh");
        Assert.Equal(("extraction", "domain", "geography", "北京市", "北京"), (xzh.Kind, xzh.Slice, xzh.Domain, xzh.Output, xzh.References.Single()));
        Assert.Equal(80, xzh.Scores["f1"], 9);
        var cen2 = items.Single(i => i.ItemId == "c-en2");
        Assert.Equal(("even", "odd number"), (cen2.Output, cen2.References.Single()));
        Assert.Contains("(B) odd number", cen2.Input);
        Assert.Equal("好的，已为您挂失。", items.Single(i => i.ItemId == "t-zh").Output);
        Assert.All(items, i => Assert.Null(i.Error));
        var failedOnly = await Engineer.GetFromJsonAsync<EvaluationItemPage>($"/api/evaluations/{launched.Id}/items?failed=true", Json);
        Assert.Equal(0, failedOnly!.Total);

        // The key is nowhere: not in the evaluation, its items, the endpoint list or the log.
        AssertNowhere(key,
            await Engineer.GetStringAsync($"/api/evaluations/{launched.Id}"),
            await Engineer.GetStringAsync($"/api/evaluations/{launched.Id}/items?pageSize=200"),
            await Engineer.GetStringAsync("/api/evaluations"),
            await Engineer.GetStringAsync("/api/evaluation-endpoints"));

        // The same launch again: every item from the cache, not one request.
        server.ResetCounts();
        var again = await WaitForEndAsync((await LaunchAsync(suite.VersionId, endpoint.Id, concurrency: 8)).Id);
        Assert.Equal(EvaluationStatus.Succeeded, again.Evaluation.Status);
        Assert.Equal((10, 10), (again.Evaluation.ItemsCached, again.Evaluation.ItemsDone));
        Assert.Equal(0, server.Requests);
        Assert.Equal(ppl.Value, Figure(again, "ppl").Value, 12);
        Assert.Equal(Figure(detail, "accuracy").Value, Figure(again, "accuracy").Value, 12);
        Assert.All(await ItemsAsync(again.Evaluation.Id), i => Assert.True(i.FromCache));
    }

    private const string SmallSuite =
        """
        {"id":"s1","kind":"generation","slice":"general","prompt":"Say good morning","reference":"good morning to you all"}
        {"id":"s2","kind":"extraction","slice":"domain","prompt":"中国的首都是哪里","references":["北京"]}
        {"id":"s3","kind":"conversation","slice":"general","messages":[{"role":"user","content":"Open an account"}],"criteria":["account"]}
        """;

    [Fact]
    public async Task An_endpoint_that_always_answers_429_fails_every_item_as_rate_limited_and_records_no_figure()
    {
        await using var server = await LoopbackOpenAiServer.StartAsync("model-429");
        server.Mode = LoopbackMode.AlwaysRateLimited;
        var endpoint = await RegisterAsync(server, "e2e-429");
        var suite = await UploadSuiteAsync("e2e-429-suite", SmallSuite);

        var detail = await WaitForEndAsync((await LaunchAsync(suite.VersionId, endpoint.Id)).Id);
        Assert.Equal(EvaluationStatus.Failed, detail.Evaluation.Status);
        Assert.Equal((3, 3), (detail.Evaluation.ItemsDone, detail.Evaluation.ItemsFailed));
        Assert.StartsWith("Every item failed:", detail.Evaluation.Error);
        Assert.Contains("429", detail.Evaluation.Error);
        Assert.Empty(detail.Figures);
        var items = await ItemsAsync(detail.Evaluation.Id);
        Assert.All(items, i => Assert.StartsWith("RateLimited:", i.Error));
        Assert.All(items, i => Assert.Empty(i.Scores));
        // One retry each (Portal:Evaluations:MaxRetries = 1): two requests per item.
        Assert.Equal(6, server.Requests);
    }

    [Fact]
    public async Task Items_refused_with_429_are_left_out_of_every_figure_and_the_evaluation_is_partial()
    {
        await using var server = await LoopbackOpenAiServer.StartAsync("model-partial");
        Answer(server);
        server.RateLimitMarker = "capital of France"; // item x-en only
        var endpoint = await RegisterAsync(server, "e2e-partial");
        var suite = await UploadSuiteAsync("e2e-partial-suite", BilingualSuite.Replace("\"id\":\"", "\"id\":\"p-"));

        var detail = await WaitForEndAsync((await LaunchAsync(suite.VersionId, endpoint.Id)).Id);
        var e = detail.Evaluation;
        Assert.Equal(EvaluationStatus.Partial, e.Status);
        Assert.True(e.Partial);
        Assert.Equal((10, 1), (e.ItemsDone, e.ItemsFailed));
        Assert.StartsWith("1 of 10 items failed", e.Error);
        // Figures from the nine others only: F1 of "北京市" alone, perplexity without " Paris".
        Assert.Equal((80.0, 1), (Math.Round(Figure(detail, "f1").Value, 9), Figure(detail, "f1").Count));
        Assert.Equal((Math.Round(Math.Exp(3.2 / 13), 9), 3, 13L), (Math.Round(Figure(detail, "ppl").Value, 9), Figure(detail, "ppl").Count, Figure(detail, "ppl").Tokens));
        Assert.Equal(3, Figure(detail, "accuracy").Count);
        Assert.Equal(3, Figure(detail, "tcr").Count);
        var failed = (await Engineer.GetFromJsonAsync<EvaluationItemPage>($"/api/evaluations/{e.Id}/items?failed=true", Json))!.Items.Single();
        Assert.Equal("p-x-en", failed.ItemId);
        Assert.StartsWith("RateLimited:", failed.Error);
        Assert.Empty(failed.Scores);
    }

    [Fact]
    public async Task Malformed_json_html_a_wrong_key_an_unknown_model_and_a_timeout_each_fail_the_evaluation_with_a_clear_reason()
    {
        const string wrongKey = "sk-e2e-wrong-8b1e44c0";
        await using var server = await LoopbackOpenAiServer.StartAsync("model-bad");
        Answer(server);
        var suite = await UploadSuiteAsync("e2e-bad-suite", SmallSuite.Replace("\"id\":\"s", "\"id\":\"b"));
        var cases = new (string Name, Action Arrange, Func<Task<EndpointView>> Register, string Kind, string Says)[]
        {
            ("malformed", () => server.Mode = LoopbackMode.MalformedJson, () => RegisterAsync(server, "e2e-malformed"), "Malformed", "invalid JSON"),
            ("html", () => server.Mode = LoopbackMode.Html, () => RegisterAsync(server, "e2e-html"), "ContentType", "text/html"),
            ("wrong key", () => { server.Mode = LoopbackMode.Normal; server.RequiredKey = "sk-right"; }, () => RegisterAsync(server, "e2e-wrong-key", wrongKey), "Unauthorized", "the API key was refused"),
            ("unknown model", () => server.RequiredKey = null, () => RegisterAsync(server, "e2e-unknown-model", model: "gpt-9"), "ModelNotFound", "The model `gpt-9` does not exist"),
            ("timeout", () => server.Mode = LoopbackMode.Slow, () => RegisterAsync(server, "e2e-timeout", timeoutSeconds: 1), "Timeout", "gave no answer within 1 s"),
        };
        foreach (var (name, arrange, register, kind, says) in cases)
        {
            arrange();
            var endpoint = await register();
            var detail = await WaitForEndAsync((await LaunchAsync(suite.VersionId, endpoint.Id)).Id);
            Assert.True(detail.Evaluation.Status == EvaluationStatus.Failed, $"{name}: {detail.Evaluation.Status} {detail.Evaluation.Error}");
            Assert.True(detail.Evaluation.Error?.Contains(says, StringComparison.Ordinal) == true, $"{name}: {detail.Evaluation.Error}");
            Assert.Equal(3, detail.Evaluation.ItemsFailed);
            Assert.Empty(detail.Figures);
            var items = await ItemsAsync(detail.Evaluation.Id);
            Assert.All(items, i => Assert.StartsWith($"{kind}:", i.Error));
            Assert.All(items, i => Assert.Empty(i.Scores));
            if (name == "wrong key")
                AssertNowhere(wrongKey, await Engineer.GetStringAsync($"/api/evaluations/{detail.Evaluation.Id}"), await Engineer.GetStringAsync($"/api/evaluations/{detail.Evaluation.Id}/items"));
        }
    }

    [Fact]
    public async Task Without_log_probabilities_the_evaluation_succeeds_without_perplexity_and_the_items_say_why()
    {
        await using var server = await LoopbackOpenAiServer.StartAsync("model-nolp");
        Answer(server);
        server.Mode = LoopbackMode.NoLogprobs;
        var endpoint = await RegisterAsync(server, "e2e-nolp");
        var suite = await UploadSuiteAsync("e2e-nolp-suite", SmallSuite.Replace("\"id\":\"s", "\"id\":\"n"));

        var detail = await WaitForEndAsync((await LaunchAsync(suite.VersionId, endpoint.Id)).Id);
        Assert.True(detail.Evaluation.Status == EvaluationStatus.Succeeded, detail.Evaluation.Error);
        Assert.DoesNotContain(detail.Figures, f => f.Metric == "ppl");
        Assert.Equal(100, Figure(detail, "bleu").Value, 9);
        Assert.Equal(80, Figure(detail, "f1").Value, 9);
        var items = await ItemsAsync(detail.Evaluation.Id);
        foreach (var id in new[] { "n1", "n2" })
        {
            var item = items.Single(i => i.ItemId == id);
            Assert.Null(item.Error);
            Assert.Contains("not supported by this endpoint", item.Note);
            Assert.DoesNotContain("nll", item.Scores.Keys);
        }
        Assert.Null(items.Single(i => i.ItemId == "n3").Note);
    }

    [Fact]
    public async Task Cancelling_a_running_evaluation_keeps_the_items_already_stored()
    {
        await using var server = await LoopbackOpenAiServer.StartAsync("model-cancel");
        Answer(server);
        var suite = await UploadSuiteAsync("e2e-cancel-suite",
            SmallSuite.Replace("\"id\":\"s", "\"id\":\"k") + "\n" +
            """{"id":"k4","kind":"conversation","slice":"general","messages":[{"role":"user","content":"WAIT here"}],"criteria":["x"]}""" + "\n" +
            """{"id":"k5","kind":"conversation","slice":"general","messages":[{"role":"user","content":"WAIT there"}],"criteria":["x"]}""");
        var endpoint = await RegisterAsync(server, "e2e-cancel");
        // The first three items are answered; the two "WAIT" items hang until cancellation abandons them.
        server.BlockMarker = "WAIT";
        var launched = await LaunchAsync(suite.VersionId, endpoint.Id, concurrency: 2);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (server.InFlight < 2 || server.Requests < 5)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The server saw {server.Requests} requests, {server.InFlight} in flight.");
            await Task.Delay(50);
        }
        await Task.Delay(300); // lets the job take in the three answered items before it is cancelled
        var cancel = await Engineer.PostAsync($"/api/evaluations/{launched.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);

        var detail = await WaitForEndAsync(launched.Id);
        Assert.Equal(EvaluationStatus.Cancelled, detail.Evaluation.Status);
        var items = await ItemsAsync(launched.Id);
        Assert.Equal(["k1", "k2", "k3"], items.Select(i => i.ItemId).Order());
        Assert.Equal(3, detail.Evaluation.ItemsDone);
        Assert.All(items, i => Assert.Null(i.Error));
        Assert.Empty(detail.Figures);
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (server.InFlight > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.Equal(0, server.InFlight); // the hanging requests were abandoned
    }

    [Fact]
    public async Task A_schedule_whose_cron_fires_within_seconds_creates_and_runs_an_evaluation()
    {
        await using var server = await LoopbackOpenAiServer.StartAsync("model-schedule");
        Answer(server);
        var endpoint = await RegisterAsync(server, "e2e-schedule");
        var suite = await UploadSuiteAsync("e2e-schedule-suite", SmallSuite.Replace("\"id\":\"s", "\"id\":\"q"));
        var created = await Engineer.PostAsJsonAsync("/api/evaluation-schedules",
            new { name = "every few seconds", suiteVersionId = suite.VersionId, target = new { kind = "endpoint", id = endpoint.Id }, cron = "0/2 * * * * ?", timeZone = "UTC" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var schedule = (await created.Content.ReadFromJsonAsync<ScheduleView>(Json))!;

        var deadline = DateTime.UtcNow.AddSeconds(20);
        List<EvaluationSummary> fired;
        while ((fired = (await Engineer.GetFromJsonAsync<List<EvaluationSummary>>($"/api/evaluations?scheduleId={schedule.Id}", Json))!).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The schedule did not fire.");
            await Task.Delay(100);
        }
        Assert.Equal(HttpStatusCode.NoContent, (await Engineer.DeleteAsync($"/api/evaluation-schedules/{schedule.Id}")).StatusCode);

        var first = fired.MinBy(f => f.Id)!;
        var detail = await WaitForEndAsync(first.Id);
        Assert.True(detail.Evaluation.Status == EvaluationStatus.Succeeded, detail.Evaluation.Error);
        Assert.Equal(schedule.Id, detail.Evaluation.ScheduleId);
        Assert.Equal(("endpoint", endpoint.Id), (detail.Evaluation.TargetKind, detail.Evaluation.TargetId));
        Assert.Equal(100, Figure(detail, "tcr").Value);
        // Evaluations the schedule fired before it was deleted run to their end too.
        foreach (var other in (await Engineer.GetFromJsonAsync<List<EvaluationSummary>>($"/api/evaluations?scheduleId={schedule.Id}", Json))!)
            Assert.NotEqual(EvaluationStatus.Failed, (await WaitForEndAsync(other.Id)).Evaluation.Status);
        var stored = await WithDbAsync(db => db.Evaluations.AsNoTracking().CountAsync(x => x.ScheduleId == schedule.Id));
        Assert.True(stored >= 1);
    }

    private async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> work)
    {
        await using var scope = fixture.Portal.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }
}
