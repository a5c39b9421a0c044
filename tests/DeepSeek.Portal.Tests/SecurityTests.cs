using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Training;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>Forgery, guessing, proxies, headers and what strangers may see, over real HTTP on 127.0.0.1.</summary>
public sealed class SecurityTests
{
    private const string Engineer = "engineer@security.local";

    private static async Task<CookieSession> SignedInAsync(LoopbackPortal portal, string email)
    {
        var browser = portal.NewSession();
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(email)).StatusCode);
        return browser;
    }

    private static HttpRequestMessage Upload(string name, string? csrf)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/datasets") { Content = TestData.Upload($"{name}.jsonl", TestData.BilingualJsonl(4), name) };
        if (csrf is not null)
            request.Headers.Add(CsrfProtection.HeaderName, csrf);
        return request;
    }

    private static async Task<int> DatasetCountAsync(LoopbackPortal portal)
    {
        using var admin = portal.BearerClient(await portal.TokenAsync(PortalFactory.AdminEmail));
        return (await admin.GetFromJsonAsync<JsonElement>("/api/datasets")).GetArrayLength();
    }

    [Fact]
    public async Task Cookie_requests_without_the_page_token_are_refused_and_change_nothing()
    {
        await using var portal = LoopbackPortal.Start();
        await portal.EnsureUserAsync(Engineer, PortalRoles.Engineer);
        using var browser = await SignedInAsync(portal, Engineer);
        var before = await DatasetCountAsync(portal);

        // What another origin's page can make the browser send: the cookie, but no token.
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.SendAsync(Upload("forged", csrf: null))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.SendAsync(Upload("forged-token", csrf: "not-a-token"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/runs/999/cancel"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostFormAsync("/account/logout", [])).StatusCode);
        Assert.Equal(before, await DatasetCountAsync(portal));
        Assert.Equal(HttpStatusCode.OK, await browser.MeAsync());

        // The portal's own page token (meta tag) lets the same requests through.
        var token = await browser.MetaTokenAsync("/datasets");
        Assert.Equal(HttpStatusCode.Created, (await browser.SendAsync(Upload("own-page", token))).StatusCode);
        var cancel = new HttpRequestMessage(HttpMethod.Post, "/api/runs/999/cancel");
        cancel.Headers.Add(CsrfProtection.HeaderName, token);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.SendAsync(cancel)).StatusCode);
        Assert.Equal(before + 1, await DatasetCountAsync(portal));
    }

    [Fact]
    public async Task Another_origin_cannot_open_the_runs_hub_with_the_users_cookie()
    {
        await using var portal = LoopbackPortal.Start();
        await portal.EnsureUserAsync(Engineer, PortalRoles.Engineer);
        using var browser = await SignedInAsync(portal, Engineer);
        Task<HttpResponseMessage> NegotiateAsync(string origin) => browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/hubs/runs/negotiate?negotiateVersion=1")
        {
            Headers = { { "Origin", origin } },
        });

        Assert.Equal(HttpStatusCode.Forbidden, (await NegotiateAsync("http://127.0.0.1:1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await NegotiateAsync(portal.BaseAddress.GetLeftPart(UriPartial.Authority))).StatusCode);
        // A script with a bearer token may come from anywhere.
        using var script = portal.BearerClient(await portal.TokenAsync(Engineer));
        var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/runs/negotiate?negotiateVersion=1") { Headers = { { "Origin", "http://127.0.0.1:1" } } };
        Assert.Equal(HttpStatusCode.OK, (await script.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Bearer_requests_need_no_page_token()
    {
        await using var portal = LoopbackPortal.Start();
        await portal.EnsureUserAsync(Engineer, PortalRoles.Engineer);
        using var script = portal.BearerClient(await portal.TokenAsync(Engineer));
        Assert.Equal(HttpStatusCode.Created, (await script.SendAsync(Upload("from-a-script", csrf: null))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await script.PostAsync("/api/runs/999/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Every_page_exposes_its_antiforgery_token_in_the_portal_csrf_meta_tag()
    {
        await using var portal = LoopbackPortal.Start();
        using var anonymous = portal.NewSession();
        Assert.NotEmpty(await anonymous.MetaTokenAsync("/account/login"));
        using var admin = await SignedInAsync(portal, PortalFactory.AdminEmail);
        foreach (var page in new[] { "/", "/datasets", "/runs", "/admin/users" })
            Assert.NotEmpty(await admin.MetaTokenAsync(page));
    }

    [Fact]
    public async Task Sign_in_attempts_from_one_client_are_limited_with_429_and_retry_after()
    {
        await using var portal = LoopbackPortal.Start(new Dictionary<string, string> { ["Portal:Security:SignInPerClientPerMinute"] = "3" });
        using var client = portal.NewClient();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/token", new { email = $"nobody{i}@x.local", password = "wrong-password" })).StatusCode);

        var limited = await client.PostAsJsonAsync("/api/auth/token", new { email = PortalFactory.AdminEmail, password = PortalFactory.Password });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After in seconds");
        AssertSecurityHeaders(limited);

        // The sign-in form counts against the same client budget.
        using var browser = portal.NewSession();
        var form = await browser.SignInAsync(PortalFactory.AdminEmail);
        Assert.Equal(HttpStatusCode.TooManyRequests, form.StatusCode);
        Assert.NotNull(form.Headers.RetryAfter);
    }

    [Fact]
    public async Task Failed_attempts_throttle_one_account_but_not_others_nor_its_owners_known_browser()
    {
        await using var portal = LoopbackPortal.Start(new Dictionary<string, string> { ["Portal:Security:SignInPerAccount"] = "3" });
        await portal.EnsureUserAsync(Engineer, PortalRoles.Engineer);
        using var ownersBrowser = await SignedInAsync(portal, PortalFactory.AdminEmail);

        using var attacker = portal.NewClient();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.PostAsJsonAsync("/api/auth/token", new { email = PortalFactory.AdminEmail, password = $"guess-{i}-password" })).StatusCode);

        // Further attempts answer 429 before the password is looked at, even the right one: guessing gains nothing.
        var throttled = await attacker.PostAsJsonAsync("/api/auth/token", new { email = PortalFactory.AdminEmail, password = PortalFactory.Password });
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        using var stranger = portal.NewSession();
        Assert.Equal(HttpStatusCode.TooManyRequests, (await stranger.SignInAsync(PortalFactory.AdminEmail)).StatusCode);

        // Another account is untouched, and the admin's own browser (known-device cookie) still gets in.
        Assert.NotEmpty(await portal.TokenAsync(Engineer));
        Assert.Equal(HttpStatusCode.Redirect, (await ownersBrowser.SignInAsync(PortalFactory.AdminEmail)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await ownersBrowser.MeAsync());
    }

    [Fact]
    public async Task Unknown_account_costs_a_password_hash_like_a_known_one()
    {
        await using var portal = LoopbackPortal.Start();
        var hasher = portal.Factory.Services.GetRequiredService<UnknownAccountHasher>();
        using var client = portal.NewClient();

        var before = hasher.Verifications;
        var unknown = await client.PostAsJsonAsync("/api/auth/token", new { email = "nobody@nowhere.local", password = "some-password-1" });
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(before + 1, hasher.Verifications);
        using var browser = portal.NewSession();
        Assert.Equal(HttpStatusCode.OK, (await browser.SignInAsync("nobody@nowhere.local")).StatusCode);
        Assert.Equal(before + 2, hasher.Verifications);

        // A known account checks its real hash instead; the answer reads the same.
        var known = await client.PostAsJsonAsync("/api/auth/token", new { email = PortalFactory.AdminEmail, password = "some-password-1" });
        Assert.Equal(HttpStatusCode.Unauthorized, known.StatusCode);
        Assert.Equal(before + 2, hasher.Verifications);
        Assert.Equal(Detail(await unknown.Content.ReadAsStringAsync()), Detail(await known.Content.ReadAsStringAsync()));

        static string? Detail(string json) => JsonDocument.Parse(json).RootElement.GetProperty("detail").GetString();
    }

    [Fact]
    public async Task Behind_a_known_proxy_the_sign_in_cookie_is_secure_and_hsts_is_sent()
    {
        await using var portal = LoopbackPortal.Start(new Dictionary<string, string> { ["Portal:Proxy:KnownProxies:0"] = "127.0.0.1" });
        using var browser = portal.NewSession();
        var viaTls = ViaProxy("https");

        var login = await browser.GetAsync("/account/login", viaTls);
        Assert.StartsWith("max-age=", login.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(PortalFactory.AdminEmail, configure: viaTls)).StatusCode);
        var cookie = browser.SetCookies.Last(c => c.StartsWith("deepseek.portal=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Forwarded_headers_from_an_address_that_is_not_a_known_proxy_are_ignored()
    {
        await using var portal = LoopbackPortal.Start(new Dictionary<string, string> { ["Portal:Proxy:KnownProxies:0"] = "10.20.30.40" });
        using var browser = portal.NewSession();
        var forged = ViaProxy("https");

        var login = await browser.GetAsync("/account/login", forged);
        Assert.False(login.Headers.Contains("Strict-Transport-Security"));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(PortalFactory.AdminEmail, configure: forged)).StatusCode);
        var cookie = browser.SetCookies.Last(c => c.StartsWith("deepseek.portal=", StringComparison.Ordinal));
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    // The host is not localhost: HSTS is never sent to localhost, whatever the scheme.
    private static Action<HttpRequestMessage> ViaProxy(string proto) => r =>
    {
        r.Headers.Host = "portal.example.com";
        r.Headers.Add("X-Forwarded-Proto", proto);
        r.Headers.Add("X-Forwarded-For", "203.0.113.7");
    };

    [Fact]
    public async Task Security_headers_are_on_error_responses_too()
    {
        await using var portal = LoopbackPortal.Start();
        using var anonymous = portal.NewClient();
        AssertSecurityHeaders(await anonymous.GetAsync("/api/runs"), HttpStatusCode.Unauthorized);
        AssertSecurityHeaders(await anonymous.GetAsync("/no-such-page"), HttpStatusCode.Redirect);
        using var admin = portal.BearerClient(await portal.TokenAsync(PortalFactory.AdminEmail));
        AssertSecurityHeaders(await admin.GetAsync("/api/no-such-thing"), HttpStatusCode.NotFound);
        AssertSecurityHeaders(await admin.GetAsync("/api/runs/424242"), HttpStatusCode.NotFound);
        using var browser = await SignedInAsync(portal, PortalFactory.AdminEmail);
        AssertSecurityHeaders(await browser.GetAsync("/no-such-page"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_server_error_carries_the_security_headers_and_no_detail()
    {
        await using var portal = new PortalFactory();
        await using var broken = portal.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
            s.AddScoped<DatasetService>(_ => throw new InvalidOperationException("Boom in /srv/secret/datasets/x.jsonl"))));
        using var client = broken.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", await PortalFactory.TokenAsync(client, PortalFactory.AdminEmail));

        var response = await client.GetAsync("/api/datasets");
        AssertSecurityHeaders(response, HttpStatusCode.InternalServerError);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("/srv/secret", body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_carry_a_script_policy_without_unsafe_inline_or_eval_and_the_import_map_has_its_nonce()
    {
        await using var portal = LoopbackPortal.Start();
        using var browser = portal.NewSession();
        var response = await browser.GetAsync("/account/login");
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        var script = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src ", StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe-inline", script, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", script, StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
        var nonce = Regex.Match(script, "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        // The renderer HTML-encodes attribute values ("+" in a base64 nonce becomes "&#x2B;"); the browser decodes them.
        var html = System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Matches($"<script[^>]*type=\"importmap\"[^>]*nonce=\"{Regex.Escape(nonce)}\"|<script[^>]*nonce=\"{Regex.Escape(nonce)}\"[^>]*type=\"importmap\"", html);
        // A fresh nonce per response.
        var again = (await browser.GetAsync("/account/login")).Headers.GetValues("Content-Security-Policy").Single();
        Assert.DoesNotContain(nonce, again, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strangers_get_only_the_health_status_and_no_api_document()
    {
        await using var portal = LoopbackPortal.Start();
        using var anonymous = portal.NewClient();
        var health = await anonymous.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.False(body.TryGetProperty("checks", out _), "component detail is for signed-in users");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);

        using var reader = portal.BearerClient(await portal.TokenAsync(PortalFactory.AdminEmail));
        Assert.True(JsonDocument.Parse(await reader.GetStringAsync("/health")).RootElement.TryGetProperty("checks", out _));
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task A_correct_setup_code_is_not_burned_by_a_rejected_password()
    {
        await using var portal = LoopbackPortal.Start(configureAdmin: false);
        var gate = portal.Factory.Services.GetRequiredService<SetupGate>();
        Assert.True(gate.IsOpen);
        var code = gate.Open(); // the code the log shows; Open() returns the current one

        using var browser = portal.NewSession();
        Task<HttpResponseMessage> SubmitAsync(string setupCode, string password) => SetupAsync(browser, setupCode, "first@setup.local", password);

        var wrongCode = await SubmitAsync("000000000000", "Strong-password-1");
        Assert.Equal(HttpStatusCode.OK, wrongCode.StatusCode);
        Assert.Contains("setup code is wrong", await wrongCode.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Long enough for the form, too weak for Identity (no digit, no capital): refused, code kept.
        var weak = await SubmitAsync(code, "abcdefghijkl");
        Assert.Equal(HttpStatusCode.OK, weak.StatusCode);
        Assert.DoesNotContain("setup code is wrong", await weak.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(gate.IsOpen);

        var created = await SubmitAsync(code, "Strong-password-1");
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.False(gate.IsOpen);
        using var client = portal.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/auth/token", new { email = "first@setup.local", password = "Strong-password-1" })).StatusCode);
    }

    private static async Task<HttpResponseMessage> SetupAsync(CookieSession browser, string code, string email, string password)
    {
        var token = await browser.FormTokenAsync("/account/setup");
        return await browser.PostFormAsync("/account/setup", new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = token,
            ["Input.Code"] = code,
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        });
    }

    [Theory]
    [InlineData("Could not find file '/var/lib/deepseek-portal/datasets/3f2a.jsonl'.", "Could not find file '3f2a.jsonl'.")]
    [InlineData("Access to the path 'C:\\portal\\data\\runs\\7' is denied.", "Access to the path '7' is denied.")]
    [InlineData("Out of memory\n   at DeepSeek.Portal.Engine.Trainer.RunAsync(TrainingRequest r) in /src/Engine/Trainer.cs:line 88\n   at X.Y()", "Out of memory")]
    [InlineData("loss/step ratio is NaN at step 12", "loss/step ratio is NaN at step 12")]
    public void Run_errors_lose_server_paths_and_stack_frames_before_readers_see_them(string raw, string shown) =>
        Assert.Equal(shown, RunErrorText.ForReaders(raw));

    [Fact]
    public async Task A_run_that_fails_on_the_server_shows_readers_no_server_path()
    {
        await using var portal = new PortalFactory();
        using var engineer = await portal.ClientForRoleAsync(PortalRoles.Engineer);
        var uploaded = await engineer.PostAsync("/api/datasets", TestData.Upload("gone.jsonl", TestData.BilingualJsonl(40), "gone"));
        var dataset = await uploaded.Content.ReadFromJsonAsync<JsonElement>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(portal.DataDirectory, "datasets"), "*", SearchOption.AllDirectories))
            File.Delete(file);

        var launch = await engineer.PostAsJsonAsync("/api/runs", new { datasetId = dataset.GetProperty("id").GetInt32(), steps = 2 });
        string shown;
        if (launch.StatusCode == HttpStatusCode.Created)
        {
            var id = (await launch.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            JsonElement run;
            do
            {
                await Task.Delay(200);
                run = await engineer.GetFromJsonAsync<JsonElement>($"/api/runs/{id}");
            }
            while (run.GetProperty("status").GetString() is "Queued" or "Running" && DateTime.UtcNow < deadline);
            Assert.Equal("Failed", run.GetProperty("status").GetString());
            shown = run.GetProperty("error").GetString() ?? "";
        }
        else
        {
            // Refused at launch (a missing file may be caught before queuing): the refusal must not leak either.
            shown = await launch.Content.ReadAsStringAsync();
        }
        Assert.NotEmpty(shown);
        Assert.DoesNotContain(portal.DataDirectory, shown, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetTempPath(), shown, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", shown, StringComparison.Ordinal);
    }

    internal static void AssertSecurityHeaders(HttpResponseMessage response, HttpStatusCode? status = null)
    {
        if (status is not null)
            Assert.Equal(status, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self' 'nonce-", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
    }
}
