// Step-to-chart latency, measured in Chromium: the portal runs on real Kestrel (127.0.0.1), a signed-in page
// starts the demo run, and a requestAnimationFrame probe records when each new step appears in the Plotly chart.
// Latency = time the browser first showed step N − time the engine reported step N (same machine clock).
// Usage: dotnet run -c Release --project bench/DeepSeek.Portal.ChartLatency -- [--steps 120] [--out results.json] [--screenshots dir]
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Training;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

var steps = ArgInt("--steps", 120);
var outPath = Arg("--out");
var screenshots = Arg("--screenshots");

// WebApplicationFactory finds the portal's content root through this variable outside a test project.
var repo = new DirectoryInfo(AppContext.BaseDirectory);
while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "DeepSeek.Portal.sln")))
    repo = repo.Parent;
Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_DEEPSEEK_PORTAL", Path.Combine(repo!.FullName, "src", "DeepSeek.Portal"));

await using var portal = new LatencyPortal();
portal.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
portal.StartServer();
var baseUrl = portal.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
await using (var scope = portal.Services.CreateAsyncScope())
    await scope.ServiceProvider.GetRequiredService<AccountService>().CreateUserAsync(LatencyPortal.Email, LatencyPortal.Password, PortalRoles.Engineer);

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium",
    Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new() { Width = 1400, Height = 1000 } });
var page = await context.NewPageAsync();
page.SetDefaultTimeout(120_000);
await page.GotoAsync("/account/login");
await page.FillAsync("#email", LatencyPortal.Email);
await page.FillAsync("#password", LatencyPortal.Password);
await page.ClickAsync("[data-testid=sign-in]");
await page.WaitForSelectorAsync("#portal-interactive[data-ready=true]", new() { State = WaitForSelectorState.Attached });
await page.GotoAsync("/runs");
await page.WaitForSelectorAsync("#portal-interactive[data-ready=true]", new() { State = WaitForSelectorState.Attached });
await page.WaitForSelectorAsync("[data-testid=launch-form][data-interactive=true]");
var stepsInput = page.Locator("input[data-testid=launch-steps]");
await stepsInput.FillAsync(steps.ToString(CultureInfo.InvariantCulture));
await stepsInput.BlurAsync();
var started = DateTimeOffset.UtcNow;
await page.ClickAsync("[data-testid=launch-run]");
await page.WaitForURLAsync("**/runs/*", new() { WaitUntil = WaitUntilState.Commit });
var runId = int.Parse(page.Url.Split('/').Last(), CultureInfo.InvariantCulture);

// Probe: on every animation frame, note when new x values (steps) first appear in the plotted data.
await page.WaitForFunctionAsync("() => { const gd = document.getElementById('loss-chart'); return gd && gd.data; }");
await page.EvaluateAsync(@"() => {
  window.__seen = {};
  const gd = document.getElementById('loss-chart');
  const tick = () => { const xs = gd.data[0].x; for (const x of xs) if (!(x in window.__seen)) window.__seen[x] = Date.now(); requestAnimationFrame(tick); };
  tick();
}");
if (screenshots is not null)
{
    Directory.CreateDirectory(screenshots);
    await page.WaitForFunctionAsync("() => document.getElementById('loss-chart').data[0].x.length >= 10");
    await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots, "run-live.png"), FullPage = true });
}
await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=run-status]')?.textContent.trim() === 'Succeeded'", null, new() { Timeout = 1_800_000 });
var finished = DateTimeOffset.UtcNow;
await page.WaitForTimeoutAsync(500);
if (screenshots is not null)
    await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots, "run-finished.png"), FullPage = true });

var seen = await page.EvaluateAsync<Dictionary<string, double>>("() => window.__seen");
if (screenshots is not null)
{
    // A tour of the other pages in both languages, for a person to look at.
    foreach (var culture in new[] { "en", "zh-Hans" })
    {
        await page.GotoAsync($"/culture/set?culture={culture}&redirectUri=/");
        foreach (var (path, name) in new[] { ("/", "overview"), ("/runs", "runs"), ("/datasets", "datasets"), ($"/runs/{runId}", "run") })
        {
            await page.GotoAsync(path);
            await page.WaitForSelectorAsync("#portal-interactive[data-ready=true]", new() { State = WaitForSelectorState.Attached });
            await page.WaitForTimeoutAsync(700);
            await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots, $"{name}-{culture}.png"), FullPage = true });
        }
    }
}
var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
var token = await (await http.PostAsJsonAsync("/api/auth/token", new { email = LatencyPortal.Email, password = LatencyPortal.Password })).Content.ReadFromJsonAsync<JsonElement>();
http.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("accessToken").GetString());
var points = (await http.GetFromJsonAsync<List<RunPoint>>($"/api/runs/{runId}/metrics"))!;
var run = (await http.GetFromJsonAsync<RunSummary>($"/api/runs/{runId}"))!;

// Points drawn from history (before the probe started) are not live deliveries: skip them.
var latencies = points
    .Where(pt => seen.TryGetValue(pt.Step.ToString(CultureInfo.InvariantCulture), out var shown) && shown >= pt.RecordedAtUnixMs - 5)
    .Select(pt => seen[pt.Step.ToString(CultureInfo.InvariantCulture)] - pt.RecordedAtUnixMs)
    .Order().ToList();
double Pct(double q) => latencies.Count == 0 ? double.NaN : latencies[(int)Math.Min(latencies.Count - 1, Math.Round(q * (latencies.Count - 1)))];
var stepIntervals = points.Zip(points.Skip(1), (a, b) => (double)(b.RecordedAtUnixMs - a.RecordedAtUnixMs)).Order().ToList();
var result = new
{
    runId, steps = points.Count, livePoints = latencies.Count,
    latencyMs = new { p50 = Pct(0.5), p95 = Pct(0.95), max = latencies.Count > 0 ? latencies[^1] : double.NaN },
    stepIntervalMsP50 = stepIntervals.Count > 0 ? stepIntervals[stepIntervals.Count / 2] : double.NaN,
    firstLoss = points.FirstOrDefault()?.Loss, lastLoss = points.LastOrDefault()?.Loss, heldOutPerplexity = run.HeldOutPerplexity,
    tokensPerSecond = run.TokensPerSecond, wallSeconds = (finished - started).TotalSeconds, device = run.Device,
};
var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
Console.WriteLine(json);
Console.WriteLine($"| step → chart latency p50 | {result.latencyMs.p50:F0} ms |\n| step → chart latency p95 | {result.latencyMs.p95:F0} ms |\n| live points measured | {latencies.Count} of {points.Count} |");
if (outPath is not null)
    await File.WriteAllTextAsync(outPath, json);

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
int ArgInt(string name, int fallback) => Arg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

internal sealed class LatencyPortal : WebApplicationFactory<DeepSeek.Portal.SharedResource>
{
    public const string Email = "bench@portal.local";
    public const string Password = "Bench-password-1";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Benchmark");
        builder.UseStaticWebAssets();
        builder.UseSetting("Portal:DataDirectory", Path.Combine(Path.GetTempPath(), "deepseek-portal-bench", Guid.NewGuid().ToString("N")));
        builder.UseSetting("Portal:Admin:Email", "admin@portal.local");
        builder.UseSetting("Portal:Admin:Password", Password);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }
}
