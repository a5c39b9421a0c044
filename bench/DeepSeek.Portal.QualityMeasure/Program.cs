// Measures the quality scorers; prints Markdown tables for docs/QUALITY.md. Reads text, writes nothing.
//   dotnet run -c Release --project bench/DeepSeek.Portal.QualityMeasure -- entropy <english files…> --zh <chinese files…>
//   dotnet run -c Release --project bench/DeepSeek.Portal.QualityMeasure -- domain <general english files…> --zh <general chinese files…>
//   dotnet run -c Release --project bench/DeepSeek.Portal.QualityMeasure -- rules <english files…> --zh <chinese files…>
//   dotnet run -c Release --project bench/DeepSeek.Portal.QualityMeasure -- noise
//   dotnet run -c Release --project bench/DeepSeek.Portal.QualityMeasure -- speed
using System.Globalization;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Scoring;
using DeepSeek.Portal.Feeding.Text;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length >= 1 && args[0] is "noise" or "speed")
{
    if (args[0] == "noise") NoiseMeasure.Run();
    else NoiseMeasure.Speed();
    return 0;
}
if (args.Length < 2 || args[0] is not ("entropy" or "domain" or "rules"))
{
    Console.Error.WriteLine("usage: entropy|domain|rules <english files…> [--zh <chinese files…>] | noise | speed");
    return 2;
}
var split = Array.IndexOf(args, "--zh");
var english = (split < 0 ? args[1..] : args[1..split]).Select(File.ReadAllText).ToArray();
var chinese = (split < 0 ? [] : args[(split + 1)..]).Select(File.ReadAllText).ToArray();
if (args[0] == "entropy") Measure.Entropy(english, chinese);
else if (args[0] == "rules") Measure.Rules(english, chinese);
else Measure.Domain(english, chinese);
return 0;

internal static partial class Measure
{
    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    [GeneratedRegex(@"\n\s*\n")]
    private static partial Regex BlankLine();

    private static string Collapse(string s) => WhiteSpace().Replace(s, " ").Trim();

