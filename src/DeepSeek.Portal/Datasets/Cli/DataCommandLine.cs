using DeepSeek.Portal.Data;
using DeepSeek.Portal.Platform;

namespace DeepSeek.Portal.Datasets.Cli;

/// <summary>How the command line runs, where the console is not the caller's (tests) or more must be registered.</summary>
public sealed class DataCommandLineOptions
{
    /// <summary>True when stderr is a terminal: progress is one line rewritten in place; otherwise a line every few seconds.</summary>
    public bool ErrorIsTerminal { get; init; }

    /// <summary>How often a progress line is written when stderr is not a terminal. Default 5 s.</summary>
    public TimeSpan ProgressEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Runs after the portal's registrations, before the host is built (tests add settings or operations here).</summary>
    public Action<IHostApplicationBuilder>? Configure { get; init; }
}

/// <summary>
/// <c>data …</c>: the portal executable as a command line over the same services, database and files (no second build
/// of the engine). A generic host — configuration, persistence and the dataset services, no Kestrel, no scheduler, no
/// start-up work — runs one command; data jobs run inline on this process with progress on stderr.
/// </summary>
public static class DataCommandLine
{
    /// <summary>The first argument that selects the command line instead of the web host.</summary>
    public const string Verb = "data";

    /// <summary>True when <paramref name="args"/> ask for the command line (<c>data …</c>).</summary>
    public static bool Handles(string[] args) => args is [Verb, ..];

    /// <summary>The process entry: the console's writers, Ctrl+C and SIGTERM cancel the running job (twice: exit at once).</summary>
    public static Task<int> RunAsync(string[] args) =>
        CommandFront.WithSignalsAsync(ct => RunAsync(args, Console.Out, Console.Error, new DataCommandLineOptions { ErrorIsTerminal = !Console.IsErrorRedirected }, ct));

    /// <summary>Runs one command (<paramref name="args"/> with or without the leading <c>data</c>); returns the exit code.</summary>
    /// <returns>0 success; 1 a job failed, validation errors, not found; 2 usage error; 130 cancelled.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, DataCommandLineOptions? options = null, CancellationToken ct = default)
    {
        options ??= new DataCommandLineOptions();
        // Progress arrives from the job feed's delivery task while the command may write its own lines.
        error = TextWriter.Synchronized(error);
        CommandArguments parsed;
        try
        {
            parsed = CommandArguments.Parse(args is [Verb, ..] ? args.Skip(1).ToList() : args);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"data: {e.Message}\n\n{DataCommandUsage.Overview}");
            return ExitCodes.Usage;
        }
        if (parsed.Command is null or "help" or "--help")
        {
            var asked = parsed.Command is "help" || parsed.Has("help");
            await (asked ? output : error).WriteLineAsync(DataCommandUsage.Overview);
            return asked ? ExitCodes.Success : ExitCodes.Usage;
        }
        if (parsed.Has("help") && DataCommandUsage.For(parsed.Command) is { } usage)
        {
            await output.WriteLineAsync(usage);
            return ExitCodes.Success;
        }

        using var host = BuildHost(parsed.Settings, options, parsed.Has("verbose"));
        var commands = new DataCommands(host.Services, parsed, output, error, options, ct);
        if (!commands.Knows(parsed.Command))
        {
            await error.WriteLineAsync($"data: unknown command \"{parsed.Command}\"; operations registered here: {string.Join(", ", commands.OperationNames)}\n\n{DataCommandUsage.Overview}");
            return ExitCodes.Usage;
        }
        if (parsed.Has("help"))
        {
            await output.WriteLineAsync(DataCommandUsage.Operation(parsed.Command));
            return ExitCodes.Success;
        }
        try
        {
            await using (var scope = host.Services.CreateAsyncScope())
                await PortalDatabase.PrepareAsync(scope.ServiceProvider.GetRequiredService<PortalDbContext>(), ct);
            return await commands.RunAsync();
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"data {parsed.Command}: {e.Message}\n\n{DataCommandUsage.For(parsed.Command) ?? DataCommandUsage.Operation(parsed.Command)}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await error.WriteLineAsync($"data {parsed.Command}: cancelled");
            return ExitCodes.Cancelled;
        }
    }

    /// <summary>
    /// The portal's configuration (appsettings, Development file, environment, <c>--Key=value</c> settings), its database
    /// and its dataset services in a generic host that is built but never started: no Kestrel, no Quartz scheduler, no
    /// start-up work (demo seeding, re-queueing, the temp sweep — the portal may be running on the same data directory).
    /// </summary>
    internal static IHost BuildHost(IReadOnlyList<string> settings, DataCommandLineOptions options, bool verbose)
    {
        var configuration = new ConfigurationManager();
        // The web host reads ASPNETCORE_-prefixed variables (the launch profile's ASPNETCORE_ENVIRONMENT); so does this one.
        configuration.AddEnvironmentVariables("ASPNETCORE_");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [.. settings],
            Configuration = configuration,
            ApplicationName = typeof(DataCommandLine).Assembly.GetName().Name,
        });
        // stdout carries the command's output (and --json's one document): every log line goes to stderr.
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);
        if (!verbose)
        {
            builder.Logging.AddFilter(typeof(Jobs.DataWorkJob).FullName, LogLevel.None); // the command prints a failed job's errors itself
            builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Migrations", LogLevel.Error); // a first run's advice to migration authors
        }
        builder.AddPortalConfiguration();
        builder.Services.AddPortalDatabase();
        builder.AddPortalDatasets();
        options.Configure?.Invoke(builder);
        return builder.Build();
    }
}

/// <summary>The command line's exit codes.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;
    /// <summary>A job failed, the input had validation errors, or what was named does not exist.</summary>
    public const int Failed = 1;
    /// <summary>The command line itself is wrong: an unknown command or option, a missing argument.</summary>
    public const int Usage = 2;
    /// <summary>Ctrl+C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}
