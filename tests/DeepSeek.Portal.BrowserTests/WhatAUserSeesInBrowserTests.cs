using DeepSeek.Portal.Data;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>
/// The portal as a user meets it in English and Chinese, on a desktop and a phone: every page is screenshot,
/// checked with axe-core and for left-over English; the run dashboard, compare, upload and delete flows work.
/// </summary>
public sealed class WhatAUserSeesInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    private const string Admin = "admin@browser.local";
    private static readonly ConditionalWeakTable<BrowserPortal, Task<(RunSummary First, RunSummary Second)>> FinishedRuns = new();

    public static TheoryData<string, int, int> LanguagesAndWidths => new()
    {
        { "en", 1280, 800 },
        { "zh-Hans", 1280, 800 },
        { "en", 390, 844 },
        { "zh-Hans", 390, 844 },
    };

    [Theory]
    [MemberData(nameof(LanguagesAndWidths))]
    public async Task Every_page_passes_axe_has_one_main_and_one_h1_fits_the_width_and_Chinese_pages_have_no_English(string culture, int width, int height)
    {
        var (first, second) = await TwoFinishedRunsAsync();
        var names = new[] { "demo-bank-support", "demo-general", "demo-eval-suite", first.Name, second.Name, Admin, BrowserPortal.Email };
        int demoId;
        await using (var scope = portal.Services.CreateAsyncScope())
            demoId = (await scope.ServiceProvider.GetRequiredService<DatasetService>().ListAsync(CancellationToken.None)).First(d => d.IsDemo).Id;
        var problems = new List<string>();
        var page = await SignInAsync(culture, width, height);
        var pages = new (string Name, string Url, string? Ready)[]
        {
            ("overview", "/", "[data-testid=engine-device]"),
            ("datasets", "/datasets", "[data-testid=datasets-table] tbody tr"),
            ("dataset", $"/datasets/{demoId}", "[data-testid=length-histogram] .main-svg"),
            ("runs", "/runs", "[data-testid=runs-table] tbody tr"),
            ("run", $"/runs/{first.Id}", "#loss-chart .main-svg"),
            ("compare", $"/runs/compare?ids={first.Id},{second.Id}", "#compare-chart .main-svg"),
            ("models", "/models", "[data-testid=models-table]"),
            ("users", "/admin/users", "[data-testid=users-table] tbody tr"),
            ("not-found", "/no/such/page", "[data-testid=not-found]"),
        };
        foreach (var (name, url, ready) in pages)
        {
            await BrowserPortal.GotoInteractiveAsync(page, url);
            if (ready is not null)
                await page.WaitForSelectorAsync(ready);
            await AuditAsync(page, $"{culture}-{width}-{name}", culture, width, names, problems);
        }

        // The sign-in page, as someone not yet signed in sees it.
        var anonymous = await NewPageAsync(culture, width, height);
        await anonymous.GotoAsync("/account/login");
        await AuditAsync(anonymous, $"{culture}-{width}-sign-in", culture, width, names, problems, hasAppBar: false);

        Assert.True(problems.Count == 0, $"{problems.Count} problems (screenshots in {PageAudit.ScreenshotDirectory}):\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task A_Chinese_run_page_and_run_list_stay_Chinese_through_live_updates_and_Cancel_asks_first()
    {
        var (finished, other) = await TwoFinishedRunsAsync();
        var running = await LaunchAsync("直播-run", steps: 400, learningRate: 3e-3);
        var queued = await LaunchAsync("queued-run", steps: 10, learningRate: 3e-3);
        var page = await SignInAsync("zh-Hans", 1280, 800);
        string[] names = [running.Name, queued.Name, finished.Name, other.Name, "demo-bank-support", "demo-eval-suite", Admin];

        // A queued run shows a waiting state, not an empty grid.
        await BrowserPortal.GotoInteractiveAsync(page, $"/runs/{queued.Id}");
        var waiting = page.Locator("[data-testid=chart-waiting]");
        await waiting.WaitForAsync();
        Assert.Contains("等待", await waiting.TextContentAsync() ?? "", StringComparison.Ordinal);
        // Plotly loads with the page, behind the waiting state: the first step only appends (no 4.8 MB script on the critical path).
        await page.WaitForFunctionAsync("() => !!document.querySelector('#loss-chart .main-svg')");
        Assert.True(await waiting.IsVisibleAsync());

        // The run page keeps rendering Chinese while live points arrive from the training thread.
        await BrowserPortal.GotoInteractiveAsync(page, $"/runs/{running.Id}");
        await page.WaitForFunctionAsync($"() => ({PlottedPoints})() >= 3", null, new() { Timeout = 180_000 });
        var seen = await page.EvaluateAsync<int>(PlottedPoints);
        await page.WaitForFunctionAsync($"() => ({PlottedPoints})() > {seen} + 2", null, new() { Timeout = 60_000 });
        Assert.Equal("运行中", (await page.Locator("[data-testid=run-status]").TextContentAsync())?.Trim());
        Assert.Empty(await PageAudit.EnglishWordsAsync(page, names));
        Assert.Matches(@"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2} \(UTC\+8\)", await page.Locator("[data-testid=run-started]").TextContentAsync() ?? "");
        Assert.NotEqual("–", (await page.Locator("[data-setting=parameters] td").TextContentAsync())?.Trim());

        // The run list too, after several live refreshes.
        var list = await page.Context.NewPageAsync();
        await BrowserPortal.GotoInteractiveAsync(list, "/runs");
        var progress = list.Locator($"[data-testid=runs-table] tbody tr:has(a[href='runs/{running.Id}']) .mud-typography-caption");
        var before = await progress.TextContentAsync();
        await list.WaitForFunctionAsync(
            "([sel, before]) => document.querySelector(sel)?.textContent !== before",
            new object[] { $"[data-testid=runs-table] tbody tr:has(a[href='runs/{running.Id}']) .mud-typography-caption", before ?? "" },
            new() { Timeout = 60_000 });
        await list.WaitForTimeoutAsync(1200); // at least two more throttled refreshes
        var row = list.Locator($"[data-testid=runs-table] tbody tr:has(a[href='runs/{running.Id}'])");
        Assert.Equal("运行中", (await row.Locator("[data-testid=run-status]").TextContentAsync())?.Trim());
        Assert.Empty(await PageAudit.EnglishWordsAsync(list, names));
        await list.CloseAsync();

        // Cancel asks first, in Chinese; keeping the run keeps it running.
        await page.ClickAsync("[data-testid=cancel-run]");
        var dialog = page.Locator("[data-testid=confirm-message]");
        await dialog.WaitForAsync();
        Assert.Contains(running.Name, await dialog.TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Empty(await PageAudit.EnglishWordsAsync(page, names));
        await page.ClickAsync("[data-testid=confirm-no]");
        await dialog.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var later = await page.EvaluateAsync<int>(PlottedPoints);
        await page.WaitForFunctionAsync($"() => ({PlottedPoints})() > {later}", null, new() { Timeout = 60_000 });
        Assert.Equal("运行中", (await page.Locator("[data-testid=run-status]").TextContentAsync())?.Trim());

        await page.ClickAsync("[data-testid=cancel-run]");
        await page.ClickAsync("[data-testid=confirm-yes]");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=run-status]')?.textContent.trim() === '已取消'", null, new() { Timeout = 60_000 });
        Assert.Matches(@"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2} \(UTC\+8\)", await page.Locator("[data-testid=run-finished]").TextContentAsync() ?? "");
        Assert.Contains("秒", await page.Locator("[data-testid=run-duration]").TextContentAsync() ?? "", StringComparison.Ordinal);
        await CancelAsync(queued.Id);
    }

    [Fact]
    public async Task The_run_chart_smooths_switches_scale_and_axis_and_names_every_series_with_units()
    {
        var (run, _) = await TwoFinishedRunsAsync();
        var page = await SignInAsync("en", 1280, 800);
        await BrowserPortal.GotoInteractiveAsync(page, $"/runs/{run.Id}");
        await page.WaitForSelectorAsync("#loss-chart .main-svg");

        var names = await page.EvaluateAsync<string[]>("() => document.getElementById('loss-chart').data.map(t => t.name)");
        Assert.Equal(["Loss", "Smoothed loss", "Learning rate", "Gradient norm", "Held-out loss"], names);
        Assert.Equal("y3", await page.EvaluateAsync<string>("() => document.getElementById('loss-chart').data[3].yaxis"));
        var hover = await page.EvaluateAsync<string>("() => document.getElementById('loss-chart').data[0].hovertemplate");
        foreach (var part in new[] { "Step", "Loss", "nats/token", "Smoothed loss", "Learning rate", "Gradient norm", "Time", " s<br>", "Tokens seen" })
            Assert.Contains(part, hover, StringComparison.Ordinal);
        // Default smoothing 0.6: the smoothed curve is not the raw one.
        Assert.True(await page.EvaluateAsync<bool>("() => { const d = document.getElementById('loss-chart').data; return d[1].y.some((y, i) => Math.abs(y - d[0].y[i]) > 1e-9); }"));

        await page.ClickAsync("[data-testid=chart-log]", new() { Force = true });
        await page.WaitForFunctionAsync("() => document.getElementById('loss-chart').layout.yaxis.type === 'log'");

        await page.ClickAsync("[data-testid=chart-x-tokens]", new() { Force = true });
        var tokensPerStep = (long)run.Settings.EffectiveBatchSize * run.Settings.SequenceLength;
        await page.WaitForFunctionAsync($"() => document.getElementById('loss-chart').data[0].x[0] === {tokensPerStep}");
        Assert.Equal("Tokens seen", await page.EvaluateAsync<string>("() => document.getElementById('loss-chart').layout.xaxis.title.text"));

        await page.ClickAsync("[data-testid=chart-x-time]", new() { Force = true });
        await page.WaitForFunctionAsync("() => document.getElementById('loss-chart').layout.xaxis.title.text === 'Time (s)'");

        // Plotly's own strings follow the UI language.
        var zh = await SignInAsync("zh-Hans", 1280, 800);
        await BrowserPortal.GotoInteractiveAsync(zh, $"/runs/{run.Id}");
        await zh.WaitForSelectorAsync("#loss-chart .main-svg");
        var titles = await zh.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#loss-chart .modebar-btn')].map(b => b.getAttribute('data-title'))");
        Assert.Contains("重置坐标轴", titles);
        Assert.Contains("梯度范数", await zh.EvaluateAsync<string>("() => document.getElementById('loss-chart').data[0].hovertemplate"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_ticked_in_the_list_open_side_by_side_with_their_differences_marked()
    {
        var (first, second) = await TwoFinishedRunsAsync();
        var page = await SignInAsync("en", 1280, 800);
        await BrowserPortal.GotoInteractiveAsync(page, "/runs");
        await page.CheckAsync($"[data-testid=compare-select][data-run-id='{first.Id}']");
        await page.CheckAsync($"[data-testid=compare-select][data-run-id='{second.Id}']");
        await page.ClickAsync("[data-testid=compare-runs]");
        await page.WaitForURLAsync("**/runs/compare?ids=*");
        await page.WaitForSelectorAsync("#compare-chart .main-svg");

        Assert.Equal("2", await page.Locator("[data-testid=compare-chart]").GetAttributeAsync("data-series"));
        Assert.Equal(2, await page.EvaluateAsync<int>("() => document.getElementById('compare-chart').data.filter(t => t.showlegend !== false).length"));
        Assert.Equal("true", await page.Locator("[data-testid=compare-settings] tr[data-setting=learningRate]").GetAttributeAsync("data-differs"));
        Assert.Equal("false", await page.Locator("[data-testid=compare-settings] tr[data-setting=steps]").GetAttributeAsync("data-differs"));
    }

    [Fact]
    public async Task A_dropped_file_shows_transfer_progress_an_existing_one_links_to_it_and_line_errors_are_in_Chinese()
    {
        var page = await SignInAsync("zh-Hans", 1280, 800);
        await BrowserPortal.GotoInteractiveAsync(page, "/datasets");
        await page.WaitForSelectorAsync("[data-testid=upload-panel][data-interactive=true]");
        int demoId;
        await using (var scope = portal.Services.CreateAsyncScope())
            demoId = (await scope.ServiceProvider.GetRequiredService<DatasetService>().ListAsync(CancellationToken.None)).First(d => d.IsDemo).Id;

        // The demo dataset's own records, uploaded again: the transfer is held back so its progress can be seen, and the
        // import job then finds the same records and links to the dataset that holds them.
        string demoRecords;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var paths = scope.ServiceProvider.GetRequiredService<DeepSeek.Portal.Data.DataPaths>();
            var demo = (await scope.ServiceProvider.GetRequiredService<DatasetService>().GetAsync(demoId, CancellationToken.None))!;
            demoRecords = await File.ReadAllTextAsync(Path.Combine(paths.Datasets, demo.Sha256 + ".jsonl"));
        }
        string? sentName = null;
        await page.RouteAsync("**/api/datasets/uploads", async route =>
        {
            sentName = route.Request.PostData?.Contains("again.jsonl", StringComparison.Ordinal) == true ? "again.jsonl" : null;
            await Task.Delay(1500);
            await route.ContinueAsync();
        });
        var transfer = await page.EvaluateHandleAsync("""
            (text) => { const dt = new DataTransfer(); dt.items.add(new File([text], 'again.jsonl', { type: 'application/x-ndjson' })); return dt; }
            """, demoRecords);
        await page.DispatchEventAsync("[data-testid=upload-drop]", "drop", new { dataTransfer = transfer });
        var progress = page.Locator("[data-testid=upload-progress]");
        await progress.WaitForAsync();
        Assert.Contains("again.jsonl", await progress.TextContentAsync() ?? "", StringComparison.Ordinal);
        await page.ClickAsync("[data-testid=start-import]");
        var exists = page.Locator("[data-testid=upload-exists]");
        await exists.WaitForAsync();
        Assert.Equal("again.jsonl", sentName);
        Assert.Contains("已存在", await exists.TextContentAsync() ?? "", StringComparison.Ordinal);
        await page.ClickAsync("[data-testid=upload-existing-link]");
        await page.WaitForSelectorAsync($"tr.dataset-focus:has(#dataset-{demoId})");
        await page.UnrouteAllAsync();

        // A real 400 from the endpoint: per-line errors in Chinese.
        await BrowserPortal.GotoInteractiveAsync(page, "/datasets");
        await page.WaitForSelectorAsync("[data-testid=upload-panel][data-interactive=true]");
        await page.SetInputFilesAsync("input[data-testid=dataset-file]", new FilePayload { Name = "坏.jsonl", MimeType = "application/x-ndjson", Buffer = Encoding.UTF8.GetBytes("{\"text\":\"好\"}\n{\"text\": 42}\n") });
        await page.ClickAsync("[data-testid=start-import]");
        var errors = page.Locator("[data-testid=upload-errors]");
        await errors.WaitForAsync();
        var text = await errors.TextContentAsync() ?? "";
        Assert.Contains("第 2 行", text, StringComparison.Ordinal);
        Assert.Contains("文件未导入", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_dataset_and_a_run_asks_first_and_removes_them()
    {
        var page = await SignInAsync("en", 1280, 800);
        await BrowserPortal.GotoInteractiveAsync(page, "/datasets");
        await page.WaitForSelectorAsync("[data-testid=upload-panel][data-interactive=true]");
        await page.SetInputFilesAsync("input[data-testid=dataset-file]", new FilePayload { Name = "short-lived.jsonl", MimeType = "application/x-ndjson", Buffer = Encoding.UTF8.GetBytes("{\"text\":\"one\"}\n{\"text\":\"two\"}\n") });
        await page.ClickAsync("[data-testid=start-import]");
        var row = page.Locator("[data-testid=datasets-table] tbody tr:has-text('short-lived')");
        await row.WaitForAsync();

        await row.Locator("[data-testid=delete-dataset]").ClickAsync();
        await page.ClickAsync("[data-testid=confirm-no]");
        await page.Locator("[data-testid=confirm-dialog]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Equal(1, await row.CountAsync());
        await row.Locator("[data-testid=delete-dataset]").ClickAsync();
        Assert.Contains("short-lived", await page.Locator("[data-testid=confirm-message]").TextContentAsync() ?? "", StringComparison.Ordinal);
        await page.ClickAsync("[data-testid=confirm-yes]");
        await row.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        var run = await RunToEndAsync(await LaunchAsync("to-delete", steps: 2, learningRate: 3e-3));
        await BrowserPortal.GotoInteractiveAsync(page, $"/runs/{run.Id}");
        await page.ClickAsync("[data-testid=delete-run]");
        await page.ClickAsync("[data-testid=confirm-yes]");
        await page.WaitForURLAsync("**/runs");
        await page.WaitForSelectorAsync("[data-testid=runs-table] tbody tr");
        Assert.Equal(0, await page.Locator($"[data-testid=runs-table] a[href='runs/{run.Id}']").CountAsync());
    }

    [Fact]
    public async Task Keyboard_focus_is_visible_and_the_skip_link_leads_to_the_main_content()
    {
        var page = await SignInAsync("en", 1280, 800);
        await BrowserPortal.GotoInteractiveAsync(page, "/datasets");
        // The skip link is the stop before the menu button (the first control), shows itself when focused and leads to <main>.
        await page.FocusAsync("header button[aria-label=Menu]");
        await page.Keyboard.PressAsync("Shift+Tab");
        Assert.Equal("skip-link", await page.EvaluateAsync<string>("() => document.activeElement.className"));
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement.getBoundingClientRect().top >= 0"));
        Assert.Equal("#main", await page.EvaluateAsync<string>("() => document.activeElement.getAttribute('href')"));
        Assert.Equal(1, await page.Locator("main#main").CountAsync());
        // The next stops (the menu button, then the rest) carry a visible ring.
        await page.Keyboard.PressAsync("Tab");
        var outline = await page.EvaluateAsync<string>("() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth; }");
        Assert.StartsWith("solid", outline, StringComparison.Ordinal);
        Assert.NotEqual("solid 0px", outline);
    }

    private const string PlottedPoints = "() => { const gd = document.getElementById('loss-chart'); return gd && gd.data ? gd.data[0].x.length : -1; }";

    private async Task AuditAsync(IPage page, string shot, string culture, int width, IEnumerable<string> names, List<string> problems, bool hasAppBar = true)
    {
        await page.WaitForTimeoutAsync(300); // let the time zone answer and animations settle before the picture
        await PageAudit.ScreenshotAsync(page, shot);
        problems.AddRange((await PageAudit.AxeViolationsAsync(page)).Select(v => $"{shot}: axe {v}"));
        problems.AddRange((await PageAudit.StructureProblemsAsync(page)).Select(p => $"{shot}: {p}"));
        if (culture != "en")
            problems.AddRange((await PageAudit.EnglishWordsAsync(page, names)).Select(w => $"{shot}: English {w}"));
        if (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth") > width + 1)
            problems.Add($"{shot}: the page scrolls sideways ({await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth")} px wide)");
        if (hasAppBar)
        {
            var signOut = await page.Locator("[data-testid=sign-out]").BoundingBoxAsync();
            if (signOut is null || signOut.X < 0 || signOut.X + signOut.Width > width)
                problems.Add($"{shot}: sign-out is not reachable in the app bar");
        }
        var unlabelled = await page.EvaluateAsync<int>("() => [...document.querySelectorAll('table.mud-table-root td.mud-table-cell')].filter(td => !td.getAttribute('data-label')).length");
        if (unlabelled > 0)
            problems.Add($"{shot}: {unlabelled} table cells without a label for narrow screens");
    }

    private Task<IPage> NewPageAsync(string culture, int width, int height) => portal.NewPageAsync(culture, width, height);

    private Task<IPage> SignInAsync(string culture, int width, int height) => portal.SignInAsync(Admin, culture, width, height);

    private Task<(RunSummary First, RunSummary Second)> TwoFinishedRunsAsync() => FinishedRuns.GetValue(portal, _ => CreateTwoFinishedRunsAsync());

    private async Task<(RunSummary, RunSummary)> CreateTwoFinishedRunsAsync()
    {
        var first = await RunToEndAsync(await LaunchAsync("baseline", steps: 4, learningRate: 3e-3));
        var second = await RunToEndAsync(await LaunchAsync("higher-lr", steps: 4, learningRate: 6e-3));
        return (first, second);
    }

    private async Task<RunSummary> LaunchAsync(string name, int steps, double learningRate)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var demo = (await scope.ServiceProvider.GetRequiredService<DatasetService>().ListAsync(CancellationToken.None)).First(d => d.IsDemo);
        var outcome = await scope.ServiceProvider.GetRequiredService<RunService>().LaunchAsync(
            new RunLaunchRequest { DatasetId = demo.Id, Name = name, Steps = steps, WarmupSteps = 1, LearningRate = learningRate }, Admin, CancellationToken.None);
        Assert.True(outcome.Succeeded, string.Join("; ", outcome.Errors.SelectMany(e => e.Value)));
        return outcome.Run!;
    }

    private async Task<RunSummary> RunToEndAsync(RunSummary run)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (true)
        {
            await using var scope = portal.Services.CreateAsyncScope();
            var current = (await scope.ServiceProvider.GetRequiredService<RunService>().GetAsync(run.Id, timeout.Token))!;
            if (!current.IsActive)
            {
                Assert.True(current.Status == RunStatus.Succeeded, $"Run {current.Name} ended {current.Status}: {current.Error}");
                return current;
            }
            await Task.Delay(200, timeout.Token);
        }
    }

    private async Task CancelAsync(int runId)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RunService>().CancelAsync(runId, CancellationToken.None);
    }
}
