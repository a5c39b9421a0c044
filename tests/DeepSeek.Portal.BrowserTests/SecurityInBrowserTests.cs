using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Quartz;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>Helpers shared by the browser security tests: API calls with a bearer token beside the browser.</summary>
internal static class PortalApi
{
    public static async Task<HttpClient> BearerAsync(BrowserPortal portal, string email)
    {
        var client = new HttpClient { BaseAddress = new Uri(portal.BaseUrl) };
        var response = await client.PostAsJsonAsync("/api/auth/token", new { email, password = BrowserPortal.Password });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static async Task<int> DemoDatasetIdAsync(HttpClient api) =>
        (await api.GetFromJsonAsync<JsonElement>("/api/datasets")).EnumerateArray().First().GetProperty("id").GetInt32();
}

/// <summary>
/// Cross-site request forgery from a real browser: a page on another origin (a second Kestrel on another port of
/// 127.0.0.1, the same site as far as SameSite cookies go) makes the signed-in user's browser post to the portal.
/// </summary>
public sealed class CrossOriginRequestsInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    [Fact]
    public async Task A_page_on_another_origin_cannot_upload_cancel_or_sign_the_user_out()
    {
        using var api = await PortalApi.BearerAsync(portal, BrowserPortal.Email);
        // Keep the victim run queued (the scheduler pauses) so that a successful forgery would visibly cancel it.
        var scheduler = await portal.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await scheduler.Standby();
        var launched = await api.PostAsJsonAsync("/api/runs", new { datasetId = await PortalApi.DemoDatasetIdAsync(api), steps = 5 });
        Assert.Equal(HttpStatusCode.Created, launched.StatusCode);
        var runId = (await launched.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var datasetsBefore = (await api.GetFromJsonAsync<JsonElement>("/api/datasets")).GetArrayLength();

        await using var attacker = await AttackerSite.StartAsync(portal.BaseUrl, runId);
        var page = await portal.SignedInPageAsync();
        var seen = new ConcurrentQueue<(string Method, string Path, int Status, bool HadCookie)>();
        string[] targets = ["/api/datasets", $"/api/runs/{runId}/cancel", "/account/logout"];
        page.Context.Response += async (_, response) =>
        {
            if (!response.Url.StartsWith(portal.BaseUrl, StringComparison.Ordinal) || response.Request.Method != "POST" || !targets.Contains(new Uri(response.Url).AbsolutePath))
                return;
            var headers = await response.Request.AllHeadersAsync();
            var cookie = headers.TryGetValue("cookie", out var c) ? c : "";
            seen.Enqueue((response.Request.Method, new Uri(response.Url).AbsolutePath, response.Status, cookie.Contains("deepseek.portal=", StringComparison.Ordinal)));
        };

        await page.GotoAsync(attacker.Url);
        await page.WaitForFunctionAsync("() => document.title === 'done'");
        await WaitUntilAsync(() => seen.Count >= 4);

        // Each forged request reached the portal signed in with the user's cookie, and was refused for lacking the
        // token: 400, where an anonymous API call would get 401. (Playwright reports the Cookie header only for the
        // form posts, which are navigations; for the fetches the 400 is the proof.)
        var forged = seen.ToArray();
        Assert.Equal(2, forged.Count(r => r.Path == "/api/datasets")); // by fetch and by form
        Assert.Contains(forged, r => r.Path == "/api/datasets" && r.HadCookie);
        Assert.Contains(forged, r => r.Path == $"/api/runs/{runId}/cancel");
        Assert.Contains(forged, r => r.Path == "/account/logout" && r.HadCookie);
        Assert.All(forged, r => Assert.Equal(400, r.Status));

        // Nothing changed: no dataset, the run still queued, the user still signed in.
        Assert.Equal(datasetsBefore, (await api.GetFromJsonAsync<JsonElement>("/api/datasets")).GetArrayLength());
        Assert.Equal("Queued", (await api.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}")).GetProperty("status").GetString());
        await BrowserPortal.GotoInteractiveAsync(page, portal.BaseUrl + "/datasets");
        await page.WaitForSelectorAsync("[data-testid=current-user]");

        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync($"/api/runs/{runId}/cancel", null)).StatusCode);
        await scheduler.Start();
    }

