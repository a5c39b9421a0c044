using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Feeding.Composer;

namespace DeepSeek.Portal.Evaluation.Tests.Runners;

/// <summary>The suite runner against the OpenAI-compatible target and a real loopback server.</summary>
public sealed class SuiteRunnerTests
{
    private static SuiteItem Generation(string id, string prompt, params string[] references) =>
        new(id, ItemKind.Generation, EvaluationSlice.General) { Prompt = prompt, References = references };

    private static async Task<List<ItemOutput>> RunAsync(IEvaluationTarget target, IReadOnlyList<SuiteItem> items, SuiteRunOptions? options = null, CancellationToken ct = default)
    {
        var outputs = new List<ItemOutput>();
        await foreach (var output in SuiteRunner.RunAsync(target, items, options ?? new SuiteRunOptions(), ct))
            outputs.Add(output);
        return outputs;
    }

    private static SuiteItem[] EveryKind() =>
    [
        Generation("gen", "The sky is", " blue"),
        new("qa", ItemKind.Extraction, EvaluationSlice.Domain) { Prompt = "What is the capital of France?", References = ["Paris"] },
        new("cls", ItemKind.Classification, EvaluationSlice.Domain) { Prompt = "The sky is", Choices = ["green", "blue", "deep blue"], Answer = 1 },
        new("cls-gen", ItemKind.Classification, EvaluationSlice.General) { Prompt = "What is the capital of France?", Choices = ["Paris", "Rome"], Answer = 0, Scoring = ChoiceScoring.Generation },
        new("chat", ItemKind.Conversation, EvaluationSlice.Adversarial) { Messages = [new ChatTurn("system", "Be brief."), new ChatTurn("user", "book a table")], CompletionCriteria = ["table"] },
    ];

    [Fact]
    public async Task Every_kind_of_item_gets_the_calls_it_needs()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var target = OpenAiCompatibleTargetTests.Target(server);

        var outputs = (await RunAsync(target, EveryKind())).ToDictionary(o => o.ItemId);

