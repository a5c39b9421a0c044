using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Datasets.Cli;
using DeepSeek.Portal.Evaluation.Metrics;
using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluations.Targets;
using DeepSeek.Portal.Models.Generation;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeepSeek.Portal.Evaluations.Cli;

/// <summary><c>eval ppl</c>: the portal's engine target scoring each text as a continuation of BOS, summed token-weighted.</summary>
internal sealed partial class EvaluationCommands
{
    private async Task<int> PerplexityAsync()
    {
        var folderOption = args.Value("model-folder") is { Length: > 0 } f && f != "true" ? f : throw new UsageException("--model-folder <dir> is required (config.json, model.safetensors, tokenizer.json)");
        var file = Required("file", "a .txt file, one text per line, or a .jsonl file");
        var field = args.Value("field") ?? "text";
        args.EnsureNothingElse(0);

        var texts = await ReadTextsAsync(file, field);
        if (texts.Count == 0)
            throw new EvaluationCommandException($"{file}: no text to score (every line is empty)");
        using var target = await OpenEngineAsync(folderOption);

        var total = new PerplexityAccumulator();
        var failures = new List<(int Line, string Message)>();
        var progress = new EvaluationProgress(error, options.ErrorIsTerminal, "ppl " + Path.GetFileName(file), "texts", texts.Count, options.ProgressEvery, _quiet);
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var (line, text) in texts)
            {
                try
                {
                    var scored = await target.LogLikelihoodAsync("", text, ct);
                    total.Add(-scored.LogProbability, scored.Tokens);
                }
                catch (TargetException e)
                {
                    failures.Add((line, e.Message));
                }
                progress.Show(total.Count + failures.Count, failures.Count);
            }
        }
        finally
        {
            progress.Close();
        }
        var seconds = clock.Elapsed.TotalSeconds;
        double? perplexity = total.Tokens > 0 ? total.Value : null;
        var tokensPerSecond = seconds > 0 ? total.Tokens / seconds : 0;
        foreach (var (line, message) in failures.Take(20))
            await error.WriteLineAsync($"eval ppl: line {line}: {message}");
        if (failures.Count > 0)
            await error.WriteLineAsync($"eval ppl: {failures.Count} of {texts.Count} texts failed; the figure is over the other {total.Count} (partial)");
        if (_json)
        {
            await WriteJsonAsync(new
            {
                model = Path.GetFullPath(CallerDirectory.Resolve(folderOption)),
                file,
                ppl = perplexity,
                tokens = total.Tokens,
                nll = total.TotalNll,
                meanNll = total.Tokens > 0 ? total.MeanNll : (double?)null,
                texts = total.Count,
                failed = failures.Count,
                failures = failures.Select(x => new { line = x.Line, message = x.Message }),
                seconds,
                tokensPerSecond,
            });
        }
        else
        {
            var c = CultureInfo.InvariantCulture;
            await output.WriteLineAsync(perplexity is { } value
                ? string.Format(c, "PPL = {0:0.000} (tokens = {1} NLL = {2:0.000} mean NLL = {3:0.0000} texts = {4}{5}) {6:0.0} tokens/s",
                    value, total.Tokens, total.TotalNll, total.MeanNll, total.Count, failures.Count > 0 ? $" failed = {failures.Count}" : "", tokensPerSecond)
                : "PPL = n/a (no text could be scored)");
        }
        return failures.Count > 0 ? ExitCodes.Failed : ExitCodes.Success;
    }

    /// <summary>The non-empty lines of a text file, or the <paramref name="field"/> of each record of a JSONL file, with their line numbers.</summary>
    private async Task<List<(int Line, string Text)>> ReadTextsAsync(string file, string field)
    {
        var lines = await ReadLinesAsync(file);
        var texts = new List<(int, string)>();
        bool jsonl = file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
                continue;
            if (!jsonl)
            {
                texts.Add((i + 1, lines[i]));
                continue;
            }
            JsonNode? record;
            try { record = JsonNode.Parse(lines[i]); }
            catch (JsonException e) { throw new EvaluationCommandException($"{file} line {i + 1}: not valid JSON ({e.Message})"); }
            if (record is not JsonObject obj || obj[field] is not JsonValue value || !value.TryGetValue<string>(out var text))
                throw new EvaluationCommandException($"{file} line {i + 1}: expected a JSON object with a string field \"{field}\" (--field names another)");
            if (!string.IsNullOrWhiteSpace(text))
                texts.Add((i + 1, text));
        }
        return texts;
    }

    /// <summary>The portal's engine target on a model folder given on the command line (no registration, no roots: the user named it).</summary>
    private async Task<EngineTarget> OpenEngineAsync(string folderOption)
    {
        var folder = CallerDirectory.Resolve(folderOption);
        if (!Directory.Exists(folder))
            throw new EvaluationCommandException($"--model-folder {folderOption}: no such directory");
        try
        {
            return await EngineTarget.OpenAsync(new GenerationSource($"folder:{folder}", folder, f => f), Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar)), NullLogger.Instance, ct);
        }
        catch (TargetException e)
        {
            throw new EvaluationCommandException($"--model-folder {folderOption}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or ArgumentException or Models.ModelFolderException)
        {
            throw new EvaluationCommandException($"--model-folder {folderOption}: the model cannot be loaded: {e.Message}");
        }
    }
}
