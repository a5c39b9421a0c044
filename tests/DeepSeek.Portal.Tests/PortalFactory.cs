using System.Net.Http.Headers;
using System.Net.Http.Json;
using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// The real portal in-process: SQLite files in a fresh data directory, the real Quartz scheduler with its SQLite job
/// store, real training. Several factories may share one data directory to simulate a restart.
/// </summary>
public sealed class PortalFactory(string? dataDirectory = null, bool seedDemo = false, bool configureAdmin = true) : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@test.local";
    public const string Password = "Test-password-1";

    private readonly bool _ownsDataDirectory = dataDirectory is null;

    public string DataDirectory { get; } = dataDirectory ?? NewDataDirectory();

    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "deepseek-portal-tests", Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Portal:DataDirectory", DataDirectory);
        if (configureAdmin)
        {
            builder.UseSetting("Portal:Admin:Email", AdminEmail);
            builder.UseSetting("Portal:Admin:Password", Password);
        }
        builder.UseSetting("Portal:Uploads:MaxBytes", "65536");
        builder.UseSetting("Portal:SeedDemoWorkspace", seedDemo ? "true" : "false");
        // Many tests sign in many times from one (in-memory) client; SecurityTests set tight limits of their own.
        builder.UseSetting("Portal:Security:SignInPerClientPerMinute", "10000");
        builder.UseSetting("Portal:Security:SignInPerAccount", "10000");
        foreach (var (key, value) in Settings)
            builder.UseSetting(key, value);
        if (LoggerProvider is { } provider)
            builder.ConfigureServices(services => services.AddSingleton(provider));
    }

    /// <summary>An extra logger provider (a test that reads what the portal logs), added before the host is built.</summary>
    public Microsoft.Extensions.Logging.ILoggerProvider? LoggerProvider { get; init; }

    /// <summary>Extra settings applied after the defaults above (before the host is built).</summary>
    public Dictionary<string, string> Settings { get; } = [];

    /// <summary>An API client signed in (bearer token) as a user of the given role, created on first use.</summary>
    public async Task<HttpClient> ClientForRoleAsync(string role)
    {
        var email = role == PortalRoles.Admin ? AdminEmail : $"{role.ToLowerInvariant()}@test.local";
        if (role != PortalRoles.Admin)
        {
            await using var scope = Services.CreateAsyncScope();
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            if ((await accounts.ListAsync(CancellationToken.None)).All(u => u.Email != email))
            {
                var created = await accounts.CreateUserAsync(email, Password, role);
                Assert.True(created.Succeeded, string.Join("; ", created.Errors));
            }
        }
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var token = await TokenAsync(client, email);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static async Task<string> TokenAsync(HttpClient client, string email)
    {
        var response = await client.PostAsJsonAsync("/api/auth/token", new { email, password = Password });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<TokenResponse>();
        return body!.AccessToken;
    }

    private sealed record TokenResponse(string AccessToken);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDataDirectory)
            DeleteDataDirectory(DataDirectory);
        GC.SuppressFinalize(this);
    }

    public static void DeleteDataDirectory(string path)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a finishing background write; the OS temp cleaner gets it.
        }
    }
}
