// Step-to-chart latency, measured in Chromium: the portal runs on real Kestrel (127.0.0.1), a signed-in page
// watches a demo run, and a requestAnimationFrame probe records when each new step appears in the Plotly chart.
// Latency = time the browser first showed step N − time the engine reported step N (same machine clock).
// Scenarios: the real page alone, then among 49 and 199 simulated circuits (SimulatedCircuits.cs), then with one of
// them dead: a second real page whose network is cut mid-run (StallingProxy), which never answers again.
// Usage: dotnet run -c Release --project bench/DeepSeek.Portal.BrowserBench -- [latency]
//          [--steps 60] [--circuits 1,50,200] [--dead 50,200] [--engine real|played] [--interval 200]
//          [--out results.json] [--screenshots dir] [--profile dir]
//        dotnet run -c Release --project bench/DeepSeek.Portal.BrowserBench -- upload [--mb 1024] [--out results.json]
//          (a large file through the browser's upload panel and its import job: see UploadTrial.cs)
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.BrowserTests;
using DeepSeek.Portal.BrowserBench;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Training;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

if (args.FirstOrDefault() == "upload")
{
    await UploadTrial.RunAsync(args[1..]);
    return;
}

var steps = ArgInt("--steps", 60);
// real: the demo run trains (steps arrive at the engine's pace, and training competes for the cores);
// played: the bench reports a step every --interval ms itself, which isolates the store-and-push pipeline.
var played = Arg("--engine") == "played";
var intervalMs = ArgInt("--interval", 200);
var circuitCounts = ArgInts("--circuits", [1, 50, 200]);
var deadCounts = ArgInts("--dead", [50, 200]);
var outPath = Arg("--out");
var screenshots = Arg("--screenshots");
var profileDir = Arg("--profile");

await using var portal = new BenchPortal();
portal.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
portal.StartServer();
var baseUrl = portal.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
await using (var scope = portal.Services.CreateAsyncScope())
    await scope.ServiceProvider.GetRequiredService<AccountService>().CreateUserAsync(BenchPortal.Email, BenchPortal.Password, PortalRoles.Engineer);
var feed = portal.Services.GetRequiredService<RunLiveFeed>();
var publisher = portal.Services.GetRequiredService<RunProgressPublisher>();

var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
var token = await (await http.PostAsJsonAsync("/api/auth/token", new { email = BenchPortal.Email, password = BenchPortal.Password })).Content.ReadFromJsonAsync<JsonElement>();
http.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("accessToken").GetString());
var datasetId = (await http.GetFromJsonAsync<JsonElement>("/api/datasets")).EnumerateArray().First().GetProperty("id").GetInt32();

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium",
    Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
var page = await SignedInPageAsync(baseUrl);

var scenarios = circuitCounts.Select(n => (Circuits: n, Dead: false)).Concat(deadCounts.Select(n => (Circuits: n, Dead: true))).ToList();
var results = new List<object>();
var lastRunId = 0;
foreach (var (circuits, dead) in scenarios)
{
    var result = await MeasureAsync(circuits, dead);
    results.Add(result);
    Console.WriteLine(JsonSerializer.Serialize(result, JsonOptions(indented: false)));
}

if (screenshots is not null)
{
    // A tour of the pages in both languages, for a person to look at.
    Directory.CreateDirectory(screenshots);
    foreach (var culture in new[] { "en", "zh-Hans" })
    {
        await page.GotoAsync($"/culture/set?culture={culture}&redirectUri=/");
        foreach (var (path, name) in new[] { ("/", "overview"), ("/runs", "runs"), ("/datasets", "datasets"), ($"/runs/{lastRunId}", "run") })
        {
            await page.GotoAsync(path);
            await WaitInteractiveAsync(page);
            await page.WaitForTimeoutAsync(700);
            await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots, $"{name}-{culture}.png"), FullPage = true });
        }
    }
}

var json = JsonSerializer.Serialize(new { engine = played ? "played" : "real", steps, intervalMs = played ? intervalMs : (int?)null, machine = MachineNotes(), scenarios = results }, JsonOptions(indented: true));
Console.WriteLine(json);
if (outPath is not null)
    await File.WriteAllTextAsync(outPath, json);
return;

