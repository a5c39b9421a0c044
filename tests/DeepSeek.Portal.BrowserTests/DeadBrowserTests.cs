using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>
/// Two browsers watch one run; the first loses its network mid-run (its TCP connections stay open, nothing moves:
/// the server cannot tell it is gone). Storing, the second browser's live chart, Cancel and shutdown must not notice.
/// </summary>
public sealed class DeadBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private const string PlottedPoints = "() => { const gd = document.getElementById('loss-chart'); return gd && gd.data ? gd.data[0].x.length : -1; }";
    private readonly BrowserPortal _portal = new();
    private StallingProxy _proxy = default!;
    private HttpClient _api = default!;

    public async Task InitializeAsync()
    {
        await _portal.InitializeAsync();
        Note("portal started");
        _proxy = new StallingProxy(new Uri(_portal.BaseUrl));
        _api = new HttpClient { BaseAddress = new Uri(_portal.BaseUrl) };
        var token = await (await _api.PostAsJsonAsync("/api/auth/token", new { email = BrowserPortal.Email, password = BrowserPortal.Password }))
            .Content.ReadFromJsonAsync<JsonElement>();
        _api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.GetProperty("accessToken").GetString());
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await ((IAsyncLifetime)_portal).DisposeAsync();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task A_browser_that_loses_its_network_mid_run_stops_nothing_for_storing_the_other_browser_cancel_or_shutdown()
    {
        var datasetId = await UploadSmallDatasetAsync();
        var launch = await _api.PostAsJsonAsync("/api/runs", new { datasetId, steps = 2000, microBatchSize = 2, gradientAccumulationSteps = 1, warmupSteps = 1, sequenceLength = 32 });
        launch.EnsureSuccessStatusCode();
        var runId = (await launch.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        Note("run launched");

        // The first browser reaches the portal through the proxy; the second directly, in Chinese.
        var doomed = await SignedInPageAsync(_proxy.Url);
        var watcher = await SignedInPageAsync(_portal.BaseUrl, chinese: true);
        foreach (var page in new[] { doomed, watcher })
        {
            await BrowserPortal.GotoInteractiveAsync(page, $"/runs/{runId}");
            await page.WaitForFunctionAsync($"() => ({PlottedPoints})() >= 1", null, new() { Timeout = 120_000 });
            Note("a page shows points");
        }

        Note("both pages show points");
        _proxy.Stall();
        var storedAtCut = await StoredPointsAsync(runId);
        var shownAtCut = await watcher.EvaluateAsync<int>(PlottedPoints);

        // Every step is still stored, and the second browser still gets them live.
        await WaitAsync(async () => await StoredPointsAsync(runId) >= storedAtCut + 30, "stored metrics to keep growing");
        await watcher.WaitForFunctionAsync($"() => ({PlottedPoints})() >= {shownAtCut + 20}", null, new() { Timeout = 60_000 });
        Note("storing and the second page went on");
        // Re-rendered by live updates, the Chinese page stays Chinese.
        Assert.Equal("运行中", (await watcher.Locator("[data-testid=run-status]").TextContentAsync())?.Trim());

        var cancel = await _api.PostAsync($"/api/runs/{runId}/cancel", null);
        cancel.EnsureSuccessStatusCode();
        await WaitAsync(async () => (await RunAsync(runId)).GetProperty("status").GetString() == "Cancelled", "the run to be cancelled");
        await watcher.WaitForFunctionAsync("() => document.querySelector('[data-testid=run-status]')?.textContent.trim() === '已取消'", null, new() { Timeout = 60_000 });

        Note("cancelled");
        // The cut browser really was cut off: it saw far fewer points than the other.
        Assert.True(await doomed.EvaluateAsync<int>(PlottedPoints) < await watcher.EvaluateAsync<int>(PlottedPoints));

        // Shutdown while the dead browser's connections are still open. Before the fix it ran into the 30 s limit.
        var stopping = Stopwatch.StartNew();
        await _portal.DisposeAsync();
        Note($"host disposed in {stopping.Elapsed.TotalSeconds:F1} s");
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(20), $"shutdown took {stopping.Elapsed.TotalSeconds:F1} s");
    }

    private void Note(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}");

    private async Task<IPage> SignedInPageAsync(string baseUrl, bool chinese = false)
    {
        var context = await _portal.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, Locale = chinese ? "zh-CN" : "en-US" });
        if (chinese)
            await context.AddCookiesAsync([new Cookie { Name = ".AspNetCore.Culture", Value = "c=zh-Hans|uic=zh-Hans", Url = baseUrl }]);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", BrowserPortal.Email);
        await page.FillAsync("#password", BrowserPortal.Password);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForSelectorAsync("[data-testid=current-user]");
        return page;
    }

    // Small, so the run's tokenizer and first step are ready in seconds (the demo dataset takes much longer).
    private async Task<int> UploadSmallDatasetAsync()
    {
        var lines = Enumerable.Range(0, 200).Select(i => JsonSerializer.Serialize(new
        {
            text = i % 2 == 0 ? $"客户：我的余额是多少？客服：您的余额为{100 + i}元。" : $"Customer: what is my balance? Agent: your balance is {100 + i} yuan.",
        }));
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines)));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", "dead-browser.jsonl");
        form.Add(new StringContent("dead-browser"), "name");
        var response = await _api.PostAsync("/api/datasets", form);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private async Task<JsonElement> RunAsync(int runId) => await _api.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}");

    private async Task<int> StoredPointsAsync(int runId) =>
        (await _api.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/metrics")).GetArrayLength();

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Timed out waiting for {what}");
            await Task.Delay(200);
        }
    }
}
