using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DeepSeek.Portal.Datasets.Cli;
using DeepSeek.Portal.Evaluation.Metrics;

namespace DeepSeek.Portal.Evaluations.Cli;

/// <summary>
/// The <c>eval</c> commands over files: BLEU, ROUGE-L and SQuAD EM/F1 here, perplexity and suite runs in their own
/// files (<see cref="EvaluationCommands"/> is partial). Each reads its files whole, refuses files that do not line up
/// before computing anything, and prints the figure the portal's metric library computes — nothing is re-implemented.
/// </summary>
internal sealed partial class EvaluationCommands(CommandArguments args, TextWriter output, TextWriter error, EvaluationCommandLineOptions options, CancellationToken ct)
{
    private static JsonSerializerOptions Json => CommandOutput.Json;

    /// <summary>Options every command accepts (read by the entry point or once here).</summary>
    private static readonly string[] Common = ["json", "quiet", "help"];

    private readonly bool _json = args.Has("json");
    private readonly bool _quiet = args.Has("quiet");

    private static CultureInfo C => CultureInfo.InvariantCulture;

    public async Task<int> RunAsync()
    {
        foreach (var name in Common)
            args.MarkUsed(name);
        return args.Command switch
        {
            "bleu" => await BleuAsync(),
            "rouge" => await RougeAsync(),
            "squad" => await SquadAsync(),
            "ppl" => await PerplexityAsync(),
            "run" => await RunSuiteAsync(),
            _ => throw new UsageException($"unknown command \"{args.Command}\""),
        };
    }

    // ---- bleu -----------------------------------------------------------------------------------------------------

    private async Task<int> BleuAsync()
    {
        var hypFile = Required("hyp", "the hypotheses file");
        var refFiles = args.Values("ref");
        if (refFiles.Count == 0)
            throw new UsageException("--ref <file> is required (once per reference file)");
        var tokenize = args.Value("tokenize") ?? "auto";
        BleuTokenizer? tokenizer = tokenize switch
        {
            "auto" => null,
            "13a" => BleuTokenizer.V13a,
            "zh" => BleuTokenizer.Zh,
            "intl" => BleuTokenizer.Intl,
            "none" => BleuTokenizer.None,
            _ => throw new UsageException($"--tokenize expects auto, 13a, zh, intl or none, not \"{tokenize}\""),
        };
        var smooth = args.Value("smooth") ?? "exp";
        var smoothing = smooth switch
        {
            "exp" => BleuSmoothing.Exp,
            "floor" => BleuSmoothing.Floor,
            "add-k" => BleuSmoothing.AddK,
            "none" => BleuSmoothing.None,
            _ => throw new UsageException($"--smooth expects exp, floor, add-k or none, not \"{smooth}\""),
        };
        var smoothValue = Number("smooth-value", 0, 1e6);
        if (smoothValue is not null && smoothing is not (BleuSmoothing.Floor or BleuSmoothing.AddK))
            throw new UsageException("--smooth-value applies to --smooth floor (epsilon) or add-k (k) only");
        var lowercase = args.Has("lowercase");
        args.EnsureNothingElse(0);

        var hyps = await ReadLinesAsync(hypFile);
        var streams = new List<IReadOnlyList<string?>>();
        foreach (var refFile in refFiles)
            streams.Add(await ReadLinesAsync(refFile, "--ref", hypFile, hyps.Count));
        for (int i = 0; i < hyps.Count; i++)
            if (streams.All(s => string.IsNullOrEmpty(s[i])))
                throw new EvaluationCommandException($"line {i + 1}: every reference is empty (BLEU needs at least one reference per line)");

        var chosen = tokenizer ?? Bleu.TokenizerFor(streams.SelectMany(s => s));
        var bleuOptions = new BleuOptions { Tokenizer = chosen, Smoothing = smoothing, SmoothValue = smoothValue, Lowercase = lowercase };
        var score = Bleu.Corpus(hyps, streams, bleuOptions);
        var signature = BleuSignature(streams.Count, bleuOptions);
        var ratio = score.RefLen == 0 ? 0 : (double)score.SysLen / score.RefLen;
        var verbose = string.Format(C, "BLEU = {0:0.00} {1} (BP = {2:0.000} ratio = {3:0.000} hyp_len = {4} ref_len = {5})",
            score.Score, string.Join('/', score.Precisions.Select(p => p.ToString("0.0", C))), score.BrevityPenalty, ratio, score.SysLen, score.RefLen);
        if (_json)
        {
            await WriteJsonAsync(new
            {
                name = "BLEU",
                score = score.Score,
                signature,
                verboseScore = verbose,
                tokenize = TokenizerName(chosen),
                counts = score.Correct,
                totals = score.Total,
                precisions = score.Precisions,
                bp = score.BrevityPenalty,
                ratio,
                sysLen = score.SysLen,
                refLen = score.RefLen,
                lines = hyps.Count,
                references = streams.Count,
            });
        }
        else
        {
            await output.WriteLineAsync(verbose);
            await output.WriteLineAsync(signature);
        }
        return ExitCodes.Success;
    }

    /// <summary>sacrebleu's signature (<c>nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:…</c>), with this implementation as the version.</summary>
    internal static string BleuSignature(int references, BleuOptions options)
    {
        var smooth = options.Smoothing switch
        {
            BleuSmoothing.Floor => string.Format(C, "floor[{0:0.00}]", options.SmoothValue ?? 0.1),
            BleuSmoothing.AddK => string.Format(C, "add-k[{0:0.00}]", options.SmoothValue ?? 1),
            BleuSmoothing.None => "none",
            _ => "exp",
        };
        return $"nrefs:{references}|case:{(options.Lowercase ? "lc" : "mixed")}|eff:{(options.EffectiveOrder ? "yes" : "no")}|tok:{TokenizerName(options.Tokenizer)}|smooth:{smooth}|version:deepseek-portal";
    }