    [Fact]
    public async Task The_portals_own_pages_upload_with_the_meta_token_and_sign_out()
    {
        var page = await portal.SignedInPageAsync();
        await BrowserPortal.GotoInteractiveAsync(page, "/datasets");
        // What the portal's upload script does: multipart to the API with the page's token from the meta tag.
        var status = await page.EvaluateAsync<int>("""
            async () => {
                const token = document.querySelector('meta[name="portal-csrf"]').content;
                const form = new FormData();
                form.append('file', new Blob(['{"text":"same origin"}\n{"text":"second line"}\n'], { type: 'application/octet-stream' }), 'same-origin.jsonl');
                form.append('name', 'same-origin-upload');
                const response = await fetch('/api/datasets', { method: 'POST', body: form, headers: { 'X-CSRF-TOKEN': token } });
                return response.status;
            }
            """);
        Assert.Equal(201, status);
        await page.ReloadAsync();
        await page.Locator("[data-testid=datasets-table] >> text=same-origin-upload").WaitForAsync();

        // The sign-out button posts its form with the token: signed out, and the old cookie is dead.
        var cookies = await page.Context.CookiesAsync();
        await page.ClickAsync("form[action='account/logout'] button");
        await page.WaitForURLAsync("**/account/login**");
        using var replay = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(portal.BaseUrl) };
        var me = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        me.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.SendAsync(me)).StatusCode);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("The attacker page's requests did not all arrive.");
            await Task.Delay(100);
        }
    }

    /// <summary>The attacker: another Kestrel on 127.0.0.1 with one page that fires forged requests at the portal.</summary>
    private sealed class AttackerSite : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private AttackerSite(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }

        public static async Task<AttackerSite> StartAsync(string portal, int runId)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var html = $$"""
                <!doctype html>
                <html><head><title>win a prize</title></head><body>
                <!-- One frame per form: a second submit into the same frame cancels the first navigation when the machine is slow. -->
                <iframe name="sink-logout" style="display:none"></iframe>
                <iframe name="sink-upload" style="display:none"></iframe>
                <form id="logout" method="post" action="{{portal}}/account/logout" target="sink-logout"></form>
                <form id="upload" method="post" action="{{portal}}/api/datasets" enctype="multipart/form-data" target="sink-upload">
                  <input name="name" value="forged-by-form">
                </form>
                <script>
                  (async () => {
                    const form = new FormData();
                    form.append('file', new Blob(['{"text":"forged"}\n'], { type: 'application/octet-stream' }), 'forged.jsonl');
                    form.append('name', 'forged-by-fetch');
                    const send = (url, body) => fetch(url, { method: 'POST', body, mode: 'no-cors', credentials: 'include' }).catch(() => {});
                    await send('{{portal}}/api/datasets', form);
                    await send('{{portal}}/api/runs/{{runId}}/cancel', null);
                    document.getElementById('upload').submit();
                    await new Promise(r => setTimeout(r, 300));
                    document.getElementById('logout').submit();
                    await new Promise(r => setTimeout(r, 300));
                    document.title = 'done';
                  })();
                </script>
                </body></html>
                """;
            app.MapGet("/", () => Results.Content(html, "text/html"));
            await app.StartAsync();
            return new AttackerSite(app, app.Urls.First());
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}

