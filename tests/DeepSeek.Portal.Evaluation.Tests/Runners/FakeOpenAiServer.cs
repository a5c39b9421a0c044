using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepSeek.Portal.Evaluation.Tests.Runners;

/// <summary>How the loopback server misbehaves.</summary>
public enum FakeMode
{
    Normal,
    /// <summary>Every request waits 2 s (or until aborted) before it is answered.</summary>
    Slow,
    /// <summary>The first request gets 429 with <c>Retry-After: 1</c>, the rest are answered.</summary>
    RateLimitedOnce,
    /// <summary>Every request gets 429 with <c>Retry-After: 0</c>.</summary>
    AlwaysRateLimited,
    /// <summary>The first request gets 500, the rest are answered.</summary>
    ServerErrorOnce,
    /// <summary>200 with a JSON content type and a body that is not JSON.</summary>
    MalformedJson,
    /// <summary>200 with JSON that has no <c>choices</c>.</summary>
    WrongShape,
    /// <summary>200 with an HTML page (a captive portal or a login page).</summary>
    Html,
    /// <summary>Like llama.cpp: <c>/completions</c> ignores <c>echo</c> and returns no log-probabilities.</summary>
    NoLogprobs,
    /// <summary>Chat only: <c>/completions</c> is 404 (FastAPI's body).</summary>
    NoCompletionsRoute,
    /// <summary><c>/completions</c> refuses <c>max_tokens: 0</c> with 400.</summary>
    RefuseZeroMaxTokens,
    /// <summary>Errors in vLLM's shape (top-level object, integer code).</summary>
    VllmErrors,
    /// <summary>Echoed tokens start with Llama's <c>&lt;s&gt;</c>, which the offsets count.</summary>
    LeadingBos,
}

/// <summary>
/// A small OpenAI-protocol server on 127.0.0.1 (real Kestrel, minimal API) with switchable behaviour. Its "model" is
/// deterministic: text is split into words with their leading space (and single CJK characters or astral characters),
/// each token's log-probability is −0.1 per code point, and the top alternative is the token itself except for tokens
/// containing "green", whose top alternative is " blue". Offsets are counted in code points, as Python servers do.
/// A prompt containing "TOO LONG" is refused with vLLM's context-length 400; one containing "WAIT" waits for <see cref="Gate"/>.
/// </summary>
public sealed partial class FakeOpenAiServer : IAsyncDisposable
{
    public const string ModelName = "tiny-model";

    private readonly WebApplication _app;
    private int _requests, _inFlight, _maxInFlight, _aborted, _failuresServed;

    private FakeOpenAiServer(WebApplication app) => _app = app;

    public FakeMode Mode { get; set; }

    /// <summary>When set, requests without this bearer key get 401 (whose message quotes the key received, as OpenAI does).</summary>
    public string? RequiredKey { get; set; }

    /// <summary>The <c>Retry-After</c> of <see cref="FakeMode.RateLimitedOnce"/> (seconds or an HTTP date).</summary>
    public string RetryAfter { get; set; } = "1";

