using System.Text;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserTests;

public sealed class MixtureRunInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    // Probability trace of source 0 (trace order: probability then loss, per source).
    private const string PlottedSteps = "() => { const gd = document.getElementById('source-chart'); return gd && gd.data ? gd.data[0].x.length : -1; }";

    [Fact]
    public async Task An_engineer_launches_a_mixture_from_the_form_in_chinese_and_watches_per_source_probability_and_loss_grow()
    {
        var general = await ImportGeneralDatasetAsync();
        var page = await ChinesePageAsync();
        await BrowserPortal.GotoInteractiveAsync(page, "/runs");
        await page.WaitForSelectorAsync("[data-testid=launch-form][data-interactive=true]");

        // The mixture part of the form, in Chinese: policy, two sources with weights, add/remove.
        await page.ClickAsync("[data-testid=launch-mixture-toggle] input");
        await page.WaitForSelectorAsync("[data-testid=launch-mixture]");
        Assert.Equal(2, await page.Locator("[data-testid=launch-mixture-source]").CountAsync());
        Assert.Contains("混合策略", await page.Locator("[data-testid=launch-mixture]").TextContentAsync() ?? "", StringComparison.Ordinal);
        string[] names = ["demo-bank-support", "demo-general", "demo-eval-suite", general, BrowserPortal.Email];
        Assert.Empty(await PageAudit.EnglishWordsAsync(page, names));

        var weight = page.Locator("input[data-testid=launch-mixture-weight]").Nth(1);
        await weight.FillAsync("0.5");
        await weight.BlurAsync();
        var steps = page.Locator("input[data-testid=launch-steps]");
        await steps.FillAsync("300");
        await steps.BlurAsync();
        await page.ClickAsync("[data-testid=launch-run]");
        await page.WaitForFunctionAsync("() => /\\/runs\\/\\d+$/.test(location.pathname) || document.querySelector('[data-testid=launch-errors]')");
        var launchErrors = page.Locator("[data-testid=launch-errors]");
        if (await launchErrors.CountAsync() > 0)
            Assert.Fail("The mixture run was not launched: " + await launchErrors.TextContentAsync());
        await BrowserPortal.WaitInteractiveAsync(page);

        // The per-source chart appears for a mixture run and grows live.
        var chart = page.Locator("[data-testid=source-chart]");
        await chart.WaitForAsync();
        Assert.Equal("2", await chart.GetAttributeAsync("data-sources"));
        Assert.Contains("各来源的权重与损失", await chart.TextContentAsync() ?? "", StringComparison.Ordinal);
        await page.WaitForFunctionAsync($"() => ({PlottedSteps})() >= 2", null, new() { Timeout = 120_000 });
        var first = await page.EvaluateAsync<int>(PlottedSteps);
        await page.WaitForFunctionAsync($"() => ({PlottedSteps})() > {first}", null, new() { Timeout = 60_000 });
        // Two traces per source (probability, loss); the probabilities of a step sum to 1.
        Assert.Equal(4, await page.EvaluateAsync<int>("() => document.getElementById('source-chart').data.length"));
        var sum = await page.EvaluateAsync<double>("() => { const d = document.getElementById('source-chart').data; return d[0].y[0] + d[2].y[0]; }");
        Assert.Equal(1.0, sum, 6);
        // The mixture is in the settings table; the page stays Chinese through live updates.
        var mixture = await page.Locator("tr[data-setting=mixture] td").TextContentAsync() ?? "";
        Assert.Contains("动态", mixture, StringComparison.Ordinal);
        Assert.Contains("× 0.5", mixture, StringComparison.Ordinal);
        var runName = (await page.Locator("h1").TextContentAsync())?.Trim() ?? "";
        Assert.Empty(await PageAudit.EnglishWordsAsync(page, [.. names, runName]));

        await page.ClickAsync("[data-testid=cancel-run]");
        await page.ClickAsync("[data-testid=confirm-yes]");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=run-status]')?.textContent.trim() === '已取消'", null, new() { Timeout = 60_000 });
    }

    private async Task<string> ImportGeneralDatasetAsync()
    {
        var jsonl = new StringBuilder();
        for (var i = 0; i < 80; i++)
            jsonl.Append(System.Text.Json.JsonSerializer.Serialize(new { text = i % 2 == 0 ? $"今天的天气很好，第{i}天。" : $"The weather is fine on day {i}." })).Append('\n');
        await using var scope = portal.Services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<DatasetService>().ImportAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(jsonl.ToString())), "general.jsonl", "general-mix", null, BrowserPortal.Email, CancellationToken.None);
        Assert.True(outcome.Dataset is not null, string.Join("; ", outcome.Errors.Select(e => e.ToString())));
        return "general-mix";
    }

    private async Task<IPage> ChinesePageAsync()
    {
        var context = await portal.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseUrl, Locale = "zh-CN", TimezoneId = "Asia/Shanghai" });
        await context.AddCookiesAsync([new Cookie { Name = ".AspNetCore.Culture", Value = Uri.EscapeDataString("c=zh-Hans|uic=zh-Hans"), Url = portal.BaseUrl }]);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", BrowserPortal.Email);
        await page.FillAsync("#password", BrowserPortal.Password);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForSelectorAsync("[data-testid=sign-out]", new() { State = WaitForSelectorState.Attached });
        return page;
    }
}
