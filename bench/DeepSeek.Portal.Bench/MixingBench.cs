using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Engine.Training.Mixing;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Splitting;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Bench;

/// <summary>
/// DynamicFeeder against static and uniform mixtures on the demo data: the demo dataset split by language into two
/// sources (Chinese and English banking dialogues, 60/40), each policy trained with several seeds, held-out loss every
/// few steps; reports the steps each run needs to reach a common held-out loss, and the final loss.
/// </summary>
internal static class MixingBench
{
    public const string Usage = "mixing [--steps N] [--seeds N] [--eval-every N] [--out path.json]";

    private sealed record Variant(string Name, MixturePolicy Policy, double LossSmoothing);

    private static readonly Variant[] Variants =
    [
        new("static (60/40, the record counts)", MixturePolicy.Static, 0),
        new("uniform (50/50)", MixturePolicy.Uniform, 0),
        new("dynamic (lr 0.01, raw step loss)", MixturePolicy.Dynamic, 0),
        new("dynamic (lr 0.01, loss EMA β 0.9)", MixturePolicy.Dynamic, 0.9),
    ];

    public sealed class RunResult
    {
        public string Variant { get; set; } = "";
        public int Seed { get; set; }
        public double Seconds { get; set; }
        public SortedDictionary<int, double> HeldOutLoss { get; set; } = [];
        public double FinalHeldOutLoss { get; set; }
        public double[] FinalWeights { get; set; } = [];
        public double[] FinalProbabilities { get; set; } = [];
        public double? StepsToTarget { get; set; }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        int steps = 150, seeds = 3, evalEvery = 10;
        string? outPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--steps": steps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seeds": seeds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--eval-every": evalEvery = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--out": outPath = Value(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: {Usage}");
            }
        }

        var all = DemoDataset.Generate();
        var zh = HeldOutSplit.Split(all.Where(t => LanguageGuess.Classify(t) == TextLanguage.Chinese).ToArray());
        var en = HeldOutSplit.Split(all.Where(t => LanguageGuess.Classify(t) != TextLanguage.Chinese).ToArray());
        var heldOut = zh.HeldOut.Concat(en.HeldOut).ToArray();
        Console.WriteLine($"# Mixing bench: sources bank-zh ({zh.Train.Count} train) and bank-en ({en.Train.Count} train), {heldOut.Length} held-out texts; {steps} steps, seeds 1..{seeds}, held-out every {evalEvery} steps");

        var results = new List<RunResult>();
        var clock = Stopwatch.StartNew();
        foreach (var variant in Variants)
        {
            for (int seed = 1; seed <= seeds; seed++)
            {
                var options = new TrainingOptions { Steps = steps, Seed = seed, WarmupSteps = Math.Min(new TrainingOptions().WarmupSteps, steps), CheckpointEvery = steps };
                var mixture = new TrainingMixture(
                    [new MixtureSource("bank-zh", zh.Train, zh.Train.Count), new MixtureSource("bank-en", en.Train, en.Train.Count)],
                    variant.Policy)
                { LossSmoothing = variant.LossSmoothing };
                var output = Path.Combine(Path.GetTempPath(), "ds-mixing-bench-" + Guid.NewGuid().ToString("N"));
                var result = new RunResult { Variant = variant.Name, Seed = seed };
                var run = Stopwatch.StartNew();
                try
                {
                    TrainingProgress? last = null;
                    var outcome = await Trainer.RunAsync(
                        new TrainingRequest(options, [], heldOut, output) { Mixture = mixture, EvaluateHeldOutEvery = evalEvery },
                        p =>
                        {
                            last = p;
                            if (p.HeldOutLoss is double l) result.HeldOutLoss[p.Step] = l;
                        },
                        CancellationToken.None);
                    result.FinalHeldOutLoss = outcome.HeldOutLoss ?? double.NaN;
                    result.HeldOutLoss[steps] = result.FinalHeldOutLoss;
                    result.FinalWeights = last!.Sources!.Select(s => s.Weight).ToArray();
                    result.FinalProbabilities = last.Sources!.Select(s => s.Probability).ToArray();
                }
                finally
                {
                    try { Directory.Delete(output, recursive: true); }
                    catch (IOException) { }
                }
                result.Seconds = run.Elapsed.TotalSeconds;
                results.Add(result);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {clock.Elapsed.TotalSeconds,6:F0} s  {variant.Name}, seed {seed}: held-out {result.FinalHeldOutLoss:F4}, p(zh) {result.FinalProbabilities[0]:F3}, {result.Seconds:F0} s"));
            }
        }

        // The common target: the worst final held-out loss, so that every run reaches it.
        double target = results.Max(r => r.FinalHeldOutLoss);
        foreach (var r in results) r.StepsToTarget = StepsTo(r.HeldOutLoss, target);

        Console.WriteLine();
        Console.WriteLine(Markdown(results, target, steps));
        outPath ??= Path.Combine("bench", "results", $"mixing-bench-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        File.WriteAllText(outPath, JsonSerializer.Serialize(new { steps, seeds, evalEvery, target, results }, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Wrote {outPath} ({clock.Elapsed.TotalSeconds:F0} s in total).");
        return 0;
    }

    /// <summary>First step at which the held-out loss is at or below the target, interpolated linearly between evaluations.</summary>
    private static double? StepsTo(SortedDictionary<int, double> curve, double target)
    {
        int previousStep = 0;
        double previousLoss = double.NaN;
        foreach (var (step, loss) in curve)
        {
            if (loss <= target)
                return double.IsNaN(previousLoss) ? step : previousStep + (step - previousStep) * (previousLoss - target) / (previousLoss - loss);
            (previousStep, previousLoss) = (step, loss);
        }
        return null;
    }

    private static (double Mean, double Sd) Stats(IEnumerable<double> values)
    {
        var v = values.ToArray();
        double mean = v.Average();
        double sd = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return (mean, sd);
    }

    private static string Markdown(List<RunResult> results, double target, int steps)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Target held-out loss (worst final loss of all runs): {target:F4}"));
        text.AppendLine();
        text.AppendLine("| policy | steps to target, per seed | mean ± sd | final held-out loss, per seed | mean ± sd | final p(zh) |");
        text.AppendLine("|---|---|---:|---|---:|---:|");
        foreach (var group in results.GroupBy(r => r.Variant))
        {
            var toTarget = group.Select(r => r.StepsToTarget ?? steps).ToArray();
            var (stepMean, stepSd) = Stats(toTarget);
            var (lossMean, lossSd) = Stats(group.Select(r => r.FinalHeldOutLoss));
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key} | {string.Join(", ", toTarget.Select(s => s.ToString("F0", CultureInfo.InvariantCulture)))} | {stepMean:F1} ± {stepSd:F1} | {string.Join(", ", group.Select(r => r.FinalHeldOutLoss.ToString("F4", CultureInfo.InvariantCulture)))} | {lossMean:F4} ± {lossSd:F4} | {group.Average(r => r.FinalProbabilities[0]):F3} |"));
        }
        return text.ToString();
    }
}