/// <summary>The Content-Security-Policy in a real browser: every page works under it without a single violation.</summary>
public sealed class ContentSecurityPolicyInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    [Fact]
    public async Task Every_page_runs_under_the_policy_without_violations()
    {
        // A tiny finished run, so the run page draws its Plotly chart.
        using var api = await PortalApi.BearerAsync(portal, "admin@browser.local");
        var launched = await api.PostAsJsonAsync("/api/runs", new { datasetId = await PortalApi.DemoDatasetIdAsync(api), steps = 3, microBatchSize = 2, gradientAccumulationSteps = 1, warmupSteps = 1, sequenceLength = 32 });
        Assert.Equal(HttpStatusCode.Created, launched.StatusCode);
        var runId = (await launched.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while ((await api.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}")).GetProperty("status").GetString() is "Queued" or "Running" && DateTime.UtcNow < deadline)
            await Task.Delay(250);

        var context = await portal.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseUrl, Locale = "en-US" });
        var violations = new ConcurrentQueue<string>();
        // The event carries the directive and the blocked source; the console line is Chromium's own report.
        await context.AddInitScriptAsync("document.addEventListener('securitypolicyviolation', e => console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));");
        context.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.StartsWith("CSP violation", StringComparison.Ordinal))
                violations.Enqueue($"{message.Location}: {message.Text}");
        };
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);

        foreach (var anonymous in new[] { "/account/login", "/account/setup", "/account/denied" })
        {
            await page.GotoAsync(anonymous);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        }
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", "admin@browser.local");
        await page.FillAsync("#password", BrowserPortal.Password);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForSelectorAsync("[data-testid=current-user]");

        foreach (var path in new[] { "/", "/datasets", "/runs", "/admin/users" })
        {
            await BrowserPortal.GotoInteractiveAsync(page, path);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        }

        // The run page: Plotly loads and draws.
        await BrowserPortal.GotoInteractiveAsync(page, $"/runs/{runId}");
        try
        {
            // Plotly is 4.8 MB and the machine may be busy with other suites' training: a generous wait.
            await page.WaitForSelectorAsync("[data-testid=loss-chart] .main-svg", new() { Timeout = 120_000 });
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException("The run chart did not draw. CSP violations so far:\n" + string.Join("\n", violations), e);
        }
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        // Popovers and dialogs: the language menu, a confirmation dialog on the users page.
        await page.ClickAsync("[data-testid=language-menu] button");
        await page.WaitForSelectorAsync("[data-testid=language-zh-Hans]");
        await page.Keyboard.PressAsync("Escape");
        await BrowserPortal.GotoInteractiveAsync(page, "/admin/users");
        await page.ClickAsync("[data-testid=user-disable] >> nth=0");
        await page.WaitForSelectorAsync(".mud-dialog");
        await page.ClickAsync(".mud-dialog button >> text=Cancel");

        // The language switch is a full page load through /culture/set.
        await page.ClickAsync("[data-testid=language-menu] button");
        await page.ClickAsync("[data-testid=language-zh-Hans]");
        await page.WaitForSelectorAsync("html[lang=zh-Hans]");
        await BrowserPortal.WaitInteractiveAsync(page);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        await context.CloseAsync();
        Assert.True(violations.IsEmpty, "CSP violations:\n" + string.Join("\n", violations));
    }
}