// One demo run watched by the real page, (circuits − 1 − dead) simulated circuits and, if dead, one cut-off page.
async Task<object> MeasureAsync(int circuits, bool dead)
{
    var simulated = Math.Max(0, circuits - 1 - (dead ? 1 : 0));
    int runId;
    if (played)
    {
        runId = lastRunId = await InsertPlayedRunAsync();
    }
    else
    {
        var launch = await http.PostAsJsonAsync("/api/runs", new { datasetId, steps });
        launch.EnsureSuccessStatusCode();
        runId = lastRunId = (await launch.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }
    var started = Stopwatch.StartNew();

    // The run builds its tokenizer for a few seconds before its first step: everyone subscribes meanwhile.
    var opened = Stopwatch.StartNew();
    await page.GotoAsync($"/runs/{runId}");
    await WaitInteractiveAsync(page);
    // Live latency is measured on an open page: wait until Plotly has drawn the (still empty) chart. The time to that
    // point is the page's own load, reported apart.
    await page.WaitForFunctionAsync("() => { const gd = document.getElementById('loss-chart'); return !!(gd && gd._fullLayout && window.Plotly); }", null, new() { Timeout = 120_000 });
    var chartReadyMs = opened.Elapsed.TotalMilliseconds;
    // The page shows a waiting state until the first step; the chart element (and its data) appear with it.
    await page.EvaluateAsync(@"() => {
      window.__seen = {}; window.__extend = {};
      const tick = () => {
        // Where the time goes: when the chart's extendTraces call for a step began and ended (first trace only).
        if (window.Plotly && !window.Plotly.__probed) {
          const original = window.Plotly.extendTraces;
          window.Plotly.extendTraces = function (gd, update, indices) {
            const begin = Date.now();
            const result = original.apply(this, arguments);
            const end = Date.now();
            if (indices && indices[0] === 0 && update.x) for (const x of update.x[0]) window.__extend[x] = [begin, end];
            return result;
          };
          // Any other full draw while points stream (a re-render calling react or newPlot) competes with them: count it.
          window.__draws = { react: 0, newPlot: 0, relayout: 0 };
          for (const name of Object.keys(window.__draws)) {
            const draw = window.Plotly[name];
            window.Plotly[name] = function () { window.__draws[name]++; return draw.apply(this, arguments); };
          }
          window.Plotly.__probed = true;
        }
        const gd = document.getElementById('loss-chart');
        if (gd && gd.data && gd.data[0]) for (const x of gd.data[0].x) if (!(x in window.__seen)) window.__seen[x] = Date.now();
        requestAnimationFrame(tick);
      };
      tick();
    }");
    var clients = new List<SimulatedCircuitClient>();
    for (var batch = 0; batch < simulated; batch += 25)
        clients.AddRange(await Task.WhenAll(Enumerable.Range(batch, Math.Min(25, simulated - batch)).Select(_ => SimulatedCircuitClient.WatchAsync(baseUrl, runId))));

    StallingProxy? proxy = null;
    IPage? deadPage = null;
    if (dead)
    {
        // A real circuit that stops answering mid-run: it saw the first point, then its network is gone.
        proxy = new StallingProxy(new Uri(baseUrl));
        deadPage = await SignedInPageAsync(proxy.Url);
        await deadPage.GotoAsync($"/runs/{runId}");
        await WaitInteractiveAsync(deadPage);
        if (played)
            await PlayStepsAsync(runId, 1, 1);
        await deadPage.WaitForFunctionAsync("() => { const gd = document.getElementById('loss-chart'); return gd && gd.data && gd.data[0].x.length > 0; }", null, new() { Timeout = 300_000 });
        proxy.Stall();
    }
    // --profile dir: a CPU profile of the real page while the steps stream (Chrome DevTools' .cpuprofile format).
    ICDPSession? profiler = null;
    if (profileDir is not null)
    {
        profiler = await page.Context.NewCDPSessionAsync(page);
        await profiler.SendAsync("Profiler.enable");
        await profiler.SendAsync("Profiler.setSamplingInterval", new Dictionary<string, object> { ["interval"] = 200 });
        await profiler.SendAsync("Profiler.start");
    }
    var measureFrom = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    var watchers = feed.Count;
    if (played)
        await PlayStepsAsync(runId, dead ? 2 : 1, steps);

    await page.WaitForFunctionAsync($"() => document.querySelector('[data-testid=run-status]')?.textContent.trim() === 'Succeeded'", null, new() { Timeout = 1_800_000 });
    var wall = started.Elapsed.TotalSeconds;
    await page.WaitForTimeoutAsync(500);
    if (profiler is not null)
    {
        var profile = await profiler.SendAsync("Profiler.stop");
        Directory.CreateDirectory(profileDir!);
        await File.WriteAllTextAsync(Path.Combine(profileDir!, $"chart-{circuits}{(dead ? "-dead" : "")}.cpuprofile"), profile!.Value.GetProperty("profile").GetRawText());
        await profiler.DetachAsync();
    }
    var seen = await page.EvaluateAsync<Dictionary<string, double>>("() => window.__seen");
    var extend = await page.EvaluateAsync<Dictionary<string, double[]>>("() => window.__extend");
    var otherDraws = await page.EvaluateAsync<Dictionary<string, int>>("() => window.__draws || {}");
    var points = (await http.GetFromJsonAsync<List<RunPoint>>($"/api/runs/{runId}/metrics"))!;
    var live = points.Where(pt => pt.RecordedAtUnixMs >= measureFrom).ToList();

    var chart = live
        .Where(pt => seen.ContainsKey(pt.Step.ToString(CultureInfo.InvariantCulture)))
        .Select(pt => seen[pt.Step.ToString(CultureInfo.InvariantCulture)] - pt.RecordedAtUnixMs).Order().ToList();
    // The chart latency in three parts: until the browser starts the extendTraces call (server, network, Blazor's
    // message handling and anything queued before it on the browser's main thread), the call itself (Plotly's
    // redraw), and from its end until the next animation frame saw the point.
    var withParts = live.Where(pt => seen.ContainsKey(Key(pt.Step)) && extend.ContainsKey(Key(pt.Step))).ToList();
    var toCall = withParts.Select(pt => extend[Key(pt.Step)][0] - pt.RecordedAtUnixMs).Order().ToList();
    var inCall = withParts.Select(pt => extend[Key(pt.Step)][1] - extend[Key(pt.Step)][0]).Order().ToList();
    var toFrame = withParts.Select(pt => seen[Key(pt.Step)] - extend[Key(pt.Step)][1]).Order().ToList();
    var delivered = clients.SelectMany(c => live.Where(pt => c.Seen.ContainsKey(pt.Step)).Select(pt => (double)(c.Seen[pt.Step] - pt.RecordedAtUnixMs))).Order().ToList();
    var missed = clients.Sum(c => live.Count(pt => !c.Seen.ContainsKey(pt.Step)));
    var intervals = points.Zip(points.Skip(1), (a, b) => (double)(b.RecordedAtUnixMs - a.RecordedAtUnixMs)).Order().ToList();

    foreach (var client in clients)
        await client.DisposeAsync();
    if (deadPage is not null)
        await deadPage.Context.CloseAsync();
    if (proxy is not null)
        await proxy.DisposeAsync();

    return new
    {
        engine = played ? "played" : "real", circuits, dead, simulatedCircuits = simulated, feedSubscribersAtStart = watchers, runId, livePoints = live.Count,
        pageToChartReadyMs = Math.Round(chartReadyMs), otherDrawsWhileMeasuring = otherDraws, chartMs = Stats(chart), chartPartsMs = new { untilExtendCall = Stats(toCall), extendCall = Stats(inCall), untilFrame = Stats(toFrame) },
        simulatedDeliveryMs = Stats(delivered), simulatedMissed = missed,
        stepIntervalMsP50 = intervals.Count > 0 ? intervals[intervals.Count / 2] : double.NaN, wallSeconds = Math.Round(wall, 1),
    };
}

// A run row that no job trains: the bench plays the engine and reports each step to the real publisher.
async Task<int> InsertPlayedRunAsync()
{
    await using var scope = portal.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
    var run = new TrainingRun { Name = "played", DatasetId = datasetId, Status = RunStatus.Running, Settings = "", CreatedAt = DateTimeOffset.UtcNow, StartedAt = DateTimeOffset.UtcNow };
    run.Apply(new DeepSeek.Portal.Engine.Training.TrainingOptions { Steps = steps });
    db.Runs.Add(run);
    await db.SaveChangesAsync();
    await publisher.PublishStatusAsync(run.Id);
    return run.Id;
}

async Task PlayStepsAsync(int runId, int from, int to)
{
    var clock = Stopwatch.StartNew();
    for (var step = from; step <= to; step++)
    {
        publisher.Report(runId, new TrainingProgress(step, steps, 8.0 / Math.Sqrt(step), 1e-3, 12_000, 1.0, TimeSpan.FromMilliseconds(step * intervalMs)));
        var next = TimeSpan.FromMilliseconds((step - from + 1) * intervalMs);
        if (next > clock.Elapsed)
            await Task.Delay(next - clock.Elapsed);
    }
    if (to < steps)
        return;
    await using var scope = portal.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
    var run = await db.Runs.FindAsync(runId);
    run!.Status = RunStatus.Succeeded;
    run.FinishedAt = DateTimeOffset.UtcNow;
    await db.SaveChangesAsync();
    await publisher.PublishStatusAsync(runId);
}

async Task<IPage> SignedInPageAsync(string url)
{
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = url, Locale = "en-US", ViewportSize = new() { Width = 1400, Height = 1000 } });
    var signedIn = await context.NewPageAsync();
    signedIn.SetDefaultTimeout(120_000);
    await signedIn.GotoAsync("/account/login");
    await signedIn.FillAsync("#email", BenchPortal.Email);
    await signedIn.FillAsync("#password", BenchPortal.Password);
    await signedIn.ClickAsync("[data-testid=sign-in]");
    await WaitInteractiveAsync(signedIn);
    return signedIn;
}

// A scenario that measured nothing reports NaN rather than failing the whole run.
static string Key(int step) => step.ToString(CultureInfo.InvariantCulture);

static JsonSerializerOptions JsonOptions(bool indented) =>
    new() { WriteIndented = indented, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

static Task WaitInteractiveAsync(IPage p) => p.WaitForSelectorAsync("#portal-interactive[data-ready=true]", new() { State = WaitForSelectorState.Attached });

static object Stats(List<double> sorted)
{
    double Pct(double q) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Round(q * (sorted.Count - 1)))];
    return new { n = sorted.Count, p50 = Pct(0.5), p95 = Pct(0.95), max = sorted.Count > 0 ? sorted[^1] : double.NaN };
}

static string MachineNotes()
{
    var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
    return $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, load average at the end: {load}";
}

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
int ArgInt(string name, int fallback) => Arg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
int[] ArgInts(string name, int[] fallback) => Arg(name) is { } v ? v.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : fallback;

