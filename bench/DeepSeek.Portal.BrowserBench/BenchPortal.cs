using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.BrowserBench;

/// <summary>The portal on real Kestrel for the browser benches, with a throw-away data directory and a bench account.</summary>
internal sealed class BenchPortal : WebApplicationFactory<DeepSeek.Portal.SharedResource>
{
    public const string Email = "bench@portal.local";
    public const string Password = "Bench-password-1";

    /// <summary>The repository's root folder (the one holding DeepSeek.Portal.sln).</summary>
    public static readonly string RepositoryRoot = FindRepositoryRoot();

    public BenchPortal() =>
        // WebApplicationFactory finds the portal's content root through this variable outside a test project.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_DEEPSEEK_PORTAL", Path.Combine(RepositoryRoot, "src", "DeepSeek.Portal"));

    private static string FindRepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "DeepSeek.Portal.sln")))
            folder = folder.Parent;
        return folder?.FullName ?? throw new InvalidOperationException("Run the bench from inside the repository.");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Benchmark");
        builder.UseStaticWebAssets();
        builder.UseSetting("Portal:DataDirectory", Path.Combine(Path.GetTempPath(), "deepseek-portal-bench", Guid.NewGuid().ToString("N")));
        builder.UseSetting("Portal:Admin:Email", "admin@portal.local");
        builder.UseSetting("Portal:Admin:Password", Password);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.ConfigureServices(s => s.AddSingleton<IStartupFilter, SimulatedCircuitStartup>().AddSingleton<SimulatedCircuitRegistry>());
    }
}
