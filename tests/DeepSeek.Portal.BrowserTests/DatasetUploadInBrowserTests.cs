using System.Text;
using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserTests;

public sealed class DatasetUploadInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    [Fact]
    public async Task A_malformed_upload_names_file_and_line_and_a_valid_one_appears_in_the_list()
    {
        var page = await portal.SignedInPageAsync();
        await BrowserPortal.GotoInteractiveAsync(page, "/datasets");
        await page.WaitForSelectorAsync("[data-testid=upload-panel][data-interactive=true]");

        var bad = "{\"text\":\"第一条\"}\n{\"text\": 42}\n";
        await page.SetInputFilesAsync("input[data-testid=dataset-file]", new FilePayload { Name = "bad.jsonl", MimeType = "application/x-ndjson", Buffer = Encoding.UTF8.GetBytes(bad) });
        await page.ClickAsync("[data-testid=start-import]");
        var errors = page.Locator("[data-testid=upload-errors]");
        await errors.WaitForAsync();
        var text = await errors.TextContentAsync() ?? "";
        Assert.Contains("bad.jsonl", text, StringComparison.Ordinal);
        Assert.Contains("line 2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("bad", await page.Locator("[data-testid=datasets-table] tbody").TextContentAsync() ?? "", StringComparison.Ordinal);

        var good = "{\"text\":\"客户：营业时间？\\n客服：工作日9点到17点。\"}\n{\"text\":\"Customer: hours?\\nAgent: 9 to 5 on weekdays.\"}\n";
        await page.ClickAsync("[data-testid=import-another]");
        await page.SetInputFilesAsync("input[data-testid=dataset-file]", new FilePayload { Name = "branch-hours.jsonl", MimeType = "application/x-ndjson", Buffer = Encoding.UTF8.GetBytes(good) });
        await page.ClickAsync("[data-testid=start-import]");
        await page.Locator("[data-testid=datasets-table] tbody >> text=branch-hours").WaitForAsync();
        Assert.Equal(0, await errors.CountAsync());
    }
}