        Assert.Equal(5, outputs.Count);
        Assert.All(outputs.Values, o => Assert.Null(o.Failure));
        Assert.Equal("reply to: The sky is", outputs["gen"].Text);
        Assert.Equal(0.5, outputs["gen"].ReferenceNll!.Value, 9); // " blue": −0.5
        Assert.Equal(1, outputs["gen"].ReferenceTokens);
        Assert.Equal("Paris", outputs["qa"].Text);
        Assert.Equal(0.6, outputs["qa"].ReferenceNll!.Value, 9); // " Paris": a space joins reference and prompt as it joins choices
        Assert.Null(outputs["cls"].Text);
        Assert.Equal([-0.6, -0.5, -1.0], outputs["cls"].ChoiceLogLikelihoods!.Select(v => Math.Round(v, 9)).ToArray()); // " green", " blue", " deep" + " blue"
        Assert.Equal("Paris", outputs["cls-gen"].Text);
        Assert.Null(outputs["cls-gen"].ChoiceLogLikelihoods);
        Assert.Equal("reply to: book a table", outputs["chat"].Text);
        Assert.Null(outputs["chat"].ReferenceNll);
        Assert.All(outputs.Values, o => Assert.False(o.FromCache));
        // gen: chat + echo; qa: chat + echo; cls: three echoes; cls-gen: chat; chat: chat.
        Assert.Equal(9, server.Requests);
    }

    [Fact]
    public async Task Without_log_probabilities_generation_is_still_scored_and_perplexity_is_marked_unavailable()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.NoLogprobs;
        using var target = OpenAiCompatibleTargetTests.Target(server);

        var outputs = (await RunAsync(target, EveryKind(), new SuiteRunOptions { Concurrency = 1 })).ToDictionary(o => o.ItemId);

        Assert.Null(outputs["gen"].Failure);
        Assert.Equal("reply to: The sky is", outputs["gen"].Text);
        Assert.Null(outputs["gen"].ReferenceNll);
        Assert.StartsWith("Perplexity and log-likelihood are not supported by this endpoint: ", outputs["gen"].PerplexityUnavailable);
        Assert.Equal(outputs["gen"].PerplexityUnavailable, outputs["qa"].PerplexityUnavailable);
        Assert.Equal(FailureKind.NotSupported, outputs["cls"].Failure!.Kind); // choices by log-likelihood cannot be scored
        Assert.Null(outputs["cls-gen"].Failure);
        Assert.Null(outputs["chat"].Failure);
        Assert.Null(outputs["chat"].PerplexityUnavailable);
    }

    [Fact]
    public async Task A_target_known_to_lack_log_probabilities_is_not_asked_and_says_why()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.NoLogprobs;
        using var target = OpenAiCompatibleTargetTests.Target(server);
        await target.ProbeAsync();
        int afterProbe = server.Requests;

        var outputs = await RunAsync(target, [Generation("gen", "The sky is", " blue")]);

        Assert.Equal(afterProbe + 1, server.Requests); // the generation only
        Assert.Contains("offers no log-probabilities", outputs[0].PerplexityUnavailable);
        Assert.Null(outputs[0].Failure);
    }

    [Fact]
    public async Task Invalid_items_and_failing_items_are_failures_and_the_rest_go_on()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var target = OpenAiCompatibleTargetTests.Target(server);
        SuiteItem[] items =
        [
            new("no-choices", ItemKind.Classification, EvaluationSlice.General) { Prompt = "Pick", Choices = [] },
            new("no-prompt", ItemKind.Generation, EvaluationSlice.General) { References = ["x"] },
            new("no-messages", ItemKind.Conversation, EvaluationSlice.General),
            Generation("too-long", "TOO LONG prompt", "x"),
            Generation("fine", "The sky is", " blue"),
        ];

        var outputs = (await RunAsync(target, items)).ToDictionary(o => o.ItemId);

        Assert.Equal(FailureKind.InvalidItem, outputs["no-choices"].Failure!.Kind);
        Assert.Contains("Item no-choices: a classification item needs choices", outputs["no-choices"].Failure!.Message);
        Assert.Equal(FailureKind.InvalidItem, outputs["no-prompt"].Failure!.Kind);
        Assert.Equal(FailureKind.InvalidItem, outputs["no-messages"].Failure!.Kind);
        Assert.Equal(FailureKind.BadRequest, outputs["too-long"].Failure!.Kind);
        Assert.Contains("maximum context length", outputs["too-long"].Failure!.Message);
        Assert.Null(outputs["fine"].Failure);
        Assert.Equal(0.5, outputs["fine"].ReferenceNll!.Value, 9);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task No_more_requests_are_in_flight_than_the_concurrency(int concurrency)
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Latency = TimeSpan.FromMilliseconds(30);
        using var target = OpenAiCompatibleTargetTests.Target(server);
        var items = Enumerable.Range(0, 16).Select(i => new SuiteItem($"i{i}", ItemKind.Conversation, EvaluationSlice.General) { Messages = [new ChatTurn("user", $"q{i}")] }).ToList();

        var outputs = await RunAsync(target, items, new SuiteRunOptions { Concurrency = concurrency });

        Assert.Equal(items.Select(i => i.Id).Order(), outputs.Select(o => o.ItemId).Order());
        Assert.Equal(16, server.Requests);
        Assert.InRange(server.MaxInFlight, 1, concurrency);
        if (concurrency > 1) Assert.True(server.MaxInFlight > 1, "the runner never had two requests in flight");
    }

    [Fact]
    public async Task Outputs_come_in_completion_order()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var target = OpenAiCompatibleTargetTests.Target(server);
        SuiteItem[] items = [Generation("held", "WAIT for it"), Generation("quick", "hello")];

        await using var outputs = SuiteRunner.RunAsync(target, items, new SuiteRunOptions { Concurrency = 2 }, CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await outputs.MoveNextAsync());
        Assert.Equal("quick", outputs.Current.ItemId); // while "held" is still waiting on the server
        server.Gate.SetResult();
        Assert.True(await outputs.MoveNextAsync());
        Assert.Equal("held", outputs.Current.ItemId);
        Assert.False(await outputs.MoveNextAsync());
    }

    [Fact]
    public async Task A_second_run_comes_from_the_cache_without_a_request_and_failures_are_not_cached()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var target = OpenAiCompatibleTargetTests.Target(server);
        var cache = new InMemoryOutputCache();
        var options = new SuiteRunOptions { Cache = cache };
        var items = EveryKind().Append(Generation("too-long", "TOO LONG", "x")).ToArray();

        var first = (await RunAsync(target, items, options)).ToDictionary(o => o.ItemId);
        int requests = server.Requests;
        var second = (await RunAsync(target, items.Where(i => i.Id != "too-long").ToArray(), options)).ToDictionary(o => o.ItemId);

        Assert.Equal(requests, server.Requests); // nothing paid twice
        Assert.Equal(5, cache.Count); // the failure was not stored
        Assert.All(second.Values, o => Assert.True(o.FromCache));
        Assert.All(second.Values, o => Assert.Equal(0, o.Seconds));
        Assert.All(first.Values, o => Assert.False(o.FromCache));
        foreach (var (id, output) in second)
        {
            Assert.Equal(first[id].Text, output.Text);
            Assert.Equal(first[id].ReferenceNll, output.ReferenceNll);
            Assert.Equal(first[id].ChoiceLogLikelihoods, output.ChoiceLogLikelihoods);
        }

        await RunAsync(target, [Generation("too-long", "TOO LONG", "x")], options);
        Assert.Equal(requests + 1, server.Requests); // the failed item is asked again

        // Another max-new-tokens setting is another call: not served from the cache.
        await RunAsync(target, [items[0]], options with { MaxNewTokens = 7 });
        Assert.Equal(requests + 3, server.Requests);
    }

    [Fact]
    public void The_cache_key_depends_on_what_the_calls_depend_on_and_not_on_the_item_id()
    {
        using var a = new OpenAiCompatibleTarget(new OpenAiCompatibleOptions { BaseUrl = new Uri("http://127.0.0.1:1/v1"), Model = "a" });
        using var b = new OpenAiCompatibleTarget(new OpenAiCompatibleOptions { BaseUrl = new Uri("http://127.0.0.1:1/v1"), Model = "b" });
        var options = new SuiteRunOptions();
        string Key(IEvaluationTarget t, SuiteItem item, SuiteRunOptions o) => SuiteRunner.CacheKey(t, item, o, SuiteRunner.MakePlan(t, item, o));
        var item = Generation("x", "The sky is", " blue");

        string key = Key(a, item, options);
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, Key(a, item with { Id = "y" }, options));
        Assert.NotEqual(key, Key(b, item, options));
        Assert.NotEqual(key, Key(a, item with { Prompt = "The sky was" }, options));
        Assert.NotEqual(key, Key(a, item with { References = [" grey"] }, options));
        Assert.NotEqual(key, Key(a, item with { Kind = ItemKind.Extraction }, options));
        Assert.NotEqual(key, Key(a, item, options with { MaxNewTokens = 64 }));
        Assert.NotEqual(key, Key(a, item, options with { MeasurePerplexity = false }));
    }

    [Fact]
    public async Task Items_to_skip_are_not_run()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var target = OpenAiCompatibleTargetTests.Target(server);

        var outputs = await RunAsync(target, EveryKind(), new SuiteRunOptions { Skip = new HashSet<string> { "gen", "qa", "cls", "cls-gen" } });

        Assert.Equal("chat", Assert.Single(outputs).ItemId);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task Cancellation_ends_the_run_and_aborts_the_requests_in_flight()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.Slow; // 2 s a request
        using var target = OpenAiCompatibleTargetTests.Target(server, timeoutSeconds: 30);
        var items = Enumerable.Range(0, 20).Select(i => Generation($"i{i}", $"p{i}")).ToList();
        using var cts = new CancellationTokenSource();
        var seen = new List<ItemOutput>();

        var run = Task.Run(async () =>
        {
            await foreach (var output in SuiteRunner.RunAsync(target, items, new SuiteRunOptions { Concurrency = 4 }, cts.Token))
                seen.Add(output);
        });
        for (int i = 0; i < 1000 && server.InFlight < 4; i++) await Task.Delay(10);
        Assert.Equal(4, server.InFlight);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Empty(seen);
        for (int i = 0; i < 200 && server.InFlight > 0; i++) await Task.Delay(10); // the server notices the aborts
        Assert.Equal(0, server.InFlight);
        Assert.Equal(4, server.Requests); // nothing started after the cancellation
        Assert.Equal(4, server.Aborted);
    }

    [Fact]
    public void Concurrency_outside_one_to_sixty_four_is_refused()
    {
        using var target = new OpenAiCompatibleTarget(new OpenAiCompatibleOptions { BaseUrl = new Uri("http://127.0.0.1:1/v1"), Model = "m" });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SuiteRunner.RunAsync(target, [], new SuiteRunOptions { Concurrency = 0 }, CancellationToken.None));
        Assert.Contains("between 1 and 64", e.Message);
    }

    [Theory]
    [InlineData("Answer:", "Paris", " Paris")]
    [InlineData("Answer: ", "Paris", "Paris")]
    [InlineData("Answer:", " Paris", " Paris")]
    [InlineData("答案：", "北京", "北京")]
    [InlineData("The capital is", "北京", "北京")]
    [InlineData("", "x", "x")]
    public void Choices_get_a_space_only_between_non_cjk_words(string prompt, string choice, string expected) =>
        Assert.Equal(expected, SuiteRunner.ChoiceContinuation(prompt, choice));
}