    private static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        var pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    private static string Summary(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        if (v.Length == 0) return "| 0 | | | | | | | | |";
        var mean = v.Average();
        var sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, v.Length - 1));
        return $"| {v.Length} | {mean:0.00} | {sd:0.00} | {v[0]:0.00} | {Percentile(v, 0.01):0.00} | {Percentile(v, 0.05):0.00} | {Percentile(v, 0.5):0.00} | {Percentile(v, 0.95):0.00} | {Percentile(v, 0.99):0.00} | {v[^1]:0.00} |";
    }

    private const string SummaryHeader = "| n | mean | sd | min | p1 | p5 | p50 | p95 | p99 | max |";

    /// <summary>
    /// Windows of every length band cut from the whitespace-collapsed texts (start every <c>stride</c> code points,
    /// length drawn uniformly inside the band), classified by LanguageGuess like any record.
    /// </summary>
    public static void Entropy(string[] english, string[] chinese)
    {
        var random = new Random(42);
        Console.WriteLine("## Entropy (bits/char) of windows of real text, by LanguageGuess class and length band\n");
        Console.WriteLine("| source | class | band | " + SummaryHeader[2..]);
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (source, texts) in new[] { ("English docs", english), ("Chinese seed", chinese) })
        {
            var runes = texts.Select(t => Collapse(t).EnumerateRunes().Select(r => r.ToString()).ToArray()).ToArray();
            foreach (var band in EntropyBands.All)
            {
                int lo = Math.Max(band.MinLength, 10), hi = Math.Min(band.MaxLength ?? 3000, 3000);
                var samples = new List<(TextLanguage, double)>();
                foreach (var doc in runes)
                {
                    int stride = Math.Max(5, lo / 2);
                    for (int start = 0; start + lo <= doc.Length; start += stride)
                    {
                        var length = Math.Min(random.Next(lo, hi), doc.Length - start);
                        var window = string.Concat(doc.AsSpan(start, length).ToArray());
                        samples.Add((LanguageGuess.Classify(window), CharacterEntropy.BitsPerCharacter(window)));
                    }
                }
                foreach (var group in samples.GroupBy(s => s.Item1).OrderBy(g => g.Key))
                    Console.WriteLine($"| {source} | {LanguageGuess.Code(group.Key)} | {band.Label} {Summary(group.Select(g => g.Item2))}");
            }
        }

        Console.WriteLine("\n## Entropy of the demo bank records (one record = one dialogue)\n");
        Console.WriteLine("| class | band | " + SummaryHeader[2..]);
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        var demo = DemoDataset.Generate(7, 3000).Select(t => (Language: LanguageGuess.Classify(t), Band: EntropyBands.Of(CharacterEntropy.CodePointLength(t)), H: CharacterEntropy.BitsPerCharacter(t)));
        foreach (var group in demo.GroupBy(d => (d.Language, d.Band.Label)).OrderBy(g => g.Key))
            Console.WriteLine($"| {LanguageGuess.Code(group.Key.Language)} | {group.Key.Label} {Summary(group.Select(g => g.H))}");

        Console.WriteLine("\n## Whole documents\n");
        foreach (var (source, texts) in new[] { ("English docs", english), ("Chinese seed", chinese) })
            foreach (var t in texts)
                Console.WriteLine($"- {source}: {CharacterEntropy.CodePointLength(Collapse(t))} chars, {CharacterEntropy.BitsPerCharacter(Collapse(t)):0.00} bits/char");
    }

    /// <summary>Paragraphs (English) and lines (Chinese) of real text, ≥ 40 characters, markdown tables and fences left out.</summary>
    public static string[] Paragraphs(string[] english, string[] chinese) =>
        english.SelectMany(t => BlankLine().Split(t)).Select(Collapse)
            .Concat(chinese.SelectMany(t => t.Split('\n')).Select(Collapse))
            .Where(p => CharacterEntropy.CodePointLength(p) >= 40 && !p.StartsWith('|') && !p.StartsWith("```", StringComparison.Ordinal))
            .ToArray();

    /// <summary>How often each heuristic rule fires on real paragraphs and on the demo records.</summary>
    public static void Rules(string[] english, string[] chinese)
    {
        var sets = new (string Name, string[] Texts)[]
        {
            ("real paragraphs/lines", Paragraphs(english, chinese)),
            ("demo bank records", [.. DemoDataset.Generate(7, 3000)]),
        };
        foreach (var (name, texts) in sets)
        {
            var results = texts.Select(t => HeuristicRules.Default.Evaluate(t)).ToArray();
            var labels = texts.Select(HeuristicRules.Default.SuggestLabel).ToArray();
            Console.WriteLine($"### {name}: {texts.Length} texts; labels clean {labels.Count(l => l == NoiseLabel.Clean)}, unsure {labels.Count(l => l == NoiseLabel.Unsure)}, noisy {labels.Count(l => l == NoiseLabel.Noisy)}\n");
            Console.WriteLine("| rule | fired | example |");
            Console.WriteLine("|---|---|---|");
            foreach (var group in results.SelectMany((r, i) => r.Where(x => x.Fired).Select(x => (x, Text: texts[i]))).GroupBy(f => f.x.Name))
                Console.WriteLine($"| {group.Key} | {group.Count()} | {group.First().x}: \"{group.First().Text[..Math.Min(60, group.First().Text.Length)].Replace('\n', ' ').Replace("|", "\\|")}…\" |");
            Console.WriteLine();
        }
    }

    /// <summary>Bank reference set vs held-out bank records vs general paragraphs, both modes.</summary>
    public static void Domain(string[] english, string[] chinese)
    {
        var bank = DemoDataset.Generate(7, 3000);
        var reference = bank.Take(500).ToArray();
        var heldOut = bank.Skip(500).ToArray();
        var general = Paragraphs(english, chinese);
        Console.WriteLine($"Reference: {reference.Length} demo bank records (seed 7); held out: {heldOut.Length} bank records; general: {general.Length} paragraphs/lines ≥ 40 chars.\n");

        foreach (var mode in Enum.GetValues<DomainSimilarityMode>())
        {
            foreach (var sublinear in new[] { false, true })
            {
                var scorer = DomainSimilarityScorer.Fit(reference, new DomainSimilarityOptions { Mode = mode, TfIdf = new TfIdfOptions { SublinearTf = sublinear } });
                var groups = new (string Name, (string Text, double Score)[] Scores)[]
                {
                    ("bank en", [.. heldOut.Where(t => LanguageGuess.Classify(t) == TextLanguage.English).Select(t => (t, scorer.Score(t)))]),
                    ("bank zh", [.. heldOut.Where(t => LanguageGuess.Classify(t) == TextLanguage.Chinese).Select(t => (t, scorer.Score(t)))]),
                    ("general en", [.. general.Where(t => LanguageGuess.Classify(t) != TextLanguage.Chinese).Select(t => (t, scorer.Score(t)))]),
                    ("general zh", [.. general.Where(t => LanguageGuess.Classify(t) == TextLanguage.Chinese).Select(t => (t, scorer.Score(t)))]),
                };
                Console.WriteLine($"### {mode}, sublinear tf {sublinear}\n");
                Console.WriteLine("| group | " + SummaryHeader[2..] + " kept at 0.75 |");
                Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
                foreach (var (name, scores) in groups)
                    Console.WriteLine($"| {name} {Summary(scores.Select(s => s.Score))} {scores.Count(s => s.Score >= 0.75) / (double)scores.Length:P1} |");

                // The threshold with the best balanced accuracy (mean of bank recall and general rejection).
                var inDomain = groups[0].Scores.Concat(groups[1].Scores).Select(s => s.Score).ToArray();
                var outside = groups[2].Scores.Concat(groups[3].Scores).Select(s => s.Score).ToArray();
                var best = Enumerable.Range(0, 101).Select(i => i / 100.0)
                    .Select(t => (T: t, Acc: 0.5 * (inDomain.Count(s => s >= t) / (double)inDomain.Length + outside.Count(s => s < t) / (double)outside.Length)))
                    .MaxBy(x => x.Acc);
                Console.WriteLine($"\nBest balanced accuracy {best.Acc:P1} at threshold {best.T:0.00}; highest general {outside.Max():0.000}, lowest bank {inDomain.Min():0.000}.");
                var top = groups[2].Scores.Concat(groups[3].Scores).MaxBy(s => s.Score);
                Console.WriteLine($"Highest-scoring general text ({top.Score:0.000}): \"{top.Text[..Math.Min(100, top.Text.Length)]}…\"\n");
            }
        }
    }
}
