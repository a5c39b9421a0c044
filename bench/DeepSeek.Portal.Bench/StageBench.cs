using System.Diagnostics;
using System.Globalization;
using DeepSeek.Portal.Feeding.Dedup;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Scoring;
using DeepSeek.Portal.Feeding.Statistics;

namespace DeepSeek.Portal.Bench;

/// <summary>
/// A quick per-stage measure for iterating on the pipeline's hot spots: the first N texts of the pipeline bench's
/// corpus, held in memory, each stage run over all of them several times on one thread; the best round is reported
/// in µs per record (best of, because the machine is shared). Minutes shorter than the full pipeline bench.
/// </summary>
internal static class StageBench
{
    public const string Usage = "stages [--records N (default 5000)] [--rounds N (default 5)] [--stage name]";

    public static int Run(string[] args)
    {
        int records = 5000, rounds = 5;
        string? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--records": records = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--stage": only = Value(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: {Usage}");
            }
        }

        var texts = PipelineBench.Corpus.Texts().Take(records).ToArray();
        var domain = DomainSimilarityScorer.Fit(DemoDataset.Generate(seed: 99, count: 200));
        var entropy = new EntropyScorer();
        var rules = new HeuristicRules();
        var hasher = new MinHasher(new MinHashOptions());
        var signature = new uint[hasher.Permutations];
        var stages = new (string Name, Action Round)[]
        {
            ("entropy", () => { foreach (var t in texts) entropy.Evaluate(t); }),
            ("rules", () => { foreach (var t in texts) rules.Evaluate(t); }),
            ("domain", () => { foreach (var t in texts) domain.Score(t); }),
            ("exact_dedup", () => { var index = new ExactDuplicateIndex(); int id = 0; foreach (var t in texts) index.Add((id++).ToString(CultureInfo.InvariantCulture), t); }),
            ("minhash", () => { foreach (var t in texts) hasher.ComputeSignature(t, signature); }),
            ("near_dedup", () => { var index = new NearDuplicateIndex(); int id = 0; foreach (var t in texts) index.Add((id++).ToString(CultureInfo.InvariantCulture), t); }),
            ("statistics", () => { var s = new DatasetStatistics(); foreach (var t in texts) s.Add(t); }),
        };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# Stage micro-measure: {texts.Length:N0} corpus texts ({texts.Sum(t => (long)t.Length) / (double)texts.Length:F0} chars mean), best of {rounds} rounds, one thread; Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}"));
        Console.WriteLine("| Stage | CPU µs/record (best) | CPU µs/record (median) |");
        Console.WriteLine("|---|---:|---:|");
        double total = 0;
        using var process = Process.GetCurrentProcess();
        foreach (var (name, round) in stages)
        {
            if (only is not null && only != name) continue;
            round(); // JIT and tiering
            var times = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                // CPU time, not wall time: the machine is shared, and a descheduled round would count the wait.
                var cpu = process.TotalProcessorTime;
                round();
                process.Refresh();
                times[r] = (process.TotalProcessorTime - cpu).TotalMicroseconds / texts.Length;
            }
            Array.Sort(times);
            if (name != "minhash") total += times[0];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {times[0]:F1} | {times[rounds / 2]:F1} |"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Stages without import (minhash is part of near_dedup): {total:F1} µs/record ≈ {1e6 / total:N0} records/s."));
        return 0;
    }
}
