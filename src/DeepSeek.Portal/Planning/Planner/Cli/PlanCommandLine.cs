using DeepSeek.Portal.Datasets.Cli;

namespace DeepSeek.Portal.Planning.Planner.Cli;

/// <summary>
/// <c>plan …</c>: the deployment planner on the command line — the catalogue, the devices, the seed's claims, an
/// estimate with every formula, and compose/Kubernetes files for vLLM or SGLang. Like <c>eval</c> it needs no database
/// and no host (a model folder is read from its config.json with <c>--model-config</c>); figures go to stdout (a table,
/// or one JSON document with <c>--json</c>), errors to stderr. Exit codes are the <c>data</c> command line's
/// (<see cref="ExitCodes"/>): a plan the planner refuses is a usage error (2) naming the option and what it expects.
/// </summary>
public static class PlanCommandLine
{
    /// <summary>The first argument that selects this command line instead of the web host.</summary>
    public const string Verb = "plan";

    /// <summary>Options that never take a value, beyond the shared ones.</summary>
    private static readonly string[] Flags = ["no-checkpointing"];

    /// <summary>True when <paramref name="args"/> ask for the command line (<c>plan …</c>).</summary>
    public static bool Handles(string[] args) => args is [Verb, ..];

    /// <summary>The process entry: the console's writers; Ctrl+C and SIGTERM cancel.</summary>
    public static Task<int> RunAsync(string[] args) =>
        CommandFront.WithSignalsAsync(ct => RunAsync(args, Console.Out, Console.Error, ct));

    /// <summary>Runs one command (<paramref name="args"/> with or without the leading <c>plan</c>); returns the exit code.</summary>
    /// <returns>0 success; 1 failed (a file that cannot be written); 2 usage error or a refused plan; 130 cancelled.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        var (front, exitCode) = await CommandFront.ParseAsync(Verb, args, Flags, PlanCommandUsage.Overview, PlanCommandUsage.For, output, error);
        if (front is not { } parsed)
            return exitCode;
        var usage = PlanCommandUsage.For(parsed.Command!)!;
        var commands = new PlanCommands(parsed, output, ct);
        try
        {
            if (parsed.Settings.Count > 0)
                throw new UsageException($"plan reads no portal settings ({string.Join(", ", parsed.Settings.Select(s => s.Split('=')[0]))}); give the CPU's bandwidth with --cpu-bandwidth");
            return await commands.RunAsync();
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"plan {parsed.Command}: {e.Message}\n\n{usage}");
            return ExitCodes.Usage;
        }
        catch (PlannerRequestException e)
        {
            // The planner's field errors, on the options that carry those fields.
            foreach (var (field, messages) in e.Errors)
                foreach (var message in messages)
                    await error.WriteLineAsync($"plan {parsed.Command}: {PlanCommands.OptionFor(field)}: {message}");
            if (parsed.Has("json"))
                await CommandOutput.WriteJsonAsync(output, new { errors = e.Errors.ToDictionary(p => PlanCommands.OptionFor(p.Key), p => p.Value) });
            return ExitCodes.Usage;
        }
        catch (PlanCommandException e)
        {
            await error.WriteLineAsync($"plan {parsed.Command}: error: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await error.WriteLineAsync($"plan {parsed.Command}: cancelled");
            return ExitCodes.Cancelled;
        }
    }
}

/// <summary>A command that could not do what was asked (a file that cannot be written): exit code 1.</summary>
internal sealed class PlanCommandException(string message) : Exception(message);
