using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Datasets.Cli;
using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluation.Scoring;
using DeepSeek.Portal.Evaluation.Suites;

namespace DeepSeek.Portal.Evaluations.Cli;

/// <summary>What <c>eval run --json</c> prints and <c>--out</c> writes (the latter with <see cref="Items"/>).</summary>
public sealed record SuiteRunReport(
    string Suite, string Target, string Status, int ItemsTotal, int ItemsDone, int ItemsFailed, string? Error,
    IReadOnlyList<SuiteRunFailures> Failures, IReadOnlyList<MetricValue> Figures, IReadOnlyList<SuiteRunItem>? Items);

/// <summary>Failed items of one kind: how many, the first message, and the first few ids.</summary>
public sealed record SuiteRunFailures(FailureKind Kind, int Count, string Message, IReadOnlyList<string> Items);

/// <summary>One item in <c>--out</c>: what was asked, the output, the references, the item's scores or its failure.</summary>
public sealed record SuiteRunItem(
    string Id, string Kind, string Slice, string? Domain, string Input, string? Output, IReadOnlyList<string> References,
    IReadOnlyDictionary<string, double>? Scores, double? ReferenceNll, int? ReferenceTokens, string? PerplexityUnavailable,
    string? Error, double Seconds);

/// <summary><c>eval run</c>: a suite file through <see cref="SuiteRunner"/> against an endpoint or the engine, scored by <see cref="EvaluationScoring"/>.</summary>
internal sealed partial class EvaluationCommands
{
    private async Task<int> RunSuiteAsync()
    {
        var suiteFile = Required("suite", "a suite file, JSONL");
        var endpoint = args.Value("endpoint");
        var model = args.Value("model");
        var keyEnv = args.Value("key-env");
        var folder = args.Value("model-folder");
        if (args.Has("key") || args.Has("api-key"))
            throw new UsageException("the key is not accepted on the command line (the process list shows it): put it in an environment variable and name that with --key-env");
        if ((endpoint is null) == (folder is null))
            throw new UsageException("name one target: --endpoint <url> --model <name>, or --model-folder <dir>");
        var protocolText = args.Value("protocol");
        var timeout = args.Int("timeout", 60, 1, 3600);
        var retries = args.Int("retries", 4, 0, 10);
        if (folder is not null && (model is not null || keyEnv is not null || protocolText is not null || args.Has("timeout") || args.Has("retries")))
            throw new UsageException("--model, --key-env, --protocol, --timeout and --retries go with --endpoint, not with --model-folder");
        var protocol = protocolText switch
        {
            null or "chat" => EndpointProtocol.Chat,
            "completions" => EndpointProtocol.Completions,
            _ => throw new UsageException($"--protocol expects chat or completions, not \"{protocolText}\""),
        };
        Uri? baseUrl = null;
        if (endpoint is not null)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out baseUrl) || baseUrl.Scheme is not ("http" or "https"))
                throw new UsageException($"--endpoint expects an absolute http(s) base URL including the API version (https://api.example.com/v1), not \"{endpoint}\"");
            if (string.IsNullOrWhiteSpace(model) || model == "true")
                throw new UsageException("--endpoint needs --model <name> (the model the endpoint serves)");
        }
        var runOptions = new SuiteRunOptions
        {
            Concurrency = args.Int("concurrency", 4, 1, 64),
            MaxNewTokens = args.Int("max-new-tokens", 128, 1, 32_768),
            MeasurePerplexity = !args.Has("no-ppl"),
        };
        var outFile = args.Value("out");
        args.EnsureNothingElse(0);

        string? key = null;
        if (keyEnv is not null)
        {
            key = options.Environment(keyEnv);
            if (string.IsNullOrEmpty(key))
                throw new EvaluationCommandException($"--key-env {keyEnv}: the environment variable is not set or empty");
        }
        var items = await ReadSuiteAsync(suiteFile);
        var outPath = outFile is null ? null : CallerDirectory.Resolve(outFile);
        if (outPath is not null && !Directory.Exists(Path.GetDirectoryName(outPath)))
            throw new EvaluationCommandException($"--out {outFile}: the directory does not exist");

        IEvaluationTarget target = baseUrl is not null
            ? new OpenAiCompatibleTarget(new OpenAiCompatibleOptions { BaseUrl = baseUrl, Model = model!, ApiKey = key, Protocol = protocol, Timeout = TimeSpan.FromSeconds(timeout), MaxRetries = retries })
            : await OpenEngineAsync(folder!);

        var outputs = new List<ItemOutput>();
        var failed = 0;
        string? stopped = null;
        var cancelled = false;
        var label = target.Label;
        var progress = new EvaluationProgress(error, options.ErrorIsTerminal, "run " + Path.GetFileName(suiteFile), "items", items.Count, options.ProgressEvery, _quiet);
        try
        {
            await foreach (var output in SuiteRunner.RunAsync(target, items, runOptions, ct))
            {
                outputs.Add(output);
                if (output.Failure is not null)
                    failed++;
                progress.Show(outputs.Count, failed);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            cancelled = true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The runner turns a target's failures into failed items; anything else stops the run.
            stopped = $"the run stopped: {e.Message}";
        }
        finally
        {
            progress.Close();
            (target as IDisposable)?.Dispose();
        }

        var figures = EvaluationScoring.Summarise(items, outputs);
        var failures = outputs.Where(o => o.Failure is not null)
            .GroupBy(o => o.Failure!.Kind)
            .OrderByDescending(g => g.Count())
            .Select(g => new SuiteRunFailures(g.Key, g.Count(), g.First().Failure!.Message, g.Take(5).Select(o => o.ItemId).ToList()))
            .ToList();
        var status = cancelled ? "cancelled"
            : stopped is not null || (outputs.Count > 0 && failed == outputs.Count) ? "failed"
            : failed > 0 ? "partial"
            : "succeeded";
        var report = new SuiteRunReport(Path.GetFileName(suiteFile), label, status, items.Count, outputs.Count, failed, stopped, failures, figures, null);
        if (outPath is not null)
        {
            var outputById = outputs.ToDictionary(o => o.ItemId, StringComparer.Ordinal);
            var inOrder = items.Where(i => outputById.ContainsKey(i.Id)).Select(i => ToItem(i, outputById[i.Id])).ToList();
            await WriteFileAsync(outPath, report with { Items = inOrder });
        }

        if (cancelled)
        {
            await error.WriteLineAsync($"eval run: cancelled after {outputs.Count} of {items.Count} items{(outPath is null ? "" : $"; {outFile} holds them")}");
            return ExitCodes.Cancelled;
        }
        foreach (var f in failures)
            await error.WriteLineAsync($"eval run: {f.Count} × {f.Kind}: {f.Message} (items {string.Join(", ", f.Items)}{(f.Count > f.Items.Count ? ", …" : "")})");
        if (stopped is not null)
            await error.WriteLineAsync($"eval run: {stopped}");
        if (failed > 0 || stopped is not null)
            await error.WriteLineAsync($"eval run: {status}: {failed} of {items.Count} items failed{(stopped is null ? "" : $", {items.Count - outputs.Count} not run")}; the figures leave them out");

        if (_json)
            await WriteJsonAsync(report);
        else
            await WriteFiguresAsync(label, report);
        return status == "succeeded" ? ExitCodes.Success : ExitCodes.Failed;
    }

    private async Task<IReadOnlyList<SuiteItem>> ReadSuiteAsync(string file)
    {
        var path = CallerDirectory.Resolve(file);
        if (!File.Exists(path))
            throw new EvaluationCommandException($"{file}: no such file");
        SuiteFileResult read;
        await using (var stream = File.OpenRead(path))
            read = await SuiteFile.ReadAsync(stream, ct);
        if (read.Errors.Count > 0)
            throw new EvaluationCommandException($"{file} is not a usable suite ({read.Errors.Count} problem{(read.Errors.Count > 1 ? "s" : "")}):\n  " + string.Join("\n  ", read.Errors.Take(20)));
        return read.Items.Count > 0 ? read.Items : throw new EvaluationCommandException($"{file}: the suite has no items");
    }

    private static SuiteRunItem ToItem(SuiteItem item, ItemOutput output)
    {
        // The same input, output and error text as the portal's drill-down rows.
        var row = EvaluationJob.ToRow(0, item, output);
        return new SuiteRunItem(
            item.Id, row.Kind, row.Slice, item.Domain, row.Input, row.Output,
            JsonSerializer.Deserialize<List<string>>(row.References ?? "[]") ?? [],
            output.Failure is null ? EvaluationScoring.Score(item, output).Values : null,
            output.ReferenceNll, output.ReferenceTokens, output.PerplexityUnavailable, row.Error, output.Seconds);
    }

    /// <summary>Written beside the target and moved over it when complete, so a reader never sees half a file.</summary>
    private async Task WriteFileAsync<T>(string path, T value)
    {
        var temporary = path + $".tmp{Environment.ProcessId}";
        try
        {
            await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(value, Json) + "\n", new UTF8Encoding(false), CancellationToken.None);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new EvaluationCommandException($"--out {path}: {e.Message}");
        }
    }

    private async Task WriteFiguresAsync(string label, SuiteRunReport report)
    {
        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync($"{report.Suite} against {label}: {report.Status}, {report.ItemsDone - report.ItemsFailed} of {report.ItemsTotal} items scored");
        await WriteTableAsync(
            ["tier", "metric", "scope", "value", "95% CI", "count", "tokens"],
            report.Figures.OrderBy(f => f.Tier).ThenBy(f => MetricOrder(f.Metric)).ThenBy(f => f.Scope, StringComparer.Ordinal).Select(f => new[]
            {
                f.Tier.ToString(c),
                f.Metric,
                f.Scope,
                f.Value.ToString("0.00", c),
                f.Lower is { } lo && f.Upper is { } hi ? $"{lo.ToString("0.00", c)}–{hi.ToString("0.00", c)}" : "",
                f.Count.ToString(c),
                f.Tokens?.ToString(c) ?? "",
            }));
    }

    private static int MetricOrder(string metric) => MetricNames.All.ToList().IndexOf(metric) is var i and >= 0 ? i : int.MaxValue;
}
