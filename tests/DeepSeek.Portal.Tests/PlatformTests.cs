using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.AspNetCore.Mvc.Testing;

namespace DeepSeek.Portal.Tests;

public sealed class PlatformTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Health_reports_database_scheduler_and_engine_device_to_signed_in_users()
    {
        var client = await _portal.ClientForRoleAsync(Accounts.PortalRoles.Stakeholder);
        var response = await client.GetAsync("/health");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        var checks = json.RootElement.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("scheduler").GetProperty("status").GetString());
        Assert.True(checks.GetProperty("scheduler").GetProperty("data").GetProperty("persistent").GetBoolean());
        var device = checks.GetProperty("engine").GetProperty("data").GetProperty("device").GetString();
        Assert.Contains(device, new[] { "cpu", "cuda" });
    }

    [Fact]
    public async Task OpenApi_document_describes_every_api_endpoint()
    {
        var client = await _portal.ClientForRoleAsync(Accounts.PortalRoles.Stakeholder);
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var expected in new[] { "/api/datasets", "/api/datasets/{id}", "/api/datasets/{id}/preview", "/api/runs", "/api/runs/{id}", "/api/runs/{id}/metrics", "/api/runs/{id}/cancel", "/api/runs/defaults", "/api/engine", "/api/auth/token", "/api/users" })
            Assert.Contains(expected, paths);
    }

    [Fact]
    public async Task Login_page_speaks_english_and_simplified_chinese()
    {
        var client = _portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var english = await client.GetStringAsync("/account/login");
        Assert.Contains("Sign in", english, StringComparison.Ordinal);

        var set = await client.GetAsync("/culture/set?culture=zh-Hans&redirectUri=/account/login");
        Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);
        Assert.Equal("/account/login", set.Headers.Location!.OriginalString);
        var cookie = set.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Culture", StringComparison.Ordinal));
        var request = new HttpRequestMessage(HttpMethod.Get, "/account/login");
        request.Headers.Add("Cookie", cookie.Split(';')[0]);
        var chinese = await (await client.SendAsync(request)).Content.ReadAsStringAsync();
        Assert.Contains("登录", chinese, StringComparison.Ordinal);
        Assert.Contains("lang=\"zh-Hans\"", chinese, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Culture_switch_refuses_an_unusable_redirect_with_400()
    {
        var client = _portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        foreach (var bad in new[] { "//evil.example/", "/\\evil.example/", "https://evil.example/", "evil", "/%0d%0aSet-Cookie:x=1".Replace("%0d%0a", "\r\n"), "/" + new string('a', 3000) })
        {
            var set = await client.GetAsync("/culture/set?culture=en&redirectUri=" + Uri.EscapeDataString(bad));
            Assert.Equal(HttpStatusCode.BadRequest, set.StatusCode);
            Assert.Contains("redirectUri", await set.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.False(set.Headers.Contains("Set-Cookie"), bad);
        }
        var plain = await client.GetAsync("/culture/set?culture=en");
        Assert.Equal(("/", HttpStatusCode.Redirect), (plain.Headers.Location!.OriginalString, plain.StatusCode));
    }

    [Fact]
    public async Task Responses_carry_baseline_security_headers()
    {
        var response = await _portal.CreateClient().GetAsync("/account/login");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Portal_serves_its_own_stylesheet_logo_and_favicon()
    {
        var client = _portal.CreateClient();
        foreach (var asset in new[] { "/assets/portal.css", "/assets/logo.svg", "/assets/favicon.svg" })
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(asset)).StatusCode);
    }

    [Fact]
    public void English_and_chinese_resource_files_have_the_same_keys()
    {
        static HashSet<string> Keys(string file) => XDocument.Load(file).Root!.Elements("data").Select(e => (string)e.Attribute("name")!).ToHashSet();
        var dir = Path.Combine(RepoRoot(), "src", "DeepSeek.Portal", "Resources");
        var en = Keys(Path.Combine(dir, "SharedResource.resx"));
        var zh = Keys(Path.Combine(dir, "SharedResource.zh-Hans.resx"));
        Assert.NotEmpty(en);
        Assert.Equal(en.Order(), zh.Order());
        var zhValues = XDocument.Load(Path.Combine(dir, "SharedResource.zh-Hans.resx")).Root!.Elements("data").Select(e => (string)e.Element("value")!);
        Assert.All(zhValues, v => Assert.False(string.IsNullOrWhiteSpace(v)));
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSeek.Portal.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }
}
