using System.Net;
using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>The real portal on real Kestrel (127.0.0.1, free port) and Debian's Chromium driven by Playwright.</summary>
public sealed class BrowserPortal : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string Email = "engineer@browser.local";
    public const string Password = "Browser-test-1";

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "deepseek-portal-browser", Guid.NewGuid().ToString("N"));
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;
    public string BaseUrl { get; private set; } = "";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Outside Development the host only serves published assets; tests run from the build output.
        builder.UseStaticWebAssets();
        builder.UseSetting("Portal:DataDirectory", _dataDirectory);
        builder.UseSetting("Portal:Admin:Email", "admin@browser.local");
        builder.UseSetting("Portal:Admin:Password", Password);
        builder.UseSetting("Portal:SeedDemoWorkspace", "true");
        builder.UseSetting("Portal:Security:SignInPerClientPerMinute", "10000");
        builder.UseSetting("Portal:Security:SignInPerAccount", "10000");
        // Circuits revalidate every 5 s (the floor) instead of every minute, so a cut-off user's open page can be watched.
        builder.UseSetting("Portal:Security:SessionRevalidation", "00:00:00");
    }

    public async Task InitializeAsync()
    {
        UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().TrimEnd('/');

        await using (var scope = Services.CreateAsyncScope())
        {
            var created = await scope.ServiceProvider.GetRequiredService<AccountService>().CreateUserAsync(Email, Password, PortalRoles.Engineer);
            Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            // Debian's chromium package; Playwright never downloads a browser here.
            ExecutablePath = Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>
    /// A page in a fresh browser context as a reader in <paramref name="culture"/> sees it: the browser's locale, the
    /// portal's language cookie (what /culture/set writes), Shanghai time, the viewport, downloads allowed.
    /// </summary>
    /// <remarks>
    /// axe-core is injected as a script tag, which the portal's script CSP rightly refuses, so CSP is bypassed here;
    /// the policy itself is checked on every page by SecurityInBrowserTests, without this bypass.
    /// </remarks>
    public async Task<IPage> NewPageAsync(string culture, int width, int height)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            Locale = culture == "en" ? "en-US" : "zh-CN",
            TimezoneId = "Asia/Shanghai",
            ViewportSize = new() { Width = width, Height = height },
            AcceptDownloads = true,
            BypassCSP = true,
        });
        await context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = ".AspNetCore.Culture", Value = Uri.EscapeDataString($"c={culture}|uic={culture}"), Url = BaseUrl }]);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        return page;
    }

    /// <summary><see cref="NewPageAsync"/>, signed in as <paramref name="email"/> (the shared password).</summary>
    public async Task<IPage> SignInAsync(string email, string culture, int width, int height)
    {
        var page = await NewPageAsync(culture, width, height);
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForSelectorAsync("[data-testid=sign-out]", new() { State = WaitForSelectorState.Attached });
        return page;
    }

    public async Task<IPage> SignedInPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, Locale = "en-US" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/account/login**");
        await page.FillAsync("#email", Email);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForSelectorAsync("[data-testid=current-user]");
        return page;
    }

    /// <summary>Navigates and waits until the Blazor circuit is live (prerendered buttons do nothing before that).</summary>
    public static async Task GotoInteractiveAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await WaitInteractiveAsync(page);
    }

    public static Task WaitInteractiveAsync(IPage page) =>
        page.WaitForSelectorAsync("#portal-interactive[data-ready=true]", new() { State = WaitForSelectorState.Attached });

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        _playwright?.Dispose();
        await DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS temp cleaner.
        }
    }
}
