using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Datasets.Cli;
using DeepSeek.Portal.Evaluation.Metrics;
using DeepSeek.Portal.Evaluations.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace DeepSeek.Portal.Tests.Evaluations;

/// <summary>
/// <c>eval …</c> in-process (the entry method with captured writers): metrics of files written to a temporary folder,
/// suite runs against a loopback OpenAI-protocol server and against a tiny model folder, perplexity with the engine.
/// </summary>
public sealed class EvaluationCliTests : IDisposable
{
    private const string Key = "sk-cli-secret-123";
    private readonly string _work = Path.Combine(Path.GetTempPath(), "deepseek-portal-tests", "eval-cli-" + Guid.NewGuid().ToString("N"));

    public EvaluationCliTests() => Directory.CreateDirectory(_work);

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Bleu_of_the_sacrebleu_readme_example_is_sacrebleus_with_its_figures_and_signature()
    {
        // sacrebleu's README / test_bleu.py example: two reference streams.
        var hyp = await WriteAsync("hyp.txt", "The dog bit the man.\nIt wasn't surprising.\nThe man had just bitten him.\n");
        var ref1 = await WriteAsync("ref1.txt", "The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n");
        var ref2 = await WriteAsync("ref2.txt", "The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n");

        var text = await RunAsync("bleu", "--hyp", hyp, "--ref", ref1, "--ref", ref2);
        Assert.Equal(0, text.Code);
        Assert.Equal(
            ["BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)", "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:deepseek-portal"],
            Lines(text.Out));

        var json = JsonNode.Parse((await RunAsync("bleu", "--hyp", hyp, "--ref", ref1, "--ref", ref2, "--json")).Out)!;
        Assert.Equal(48.530827, (double)json["score"]!, 5);
        Assert.Equal([14L, 7, 5, 3], json["counts"]!.AsArray().Select(n => (long)n!));
        Assert.Equal([17L, 14, 11, 8], json["totals"]!.AsArray().Select(n => (long)n!));
        Assert.Equal((17, 18), ((int)json["sysLen"]!, (int)json["refLen"]!));
        Assert.Equal(Math.Exp(1 - 18.0 / 17), (double)json["bp"]!, 12);
        Assert.Equal("13a", (string?)json["tokenize"]);

        // The other tokenizers of the same test vectors.
        var none = JsonNode.Parse((await RunAsync("bleu", "--hyp", hyp, "--ref", ref1, "--ref", ref2, "--tokenize", "none", "--json")).Out)!;
        Assert.Equal(49.1919566, (double)none["score"]!, 5);
        var intl = JsonNode.Parse((await RunAsync("bleu", "--hyp", hyp, "--ref", ref1, "--ref", ref2, "--tokenize", "intl", "--smooth", "floor", "--json")).Out)!;
        Assert.Equal(43.91623493, (double)intl["score"]!, 5); // every order has matches: smoothing does not change it
        Assert.Equal("nrefs:2|case:mixed|eff:no|tok:intl|smooth:floor[0.10]|version:deepseek-portal", (string?)intl["signature"]);
    }

    [Fact]
    public async Task Bleu_picks_the_zh_tokenizer_for_Chinese_references_and_mismatched_files_are_refused_by_name_and_count()
    {
        string[] hyps = ["今天天气很好，我们去公园散步。", "他喜欢读书。"];
        string[] refs = ["今天天气非常好，我们去公园散步吧。", "他很喜欢读书。"];
        var hyp = await WriteAsync("zh-hyp.txt", string.Join('\n', hyps) + "\n");
        var reference = await WriteAsync("zh-ref.txt", string.Join('\n', refs) + "\n");

        var auto = JsonNode.Parse((await RunAsync("bleu", "--hyp", hyp, "--ref", reference, "--json")).Out)!;
        Assert.Equal("zh", (string?)auto["tokenize"]);
        Assert.Contains("|tok:zh|", (string?)auto["signature"]);
        var zh = Bleu.Corpus(hyps, [refs], new BleuOptions { Tokenizer = BleuTokenizer.Zh }).Score;
        var v13a = Bleu.Corpus(hyps, [refs], new BleuOptions { Tokenizer = BleuTokenizer.V13a }).Score;
        Assert.NotEqual(zh, v13a, 3);
        Assert.Equal(zh, (double)auto["score"]!, 10);
        var forced = JsonNode.Parse((await RunAsync("bleu", "--hyp", hyp, "--ref", reference, "--tokenize", "13a", "--json")).Out)!;
        Assert.Equal(v13a, (double)forced["score"]!, 10);

        var short_ = await WriteAsync("short.txt", "只有一行。\n");
        var mismatch = await RunAsync("bleu", "--hyp", hyp, "--ref", short_);
        Assert.Equal(1, mismatch.Code);
        Assert.Equal("", mismatch.Out);
        Assert.Contains($"--ref {short_} has 1 lines but --hyp {hyp} has 2", mismatch.Err);
        var asJson = await RunAsync("bleu", "--hyp", hyp, "--ref", short_, "--json");
        Assert.Equal(1, asJson.Code);
        Assert.Contains("has 1 lines", (string?)JsonNode.Parse(asJson.Out)!["error"]);

        var missing = await RunAsync("bleu", "--hyp", Path.Combine(_work, "nope.txt"), "--ref", reference);
        Assert.Equal(1, missing.Code);
        Assert.Contains("nope.txt: no such file", missing.Err);
        var usage = await RunAsync("bleu", "--hyp", hyp, "--ref", reference, "--tokenize", "klingon");
        Assert.Equal(2, usage.Code);
        Assert.Contains("--tokenize expects auto, 13a, zh, intl or none", usage.Err);
        Assert.Equal(2, (await RunAsync("bleu", "--hyp", hyp, "--ref", reference, "--frobnicate")).Code);
    }

