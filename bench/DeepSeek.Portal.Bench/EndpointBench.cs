using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Feeding.Composer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepSeek.Portal.Bench;

/// <summary>
/// The evaluation runner against an OpenAI-compatible endpoint: a loopback server (real Kestrel in this process) answers
/// every request after a fixed simulated latency, and a suite of generation items, each with a reference whose
/// log-likelihood is measured (two requests an item: chat + echo completion), runs at several concurrencies. With the
/// server's latency fixed, items/s should grow with the concurrency until the client or the server's CPU is the limit;
/// the ratio to concurrency 1 shows how much of that the runner delivers.
/// </summary>
internal static class EndpointBench
{
    public const string Usage = "endpoint [--items N (default 256)] [--latency-ms N (default 20)] [--concurrency 1,8,32] [--out path.json]";

    public sealed class Row
    {
        public int Concurrency { get; set; }
        public int Items { get; set; }
        public int Requests { get; set; }
        public int MaxInFlight { get; set; }
        public int Failures { get; set; }
        public double Seconds { get; set; }
        public double ItemsPerSecond { get; set; }
        public double RatioToConcurrencyOne { get; set; }
        public double IdealItemsPerSecond { get; set; }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        int items = 256, latencyMs = 20;
        int[] concurrencies = [1, 8, 32];
        string? outPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value. Usage: {Usage}");
            switch (args[i])
            {
                case "--items": items = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--latency-ms": latencyMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrencies = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--out": outPath = Next(); break;
                default: Console.Error.WriteLine($"Unknown option {args[i]}. Usage: {Usage}"); return 2;
            }
        }

        await using var server = await LoopbackServer.StartAsync(TimeSpan.FromMilliseconds(latencyMs));
        Console.WriteLine($"# Evaluation runner vs a loopback OpenAI endpoint — {items} generation items (chat + echo log-likelihood each), {latencyMs} ms per request, {Environment.ProcessorCount} logical processors");
        Console.WriteLine();
        var suite = Enumerable.Range(0, items).Select(i => new SuiteItem($"item-{i}", ItemKind.Generation, EvaluationSlice.General)
        {
            Prompt = $"Question {i}: what colour is the sky on a clear day?",
            References = [$"It is blue, answer {i}."],
        }).ToList();
        using var target = new OpenAiCompatibleTarget(new OpenAiCompatibleOptions { BaseUrl = server.BaseUrl, Model = LoopbackServer.Model, ApiKey = "sk-bench" });

        // Warm-up: JIT, connection pool, Kestrel.
        await foreach (var _ in SuiteRunner.RunAsync(target, suite.Take(16).ToList(), new SuiteRunOptions { Concurrency = 8 }, CancellationToken.None)) { }

        var rows = new List<Row>();
        foreach (int concurrency in concurrencies)
        {
            server.Reset();
            int failures = 0;
            var clock = Stopwatch.StartNew();
            await foreach (var output in SuiteRunner.RunAsync(target, suite, new SuiteRunOptions { Concurrency = concurrency }, CancellationToken.None))
                if (output.Failure is not null) failures++;
            double seconds = clock.Elapsed.TotalSeconds;
            rows.Add(new Row
            {
                Concurrency = concurrency,
                Items = items,
                Requests = server.Requests,
                MaxInFlight = server.MaxInFlight,
                Failures = failures,
                Seconds = seconds,
                ItemsPerSecond = items / seconds,
                IdealItemsPerSecond = concurrency / (2 * latencyMs / 1000.0),
            });
        }
        double baseline = rows.FirstOrDefault(r => r.Concurrency == 1)?.ItemsPerSecond ?? rows[0].ItemsPerSecond;
        foreach (var row in rows) row.RatioToConcurrencyOne = row.ItemsPerSecond / baseline;

        Console.WriteLine("| Concurrency | Items | Requests | Max in flight | Failures | Seconds | Items/s | × concurrency 1 | Ideal items/s (latency only) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Concurrency} | {r.Items} | {r.Requests} | {r.MaxInFlight} | {r.Failures} | {r.Seconds:F2} | {r.ItemsPerSecond:F1} | {r.RatioToConcurrencyOne:F2} | {r.IdealItemsPerSecond:F1} |"));

        outPath ??= Path.Combine("bench", "results", $"endpoint-bench-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(new { items, latencyMs, processorCount = Environment.ProcessorCount, rows },
            new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        Console.WriteLine();
        Console.WriteLine($"Wrote {outPath}.");
        return rows.Any(r => r.Failures > 0) ? 1 : 0;
    }

    /// <summary>A minimal OpenAI server: chat answers a fixed reply, completions echoes the prompt with a log-probability per word.</summary>
    private sealed class LoopbackServer : IAsyncDisposable
    {
        public const string Model = "bench-model";
        private readonly WebApplication _app;
        private readonly TimeSpan _latency;
        private int _requests, _inFlight, _maxInFlight;

        private LoopbackServer(WebApplication app, TimeSpan latency) => (_app, _latency) = (app, latency);

        public Uri BaseUrl { get; private set; } = null!;
        public int Requests => Volatile.Read(ref _requests);
        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public void Reset()
        {
            Volatile.Write(ref _requests, 0);
            Volatile.Write(ref _maxInFlight, 0);
        }

        public static async Task<LoopbackServer> StartAsync(TimeSpan latency)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
            var app = builder.Build();
            var server = new LoopbackServer(app, latency);
            app.Use(server.CountAsync);
            app.MapPost("/v1/chat/completions", () => Results.Json(new
            {
                id = "chatcmpl-bench", @object = "chat.completion", created = 1700000000, model = Model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = "It is blue." }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 12, completion_tokens = 4, total_tokens = 16 },
            }));
            app.MapPost("/v1/completions", async (HttpContext context) =>
            {
                var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
                string prompt = body!["prompt"]!.GetValue<string>();
                var tokens = new JsonArray();
                var logprobs = new JsonArray();
                var top = new JsonArray();
                var offsets = new JsonArray();
                int offset = 0;
                foreach (var word in System.Text.RegularExpressions.Regex.Matches(prompt, @"\s*\S+").Select(m => m.Value))
                {
                    tokens.Add(word);
                    offsets.Add(offset);
                    logprobs.Add(offset == 0 ? null : -0.25);
                    top.Add(offset == 0 ? null : new JsonObject { [word] = -0.25 });
                    offset += word.Length;
                }
                var response = new JsonObject
                {
                    ["id"] = "cmpl-bench", ["object"] = "text_completion", ["created"] = 1700000000, ["model"] = Model,
                    ["choices"] = new JsonArray(new JsonObject
                    {
                        ["text"] = prompt, ["index"] = 0, ["finish_reason"] = "length",
                        ["logprobs"] = new JsonObject { ["tokens"] = tokens, ["token_logprobs"] = logprobs, ["top_logprobs"] = top, ["text_offset"] = offsets },
                    }),
                };
                return Results.Text(response.ToJsonString(), "application/json");
            });
            await app.StartAsync();
            server.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/v1");
            return server;
        }

        private async Task CountAsync(HttpContext context, RequestDelegate next)
        {
            Interlocked.Increment(ref _requests);
            int now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen) { }
            try
            {
                await Task.Delay(_latency, context.RequestAborted);
                await next(context);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
