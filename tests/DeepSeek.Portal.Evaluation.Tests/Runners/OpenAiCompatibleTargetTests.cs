using System.Net;
using System.Net.Sockets;
using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluation.Suites;

namespace DeepSeek.Portal.Evaluation.Tests.Runners;

/// <summary>The OpenAI-compatible target against a real loopback HTTP server (Kestrel) that misbehaves on demand.</summary>
public sealed class OpenAiCompatibleTargetTests
{
    internal const string Key = "sk-test-5ecret-KEY-0123456789";

    internal static OpenAiCompatibleTarget Target(FakeOpenAiServer server, string? key = Key, string model = FakeOpenAiServer.ModelName,
        int retries = 2, double timeoutSeconds = 5, EndpointProtocol protocol = EndpointProtocol.Chat, Uri? baseUrl = null) =>
        new(new OpenAiCompatibleOptions
        {
            BaseUrl = baseUrl ?? server.BaseUrl,
            Model = model,
            ApiKey = key,
            Protocol = protocol,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
            MaxRetries = retries,
            BackoffBase = TimeSpan.FromMilliseconds(5),
            BackoffCap = TimeSpan.FromSeconds(2),
        });

    private static async Task<TargetException> FailsAsync(FailureKind kind, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<TargetException>(call);
        Assert.Equal(kind, e.Kind);
        Assert.DoesNotContain(Key, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, e.ToString(), StringComparison.Ordinal);
        return e;
    }

    private static Task<GenerationOutput> Ask(OpenAiCompatibleTarget target, string prompt = "What is the capital of France?") =>
        target.GenerateAsync(new GenerationCall { Prompt = prompt, MaxNewTokens = 8, Stop = ["\n"] }, CancellationToken.None);

    [Fact]
    public async Task Chat_generation_sends_the_prompt_as_a_user_turn_with_the_key_and_returns_the_reply()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.RequiredKey = Key;
        using var target = Target(server);

        var output = await Ask(target);

        Assert.Equal("Paris", output.Text);
        Assert.NotNull(output.PromptTokens);
        var request = Assert.Single(server.Log);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal($"Bearer {Key}", request.Authorization);
        Assert.Equal("user", request.Body!["messages"]![0]!["role"]!.GetValue<string>());
        Assert.Equal(8, request.Body["max_tokens"]!.GetValue<int>());
        Assert.Equal("\n", request.Body["stop"]![0]!.GetValue<string>());
        Assert.Equal(0, request.Body["temperature"]!.GetValue<double>());
        Assert.DoesNotContain(Key, target.ToString() + target.Label + target.CacheIdentity, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_completions_protocol_sends_plain_prompts_to_completions_and_conversations_to_chat()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var target = Target(server, protocol: EndpointProtocol.Completions);

        var plain = await Ask(target, "Once upon");
        var chat = await target.GenerateAsync(new GenerationCall { Messages = [new ChatTurn("system", "Be brief."), new ChatTurn("user", "hello")] }, CancellationToken.None);

        Assert.Equal(" ok after 9 chars", plain.Text);
        Assert.Equal("reply to: hello", chat.Text);
        Assert.Equal(["/v1/completions", "/v1/chat/completions"], server.Log.Select(l => l.Path).ToArray());
    }

    [Fact]
    public async Task Log_likelihood_sums_the_continuation_tokens_and_tells_greedy_from_not()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var target = Target(server);

        var blue = await target.LogLikelihoodAsync("The sky is", " blue", CancellationToken.None);
        var green = await target.LogLikelihoodAsync("The sky is", " green", CancellationToken.None);
        var two = await target.LogLikelihoodAsync("The sky is", " deep blue", CancellationToken.None);