    private static string TokenizerName(BleuTokenizer tokenizer) => tokenizer switch
    {
        BleuTokenizer.Zh => "zh",
        BleuTokenizer.Intl => "intl",
        BleuTokenizer.None => "none",
        _ => "13a",
    };

    // ---- rouge ----------------------------------------------------------------------------------------------------

    private async Task<int> RougeAsync()
    {
        var hypFile = Required("hyp", "the hypotheses file");
        var refFiles = args.Values("ref");
        if (refFiles.Count == 0)
            throw new UsageException("--ref <file> is required (once per reference file)");
        args.EnsureNothingElse(0);
        var hyps = await ReadLinesAsync(hypFile);
        var streams = new List<IReadOnlyList<string>>();
        foreach (var refFile in refFiles)
            streams.Add(await ReadLinesAsync(refFile, "--ref", hypFile, hyps.Count));
        double p = 0, r = 0, f = 0;
        for (int i = 0; i < hyps.Count; i++)
        {
            var references = streams.Select(s => s[i]).Where(s => s.Length > 0).ToList();
            if (references.Count == 0)
                throw new EvaluationCommandException($"line {i + 1}: every reference is empty (ROUGE-L needs at least one reference per line)");
            var score = RougeL.Best(hyps[i], references);
            (p, r, f) = (p + score.Precision, r + score.Recall, f + score.FMeasure);
        }
        int n = Math.Max(hyps.Count, 1);
        var (rougeL, precision, recall) = (100 * f / n, 100 * p / n, 100 * r / n);
        if (_json)
            await WriteJsonAsync(new { name = "ROUGE-L", rougeL, precision, recall, lines = hyps.Count, references = streams.Count });
        else
            await output.WriteLineAsync(string.Format(C, "ROUGE-L = {0:0.00} (P = {1:0.00} R = {2:0.00} lines = {3})", rougeL, precision, recall, hyps.Count));
        return ExitCodes.Success;
    }

    // ---- squad ----------------------------------------------------------------------------------------------------

    private async Task<int> SquadAsync()
    {
        var predFile = Required("pred", "the predictions file");
        var goldFile = Required("gold", "the gold answers file");
        args.EnsureNothingElse(0);
        var predictions = await ReadLinesAsync(predFile);
        var goldLines = await ReadLinesAsync(goldFile, "--gold", predFile, predictions.Count, "--pred");
        double em = 0, f1 = 0;
        for (int i = 0; i < predictions.Count; i++)
        {
            var golds = GoldAnswers(goldLines[i], i + 1);
            em += SquadMetrics.BestExactMatch(predictions[i], golds);
            f1 += SquadMetrics.BestF1(predictions[i], golds);
        }
        int n = Math.Max(predictions.Count, 1);
        (em, f1) = (em / n, f1 / n);
        if (_json)
            await WriteJsonAsync(new { exactMatch = em, f1, lines = predictions.Count });
        else
            await output.WriteLineAsync(string.Format(C, "EM = {0:0.00} F1 = {1:0.00} (lines = {2})", em, f1, predictions.Count));
        return ExitCodes.Success;
    }

    /// <summary>A gold line's answers: a JSON array of strings when it starts with <c>[</c>, else tab-separated answers.</summary>
    internal static IReadOnlyList<string> GoldAnswers(string line, int number)
    {
        if (!line.TrimStart().StartsWith('['))
            return line.Split('\t');
        try
        {
            var answers = JsonSerializer.Deserialize<List<string>>(line);
            return answers is { Count: > 0 } ? answers : throw new EvaluationCommandException($"--gold line {number}: the JSON array of answers is empty");
        }
        catch (JsonException e)
        {
            throw new EvaluationCommandException($"--gold line {number}: a line that starts with [ must be a JSON array of answer strings ({e.Message})");
        }
    }

    // ---- input and output -----------------------------------------------------------------------------------------

    private string Required(string option, string what) =>
        args.Value(option) is { Length: > 0 } value && value != "true" ? value : throw new UsageException($"--{option} <file> is required ({what})");

    /// <summary>The option as a number in a range, or null when absent.</summary>
    private double? Number(string option, double min, double max) => args.Number(option, min, max);

    /// <summary>The lines of a UTF-8 text file (a BOM and a final line break are not part of them).</summary>
    private async Task<IReadOnlyList<string>> ReadLinesAsync(string file)
    {
        var path = CallerDirectory.Resolve(file);
        if (!File.Exists(path))
            throw new EvaluationCommandException($"{file}: no such file");
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        try
        {
            return await File.ReadAllLinesAsync(path, utf8, ct);
        }
        catch (DecoderFallbackException)
        {
            throw new EvaluationCommandException($"{file}: not UTF-8 text");
        }
    }

    /// <summary>The lines of a file that must line up with the first file (<paramref name="against"/>, <paramref name="count"/> lines).</summary>
    private async Task<IReadOnlyList<string>> ReadLinesAsync(string file, string option, string against, int count, string againstOption = "--hyp")
    {
        var lines = await ReadLinesAsync(file);
        return lines.Count == count
            ? lines
            : throw new EvaluationCommandException($"{option} {file} has {lines.Count} lines but {againstOption} {against} has {count}: the files must line up, one segment per line");
    }

    internal Task WriteJsonAsync<T>(T value) => CommandOutput.WriteJsonAsync(output, value, Json);

    private Task WriteTableAsync(string[] header, IEnumerable<string[]> rows) => CommandOutput.WriteTableAsync(output, header, rows);
}
