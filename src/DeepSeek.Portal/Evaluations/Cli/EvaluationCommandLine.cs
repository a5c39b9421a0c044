using DeepSeek.Portal.Datasets.Cli;

namespace DeepSeek.Portal.Evaluations.Cli;

/// <summary>How the <c>eval</c> command line runs, where the console and the environment are not the caller's (tests).</summary>
public sealed class EvaluationCommandLineOptions
{
    /// <summary>True when stderr is a terminal: progress is one line rewritten in place; otherwise a line every few seconds.</summary>
    public bool ErrorIsTerminal { get; init; }

    /// <summary>How often a progress line is written when stderr is not a terminal. Default 5 s.</summary>
    public TimeSpan ProgressEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Reads an environment variable (the endpoint key of <c>--key-env</c>); the process environment by default.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
}

/// <summary>A command that could not do what was asked (a missing file, files that do not line up): exit code 1, the message on stderr.</summary>
internal sealed class EvaluationCommandException(string message) : Exception(message);

/// <summary>
/// <c>eval …</c>: the portal executable as a command line for pipelines over the same evaluation libraries as the
/// portal — BLEU, ROUGE-L and SQuAD EM/F1 of files, perplexity with the built-in engine, a suite file run against an
/// OpenAI-compatible endpoint or a model folder. Unlike <c>data</c> it needs no database and no host: every command
/// reads files and writes figures (a table, or one JSON document with <c>--json</c>) on stdout; progress and errors go
/// to stderr. Exit codes are the <c>data</c> command line's (<see cref="ExitCodes"/>).
/// </summary>
public static class EvaluationCommandLine
{
    /// <summary>The first argument that selects this command line instead of the web host.</summary>
    public const string Verb = "eval";

    /// <summary>Options that never take a value, beyond the shared ones (<c>--json</c>, <c>--help</c>, <c>--quiet</c>).</summary>
    private static readonly string[] Flags = ["no-ppl", "lowercase"];

    /// <summary>True when <paramref name="args"/> ask for the command line (<c>eval …</c>).</summary>
    public static bool Handles(string[] args) => args is [Verb, ..];

    /// <summary>The process entry: the console's writers and environment; Ctrl+C and SIGTERM cancel (twice: exit at once).</summary>
    public static Task<int> RunAsync(string[] args) =>
        CommandFront.WithSignalsAsync(ct => RunAsync(args, Console.Out, Console.Error, new EvaluationCommandLineOptions { ErrorIsTerminal = !Console.IsErrorRedirected }, ct));

    /// <summary>Runs one command (<paramref name="args"/> with or without the leading <c>eval</c>); returns the exit code.</summary>
    /// <returns>0 success; 1 failed (a missing or mismatched file, an item or line that failed); 2 usage error; 130 cancelled.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, EvaluationCommandLineOptions? options = null, CancellationToken ct = default)
    {
        options ??= new EvaluationCommandLineOptions();
        // Progress arrives from the runner's tasks while the command may write its own lines.
        error = TextWriter.Synchronized(error);
        var (front, exitCode) = await CommandFront.ParseAsync(Verb, args, Flags, EvaluationCommandUsage.Overview, EvaluationCommandUsage.For, output, error);
        if (front is not { } parsed)
            return exitCode;
        var usage = EvaluationCommandUsage.For(parsed.Command!)!;
        var commands = new EvaluationCommands(parsed, output, error, options, ct);
        try
        {
            if (parsed.Settings.Count > 0)
                throw new UsageException($"eval reads no portal settings or data directory ({string.Join(", ", parsed.Settings.Select(s => s.Split('=')[0]))}): it works on files");
            return await commands.RunAsync();
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"eval {parsed.Command}: {e.Message}\n\n{usage}");
            return ExitCodes.Usage;
        }
        catch (EvaluationCommandException e)
        {
            await error.WriteLineAsync($"eval {parsed.Command}: error: {e.Message}");
            if (parsed.Has("json"))
                await commands.WriteJsonAsync(new { error = e.Message });
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await error.WriteLineAsync($"eval {parsed.Command}: cancelled");
            return ExitCodes.Cancelled;
        }
    }
}
