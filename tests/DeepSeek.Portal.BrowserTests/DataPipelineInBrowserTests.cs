using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>The data pipeline as a user drives it: a JSON array that needs a mapping, the import's progress, scoring, a filter by threshold, the new version and its lineage.</summary>
public sealed class DataPipelineInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    [Fact]
    public async Task A_json_array_is_mapped_imported_scored_filtered_and_its_lineage_shown()
    {
        // Poems as a public corpus exports them — {title, author, paragraphs: [...]} — plus a few spam records the rules catch.
        var poems = Enumerable.Range(0, 60).Select(i => new { title = $"静夜思 {i}", author = "李白", paragraphs = new[] { "床前明月光，疑是地上霜。", $"举头望明月，低头思故乡。第{i}首" } })
            .Concat(Enumerable.Range(0, 6).Select(i => new { title = $"AD {i}", author = "spam", paragraphs = Enumerable.Repeat("BUY NOW!!! $$$ ### CLICK HERE >>> ", 12).ToArray() }));
        var file = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(poems));

        var page = await portal.SignedInPageAsync();
        await BrowserPortal.GotoInteractiveAsync(page, "/datasets");
        await page.WaitForSelectorAsync("[data-testid=upload-panel][data-interactive=true]");
        await page.FillAsync(Field("upload-name"), "poems");
        await page.SetInputFilesAsync("input[data-testid=dataset-file]", new FilePayload { Name = "poems.json", MimeType = "application/json", Buffer = file });

        // The shape is not one the importer knows: the preview says so and lists the fields.
        await page.Locator("[data-testid=needs-mapping]").WaitForAsync();
        Assert.Contains("JSON", await page.Locator("[data-testid=detected-format]").TextContentAsync() ?? "", StringComparison.Ordinal);
        await page.Locator("[data-testid=mapping-fields] [data-field=paragraphs]").WaitForAsync();

        // A template, applied live.
        await page.FillAsync(Field("mapping-template"), "{title}\\n{paragraphs}");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=preview-record]')].some(e => e.textContent.startsWith('静夜思 0\\n床前明月光'))");

        await page.ClickAsync("[data-testid=start-import]");
        var row = page.Locator("[data-testid=datasets-table] tbody tr:has-text('poems')");
        await row.WaitForAsync(new() { Timeout = 60_000 });

        // The dataset's page: version 1 with its statistics and the import job that made it.
        await row.Locator("[data-testid=dataset-name]").ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=version-statistics]");
        await BrowserPortal.WaitInteractiveAsync(page);
        Assert.Contains("66", await page.Locator("[data-testid=versions-table]").TextContentAsync() ?? "", StringComparison.Ordinal);

        // Score it (the operation's defaults), and watch the job finish into version 2.
        await page.ClickAsync(".mud-tab:has-text('Transform')");
        await ChooseOperationAsync(page, "Score");
        await page.ClickAsync("[data-testid=start-transform]");
        await page.Locator("[data-testid=data-job][data-status=Succeeded]").First.WaitForAsync(new() { Timeout = 120_000 });
        await page.Locator("[data-testid=version-heading]:has-text('2')").WaitForAsync();

        // Filter: the thresholds start at their defaults; the count of records that pass shows before anything runs.
        await page.ClickAsync(".mud-tab:has-text('Transform')");
        await ChooseOperationAsync(page, "Filter");
        await page.Locator("[data-testid=score-threshold][data-score=rules]").WaitForAsync();
        Assert.Contains("60 of 66", await page.Locator("[data-testid=filter-passing]").TextContentAsync() ?? "", StringComparison.Ordinal);
        await page.ClickAsync("[data-testid=start-transform]");
        await page.Locator("[data-testid=version-heading]:has-text('3')").WaitForAsync(new() { Timeout = 120_000 });

        // Version 3 holds 60 records and lists the 6 it dropped, each with its rule; its lineage goes back to the import and its mapping.
        var versions = await page.Locator("[data-testid=versions-table] tbody").TextContentAsync() ?? "";
        Assert.Contains("Filter", versions, StringComparison.Ordinal);
        await page.ClickAsync(".mud-tab:has-text('Records')");
        await page.ClickAsync(Field("show-dropped"));
        await page.Locator("[data-testid=dropped-by]").First.WaitForAsync();
        Assert.Equal(6, await page.Locator("[data-testid=dropped-by]").CountAsync());
        await page.ClickAsync(".mud-tab:has-text('Lineage')");
        var steps = page.Locator("[data-testid=lineage-step]");
        await steps.First.WaitForAsync();
        Assert.Equal(["filter", "score", "import"], await steps.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.operation)"));
        Assert.Contains("{title}", await page.Locator("[data-testid=lineage-mapping]").TextContentAsync() ?? "", StringComparison.Ordinal);
        await PageAudit.ScreenshotAsync(page, "en-1280-dataset-lineage");
        await page.ClickAsync(".mud-tab:has-text('Transform')");
        await ChooseOperationAsync(page, "Filter");
        await page.Locator("[data-testid=score-threshold][data-score=rules]").WaitForAsync();
        await page.WaitForTimeoutAsync(1000);
        await PageAudit.ScreenshotAsync(page, "en-1280-dataset-filter");
    }

    // MudBlazor puts a text field's attributes on the input itself or on its wrapper, depending on the component.
    private static string Field(string testId) => $"[data-testid={testId}]:is(input, textarea), [data-testid={testId}] :is(input, textarea)";

    private static async Task ChooseOperationAsync(IPage page, string name)
    {
        await page.ClickAsync("[data-testid=transform-operation]");
        await page.ClickAsync($".mud-popover-open .mud-list-item:has-text('{name}')");
    }
}
