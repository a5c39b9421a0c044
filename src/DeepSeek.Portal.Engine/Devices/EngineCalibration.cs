using System.Diagnostics;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Devices;

/// <summary>The measured matmul rate at one intra-op thread count.</summary>
/// <param name="Threads">Intra-op threads libtorch used.</param>
/// <param name="Gflops">Median rate of the timed repetitions (GFLOP/s).</param>
/// <param name="SlowestGflops">Rate of the slowest repetition (GFLOP/s): where another busy process preempts a worker, this is what falls.</param>
public sealed record ThreadRate(int Threads, double Gflops, double SlowestGflops);

/// <summary>The measured matmul rate of one precision against fp32 on the engine's device.</summary>
/// <param name="Precision">"fp32", "bf16" or "fp16".</param>
/// <param name="Gflops">Median rate (GFLOP/s); 0 when the device has no kernel for it.</param>
/// <param name="RatioToFp32">Rate ÷ fp32's rate: below 1 the precision is slower than fp32 on this host.</param>
public sealed record PrecisionRate(string Precision, double Gflops, double RatioToFp32);

/// <summary>
/// Short matmul measurements taken once, when the engine first selects its device: the rate at each candidate CPU
/// thread count (to choose the count) and the rate of bf16 and fp16 against fp32 (to warn where a lower precision is
/// slower than fp32 — on some CPUs of the portal machine's kind bf16 matmuls run at about 0.6× fp32, on others 4×).
/// </summary>
/// <remarks>
/// Each rate is the median of a few repetitions after a warm-up, bounded in time so that the whole calibration stays
/// well under a second even where a precision has no fast kernel. The matmul is training-shaped: a micro-batch of
/// 8 × 64 tokens through a 512-wide projection.
/// </remarks>
public static class EngineCalibration
{
    /// <summary>Rows of the measured matmul: the tokens of a default micro-batch (8 sequences × 64).</summary>
    public const int Rows = 512;

    /// <summary>Inner and output width of the measured matmul.</summary>
    public const int Width = 512;

    /// <summary>Width of the precision measurement (smaller: fp16 without a fast CPU kernel was measured ~70× slower than fp32 here).</summary>
    public const int PrecisionWidth = 128;

    /// <summary>A thread count above another is chosen only when its median and slowest repetition are both this much faster.</summary>
    public const double RequiredGain = 1.25;

    private const int Repetitions = 5;
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(60);

    /// <summary>Measures the matmul rate at 1 … <paramref name="maxThreads"/> intra-op threads (on the CPU).</summary>
    public static IReadOnlyList<ThreadRate> MeasureThreads(int maxThreads)
    {
        var rates = new List<ThreadRate>();
        using var scope = NewDisposeScope();
        var a = randn(Rows, Width);
        var b = randn(Width, Width);
        double flops = 2.0 * Rows * Width * Width;
        for (int threads = 1; threads <= maxThreads; threads++)
        {
            set_num_threads(threads);
            var seconds = Time(() => matmul(a, b).Dispose(), null);
            rates.Add(new ThreadRate(threads, flops / Median(seconds) / 1e9, flops / seconds.Max() / 1e9));
        }
        return rates;
    }

    /// <summary>
    /// The thread count to use: starting from one thread, a larger count replaces the current choice only when both its
    /// median and its slowest repetition are at least <see cref="RequiredGain"/> times the current choice's. The
    /// slowest repetition keeps a count whose OpenMP barriers already wait on preempted workers from winning on its
    /// lucky repetitions; the median keeps one lucky or unlucky repetition from deciding alone; the margin keeps a core
    /// for the web server unless giving it to libtorch clearly pays.
    /// </summary>
    public static int ChooseThreads(IReadOnlyList<ThreadRate> rates)
    {
        if (rates.Count == 0) return 1;
        var best = rates.OrderBy(r => r.Threads).First();
        foreach (var rate in rates.OrderBy(r => r.Threads).Skip(1))
        {
            if (rate.Gflops >= best.Gflops * RequiredGain && rate.SlowestGflops >= best.SlowestGflops * RequiredGain)
                best = rate;
        }
        return best.Threads;
    }

    /// <summary>
    /// Measures fp32, bf16 and fp16 matmul rates on <paramref name="device"/> at the current thread count. The
    /// precisions take turns, repetition by repetition, so that a burst of load from another process slows all of
    /// them alike instead of skewing one ratio.
    /// </summary>
    public static IReadOnlyList<PrecisionRate> MeasurePrecisions(Device device)
    {
        using var scope = NewDisposeScope();
        double flops = 2.0 * Rows * PrecisionWidth * PrecisionWidth;
        Action? synchronize = device.type == TorchSharp.DeviceType.CUDA ? () => cuda.synchronize() : null;
        var names = new[] { "fp32", "bf16", "fp16" };
        var work = new Dictionary<string, Action>();
        foreach (var (name, dtype) in names.Zip(new[] { ScalarType.Float32, ScalarType.BFloat16, ScalarType.Float16 }))
        {
            try
            {
                var a = randn(Rows, PrecisionWidth).to(dtype).to(device);
                var b = randn(PrecisionWidth, PrecisionWidth).to(dtype).to(device);
                Action run = () => matmul(a, b).Dispose();
                run(); // warm-up (and the check that the device has a kernel for this dtype)
                synchronize?.Invoke();
                work[name] = run;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A device without a kernel for this dtype: reported as rate 0 rather than failing the device selection.
            }
        }
        var seconds = work.Keys.ToDictionary(k => k, _ => new List<double>());
        var total = Stopwatch.StartNew();
        for (int round = 0; round < Repetitions && (round == 0 || total.Elapsed < Budget); round++)
        {
            foreach (var (name, run) in work)
            {
                var clock = Stopwatch.StartNew();
                run();
                synchronize?.Invoke();
                seconds[name].Add(Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
            }
        }
        var gflops = names.ToDictionary(n => n, n => seconds.TryGetValue(n, out var s) ? flops / Median([.. s]) / 1e9 : 0);
        double fp32 = gflops["fp32"];
        return names.Select(n => new PrecisionRate(n, gflops[n], fp32 > 0 ? gflops[n] / fp32 : 0)).ToList();
    }

    // One warm-up, then up to Repetitions timed runs while within the budget (at least one).
    private static double[] Time(Action work, Action? synchronize)
    {
        work();
        synchronize?.Invoke();
        var seconds = new List<double>();
        var total = Stopwatch.StartNew();
        while (seconds.Count < Repetitions && (seconds.Count == 0 || total.Elapsed < Budget))
        {
            var clock = Stopwatch.StartNew();
            work();
            synchronize?.Invoke();
            seconds.Add(Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
        }
        return [.. seconds];
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