/// <summary>Contract breakers: a target that throws something other than <see cref="TargetException"/>, a cache that fails.</summary>
public sealed class SuiteRunnerRobustnessTests
{
    private sealed class BrokenTarget : IEvaluationTarget
    {
        public string Label => "broken";
        public string CacheIdentity => "broken";
        public TargetCapabilities Capabilities => new(false);
        public Task<GenerationOutput> GenerateAsync(GenerationCall call, CancellationToken ct) =>
            call.Prompt == "explode" ? throw new InvalidOperationException("tensor shape mismatch") : Task.FromResult(new GenerationOutput("fine", null, null));
        public Task<LogLikelihoodOutput> LogLikelihoodAsync(string context, string continuation, CancellationToken ct) => throw new NotImplementedException();
    }

    private sealed class FailingCache : IOutputCache
    {
        public int Calls;
        public Task<string?> GetAsync(string key, CancellationToken ct) { Interlocked.Increment(ref Calls); throw new IOException("database is locked"); }
        public Task SetAsync(string key, string value, CancellationToken ct) { Interlocked.Increment(ref Calls); throw new IOException("database is locked"); }
    }

    [Fact]
    public async Task An_unexpected_exception_fails_its_item_and_a_failing_cache_is_passed_by()
    {
        var cache = new FailingCache();
        SuiteItem[] items =
        [
            new("a", ItemKind.Generation, EvaluationSlice.General) { Prompt = "explode" },
            new("b", ItemKind.Generation, EvaluationSlice.General) { Prompt = "calm", References = ["x"] },
        ];
        var outputs = new Dictionary<string, ItemOutput>();
        await foreach (var o in SuiteRunner.RunAsync(new BrokenTarget(), items, new SuiteRunOptions { Cache = cache }, CancellationToken.None))
            outputs[o.ItemId] = o;

        Assert.Equal(FailureKind.Server, outputs["a"].Failure!.Kind);
        Assert.Contains("InvalidOperationException: tensor shape mismatch", outputs["a"].Failure!.Message);
        Assert.Null(outputs["b"].Failure);
        Assert.Equal("fine", outputs["b"].Text);
        Assert.Contains("offers no log-probabilities", outputs["b"].PerplexityUnavailable);
        Assert.Equal(3, cache.Calls); // two look-ups, one store (the failure is not stored)
    }
}