    [Fact]
    public async Task Squad_takes_the_best_of_tab_separated_or_json_gold_answers_and_rouge_is_the_mean_of_lines()
    {
        var pred = await WriteAsync("pred.txt", "Denver Broncos\nthe cat\n北京\n");
        var gold = await WriteAsync("gold.txt", "Broncos\tDenver Broncos\n[\"a dog\", \"The Cat!\"]\n北京市\n");
        var result = await RunAsync("squad", "--pred", pred, "--gold", gold, "--json");
        Assert.Equal(0, result.Code);
        var json = JsonNode.Parse(result.Out)!;
        // EM: exact, exact after normalisation ("the", "!" and case go), no. F1: 100, 100, and 北京 vs 北京市 by characters: P 1, R 2/3.
        Assert.Equal(200.0 / 3, (double)json["exactMatch"]!, 9);
        Assert.Equal((100 + 100 + 80) / 3.0, (double)json["f1"]!, 9);
        Assert.Equal(3, (int)json["lines"]!);
        Assert.Equal(["EM = 66.67 F1 = 93.33 (lines = 3)"], Lines((await RunAsync("squad", "--pred", pred, "--gold", gold)).Out));

        var badGold = await WriteAsync("bad-gold.txt", "Broncos\n[\"unclosed\n北京\n");
        var bad = await RunAsync("squad", "--pred", pred, "--gold", badGold);
        Assert.Equal(1, bad.Code);
        Assert.Contains("--gold line 2: a line that starts with [ must be a JSON array", bad.Err);

        // LCS "the cat on the mat" = 5 of 6 words either side; 中文 by characters: 我爱北京 vs 我爱上海 = 2 of 4.
        var hyp = await WriteAsync("rouge-hyp.txt", "the cat sat on the mat\n我爱北京\n");
        var reference = await WriteAsync("rouge-ref.txt", "the cat lay on the mat\n我爱上海\n");
        var rouge = JsonNode.Parse((await RunAsync("rouge", "--hyp", hyp, "--ref", reference, "--json")).Out)!;
        Assert.Equal(100 * (5.0 / 6 + 0.5) / 2, (double)rouge["rougeL"]!, 9);
    }

