using System.Diagnostics;
using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Bench;

/// <summary>Square matmul throughput, the roofline that MFU is measured against.</summary>
internal static class MatmulBench
{
    private const int Warmup = 2;
    private const int MinTrials = 5;
    private const int MaxTrials = 50;
    // The machine is shared: keep timing until this much time has been spent, so a burst of other load is outlasted.
    private const double MinSeconds = 0.5;

    public static IReadOnlyList<MatmulResult> Run(int[] sizes, int threads)
    {
        var results = new List<MatmulResult>();
        int previous = get_num_threads();
        set_num_threads(threads);
        foreach (var (name, type) in new[] { ("fp32", ScalarType.Float32), ("bf16", ScalarType.BFloat16) })
        {
            foreach (int n in sizes)
            {
                using var scope = NewDisposeScope();
                var a = randn(n, n).to(type);
                var b = randn(n, n).to(type);
                for (int i = 0; i < Warmup; i++) a.matmul(b).Dispose();
                double best = double.MaxValue;
                var spent = Stopwatch.StartNew();
                for (int i = 0; i < MaxTrials && (i < MinTrials || spent.Elapsed.TotalSeconds < MinSeconds); i++)
                {
                    var clock = Stopwatch.StartNew();
                    using var c = a.matmul(b);
                    best = Math.Min(best, clock.Elapsed.TotalSeconds);
                }
                results.Add(new MatmulResult(name, n, threads, best, 2.0 * n * n * n / best / 1e9));
            }
        }
        set_num_threads(previous);
        return results;
    }

    public static string Markdown(IReadOnlyList<MatmulResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| matmul | n | threads | best time (ms) | GFLOP/s |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var r in results)
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Precision} | {r.Size} | {r.Threads} | {r.BestSeconds * 1000:F1} | {r.GflopsPerSecond:F1} |"));
        return text.ToString();
    }
}