        Assert.Equal(-0.5, blue.LogProbability, 9);
        Assert.Equal(1, blue.Tokens);
        Assert.True(blue.IsGreedy);
        Assert.Equal(-0.6, green.LogProbability, 9);
        Assert.False(green.IsGreedy);
        Assert.Equal(-1.0, two.LogProbability, 9); // " deep" −0.5 + " blue" −0.5
        Assert.Equal(2, two.Tokens);
        var request = server.Log.First().Body!;
        Assert.Equal("The sky is blue", request["prompt"]!.GetValue<string>());
        Assert.True(request["echo"]!.GetValue<bool>());
        Assert.Equal(0, request["max_tokens"]!.GetValue<int>());
        Assert.Equal(1, request["logprobs"]!.GetValue<int>());
    }

    [Fact]
    public async Task Log_likelihood_counts_offsets_in_code_points_not_utf16_units()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var target = Target(server);

        // "😀" is one code point but two UTF-16 units: counting the context in UTF-16 would drop " hi".
        var emoji = await target.LogLikelihoodAsync("😀 says", " hi there", CancellationToken.None);
        var chinese = await target.LogLikelihoodAsync("北京是", "中国的首都", CancellationToken.None);

        Assert.Equal(-0.9, emoji.LogProbability, 9); // " hi" −0.3 + " there" −0.6
        Assert.Equal(2, emoji.Tokens);
        Assert.Equal(-0.5, chinese.LogProbability, 9);
        Assert.Equal(5, chinese.Tokens);
    }

    [Fact]
    public async Task A_leading_special_token_in_the_echo_is_allowed_for()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.LeadingBos;
        using var target = Target(server);

        var two = await target.LogLikelihoodAsync("The sky is", " deep blue", CancellationToken.None);

        Assert.Equal(-1.0, two.LogProbability, 9); // without the shift, "<s>" moves the offsets three characters on and " is" would be counted too
        Assert.Equal(2, two.Tokens);
    }

    [Fact]
    public async Task A_server_that_refuses_max_tokens_zero_is_asked_for_one_and_the_generated_token_is_left_out()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.RefuseZeroMaxTokens;
        using var target = Target(server);

        var first = await target.LogLikelihoodAsync("The sky is", " blue", CancellationToken.None);
        var second = await target.LogLikelihoodAsync("The sky is", " deep blue", CancellationToken.None);

        Assert.Equal(-0.5, first.LogProbability, 9);
        Assert.Equal(1, first.Tokens);
        Assert.Equal(-1.0, second.LogProbability, 9);
        Assert.Equal([0, 1, 1], server.Log.Select(l => l.Body!["max_tokens"]!.GetValue<int>()).ToArray()); // remembered after the first refusal
    }

    [Fact]
    public async Task A_server_without_prompt_logprobs_is_not_supported_and_asked_only_once()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.NoLogprobs;
        using var target = Target(server);

        var e = await FailsAsync(FailureKind.NotSupported, () => target.LogLikelihoodAsync("The sky is", " blue", CancellationToken.None));
        var again = await FailsAsync(FailureKind.NotSupported, () => target.LogLikelihoodAsync("The sky is", " green", CancellationToken.None));

        Assert.StartsWith("Perplexity and log-likelihood are not supported by this endpoint: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("echo", e.Message, StringComparison.Ordinal);
        Assert.Equal(e.Message, again.Message);
        Assert.Equal(1, server.Requests);
        Assert.Equal("Paris", (await Ask(target)).Text); // generation still works
    }

    [Fact]
    public async Task A_chat_only_server_without_completions_is_not_supported_for_log_likelihood()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.NoCompletionsRoute;
        using var target = Target(server);

        var e = await FailsAsync(FailureKind.NotSupported, () => target.LogLikelihoodAsync("a", " b", CancellationToken.None));

        Assert.StartsWith("Perplexity and log-likelihood are not supported by this endpoint: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("404", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{server.BaseUrl}/completions", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_server_times_out_after_the_retries()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.Slow;
        using var target = Target(server, retries: 1, timeoutSeconds: 0.2);

        var e = await FailsAsync(FailureKind.Timeout, () => Ask(target));

        Assert.Contains($"{server.BaseUrl}/chat/completions gave no answer within 0.2 s (2 attempts)", e.Message, StringComparison.Ordinal);
        // Not asserted: how many of the two attempts reached the server (a loaded host may cancel the second before Kestrel reads it).
        Assert.InRange(server.Requests, 1, 2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_429_is_retried_after_the_servers_retry_after(bool asDate)
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.RateLimitedOnce;
        // An HTTP date has whole seconds: three seconds on from now is at least two seconds away (slack for a slow start).
        if (asDate) server.RetryAfter = DateTimeOffset.UtcNow.AddSeconds(3).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        using var target = Target(server);

        Assert.Equal("Paris", (await Ask(target)).Text);

        var times = server.Log.Select(l => l.At).ToArray();
        Assert.Equal(2, times.Length);
        // Back-off alone would wait 5–10 ms; Retry-After: 1 makes it wait a second (a lower bound, so load cannot break it).
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(900), $"retried after {(times[1] - times[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Always_429_ends_rate_limited_after_every_retry()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.AlwaysRateLimited;
        using var target = Target(server, retries: 3);

        var e = await FailsAsync(FailureKind.RateLimited, () => Ask(target));

        Assert.Equal(4, server.Requests);
        Assert.Contains("429", e.Message, StringComparison.Ordinal);
        Assert.Contains("4 attempts", e.Message, StringComparison.Ordinal);
        Assert.Contains("Rate limit reached", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_500_is_retried()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.ServerErrorOnce;
        using var target = Target(server);

        Assert.Equal("Paris", (await Ask(target)).Text);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task Invalid_json_and_json_of_another_shape_are_malformed_and_say_what_is_wrong()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var target = Target(server);

        server.Mode = FakeMode.MalformedJson;
        var invalid = await FailsAsync(FailureKind.Malformed, () => Ask(target));
        server.Mode = FakeMode.WrongShape;
        var shape = await FailsAsync(FailureKind.Malformed, () => Ask(target));

        Assert.Contains("invalid JSON", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("{\"id\": \"x\", \"choices\": [", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("`choices` is missing", shape.Message, StringComparison.Ordinal);
        Assert.Contains("chat completion", shape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_html_page_is_a_content_type_failure_that_quotes_the_start_of_the_page()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = FakeMode.Html;
        using var target = Target(server);

        var e = await FailsAsync(FailureKind.ContentType, () => Ask(target));

        Assert.Contains("content type text/html", e.Message, StringComparison.Ordinal);
        Assert.Contains("<html><head><title>Sign in", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Requests); // not retried
    }

    [Fact]
    public async Task A_refused_key_is_unauthorized_and_the_key_the_server_quotes_is_blanked_out()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.RequiredKey = "sk-the-right-one-000000";
        using var target = Target(server);

        var e = await FailsAsync(FailureKind.Unauthorized, () => Ask(target));
        var ll = await FailsAsync(FailureKind.Unauthorized, () => target.LogLikelihoodAsync("a", " b", CancellationToken.None));

        Assert.Contains("the API key was refused", e.Message, StringComparison.Ordinal);
        Assert.Contains("Incorrect API key provided", e.Message, StringComparison.Ordinal); // the server's words, key removed
        Assert.Contains("401", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests);
        using var keyless = Target(server, key: null);
        var none = await FailsAsync(FailureKind.Unauthorized, () => Ask(keyless));
        Assert.Contains("none was given", none.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FakeMode.Normal)]
    [InlineData(FakeMode.VllmErrors)]
    public async Task An_unknown_model_is_named(FakeMode mode)
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = mode;
        using var target = Target(server, model: "gpt-9");

        var e = await FailsAsync(FailureKind.ModelNotFound, () => Ask(target));
        var ll = await FailsAsync(FailureKind.ModelNotFound, () => target.LogLikelihoodAsync("a", " b", CancellationToken.None));

        Assert.Contains("The model `gpt-9` does not exist on", e.Message, StringComparison.Ordinal);
        Assert.Contains(server.BaseUrl.ToString().TrimEnd('/'), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FakeMode.Normal)]
    [InlineData(FakeMode.VllmErrors)]
    public async Task A_prompt_beyond_the_context_is_a_bad_request_with_the_servers_message(FakeMode mode)
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Mode = mode;
        using var target = Target(server);

        var e = await FailsAsync(FailureKind.BadRequest, () => Ask(target, "TOO LONG"));

        Assert.Contains("maximum context length is 2048 tokens", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Requests); // not retried
    }

    [Fact]
    public async Task A_refused_connection_is_a_network_failure()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var target = new OpenAiCompatibleTarget(new OpenAiCompatibleOptions
        {
            BaseUrl = new Uri($"http://user:pa55@127.0.0.1:{port}/v1?api-key={Key}"),
            Model = "m",
            ApiKey = Key,
            MaxRetries = 1,
            BackoffBase = TimeSpan.FromMilliseconds(5),
        });

        var e = await FailsAsync(FailureKind.Network, () => target.GenerateAsync(new GenerationCall { Prompt = "x" }, CancellationToken.None));

        Assert.Contains($"Could not reach http://127.0.0.1:{port}/v1/chat/completions", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55", target.Label + target.CacheIdentity, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_probe_lists_models_and_finds_log_likelihood_or_its_absence()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var target = Target(server);

        var probe = await target.ProbeAsync();
        Assert.Equal([FakeOpenAiServer.ModelName, "other-model"], probe.Models);
        Assert.True(probe.LogLikelihood);
        Assert.True(target.Capabilities.LogLikelihood);

        server.Mode = FakeMode.NoLogprobs;
        using var plain = Target(server);
        var noLogprobs = await plain.ProbeAsync();
        Assert.False(noLogprobs.LogLikelihood);
        Assert.False(plain.Capabilities.LogLikelihood);
        Assert.StartsWith("Perplexity and log-likelihood are not supported by this endpoint", noLogprobs.LogLikelihoodUnavailable);

        using var unknown = Target(server, model: "gpt-9");
        var e = await FailsAsync(FailureKind.ModelNotFound, () => unknown.ProbeAsync());
        Assert.Contains("`gpt-9` is not among the 2 models", e.Message, StringComparison.Ordinal);
        Assert.Contains("tiny-model, other-model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_bodies_of_openai_vllm_and_fastapi_are_read()
    {
        Assert.Equal(("m1", "model_not_found"), OpenAiCompatibleTarget.ErrorText("""{"error":{"message":"m1","type":"t","param":null,"code":"model_not_found"}}"""));
        Assert.Equal(("m2", "404"), OpenAiCompatibleTarget.ErrorText("""{"object":"error","message":"m2","type":"NotFoundError","param":null,"code":404}"""));
        Assert.Equal(("m3", "400"), OpenAiCompatibleTarget.ErrorText("""{"error":{"message":"m3","type":"BadRequestError","param":"input_tokens","code":400}}"""));
        Assert.Equal(("Not Found", null), OpenAiCompatibleTarget.ErrorText("""{"detail":"Not Found"}"""));
        Assert.Equal(("oops", null), OpenAiCompatibleTarget.ErrorText("""{"error":"oops"}"""));
        Assert.Equal(("<html>bad gateway</html>", null), OpenAiCompatibleTarget.ErrorText("<html>bad gateway</html>"));
        await Task.CompletedTask;
    }

    [Fact]
    public void Options_never_print_the_key()
    {
        var options = new OpenAiCompatibleOptions { BaseUrl = new Uri($"https://me:pa55@api.example.com/v1?key={Key}"), Model = "m", ApiKey = Key };
        Assert.DoesNotContain("pa55", options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Key, options.ToString(), StringComparison.Ordinal);
        Assert.Contains("key set", options.ToString(), StringComparison.Ordinal);
    }
}
