using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DeepSeek.Portal.Tests.Evaluations;

/// <summary>How the loopback server misbehaves.</summary>
public enum LoopbackMode
{
    Normal,
    /// <summary>Every request gets 429 with <c>Retry-After: 0</c>.</summary>
    AlwaysRateLimited,
    /// <summary>200 with a JSON content type and a body that is not JSON.</summary>
    MalformedJson,
    /// <summary>200 with an HTML sign-in page.</summary>
    Html,
    /// <summary>Like llama.cpp: <c>/completions</c> ignores <c>echo</c> and returns no log-probabilities.</summary>
    NoLogprobs,
    /// <summary>Every request waits 3 s (or until the client gives up) before it is answered.</summary>
    Slow,
}

/// <summary>
/// An OpenAI-protocol server on 127.0.0.1 for the portal's end-to-end evaluation tests (real Kestrel, minimal API).
/// Its "model" is deterministic: chat replies come from <see cref="Replies"/> (the first key the last user message
/// contains), and the echo route of <c>/completions</c> gives each token −0.1 per code point, tokens being words with
/// their leading space and single CJK characters; offsets count code points. A 401 quotes the key it received, as
/// OpenAI's does, so a test can check that the portal never repeats it. Each test starts its own server with its own
/// model name, so no output cached by an earlier test (whose port may come round again) answers for it.
/// </summary>
public sealed partial class LoopbackOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests, _inFlight, _maxInFlight;

    private LoopbackOpenAiServer(WebApplication app, string model) => (_app, Model) = (app, model);

    /// <summary>The only model the server knows; others get 404 <c>model_not_found</c>.</summary>
    public string Model { get; }

    public LoopbackMode Mode { get; set; }

    /// <summary>When set, requests without this bearer key get 401.</summary>
    public string? RequiredKey { get; set; }

    /// <summary>Requests whose prompt or messages contain this text always get 429.</summary>
    public string? RateLimitMarker { get; set; }

    /// <summary>Requests whose prompt or messages contain this text wait for <see cref="Gate"/> (or the client to give up).</summary>
    public string? BlockMarker { get; set; }

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Added to every request, so that concurrent requests overlap.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Chat replies: the first entry whose key the last message contains; otherwise "I do not know."</summary>
    public List<(string Contains, string Reply)> Replies { get; } = [];

    public Uri BaseUrl { get; private set; } = null!;
    public int Requests => Volatile.Read(ref _requests);
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The Authorization header of every request.</summary>
    public ConcurrentQueue<string?> Authorizations { get; } = new();

    public static async Task<LoopbackOpenAiServer> StartAsync(string model)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new LoopbackOpenAiServer(app, model);
        app.Use(server.FrontAsync);
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = server.Model, @object = "model" } } }));
        app.MapPost("/v1/chat/completions", server.Chat);
        app.MapPost("/v1/completions", server.CompletionsAsync);
        await app.StartAsync();
        server.BaseUrl = new Uri(app.Urls.First().TrimEnd('/') + "/v1");
        return server;
    }

    public void ResetCounts()
    {
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _maxInFlight, 0);
        Authorizations.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        Gate.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

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
                body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            context.Items["body"] = body;
            Authorizations.Enqueue(context.Request.Headers.Authorization.FirstOrDefault());

            if (Latency > TimeSpan.Zero) await Task.Delay(Latency, context.RequestAborted);
            if (BlockMarker is { } block && Text(body).Contains(block, StringComparison.Ordinal)) await Gate.Task.WaitAsync(context.RequestAborted);
            if (Mode == LoopbackMode.Slow) await Task.Delay(TimeSpan.FromSeconds(3), context.RequestAborted);

            string authorization = context.Request.Headers.Authorization.FirstOrDefault() ?? "";
            if (RequiredKey is not null && authorization != $"Bearer {RequiredKey}")
            {
                await ErrorAsync(context, 401, $"Incorrect API key provided: {authorization.Replace("Bearer ", "")}. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_api_key");
                return;
            }
            if (Mode == LoopbackMode.AlwaysRateLimited || RateLimitMarker is { } marker && Text(body).Contains(marker, StringComparison.Ordinal))
            {
                context.Response.Headers.RetryAfter = "0";
                await ErrorAsync(context, 429, "Rate limit reached for requests. Please try again in 1s.", "rate_limit_exceeded");
                return;
            }
            switch (Mode)
            {
                case LoopbackMode.MalformedJson:
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync("{\"id\": \"x\", \"choices\": [");
                    return;
                case LoopbackMode.Html:
                    context.Response.ContentType = "text/html; charset=utf-8";
                    await context.Response.WriteAsync("<html><head><title>Sign in</title></head><body>Please sign in.</body></html>");
                    return;
            }
            if (body?["model"]?.GetValue<string>() is { } model && model != Model)
            {
                await ErrorAsync(context, 404, $"The model `{model}` does not exist or you do not have access to it.", "model_not_found");
                return;
            }
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (a timeout or a cancelled evaluation).
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static Task ErrorAsync(HttpContext context, int status, string message, string? code)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = new { message, type = "invalid_request_error", param = (string?)null, code } });
    }

    private static string Text(JsonNode? body) =>
        body is null ? "" : (body["prompt"]?.ToString() ?? "") + string.Concat((body["messages"] as JsonArray ?? []).Select(m => m?["content"]?.ToString()));

    /// <summary>The reply to a chat's last message.</summary>
    public string ReplyTo(string last) => Replies.FirstOrDefault(r => last.Contains(r.Contains, StringComparison.Ordinal)).Reply ?? "I do not know.";

    private IResult Chat(HttpContext context)
    {
        var body = (JsonNode)context.Items["body"]!;
        string last = body["messages"]!.AsArray()[^1]!["content"]!.GetValue<string>();
        string reply = ReplyTo(last);
        return Results.Json(new
        {
            id = "chatcmpl-1", @object = "chat.completion", created = 1700000000, model = Model,
            choices = new[] { new { index = 0, message = new { role = "assistant", content = reply }, finish_reason = "stop" } },
            usage = new { prompt_tokens = Tokenize(last).Count, completion_tokens = Tokenize(reply).Count, total_tokens = 0 },
        });
    }

    private async Task CompletionsAsync(HttpContext context)
    {
        var body = (JsonNode)context.Items["body"]!;
        string prompt = body["prompt"]!.GetValue<string>();
        bool echo = body["echo"]?.GetValue<bool>() ?? false;
        int maxTokens = body["max_tokens"]?.GetValue<int>() ?? 16;
        const string generated = " ok";
        if (Mode == LoopbackMode.NoLogprobs || !echo)
        {
            await context.Response.WriteAsJsonAsync(new
            {
                id = "cmpl-1", @object = "text_completion", created = 1700000000, model = Model,
                choices = new[] { new { text = generated, index = 0, logprobs = (object?)null, finish_reason = "length" } },
            });
            return;
        }
        var tokens = Tokenize(prompt);
        if (maxTokens > 0) tokens.Add(generated);
        var logprobs = new JsonArray();
        var offsets = new JsonArray();
        int offset = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            offsets.Add(offset);
            offset += CodePoints(tokens[i]);
            logprobs.Add(i == 0 ? null : LogProbability(tokens[i]));
        }
        var response = new JsonObject
        {
            ["id"] = "cmpl-1", ["object"] = "text_completion", ["created"] = 1700000000, ["model"] = Model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["text"] = prompt + (maxTokens > 0 ? generated : ""),
                ["index"] = 0,
                ["logprobs"] = new JsonObject
                {
                    ["tokens"] = new JsonArray(tokens.Select(t => (JsonNode?)t).ToArray()),
                    ["token_logprobs"] = logprobs,
                    ["top_logprobs"] = null,
                    ["text_offset"] = offsets,
                },
                ["finish_reason"] = "length",
            }),
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.ToJsonString());
    }

    /// <summary>Words with their leading white space; CJK characters one each.</summary>
    public static List<string> Tokenize(string text) => TokenPattern().Matches(text).Select(m => m.Value).ToList();

    public static double LogProbability(string token) => -0.1 * CodePoints(token);

    public static int CodePoints(string s) => s.EnumerateRunes().Count();

    [GeneratedRegex(@"\s*(?:[\u4E00-\u9FFF]|[^\s\u4E00-\u9FFF]+)|\s+")]
    private static partial Regex TokenPattern();
}
