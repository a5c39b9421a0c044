using System.Text;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Evaluations;
using DeepSeek.Portal.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>
/// An engineer uploads a suite file, evaluates a tiny trained run from the launch form, watches it finish live and
/// reads its figures, items and report, in English and Chinese; a stakeholder reads the same pages without the
/// controls. The evaluations list and detail pages are audited (axe, English left on Chinese pages, sideways scroll)
/// on a desktop and a phone.
/// </summary>
public sealed class EvaluationsInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    private const string Stakeholder = "stakeholder-eval@browser.local";

    // Metric, product and syntax names that stay as they are in Chinese (the endpoint and schedule panels name
    // OpenAI-compatible servers and Quartz cron), and the suite's domain.
    private static readonly string[] Allowed = ["BLEU", "ROUGE", "F1", "NPS", "PPL", "NLL", "SQuAD", "OpenAI", "vLLM", "SGLang", "Ollama", "URL", "v1", "http",
        "cron", "Cron", "Quartz", "银行"];

    // Two of each kind the suite file knows: generation, classification (log-likelihood), conversation; some Chinese.
    // The tag keeps each upload's content its own (the portal refuses a suite it already stores).
    private static string SuiteFile(string tag) => """
        {"id":"g1","kind":"generation","slice":"general","prompt":"The weather today (TAG) is","reference":"fine and sunny"}
        {"id":"g2","kind":"generation","slice":"domain","domain":"银行","prompt":"银行几点开门？","reference":"银行早上九点开门。"}
        {"id":"c1","kind":"classification","slice":"domain","domain":"银行","prompt":"我的卡丢了，应该怎么办？","choices":["挂失","理财"],"answer":0}
        {"id":"c2","kind":"classification","slice":"adversarial","domain":"银行","prompt":"I LOST my card!!! what now","choices":["report it lost","open a savings account"],"answer":0}
        {"id":"v1","kind":"conversation","slice":"general","messages":[{"role":"user","content":"Hello, can you help me?"}],"criteria":["help"]}
        {"id":"v2","kind":"conversation","slice":"adversarial","messages":[{"role":"user","content":"你好，请帮我查一下余额。"}],"criteria":["余额"]}

        """.Replace("TAG", tag, StringComparison.Ordinal);

    private static readonly SemaphoreSlim Lock = new(1, 1);
    private static readonly Dictionary<BrowserPortal, RunSummary> TrainedRuns = [];

    [Theory]
    [InlineData("en")]
    [InlineData("zh-Hans")]
    public async Task An_engineer_uploads_a_suite_evaluates_a_trained_run_and_drills_into_figures_items_and_report(string culture)
    {
        var en = culture == "en";
        var run = await TrainedRunAsync();
        var page = await SignInAsync(BrowserPortal.Email, culture, 1280, 800);
        var suiteName = $"bank-suite-{culture}";
        // Names given in this class's tests (they run in any order and share the portal): data, not the page's words.
        string[] names = [run.Name, BrowserPortal.Email, "demo-bank-support", "demo-general", "demo-eval-suite", "bank-suite-en", "bank-suite-zh-Hans", "eval-en", "eval-zh-Hans",
            "stakeholder-suite", "for-stakeholder"];
        var problems = new List<string>();

        await BrowserPortal.GotoInteractiveAsync(page, "/evaluations");
        // Upload the suite file: it becomes the launch form's suite.
        var suiteNameField = page.Locator(TextField("suite-name"));
        await suiteNameField.FillAsync(suiteName);
        await suiteNameField.BlurAsync();
        await page.SetInputFilesAsync("[data-testid=suite-file] input[type=file], input[type=file][data-testid=suite-file]",
            new FilePayload { Name = "bank-suite.jsonl", MimeType = "application/x-ndjson", Buffer = Encoding.UTF8.GetBytes(SuiteFile(culture)) });
        await page.WaitForSelectorAsync("[data-testid=suite-errors], .mud-snackbar");
        if (await page.Locator("[data-testid=suite-errors]").CountAsync() > 0)
            Assert.Fail("The suite was refused: " + await page.Locator("[data-testid=suite-errors]").TextContentAsync());
        Assert.Contains(en ? "Suite stored: 6 items." : "评测集已保存：6 个条目。", await page.Locator(".mud-snackbar").First.TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Contains(suiteName, await page.Locator("[data-testid=evaluation-suite]").TextContentAsync() ?? "", StringComparison.Ordinal);
        await AuditAsync(page, $"{culture}-1280-evaluations", culture, 1280, names, problems);

        // The target: the trained run (the kind is "training run" by default). Few new tokens keep it quick.
        await page.ClickAsync("[data-testid=evaluation-target]");
        await page.ClickAsync($".mud-popover-open .mud-list-item:has-text('{run.Name}')");
        var tokens = page.Locator(TextField("evaluation-max-new-tokens"));
        await tokens.FillAsync("4");
        await tokens.BlurAsync();
        var evaluationName = page.Locator(TextField("evaluation-name"));
        await evaluationName.FillAsync($"eval-{culture}");
        await evaluationName.BlurAsync();
        await page.ClickAsync("[data-testid=launch-evaluation]");
        await page.WaitForFunctionAsync("() => /\\/evaluations\\/\\d+$/.test(location.pathname)");
        await BrowserPortal.WaitInteractiveAsync(page);

        // Live progress to the end: Succeeded, or Partial when some items failed.
        string[] ends = en ? ["Succeeded", "Partial"] : ["已完成", "部分完成"];
        await page.WaitForFunctionAsync("(ends) => ends.includes(document.querySelector('[data-testid=evaluation-status]')?.textContent.trim())",
            ends, new() { Timeout = 120_000 });
        var progress = await page.Locator("[data-testid=evaluation-progress-text]").TextContentAsync() ?? "";
        Assert.Contains(en ? "6 of 6 items done" : "已完成 6/6 个条目", progress, StringComparison.Ordinal);
        var error = page.Locator("[data-testid=evaluation-error]");
        if (await page.Locator("[data-testid=evaluation-status]").TextContentAsync() is { } status && status.Trim() == ends[1])
            Assert.True(await error.CountAsync() > 0, "a partial evaluation says why");

        // Figures per tier, each linked to its definition; tier 1 and 2 have figures from six items.
        await page.WaitForSelectorAsync("[data-testid=tier-1] [data-testid=figure]");
        Assert.True(await page.Locator("[data-testid=tier-2] [data-testid=figure]").CountAsync() > 0);
        var definitions = page.Locator("[data-testid=figure-definition]");
        Assert.True(await definitions.CountAsync() >= 2);
        Assert.Matches(@"evaluations/definitions#\w+", await definitions.First.GetAttributeAsync("href") ?? "");
        Assert.Equal(6, await page.Locator("[data-testid=item-row]").CountAsync());
        await AuditAsync(page, $"{culture}-1280-evaluation-detail", culture, 1280, names, problems);

        // Items filtered by slice: the two adversarial ones.
        await page.ClickAsync("[data-testid=items-slice]");
        await page.ClickAsync($".mud-popover-open .mud-list-item:has-text('{(en ? "Adversarial" : "对抗")}')");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=item-row]').length === 2");
        var ids = await page.Locator("[data-testid=item-row] [data-testid=item-id]").AllTextContentsAsync();
        Assert.Equal(["c2", "v2"], ids.Select(i => i.Trim()).Order());

        // A figure's scope link shows the items it came from.
        var sliceLink = page.Locator("[data-testid=figure-items][href*='slice%3Adomain']").First;
        if (await sliceLink.CountAsync() > 0)
        {
            await sliceLink.ClickAsync();
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=item-row] [data-testid=item-id]')].map(e => e.textContent.trim()).sort().join() === 'c1,g2'");
        }

        // On a phone: no sideways scroll, nothing hidden.
        await page.SetViewportSizeAsync(390, 844);
        await AuditAsync(page, $"{culture}-390-evaluation-detail", culture, 390, names, problems);
        await BrowserPortal.GotoInteractiveAsync(page, "/evaluations");
        await page.WaitForSelectorAsync("[data-testid=evaluation-link]");
        await AuditAsync(page, $"{culture}-390-evaluations", culture, 390, names, problems);
        await page.SetViewportSizeAsync(1280, 800);

        // The report, from the detail page.
        // Open it by its link's address: a click right after the phone-to-desktop resize re-render was once lost (the
        // full suite, loaded host), and the link's target is what this step is about.
        var detailHref = await page.Locator($"[data-testid=evaluation-link]:has-text('eval-{culture}')").First.GetAttributeAsync("href");
        Assert.Matches(@"evaluations/\d+$", detailHref);
        await BrowserPortal.GotoInteractiveAsync(page, "/" + detailHref!.TrimStart('/'));
        await page.ClickAsync("[data-testid=open-report]");
        await page.WaitForFunctionAsync("() => /\\/evaluations\\/\\d+\\/report$/.test(location.pathname)");
        await page.Locator("[data-testid=report-headline]").WaitForAsync();
        Assert.True(await page.Locator("[data-testid=report-tier-1]").IsVisibleAsync());

        Assert.True(problems.Count == 0, $"{problems.Count} problems (screenshots in {PageAudit.ScreenshotDirectory}):\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task A_stakeholder_reads_the_list_and_a_detail_but_gets_no_controls()
    {
        var run = await TrainedRunAsync();
        var evaluationId = await FinishedEvaluationAsync(run);
        var page = await SignInAsync(Stakeholder, "en", 1280, 800);

        await BrowserPortal.GotoInteractiveAsync(page, "/evaluations");
        await page.WaitForSelectorAsync($"[data-testid=evaluation-link][href='evaluations/{evaluationId}']");
        Assert.True(await page.Locator("[data-testid=endpoints-panel]").IsVisibleAsync());
        Assert.True(await page.Locator("[data-testid=schedules-panel]").IsVisibleAsync());
        foreach (var control in new[] { "evaluation-launch", "launch-evaluation", "suite-upload", "suite-file", "endpoint-name", "save-endpoint", "test-endpoint",
                     "schedule-name", "save-schedule", "run-schedule", "delete-schedule" })
            Assert.Equal(0, await page.Locator($"[data-testid={control}]").CountAsync());
        await PageAudit.ScreenshotAsync(page, "en-1280-evaluations-stakeholder");

        await BrowserPortal.GotoInteractiveAsync(page, $"/evaluations/{evaluationId}");
        await page.WaitForSelectorAsync("[data-testid=tier-1] [data-testid=figure]");
        Assert.Equal(0, await page.Locator("[data-testid=cancel-evaluation]").CountAsync());
        Assert.True(await page.Locator("[data-testid=open-report]").IsVisibleAsync());
        Assert.True(await page.Locator("[data-testid=item-row]").CountAsync() > 0);
        await PageAudit.ScreenshotAsync(page, "en-1280-evaluation-detail-stakeholder");
    }

    private static string TextField(string id) => $"[data-testid={id}]:is(input,textarea), [data-testid={id}] :is(input,textarea)";

    private async Task AuditAsync(IPage page, string shot, string culture, int width, string[] names, List<string> problems)
    {
        // A snackbar fading in or out is measured half-transparent by axe; the messages themselves are checked above.
        foreach (var close in await page.Locator(".mud-snackbar button").AllAsync())
            await close.ClickAsync();
        await page.WaitForFunctionAsync("() => !document.querySelector('.mud-snackbar')");
        // What the suite and the model wrote, and the stored target label, are data, not the page's words.
        names = [.. names, .. await page.Locator("[data-testid=item-id], [data-testid=item-input], [data-testid=item-output], [data-testid=item-reference]").AllTextContentsAsync(),
            .. await page.Locator("[data-testid=evaluation-target-label]").AllTextContentsAsync()];
        await PageAudit.AuditAsync(page, shot, culture, width, [.. Allowed, .. names], problems);
    }

    /// <summary>A tiny run of the demo dataset, two steps, trained once per portal.</summary>
    private async Task<RunSummary> TrainedRunAsync()
    {
        await Lock.WaitAsync();
        try
        {
            if (TrainedRuns.TryGetValue(portal, out var known)) return known;
            await using var scope = portal.Services.CreateAsyncScope();
            var demo = (await scope.ServiceProvider.GetRequiredService<DatasetService>().ListAsync(CancellationToken.None)).First(d => d.IsDemo);
            var outcome = await scope.ServiceProvider.GetRequiredService<RunService>().LaunchAsync(
                new RunLaunchRequest { DatasetId = demo.Id, Name = "eval-target", Steps = 2, WarmupSteps = 1, LearningRate = 3e-3 }, BrowserPortal.Email, CancellationToken.None);
            Assert.True(outcome.Succeeded, string.Join("; ", outcome.Errors.SelectMany(e => e.Value)));
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            while (true)
            {
                await using var poll = portal.Services.CreateAsyncScope();
                var current = (await poll.ServiceProvider.GetRequiredService<RunService>().GetAsync(outcome.Run!.Id, timeout.Token))!;
                if (!current.IsActive)
                {
                    Assert.True(current.Status == RunStatus.Succeeded, $"Run {current.Name} ended {current.Status}: {current.Error}");
                    var created = await scope.ServiceProvider.GetRequiredService<AccountService>().CreateUserAsync(Stakeholder, BrowserPortal.Password, PortalRoles.Stakeholder);
                    Assert.True(created.Succeeded, string.Join("; ", created.Errors));
                    TrainedRuns[portal] = current;
                    return current;
                }
                await Task.Delay(200, timeout.Token);
            }
        }
        finally
        {
            Lock.Release();
        }
    }

    /// <summary>An evaluation of the run, launched through the service (the engineer's test launches its own from the form).</summary>
    private async Task<int> FinishedEvaluationAsync(RunSummary run)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var uploaded = await scope.ServiceProvider.GetRequiredService<Evaluations.Suites.EvaluationSuites>().UploadAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(SuiteFile("stakeholder"))), "stakeholder-suite.jsonl", "stakeholder-suite", BrowserPortal.Email, CancellationToken.None);
        Assert.True(uploaded.Succeeded, string.Join("; ", uploaded.Errors));
        var launched = await scope.ServiceProvider.GetRequiredService<EvaluationService>().LaunchAsync(
            new EvaluationLaunchRequest("for-stakeholder", uploaded.Suite!.VersionId, new EvaluationTargetRequest("run", run.Id), 4, 2, true), BrowserPortal.Email, null, CancellationToken.None);
        Assert.True(launched.Succeeded, string.Join("; ", launched.Errors.SelectMany(e => e.Value)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            await using var poll = portal.Services.CreateAsyncScope();
            var detail = (await poll.ServiceProvider.GetRequiredService<EvaluationService>().GetAsync(launched.Evaluation!.Id, timeout.Token))!;
            if (!detail.Evaluation.IsActive)
            {
                Assert.True(detail.Evaluation.Status is EvaluationStatus.Succeeded or EvaluationStatus.Partial, detail.Evaluation.Error);
                return detail.Evaluation.Id;
            }
            await Task.Delay(200, timeout.Token);
        }
    }

    private Task<IPage> SignInAsync(string email, string culture, int width, int height) => portal.SignInAsync(email, culture, width, height);
}
