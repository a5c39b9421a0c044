using System.Globalization;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Planning.Roadmap;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>
/// The rollout roadmap in a real browser, on the default roadmap the portal writes on first start: a manager moves a
/// milestone a week later and sees the Gantt bar's end and the table follow without a reload, then tries a milestone
/// that ends before it starts and gets the service's message with nothing added; a stakeholder reads the same page with
/// no editing controls and is refused (403) when calling the change API from that session. English and Chinese, desktop
/// and phone widths, screenshots in artifacts/screenshots.
/// </summary>
public sealed class RoadmapInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    private const string Manager = "manager@browser.local";
    private const string Stakeholder = "stakeholder.roadmap@browser.local";

    // Words that stay as they are in Chinese: metric names, KPI, file formats, product names in the default roadmap's
    // Chinese titles; the default roadmap's bilingual owners.
    // Product names and technical terms a Chinese text keeps as they are (the default notes name them).
    private static readonly string[] Allowed = ["KPI", "BLEU", "F1", "NPS", "Excel", "PPL", "ROUGE", "INT4", "Jetson", "AGX", "Orin",
        "A100", "QPS", "RoCE", "SGLang", "vLLM", "SHAP", "SM4", "TEE"];
    private static readonly string[] Owners = ["ML engineering", "Data engineering", "Technical team", "Business", "system"];

    private static readonly SemaphoreSlim UsersLock = new(1, 1);
    private static readonly HashSet<BrowserPortal> WithUsers = [];

    [Theory]
    [InlineData("en")]
    [InlineData("zh-Hans")]
    public async Task A_manager_moves_a_milestone_and_cannot_add_one_that_ends_before_it_starts(string culture)
    {
        await EnsureUsersAsync();
        var page = await SignInAsync(Manager, culture, 1280, 800);
        var problems = new List<string>();
        await OpenRoadmapAsync(page);

        // The default roadmap, with phase names in the page's language on the chart's axis and above the tables.
        var rows = page.Locator("[data-testid=milestone-row]");
        var count = await rows.CountAsync();
        Assert.True(count >= 8, $"the default roadmap has {count} milestones");
        Assert.Equal(count, await GanttMilestoneCountAsync(page));
        var firstPhase = culture == "en" ? "Pilot validation" : "试点验证";
        Assert.Contains(firstPhase, await page.Locator("[data-testid=phase] h3").First.TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Contains(firstPhase, await page.EvaluateAsync<string>("() => [...document.querySelectorAll('#roadmap-gantt-chart .ytick text')].map(t => t.textContent).join('|')"), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("[data-testid=read-only-note]").CountAsync());
        await AuditAsync(page, $"{culture}-1280-roadmap-manager", culture, 1280, problems);

        // Move the third milestone a week later: the row's dates and the Gantt bar's end follow.
        var row = rows.Nth(2);
        var id = int.Parse(await row.GetAttributeAsync("data-id") ?? "", CultureInfo.InvariantCulture);
        var end = DateOnly.ParseExact(await row.GetAttributeAsync("data-end") ?? "", "yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal(end, await GanttEndAsync(page, id));
        await row.Locator("[data-testid=move-plus-week]").ClickAsync();
        var moved = end.AddDays(7);
        var iso = moved.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await page.WaitForSelectorAsync($"[data-testid=milestone-row][data-id='{id}'][data-end='{iso}']");
        await page.WaitForFunctionAsync(
            "([id, iso]) => { const g = document.getElementById('roadmap-gantt-chart'); const t = g && g.data && g.data.find(d => d.meta === 'milestones'); " +
            "if (!t) return false; const i = t.customdata.findIndex(c => c[0] === id); return i >= 0 && t.customdata[i][2] === iso; }",
            new object[] { id, iso });
        Assert.Equal(moved, await GanttEndAsync(page, id));
        // Now slipped past its baseline end: the hover says by how much, and a marker stands at the baseline end.
        var slip = await page.Locator($"[data-testid=milestone-row][data-id='{id}']").GetAttributeAsync("data-slip");
        Assert.NotEqual("0", slip);
        var hover = await page.EvaluateAsync<string>(
            "id => { const t = document.getElementById('roadmap-gantt-chart').data.find(d => d.meta === 'milestones'); return t.hovertemplate[t.customdata.findIndex(c => c[0] === id)]; }", id);
        Assert.Contains(culture == "en" ? $"slipped {slip} days" : $"已延期 {slip} 天", hover, StringComparison.Ordinal);
        Assert.True(await page.EvaluateAsync<bool>(
            "() => document.getElementById('roadmap-gantt-chart').data.some(d => d.meta === 'baseline' && d.x.length > 0)"), "no baseline-end marker");
        Assert.True(await page.Locator($"[data-testid=milestone-row][data-id='{id}'] [data-testid=slip-chip]").IsVisibleAsync());
        Assert.Contains(moved.ToString("d", CultureInfo.GetCultureInfo(culture)),
            await page.Locator($"[data-testid=milestone-row][data-id='{id}'] [data-testid=milestone-dates]").TextContentAsync() ?? "", StringComparison.Ordinal);
        // The next milestone depends on it and now starts before it ends: allowed, but flagged on its row and in red on the chart.
        var successor = rows.Nth(3);
        Assert.True(await successor.Locator("[data-testid=dependency-conflict-chip]").IsVisibleAsync());
        Assert.Equal(id.ToString(CultureInfo.InvariantCulture), await successor.Locator("[data-testid=dependency-conflict-chip]").GetAttributeAsync("data-conflicts"));
        Assert.Equal(1, await page.EvaluateAsync<int>(
            $"() => document.getElementById('roadmap-gantt-chart').layout.annotations.filter(a => a.arrowcolor === '{DeepSeek.Portal.Planning.Roadmap.Pages.RoadmapGantt.ConflictColour}').length"));
        // The move is in the change history under the manager's name, worded in the page's language.
        await page.WaitForSelectorAsync("[data-testid=change-row]");
        Assert.Contains(Manager, await page.Locator("[data-testid=changes]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains(culture == "en" ? "by +7 days" : "移动 +7 天", await page.Locator("[data-testid=change-row]").First.InnerTextAsync(), StringComparison.Ordinal);
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var stored = (await scope.ServiceProvider.GetRequiredService<IRoadmapService>().GetAsync(CancellationToken.None)).Milestones.Single(m => m.Id == id);
            Assert.Equal(moved, stored.End);
        }

        // A milestone that ends before it starts: the dialog shows the service's message under the end date; nothing is added.
        var title = $"Backwards milestone {culture}";
        await page.ClickAsync("[data-testid=add-milestone]");
        await page.WaitForSelectorAsync("[data-testid=milestone-dialog]");
        await Input(page, "milestone-title").FillAsync(title);
        await Input(page, "milestone-owner").FillAsync("QA");
        await FillDateAsync(page, "milestone-start", "2027-05-10");
        await FillDateAsync(page, "milestone-end", "2027-05-01");
        await page.ClickAsync("[data-testid=dialog-save]");
        var errors = page.Locator("[data-testid=dialog-errors]");
        await errors.WaitForAsync();
        var text = await errors.InnerTextAsync();
        Assert.Contains("2027-05-01", text, StringComparison.Ordinal);
        Assert.True(await page.Locator("[data-testid=milestone-end] .mud-input-error, [data-testid=milestone-end].mud-input-error, .mud-input-control:has([data-testid=milestone-end]) .mud-input-helper-text.mud-input-error").CountAsync() > 0
            || (await page.Locator("[data-testid=milestone-dialog] .mud-input-error").CountAsync()) > 0, "the end date is not marked as wrong");
        await AuditAsync(page, $"{culture}-1280-roadmap-refused", culture, 1280, problems);
        await page.ClickAsync("[data-testid=dialog-cancel]");
        await page.WaitForSelectorAsync("[data-testid=milestone-dialog]", new() { State = WaitForSelectorState.Detached });
        Assert.Equal(count, await rows.CountAsync());
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var all = (await scope.ServiceProvider.GetRequiredService<IRoadmapService>().GetAsync(CancellationToken.None)).Milestones;
            Assert.DoesNotContain(all, m => m.Title == title);
            Assert.Equal(count, all.Count);
        }

        // A KPI gate with a target perplexity cannot have (below 1) is refused in its dialog; a valid one appears on the row.
        var gateRow = page.Locator($"[data-testid=milestone-row][data-id='{id}']");
        var gates = await gateRow.Locator("[data-testid=gate-chip]").CountAsync();
        await gateRow.Locator("[data-testid=add-gate]").ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=gate-dialog]");
        var target = Input(page, "gate-target").First;
        await target.FillAsync("0.5");
        await target.BlurAsync();
        await page.ClickAsync("[data-testid=dialog-save]");
        await page.Locator("[data-testid=dialog-errors]").WaitForAsync();
        Assert.Contains("0.5", await page.Locator("[data-testid=dialog-errors]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(gates, await gateRow.Locator("[data-testid=gate-chip]").CountAsync());
        await target.FillAsync("15");
        await target.BlurAsync();
        await page.ClickAsync("[data-testid=dialog-save]");
        await page.WaitForSelectorAsync("[data-testid=gate-dialog]", new() { State = WaitForSelectorState.Detached });
        await page.WaitForFunctionAsync("([id, n]) => document.querySelectorAll(`[data-testid=milestone-row][data-id='${id}'] [data-testid=gate-chip]`).length === n", new object[] { id, gates + 1 });

        // A phone: the table turns into cards and the chart scrolls in its own box; the page does not scroll sideways.
        await page.SetViewportSizeAsync(390, 844);
        await OpenRoadmapAsync(page);
        await AuditAsync(page, $"{culture}-390-roadmap-manager", culture, 390, problems);

        // The printable view: no chrome when printed, today's date, every milestone.
        await page.SetViewportSizeAsync(1280, 800);
        await BrowserPortal.GotoInteractiveAsync(page, "/roadmap/print");
        await page.WaitForSelectorAsync("[data-testid=roadmap-print-view]");
        Assert.Equal(count, await page.Locator("[data-testid=print-milestone]").CountAsync());
        await page.EmulateMediaAsync(new() { Media = Media.Print });
        Assert.False(await page.Locator(".mud-appbar").IsVisibleAsync());
        Assert.False(await page.Locator("[data-testid=print-roadmap]").IsVisibleAsync());
        Assert.True(await page.Locator("[data-testid=print-today]").IsVisibleAsync());
        await PageAudit.ScreenshotAsync(page, $"{culture}-1280-roadmap-print");

        Assert.True(problems.Count == 0, $"{problems.Count} problems (screenshots in {PageAudit.ScreenshotDirectory}):\n" + string.Join("\n", problems));
    }

    [Theory]
    [InlineData("en")]
    [InlineData("zh-Hans")]
    public async Task A_stakeholder_reads_the_roadmap_without_editing_controls_and_the_change_api_refuses(string culture)
    {
        await EnsureUsersAsync();
        var page = await SignInAsync(Stakeholder, culture, 1280, 800);
        var problems = new List<string>();
        await OpenRoadmapAsync(page);
        Assert.True(await page.Locator("[data-testid=read-only-note]").IsVisibleAsync());
        foreach (var control in new[] { "add-milestone", "add-phase", "move-plus-week", "move-minus-week", "edit-milestone", "delete-milestone", "edit-phase", "add-gate", "edit-gate", "delete-gate" })
            Assert.Equal(0, await page.Locator($"[data-testid={control}]").CountAsync());
        Assert.True(await page.Locator("[data-testid=gate-chip]").CountAsync() > 0);
        // The default roadmap's notes and phase descriptions are in the reader's language.
        var notes = await page.Locator("[data-testid=milestone-row] .roadmap-notes").First.InnerTextAsync();
        Assert.StartsWith(culture == "zh-Hans" ? "硬件按部署规划的估算配置" : "Hardware from the planner's estimate", notes, StringComparison.Ordinal);

        // A gate's history opens in its panel (the default gates have had no evaluation yet: no state changes).
        var gate = await page.Locator("[data-testid=gate-chip]").First.GetAttributeAsync("data-gate");
        await page.Locator("[data-testid=gate-history-button]").First.ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=gate-events], [data-testid=gate-history-empty]");
        await using (var history = await page.APIRequest.GetAsync($"/api/roadmap/gates/{gate}/history"))
        {
            Assert.Equal(200, history.Status);
            var events = (await history.JsonAsync())!.Value.GetArrayLength();
            Assert.Equal(events, await page.Locator("[data-testid=gate-event]").CountAsync());
        }
        // The export links answer with files.
        foreach (var link in new[] { "roadmap-csv", "roadmap-xlsx" })
        {
            var href = await page.Locator($"[data-testid={link}]").GetAttributeAsync("href");
            Assert.Contains($"culture={culture}", href, StringComparison.Ordinal);
            await using var file = await page.APIRequest.GetAsync("/" + href!.TrimStart('/'));
            Assert.Equal(200, file.Status);
            Assert.True((await file.BodyAsync()).Length > 100, $"{href} is nearly empty");
        }
        await AuditAsync(page, $"{culture}-1280-roadmap-stakeholder", culture, 1280, problems);

        // The same session (cookie and the page's antiforgery token) calling the change API: 403, and nothing moved.
        var id = int.Parse(await page.Locator("[data-testid=milestone-row]").First.GetAttributeAsync("data-id") ?? "", CultureInfo.InvariantCulture);
        var end = await page.Locator("[data-testid=milestone-row]").First.GetAttributeAsync("data-end");
        var statuses = await page.EvaluateAsync<int[]>("""
            async id => {
              const token = document.querySelector('meta[name="portal-csrf"]').getAttribute('content');
              const headers = { 'Content-Type': 'application/json', 'X-CSRF-TOKEN': token };
              const read = await fetch('/api/roadmap');
              const move = await fetch(`/api/roadmap/milestones/${id}/move`, { method: 'POST', headers, body: JSON.stringify({ days: 7 }) });
              const add = await fetch('/api/roadmap/phases', { method: 'POST', headers, body: JSON.stringify({ name: 'Not allowed' }) });
              return [read.status, move.status, add.status];
            }
            """, id);
        Assert.Equal([200, 403, 403], statuses);
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var stored = (await scope.ServiceProvider.GetRequiredService<IRoadmapService>().GetAsync(CancellationToken.None)).Milestones.Single(m => m.Id == id);
            Assert.Equal(end, stored.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        await page.SetViewportSizeAsync(390, 844);
        await OpenRoadmapAsync(page);
        await AuditAsync(page, $"{culture}-390-roadmap-stakeholder", culture, 390, problems);
        Assert.True(problems.Count == 0, $"{problems.Count} problems (screenshots in {PageAudit.ScreenshotDirectory}):\n" + string.Join("\n", problems));
    }

    private static ILocator Input(IPage page, string testId) =>
        page.Locator($"[data-testid={testId}]:is(input,textarea), [data-testid={testId}] :is(input,textarea)");

    // An editable MudDatePicker parses what is typed on change (blur); the value counts once the input shows it back.
    private static async Task FillDateAsync(IPage page, string testId, string iso)
    {
        var input = Input(page, testId).First;
        await input.FillAsync(iso);
        await input.PressAsync("Tab");
        await page.WaitForFunctionAsync("([id, v]) => { const i = document.querySelector(`[data-testid=${id}]:is(input), [data-testid=${id}] input`); return i && i.value === v; }", new object[] { testId, iso });
    }

    private static async Task OpenRoadmapAsync(IPage page)
    {
        await BrowserPortal.GotoInteractiveAsync(page, "/roadmap");
        await page.WaitForSelectorAsync("[data-testid=roadmap-gantt] .main-svg");
        // Drawn and sized: Plotly grows its box to the layout's height after the first draw.
        await page.WaitForFunctionAsync("() => { const g = document.getElementById('roadmap-gantt-chart'); return g && g.data && g.data.some(d => d.meta === 'milestones') && g._fullLayout && g.clientHeight >= g._fullLayout.height; }");
    }

    private static Task<int> GanttMilestoneCountAsync(IPage page) =>
        page.EvaluateAsync<int>("() => document.getElementById('roadmap-gantt-chart').data.find(d => d.meta === 'milestones').customdata.length");

    /// <summary>The last day a milestone's Gantt bar covers: its base (start) plus its length, less the day the bar ends at midnight.</summary>
    private static async Task<DateOnly> GanttEndAsync(IPage page, int id)
    {
        var iso = await page.EvaluateAsync<string>("""
            id => {
              const t = document.getElementById('roadmap-gantt-chart').data.find(d => d.meta === 'milestones');
              const i = t.customdata.findIndex(c => c[0] === id);
              const end = new Date(new Date(t.base[i] + 'T00:00:00Z').getTime() + t.x[i] - 86400000);
              return end.toISOString().slice(0, 10);
            }
            """, id);
        return DateOnly.ParseExact(iso, "yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private static Task AuditAsync(IPage page, string shot, string culture, int width, List<string> problems) =>
        PageAudit.AuditAsync(page, shot, culture, width, [.. Allowed, .. Owners, Manager, Stakeholder], problems);

    private async Task EnsureUsersAsync()
    {
        await UsersLock.WaitAsync();
        try
        {
            if (!WithUsers.Add(portal)) return;
            await using var scope = portal.Services.CreateAsyncScope();
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            foreach (var (email, role) in new[] { (Manager, PortalRoles.Manager), (Stakeholder, PortalRoles.Stakeholder) })
            {
                var created = await accounts.CreateUserAsync(email, BrowserPortal.Password, role);
                Assert.True(created.Succeeded, string.Join("; ", created.Errors));
            }
        }
        finally
        {
            UsersLock.Release();
        }
    }

    private Task<IPage> SignInAsync(string email, string culture, int width, int height) => portal.SignInAsync(email, culture, width, height);
}