/// <summary>The Users page: an admin cuts a user off with a confirmation, and the user's token stops working.</summary>
public sealed class UserAdministrationInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    private const string Admin = "admin@browser.local";

    [Fact]
    public async Task Admin_disables_enables_ends_sessions_and_deletes_users_from_the_users_page()
    {
        using var adminApi = await PortalApi.BearerAsync(portal, Admin);
        Assert.Equal(HttpStatusCode.Created, (await adminApi.PostAsJsonAsync("/api/users", new { email = "leaver@browser.local", password = BrowserPortal.Password, role = "Manager" })).StatusCode);
        using var engineer = await PortalApi.BearerAsync(portal, BrowserPortal.Email);
        using var leaver = await PortalApi.BearerAsync(portal, "leaver@browser.local");

        var context = await portal.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseUrl, Locale = "en-US" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", Admin);
        await page.FillAsync("#password", BrowserPortal.Password);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForSelectorAsync("[data-testid=current-user]");
        await BrowserPortal.GotoInteractiveAsync(page, "/admin/users");

        ILocator Row(string email) => page.Locator($"tr:has([data-testid=user-email]:has-text('{email}'))");
        async Task ConfirmAsync(string action)
        {
            await page.WaitForSelectorAsync(".mud-dialog");
            await page.ClickAsync($".mud-dialog button:has-text('{action}')");
            await page.WaitForSelectorAsync(".mud-dialog", new() { State = WaitForSelectorState.Detached });
        }

        // The admin's own row offers nothing that would cut the admin off.
        Assert.Equal(0, await Row(Admin).Locator("[data-testid=user-disable], [data-testid=user-delete]").CountAsync());

        // Cancelling the dialog changes nothing.
        await Row(BrowserPortal.Email).Locator("[data-testid=user-disable]").ClickAsync();
        await page.ClickAsync(".mud-dialog button:has-text('Cancel')");
        Assert.Equal(HttpStatusCode.OK, (await engineer.GetAsync("/api/auth/me")).StatusCode);

        await Row(BrowserPortal.Email).Locator("[data-testid=user-disable]").ClickAsync();
        await ConfirmAsync("Disable");
        await Row(BrowserPortal.Email).Locator("[data-testid=user-status]:has-text('Disabled')").WaitForAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await engineer.GetAsync("/api/auth/me")).StatusCode);

        await Row(BrowserPortal.Email).Locator("[data-testid=user-enable]").ClickAsync();
        await Row(BrowserPortal.Email).Locator("[data-testid=user-status]:has-text('Active')").WaitForAsync();
        using var again = await PortalApi.BearerAsync(portal, BrowserPortal.Email);
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/api/auth/me")).StatusCode);

        await Row(BrowserPortal.Email).Locator("[data-testid=user-end-sessions]").ClickAsync();
        await ConfirmAsync("End sessions");
        await WaitForStatusAsync(again, HttpStatusCode.Unauthorized);

        await Row("leaver@browser.local").Locator("[data-testid=user-delete]").ClickAsync();
        await ConfirmAsync("Delete");
        await Row("leaver@browser.local").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Equal(HttpStatusCode.Unauthorized, (await leaver.GetAsync("/api/auth/me")).StatusCode);
        await context.CloseAsync();
    }

    [Fact]
    public async Task A_disabled_users_open_page_is_sent_to_sign_in_by_the_circuits_revalidation()
    {
        using var adminApi = await PortalApi.BearerAsync(portal, Admin);
        Assert.Equal(HttpStatusCode.Created, (await adminApi.PostAsJsonAsync("/api/users", new { email = "circuit@browser.local", password = BrowserPortal.Password, role = "Stakeholder" })).StatusCode);
        var users = await adminApi.GetFromJsonAsync<JsonElement>("/api/users");
        var id = users.EnumerateArray().Single(u => u.GetProperty("email").GetString() == "circuit@browser.local").GetProperty("id").GetString();
        var page = await SignedInAsync("circuit@browser.local");
        await BrowserPortal.GotoInteractiveAsync(page, "/datasets");

        // No request from the page: only the live circuit can notice.
        Assert.Equal(HttpStatusCode.OK, (await adminApi.PostAsync($"/api/users/{id}/disable", null)).StatusCode);
        await page.WaitForURLAsync("**/account/login**", new() { Timeout = 30_000 });
        await page.Context.CloseAsync();
    }

    private async Task<IPage> SignedInAsync(string email)
    {
        var context = await portal.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseUrl, Locale = "en-US" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", BrowserPortal.Password);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForSelectorAsync("[data-testid=current-user]");
        return page;
    }

    // The snackbar shows before the request that follows it; give the API a moment, not a fixed sleep.
    private static async Task WaitForStatusAsync(HttpClient client, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await client.GetAsync("/api/auth/me")).StatusCode != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"/api/auth/me never answered {expected}");
            await Task.Delay(100);
        }
    }
}