    [Fact]
    public async Task A_suite_runs_against_an_openai_compatible_endpoint_with_the_key_from_the_environment()
    {
        await using var server = await StartServerAsync(Key);
        var suite = await WriteAsync("suite.jsonl", Suite);
        var results = Path.Combine(_work, "results.json");

        var run = await RunAsync(["run", "--suite", suite, "--endpoint", server.Url, "--model", "stand-in", "--key-env", "EVAL_KEY", "--no-ppl", "--out", results, "--json"],
            name => name == "EVAL_KEY" ? Key : null);
        Assert.True(run.Code == 0, run.Err);
        var json = JsonNode.Parse(run.Out)!;
        Assert.Equal(("succeeded", 5, 5, 0), ((string?)json["status"], (int)json["itemsTotal"]!, (int)json["itemsDone"]!, (int)json["itemsFailed"]!));
        double Figure(string metric, string scope) =>
            (double)json["figures"]!.AsArray().Single(f => (string?)f!["metric"] == metric && (string?)f["scope"] == scope)!["value"]!;
        // x1: "The capital is Paris" vs Paris → EM 0, F1 50; x2: 北京 → 100, 100.
        Assert.Equal(50, Figure("em", "all"), 9);
        Assert.Equal(75, Figure("f1", "all"), 9);
        Assert.Equal(100, Figure("f1", "domain:banking"), 9);
        Assert.Equal(50, Figure("f1", "slice:general"), 9);
        Assert.Equal(100, Figure("bleu", "all"), 9);
        Assert.Equal(100, Figure("rougeL", "all"), 9);
        Assert.Equal(100, Figure("accuracy", "all"), 9);
        Assert.Equal(100, Figure("tcr", "all"), 9);
        Assert.Equal(5, server.Calls);

        var written = JsonNode.Parse(await File.ReadAllTextAsync(results))!;
        var items = written["items"]!.AsArray();
        Assert.Equal(["g1", "x1", "x2", "c1", "t1"], items.Select(i => (string)i!["id"]!));
        var x1 = items[1]!;
        Assert.Equal("The capital is Paris", (string?)x1["output"]);
        Assert.Equal(50, (double)x1["scores"]!["f1"]!, 9);
        Assert.Equal(["Paris"], x1["references"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(json["figures"]!.ToJsonString(), written["figures"]!.ToJsonString());
        Assert.DoesNotContain(Key, run.Out + run.Err + await File.ReadAllTextAsync(results));

        // The table form, with perplexity asked for: the stand-in has no /completions, so it is unavailable, not a failure.
        var table = await RunAsync(["run", "--suite", suite, "--endpoint", server.Url, "--model", "stand-in", "--key-env", "EVAL_KEY", "--out", results], name => name == "EVAL_KEY" ? Key : null);
        Assert.True(table.Code == 0, table.Err);
        Assert.StartsWith("suite.jsonl against ", table.Out);
        Assert.Contains(Lines(table.Out), l => l.StartsWith("2     f1", StringComparison.Ordinal) && l.Contains("  all  ") && l.Contains("75.00"));
        Assert.DoesNotContain(Lines(table.Out), l => l.Contains(" ppl "));
        var g1 = JsonNode.Parse(await File.ReadAllTextAsync(results))!["items"]![0]!;
        Assert.StartsWith("Perplexity and log-likelihood are not sup", (string?)g1["perplexityUnavailable"]);
    }

    [Fact]
    public async Task Cancelling_a_run_exits_130_and_keeps_the_items_already_done()
    {
        await using var server = await StartServerAsync(Key);
        server.SlowPrompt = "Open an account"; // answered only when the run is cancelled
        var suite = await WriteAsync("suite.jsonl", Suite);
        var results = Path.Combine(_work, "cancelled.json");
        using var cancel = new CancellationTokenSource();
        var running = RunAsync(["run", "--suite", suite, "--endpoint", server.Url, "--model", "stand-in", "--key-env", "EVAL_KEY", "--no-ppl", "--concurrency", "1", "--out", results],
            name => name == "EVAL_KEY" ? Key : null, cancel.Token);
        await server.SlowCallStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();
        var run = await running;
        Assert.Equal(130, run.Code);
        Assert.Equal("", run.Out);
        // The four answered items were done; the last of them may still have been on its way to the reader.
        var done = System.Text.RegularExpressions.Regex.Match(run.Err, @"cancelled after (\d) of 5 items");
        Assert.True(done.Success, run.Err);
        var count = int.Parse(done.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(count, 3, 4);
        var written = JsonNode.Parse(await File.ReadAllTextAsync(results))!;
        Assert.Equal(("cancelled", count), ((string?)written["status"], written["items"]!.AsArray().Count));
        Assert.DoesNotContain(written["items"]!.AsArray(), i => (string?)i!["id"] == "t1");
    }

    [Fact]
    public async Task A_refused_key_fails_every_item_with_the_reason_and_the_key_never_reaches_the_command_line()
    {
        await using var server = await StartServerAsync(Key);
        var suite = await WriteAsync("suite.jsonl", Suite);
        var results = Path.Combine(_work, "failed.json");

        var run = await RunAsync(["run", "--suite", suite, "--endpoint", server.Url, "--model", "stand-in", "--key-env", "EVAL_KEY", "--no-ppl", "--concurrency", "2", "--out", results, "--json"],
            name => name == "EVAL_KEY" ? "sk-wrong-key" : null);
        Assert.Equal(1, run.Code);
        Assert.Contains("5 × Unauthorized: ", run.Err);
        Assert.Contains("the API key was refused (HTTP 401", run.Err);
        Assert.Contains("failed: 5 of 5 items failed; the figures leave them out", run.Err);
        var json = JsonNode.Parse(run.Out)!;
        Assert.Equal(("failed", 5), ((string?)json["status"], (int)json["itemsFailed"]!));
        Assert.Empty(json["figures"]!.AsArray());
        var written = JsonNode.Parse(await File.ReadAllTextAsync(results))!;
        Assert.All(written["items"]!.AsArray(), i => Assert.StartsWith("Unauthorized:", (string?)i!["error"]));
        Assert.DoesNotContain("sk-wrong-key", run.Out + run.Err + await File.ReadAllTextAsync(results));

        var onCommandLine = await RunAsync("run", "--suite", suite, "--endpoint", server.Url, "--model", "stand-in", "--key", Key);
        Assert.Equal(2, onCommandLine.Code);
        Assert.Contains("--key-env", onCommandLine.Err);
        var unset = await RunAsync("run", "--suite", suite, "--endpoint", server.Url, "--model", "stand-in", "--key-env", "EVAL_KEY_NOT_SET_ANYWHERE");
        Assert.Equal(1, unset.Code);
        Assert.Contains("--key-env EVAL_KEY_NOT_SET_ANYWHERE: the environment variable is not set", unset.Err);
        var badSuite = await WriteAsync("bad.jsonl", """{"id":"x","kind":"extraction","prompt":"p","references":[]}""");
        var refused = await RunAsync("run", "--suite", badSuite, "--endpoint", server.Url, "--model", "stand-in");
        Assert.Equal(1, refused.Code);
        Assert.Contains("line 1, references", refused.Err);
        Assert.Equal(5, server.Calls); // a refused key is not retried, and refused command lines call nothing
    }

    [Fact]
    public async Task Perplexity_and_a_suite_run_on_a_tiny_model_folder_use_the_engine()
    {
        var folder = Path.Combine(_work, "tiny");
        TinyModelFolders.Write(folder, TinyModelFolders.TinyQwen2(), seed: 3);
        string[] texts = ["Hello world, hello portal.", "模型读取第 3 行。", "The model reads line 7."];
        var txt = await WriteAsync("texts.txt", texts[0] + "\n\n" + texts[1] + "\n" + texts[2] + "\n");
        var jsonl = await WriteAsync("texts.jsonl", string.Join('\n', texts.Select(t => new JsonObject { ["text"] = t, ["other"] = 1 }.ToJsonString())) + "\n");

        var plain = await RunAsync("ppl", "--model-folder", folder, "--file", txt, "--json");
        Assert.True(plain.Code == 0, plain.Err);
        var json = JsonNode.Parse(plain.Out)!;
        var tokenizer = TinyModelFolders.SharedTokenizer;
        // Each text follows BOS, so every one of its tokens is predicted.
        Assert.True(tokenizer.BosId >= 0);
        Assert.Equal(texts.Sum(t => tokenizer.Encode(t).Length), (long)json["tokens"]!);
        Assert.Equal(3, (int)json["texts"]!);
        var (ppl, nll, tokens) = ((double)json["ppl"]!, (double)json["nll"]!, (long)json["tokens"]!);
        Assert.Equal(Math.Exp(nll / tokens), ppl, 9);
        // Random weights: about as unsure as a uniform guess over the vocabulary, never certain.
        Assert.InRange(ppl, 2, 20 * tokenizer.VocabSize);
        var records = JsonNode.Parse((await RunAsync("ppl", "--model-folder", folder, "--file", jsonl, "--json")).Out)!;
        Assert.Equal(nll, (double)records["nll"]!, 6);

        // A text longer than the model's context (256) fails its line; the figure is over the rest.
        var longLine = await WriteAsync("long.txt", texts[0] + "\n" + string.Join(' ', Enumerable.Repeat("hello portal", 400)) + "\n");
        var partial = await RunAsync("ppl", "--model-folder", folder, "--file", longLine);
        Assert.Equal(1, partial.Code);
        Assert.Contains("eval ppl: line 2:", partial.Err);
        Assert.Contains("1 of 2 texts failed", partial.Err);
        Assert.StartsWith("PPL = ", partial.Out);

        var suite = await WriteAsync("engine-suite.jsonl", """{"id":"g1","kind":"generation","prompt":"Hello world","reference":"hello portal"}""" + "\n");
        var run = await RunAsync("run", "--suite", suite, "--model-folder", folder, "--max-new-tokens", "4", "--json");
        Assert.True(run.Code == 0, run.Err);
        var figures = JsonNode.Parse(run.Out)!["figures"]!.AsArray();
        Assert.Contains(figures, f => (string?)f!["metric"] == "ppl" && (string?)f["scope"] == "all" && (double)f["value"]! > 1);
        Assert.Contains(figures, f => (string?)f!["metric"] == "bleu");

        var noFolder = await RunAsync("ppl", "--model-folder", Path.Combine(_work, "absent"), "--file", txt);
        Assert.Equal(1, noFolder.Code);
        Assert.Contains("no such directory", noFolder.Err);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_each_command_has_its_own()
    {
        var overview = await RunAsync("--help");
        Assert.Equal(0, overview.Code);
        Assert.Contains("bleu --hyp <file> --ref <file>", overview.Out);
        var bleu = await RunAsync("bleu", "--help");
        Assert.Equal(0, bleu.Code);
        Assert.StartsWith("Usage: eval bleu", bleu.Out);
        Assert.StartsWith("Usage: eval run", (await RunAsync("help", "run")).Out);
        var none = await RunAsync();
        Assert.Equal(2, none.Code);
        var unknown = await RunAsync("meteor");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("unknown command \"meteor\"", unknown.Err);
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private const string Suite =
        """
        {"id":"g1","kind":"generation","prompt":"Say hello","reference":"Hello world, nice to meet you."}
        {"id":"x1","kind":"extraction","slice":"general","prompt":"Capital of France?","references":["Paris"]}
        {"id":"x2","kind":"extraction","prompt":"中国的首都是哪里？","references":["北京"],"domain":"banking"}
        {"id":"c1","kind":"classification","slice":"adversarial","prompt":"Is 2 even?","choices":["yes","no"],"answer":"yes","scoring":"generation"}
        {"id":"t1","kind":"conversation","messages":[{"role":"user","content":"Open an account"}],"criteria":["account"]}
        """;

    private static readonly Dictionary<string, string> Answers = new()
    {
        ["Say hello"] = "Hello world, nice to meet you.", // corpus BLEU needs 4-grams to be above 0
        ["Capital of France?"] = "The capital is Paris",
        ["中国的首都是哪里？"] = "北京",
        ["Is 2 even?"] = "yes",
        ["Open an account"] = "Your account is open.",
    };

    /// <summary>A loopback stand-in for an OpenAI-compatible chat endpoint: one accepted key, answers by the last user turn.</summary>
    private sealed class StandIn(WebApplication app, string url) : IAsyncDisposable
    {
        private int _calls;
        public string Url => url;
        public int Calls => _calls;
        public void Called() => Interlocked.Increment(ref _calls);
        public WebApplication App => app;
        /// <summary>A prompt whose answer waits until the request is aborted.</summary>
        public string? SlowPrompt { get; set; }
        public TaskCompletionSource SlowCallStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<StandIn> StartServerAsync(string key)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        StandIn? standIn = null;
        app.MapPost("/v1/chat/completions", async (HttpRequest request) =>
        {
            standIn!.Called();
            if (request.Headers.Authorization.ToString() != "Bearer " + key)
                return Results.Json(new { error = new { message = "Incorrect API key provided", type = "invalid_request_error" } }, statusCode: 401);
            var body = (await JsonNode.ParseAsync(request.Body))!;
            var prompt = (string?)body["messages"]!.AsArray().Last(m => (string?)m!["role"] == "user")!["content"] ?? "";
            if (prompt == standIn.SlowPrompt)
            {
                standIn.SlowCallStarted.TrySetResult();
                await Task.Delay(Timeout.Infinite, request.HttpContext.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            return Results.Json(new
            {
                id = "chatcmpl-1",
                @object = "chat.completion",
                model = (string?)body["model"],
                choices = new[] { new { index = 0, message = new { role = "assistant", content = Answers.GetValueOrDefault(prompt, "?") }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 5, completion_tokens = 3, total_tokens = 8 },
            });
        });
        await app.StartAsync();
        standIn = new StandIn(app, app.Urls.First().TrimEnd('/') + "/v1");
        return standIn;
    }

    private sealed record Result(int Code, string Out, string Err);

    private Task<Result> RunAsync(params string[] args) => RunAsync(args, _ => null);

    private static async Task<Result> RunAsync(string[] args, Func<string, string?> environment, CancellationToken ct = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await EvaluationCommandLine.RunAsync(["eval", .. args], output, error, new EvaluationCommandLineOptions { Environment = environment }, ct);
        return new Result(code, output.ToString(), error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    private async Task<string> WriteAsync(string name, string content)
    {
        var path = Path.Combine(_work, name);
        await File.WriteAllTextAsync(path, content, new UTF8Encoding(false));
        return path;
    }
}