    /// <summary>Added to every request.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Released by the test to let "WAIT" prompts be answered.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri BaseUrl { get; private set; } = null!;
    public int Requests => Volatile.Read(ref _requests);
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);
    public int InFlight => Volatile.Read(ref _inFlight);
    public int Aborted => Volatile.Read(ref _aborted);

    /// <summary>Every request: when it arrived, its path, its bearer header, its JSON body.</summary>
    public ConcurrentQueue<(DateTimeOffset At, string Path, string? Authorization, JsonNode? Body)> Log { get; } = new();

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeOpenAiServer(app);
        app.Use(server.FrontAsync);
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = new[] { new { id = ModelName, @object = "model", created = 1700000000, owned_by = "test" }, new { id = "other-model", @object = "model", created = 1700000000, owned_by = "test" } },
        }));
        app.MapPost("/v1/chat/completions", server.Chat);
        app.MapPost("/v1/completions", server.Completions);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Gate.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Counts, logs and applies the modes that do not depend on the route.</summary>
    private async Task FrontAsync(HttpContext context, RequestDelegate next)
    {
        Interlocked.Increment(ref _requests);
        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen) { }
        try
        {
            JsonNode? body = null;
            if (context.Request.ContentLength is > 0 || context.Request.Headers.ContainsKey("Transfer-Encoding"))
            {
                context.Request.EnableBuffering();
                body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
                context.Request.Body.Position = 0;
                context.Items["body"] = body;
            }
            Log.Enqueue((DateTimeOffset.UtcNow, context.Request.Path, context.Request.Headers.Authorization.FirstOrDefault(), body));

            if (Latency > TimeSpan.Zero) await Task.Delay(Latency, context.RequestAborted);
            if (Mode == FakeMode.Slow) await Task.Delay(TimeSpan.FromSeconds(2), context.RequestAborted);
            if (Text(body).Contains("WAIT", StringComparison.Ordinal)) await Gate.Task.WaitAsync(context.RequestAborted);

            if (RequiredKey is not null && context.Request.Headers.Authorization.FirstOrDefault() != $"Bearer {RequiredKey}")
            {
                string received = context.Request.Headers.Authorization.FirstOrDefault()?.Replace("Bearer ", "") ?? "";
                await Error(context, 401, $"Incorrect API key provided: {received}. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_api_key");
                return;
            }
            switch (Mode)
            {
                case FakeMode.RateLimitedOnce when Interlocked.Increment(ref _failuresServed) == 1:
                case FakeMode.AlwaysRateLimited:
                    context.Response.Headers.RetryAfter = Mode == FakeMode.RateLimitedOnce ? RetryAfter : "0";
                    await Error(context, 429, "Rate limit reached for requests. Please try again in 1s.", "rate_limit_exceeded");
                    return;
                case FakeMode.ServerErrorOnce when Interlocked.Increment(ref _failuresServed) == 1:
                    await Error(context, 500, "The server had an error while processing your request.", null);
                    return;
                case FakeMode.MalformedJson:
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync("{\"id\": \"x\", \"choices\": [");
                    return;
                case FakeMode.WrongShape:
                    await context.Response.WriteAsJsonAsync(new { id = "x", @object = "chat.completion", created = 1 });
                    return;
                case FakeMode.Html:
                    context.Response.ContentType = "text/html; charset=utf-8";
                    await context.Response.WriteAsync("<html><head><title>Sign in</title></head><body>Please sign in to continue.</body></html>");
                    return;
            }
            if (body?["model"]?.GetValue<string>() is { } model && model != ModelName)
            {
                await Error(context, 404, $"The model `{model}` does not exist or you do not have access to it.", "model_not_found");
                return;
            }
            if (Text(body).Contains("TOO LONG", StringComparison.Ordinal))
            {
                await Error(context, 400, "This model's maximum context length is 2048 tokens. However, you requested 0 output tokens and your prompt contains at least 2049 input tokens.", "context_length_exceeded");
                return;
            }
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref _aborted);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private Task Error(HttpContext context, int status, string message, string? code)
    {
        context.Response.StatusCode = status;
        if (Mode == FakeMode.VllmErrors)
            return context.Response.WriteAsJsonAsync(new { @object = "error", message, type = status == 404 ? "NotFoundError" : "BadRequestError", param = (string?)null, code = status });
        return context.Response.WriteAsJsonAsync(new { error = new { message, type = "invalid_request_error", param = (string?)null, code } });
    }

    private static string Text(JsonNode? body) =>
        body is null ? "" : (body["prompt"]?.ToString() ?? "") + string.Concat((body["messages"] as JsonArray ?? []).Select(m => m?["content"]?.ToString()));

    private IResult Chat(HttpContext context)
    {
        var body = (JsonNode)context.Items["body"]!;
        var messages = body["messages"]!.AsArray();
        string last = messages[^1]!["content"]!.GetValue<string>();
        string reply = last.Contains("capital of France", StringComparison.Ordinal) ? "Paris" : $"reply to: {last}";
        return Results.Json(new
        {
            id = "chatcmpl-1", @object = "chat.completion", created = 1700000000, model = ModelName,
            choices = new[] { new { index = 0, message = new { role = "assistant", content = reply }, logprobs = (object?)null, finish_reason = "stop" } },
            usage = new { prompt_tokens = Tokenize(last).Count, completion_tokens = Tokenize(reply).Count, total_tokens = 0 },
        });
    }

    private async Task Completions(HttpContext context)
    {
        var body = (JsonNode)context.Items["body"]!;
        if (Mode == FakeMode.NoCompletionsRoute)
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsJsonAsync(new { detail = "Not Found" });
            return;
        }
        string prompt = body["prompt"]!.GetValue<string>();
        bool echo = body["echo"]?.GetValue<bool>() ?? false;
        int maxTokens = body["max_tokens"]?.GetValue<int>() ?? 16;
        int? logprobs = body["logprobs"]?.GetValue<int>();
        if (Mode == FakeMode.RefuseZeroMaxTokens && maxTokens == 0)
        {
            await Error(context, 400, "max_tokens must be at least 1, got 0.", null);
            return;
        }
        const string generated = " ok";
        if (Mode == FakeMode.NoLogprobs || !echo)
        {
            await context.Response.WriteAsJsonAsync(new
            {
                id = "cmpl-1", @object = "text_completion", created = 1700000000, model = ModelName,
                choices = new[] { new { text = $"{generated} after {prompt.Length} chars", index = 0, logprobs = (object?)null, finish_reason = "length" } },
            });
            return;
        }
        var tokens = Tokenize(prompt);
        if (Mode == FakeMode.LeadingBos) tokens.Insert(0, "<s>");
        if (maxTokens > 0) tokens.Add(generated);
        var tokenLogprobs = new JsonArray();
        var top = new JsonArray();
        var offsets = new JsonArray();
        int offset = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            offsets.Add(offset);
            offset += CodePoints(tokens[i]);
            if (i == 0) { tokenLogprobs.Add(null); top.Add(null); continue; }
            double lp = LogProbability(tokens[i]);
            tokenLogprobs.Add(lp);
            var alternatives = new JsonObject { [tokens[i]] = lp };
            if (tokens[i].Contains("green", StringComparison.Ordinal)) alternatives[" blue"] = -0.01;
            top.Add(alternatives);
        }
        var response = new JsonObject
        {
            ["id"] = "cmpl-1", ["object"] = "text_completion", ["created"] = 1700000000, ["model"] = ModelName,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["text"] = prompt + (maxTokens > 0 ? generated : ""),
                ["index"] = 0,
                ["logprobs"] = logprobs is null ? null : new JsonObject
                {
                    ["tokens"] = new JsonArray(tokens.Select(t => (JsonNode?)t).ToArray()),
                    ["token_logprobs"] = tokenLogprobs,
                    ["top_logprobs"] = top,
                    ["text_offset"] = offsets,
                },
                ["finish_reason"] = "length",
            }),
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.ToJsonString());
    }

    /// <summary>Words with their leading white space; CJK and astral characters one each.</summary>
    public static List<string> Tokenize(string text) => TokenPattern().Matches(text).Select(m => m.Value).ToList();

    public static double LogProbability(string token) => -0.1 * CodePoints(token);

    public static int CodePoints(string s) => s.EnumerateRunes().Count();

    [GeneratedRegex(@"\s*(?:\p{Cs}\p{Cs}|[\u4E00-\u9FFF]|[^\s\u4E00-\u9FFF\p{Cs}]+)|\s+")]
    private static partial Regex TokenPattern();
}
