using DeepSeek.Portal.Data;
using DeepSeek.Portal.Options;
using DeepSeek.Portal.Platform;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>Tests that set process environment variables run alone: every other host in the test run would read them.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

/// <summary>
/// Environment variables and command-line arguments override every settings file in every environment, so two
/// instances started with different data directories never share one database.
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class ConfigurationPrecedenceTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "deepseek-portal-config", Guid.NewGuid().ToString("N"));
    private readonly string _contentRoot;

    public ConfigurationPrecedenceTests()
    {
        // The layout of a checkout: the repository-level appsettings.Development.json two levels above the project.
        _contentRoot = Path.Combine(_root, "src", "DeepSeek.Portal");
        Directory.CreateDirectory(_contentRoot);
        File.WriteAllText(Path.Combine(_root, "appsettings.Development.json"),
            $$"""{ "Portal": { "DataDirectory": "{{Escape(Path.Combine(_root, "from-file"))}}", "Uploads": { "MaxBytes": 12345 } } }""");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Escape(string path) => path.Replace("\\", "\\\\", StringComparison.Ordinal);

    private (DataPaths Paths, PortalOptions Options) DevelopmentHost(params string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Development",
            ContentRootPath = _contentRoot,
            ApplicationName = typeof(Program).Assembly.GetName().Name,
            Args = args,
        });
        builder.AddPortalConfiguration();
        using var services = builder.Services.BuildServiceProvider();
        return (services.GetRequiredService<DataPaths>(), services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PortalOptions>>().Value);
    }

    [Fact]
    public void The_repository_development_file_is_read_in_development()
    {
        var (_, options) = DevelopmentHost();
        Assert.Equal(12345, options.Uploads.MaxBytes);
    }

    [Fact]
    public void An_environment_variable_overrides_appsettings_Development_json()
    {
        var fromEnvironment = Path.Combine(_root, "from-environment");
        Environment.SetEnvironmentVariable("Portal__DataDirectory", fromEnvironment);
        try
        {
            var (paths, options) = DevelopmentHost();
            Assert.Equal(fromEnvironment, paths.Root);
            Assert.Equal(fromEnvironment, options.DataDirectory);
            Assert.Equal(12345, options.Uploads.MaxBytes); // the file is still read for what the environment leaves alone
        }
        finally
        {
            Environment.SetEnvironmentVariable("Portal__DataDirectory", null);
        }
    }

    [Fact]
    public void A_command_line_argument_overrides_appsettings_Development_json_and_the_environment()
    {
        var fromArgument = Path.Combine(_root, "from-argument");
        Environment.SetEnvironmentVariable("Portal__DataDirectory", Path.Combine(_root, "from-environment"));
        try
        {
            var (paths, _) = DevelopmentHost($"--Portal:DataDirectory={fromArgument}");
            Assert.Equal(fromArgument, paths.Root);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Portal__DataDirectory", null);
        }
    }
}
