using System.Runtime.InteropServices;

namespace DeepSeek.Portal.Datasets.Cli;

/// <summary>
/// What every verb's command line (<c>eval</c>, <c>plan</c>) does before it runs a command: parse, answer
/// <c>help</c> / <c>--help</c> / <c>help &lt;command&gt;</c>, refuse an unknown command — with the same words and exit codes.
/// </summary>
internal static class CommandFront
{
    /// <summary>
    /// Runs a command with a token that Ctrl+C or SIGTERM cancels (the command then stops at its next check and exits
    /// 130); a second signal is not intercepted, so it ends the process at once.
    /// </summary>
    public static async Task<int> WithSignalsAsync(Func<CancellationToken, Task<int>> run)
    {
        using var cancel = new CancellationTokenSource();
        void Cancel(PosixSignalContext context)
        {
            if (cancel.IsCancellationRequested)
                return;
            context.Cancel = true;
            cancel.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        return await run(cancel.Token);
    }

    /// <summary>
    /// Parses <paramref name="args"/> (with or without the leading <paramref name="verb"/>). Returns the parsed
    /// arguments when a known command should run, or the exit code when help or a usage error has been written.
    /// </summary>
    /// <param name="overview">The verb's overview text.</param>
    /// <param name="usageFor">A command's usage text, or null for an unknown command.</param>
    public static async Task<(CommandArguments? Parsed, int ExitCode)> ParseAsync(
        string verb, IReadOnlyList<string> args, IReadOnlyCollection<string> flags, string overview, Func<string, string?> usageFor,
        TextWriter output, TextWriter error)
    {
        CommandArguments parsed;
        try
        {
            parsed = CommandArguments.Parse(args.Count > 0 && args[0] == verb ? args.Skip(1).ToList() : args, flags);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"{verb}: {e.Message}\n\n{overview}");
            return (null, ExitCodes.Usage);
        }
        if (parsed.Command is null or "help" or "--help")
        {
            // "<verb> help <command>" shows that command's help.
            if (parsed.Command is "help" && parsed.Positionals is [var topic, ..] && usageFor(topic) is { } topicUsage)
            {
                await output.WriteLineAsync(topicUsage);
                return (null, ExitCodes.Success);
            }
            var asked = parsed.Command is "help" || parsed.Has("help");
            await (asked ? output : error).WriteLineAsync(overview);
            return (null, asked ? ExitCodes.Success : ExitCodes.Usage);
        }
        var usage = usageFor(parsed.Command);
        if (usage is null)
        {
            await error.WriteLineAsync($"{verb}: unknown command \"{parsed.Command}\"\n\n{overview}");
            return (null, ExitCodes.Usage);
        }
        if (parsed.Has("help"))
        {
            await output.WriteLineAsync(usage);
            return (null, ExitCodes.Success);
        }
        return (parsed, ExitCodes.Success);
    }
}
