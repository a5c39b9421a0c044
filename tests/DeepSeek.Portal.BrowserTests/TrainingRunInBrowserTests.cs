using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserTests;

public sealed class TrainingRunInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    // Predicates are written as functions: a bare expression makes Playwright eval() it in the page, which the CSP forbids.
    private const string PlottedPoints = "() => { const gd = document.getElementById('loss-chart'); return gd && gd.data ? gd.data[0].x.length : -1; }";

    [Fact]
    public async Task Engineer_launches_a_run_watches_the_chart_grow_cancels_it_and_sees_the_stored_curve_after_reload()
    {
        var page = await portal.SignedInPageAsync();
        await BrowserPortal.GotoInteractiveAsync(page, "/runs");
        await page.WaitForSelectorAsync("[data-testid=launch-form][data-interactive=true]");
        var steps = page.Locator("input[data-testid=launch-steps]");
        await steps.FillAsync("400");
        await steps.BlurAsync();
        // The advanced settings: activation checkpointing and LoRA with its default targets (the attention projections).
        await page.ClickAsync("[data-testid=launch-advanced] .mud-expand-panel-header");
        await page.ClickAsync("[data-testid=launch-checkpointing] input");
        await page.ClickAsync("[data-testid=launch-lora-toggle] input");
        await page.WaitForSelectorAsync("[data-testid=launch-lora-r]");
        await PageAudit.ScreenshotAsync(page, "en-1280-runs-advanced");
        await page.ClickAsync("[data-testid=launch-run]");
        // Either the run page opens or the form says why not (then fail with its words).
        await page.WaitForFunctionAsync("() => /\\/runs\\/\\d+$/.test(location.pathname) || document.querySelector('[data-testid=launch-errors]')");
        var launchErrors = page.Locator("[data-testid=launch-errors]");
        if (await launchErrors.CountAsync() > 0)
            Assert.Fail("The run was not launched: " + await launchErrors.TextContentAsync());

        // The chart gets points live, and keeps getting more.
        await page.WaitForFunctionAsync($"() => ({PlottedPoints})() >= 2", null, new() { Timeout = 120_000 });
        var first = await page.EvaluateAsync<int>(PlottedPoints);
        await page.WaitForFunctionAsync($"() => ({PlottedPoints})() > {first}", null, new() { Timeout = 60_000 });
        Assert.Equal("Running", (await page.Locator("[data-testid=run-status]").TextContentAsync())?.Trim());
        // The run trains with what the form said.
        Assert.Equal("On", (await page.Locator("[data-testid=run-settings] tr[data-setting=activationCheckpointing] td").TextContentAsync())?.Trim());
        Assert.Contains("q_proj", await page.Locator("[data-testid=run-settings] tr[data-setting=lora] td").TextContentAsync());

        await page.ClickAsync("[data-testid=cancel-run]");
        await page.ClickAsync("[data-testid=confirm-yes]"); // Cancel asks first
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=run-status]')?.textContent.trim() === 'Cancelled'", null, new() { Timeout = 60_000 });
        // Let the last pushed batch land, then compare with what a fresh page loads from storage.
        await page.WaitForTimeoutAsync(500);
        var shown = await page.EvaluateAsync<int>(PlottedPoints);
        Assert.True(shown > first);
        // Live points are appended to all four series and to the hover data in one redraw: the lengths agree.
        var lengths = await page.EvaluateAsync<int[]>("() => { const d = document.getElementById('loss-chart').data; return [d[0].customdata.length, d[1].x.length, d[2].y.length, d[3].y.length]; }");
        Assert.All(lengths, n => Assert.Equal(shown, n));

        await page.ReloadAsync();
        await BrowserPortal.WaitInteractiveAsync(page);
        await page.WaitForFunctionAsync($"() => ({PlottedPoints})() > 0");
        var reloaded = await page.EvaluateAsync<int>(PlottedPoints);
        Assert.Equal(shown, reloaded);
        Assert.Equal(reloaded.ToString(System.Globalization.CultureInfo.InvariantCulture), await page.Locator("[data-testid=loss-chart]").GetAttributeAsync("data-points"));
        Assert.Equal("Cancelled", (await page.Locator("[data-testid=run-status]").TextContentAsync())?.Trim());
    }

    [Fact]
    public async Task Language_menu_switches_the_ui_to_simplified_chinese()
    {
        var page = await portal.SignedInPageAsync();
        await BrowserPortal.GotoInteractiveAsync(page, "/datasets");
        await page.ClickAsync("[data-testid=language-menu] button");
        await page.ClickAsync("[data-testid=language-zh-Hans]");
        await page.WaitForSelectorAsync("h1:has-text('数据集')");
        Assert.Contains("demo-bank-support", await page.Locator("[data-testid=datasets-table]").TextContentAsync() ?? "", StringComparison.Ordinal);
    }
}
