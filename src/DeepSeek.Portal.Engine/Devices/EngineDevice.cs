using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Devices;

/// <summary>Where the engine runs its tensors.</summary>
/// <param name="Kind">"cuda" or "cpu".</param>
/// <param name="Description">Human-readable summary, e.g. "CPU (2 threads, libtorch 2.10.0)".</param>
/// <param name="Threads">Intra-op CPU threads libtorch uses.</param>
public sealed record EngineDeviceInfo(string Kind, string Description, int Threads)
{
    /// <summary>How <see cref="Threads"/> was chosen: "measured" (the fastest steady count) or "variable" (<see cref="EngineDevice.ThreadsVariable"/>).</summary>
    public string ThreadSource { get; init; } = EngineDevice.MeasuredSource;

    /// <summary>Why this thread count, in a sentence (English; pages build their own text from the rates).</summary>
    public string ThreadReason { get; init; } = "";

    /// <summary>The measured matmul rate at each candidate thread count (1 … logical processors).</summary>
    public IReadOnlyList<ThreadRate> ThreadRates { get; init; } = [];

    /// <summary>The measured fp32, bf16 and fp16 matmul rates on this device, each against fp32.</summary>
    public IReadOnlyList<PrecisionRate> PrecisionRates { get; init; } = [];

    /// <summary>Wall time of the whole calibration (seconds).</summary>
    public double CalibrationSeconds { get; init; }

    /// <summary>The measured rate of a precision ("bf16") against fp32; <see langword="null"/> when it was not measured.</summary>
    public double? RatioToFp32(string precision) =>
        PrecisionRates.FirstOrDefault(p => string.Equals(p.Precision, precision, StringComparison.OrdinalIgnoreCase)) is { RatioToFp32: > 0 } rate ? rate.RatioToFp32 : null;
}

/// <summary>
/// The one place that chooses the compute device: CUDA when libtorch reports it available, otherwise the CPU.
/// Every other part of the engine places tensors through <see cref="Device"/>.
/// </summary>
/// <remarks>
/// <para>Selection also fixes libtorch's intra-op CPU threads, by measurement (<see cref="EngineCalibration"/>): a
/// training-shaped matmul is timed at 1 … logical-processor threads and a larger count is taken only when its median
/// and its slowest repetition are both clearly faster (<see cref="EngineCalibration.ChooseThreads"/>). <see cref="ThreadsVariable"/>, when
/// set, overrides the choice (the rates are still measured and shown). Why the slowest repetition: on the 2-core
/// portal machine, with both cores given to libtorch, a single other busy process (the web server, a build) made
/// OpenMP barriers wait on preempted workers and a demo training step went from ~0.12 s to 1.5–7 s; with one thread it
/// stayed at ~0.17 s. A count that already stalls while being measured loses; one that doubles the rate wins.</para>
/// <para>The calibration runs on a short-lived thread of its own, so that no long-lived thread of the process keeps an
/// OpenMP team because of it, and it also measures bf16 and fp16 against fp32 for the launch form's warning.</para>
/// </remarks>
public static class EngineDevice
{
    /// <summary>Environment variable that overrides the intra-op CPU thread count (a positive integer).</summary>
    public const string ThreadsVariable = "DEEPSEEK_ENGINE_THREADS";

    /// <summary><see cref="EngineDeviceInfo.ThreadSource"/> of a count chosen by measurement.</summary>
    public const string MeasuredSource = "measured";

    /// <summary><see cref="EngineDeviceInfo.ThreadSource"/> of a count set through <see cref="ThreadsVariable"/>.</summary>
    public const string VariableSource = "variable";

    private static readonly Lazy<(EngineDeviceInfo Info, Device Device)> Selected = new(SelectOnOwnThread);

    /// <summary>The selected device's description.</summary>
    public static EngineDeviceInfo Current => Selected.Value.Info;

    /// <summary>The selected torch device.</summary>
    public static Device Device => Selected.Value.Device;

    private static (EngineDeviceInfo, Device) SelectOnOwnThread() => OnShortLivedThread("engine-calibration", Select);

    /// <summary>
    /// Runs torch work to completion on a thread of its own and returns its result (its exception rethrown here):
    /// torch work on a long-lived thread (a request or timer thread) would leave that thread an OpenMP team.
    /// </summary>
    public static T OnShortLivedThread<T>(string name, Func<T> work)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try { result = work(); }
            catch (Exception e) { failure = ExceptionDispatchInfo.Capture(e); }
        }) { Name = name, IsBackground = true };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    private static (EngineDeviceInfo, Device) Select()
    {
        string version = LibTorchVersion(); // loads libtorch (seconds on a cold start), so it is not part of the calibration time
        var clock = Stopwatch.StartNew();
        var rates = EngineCalibration.MeasureThreads(Math.Max(1, Environment.ProcessorCount));
        int measured = EngineCalibration.ChooseThreads(rates);
        int? configured = ConfiguredThreads();
        int threads = configured ?? measured;
        set_num_threads(threads);
        string reason = configured is not null
            ? $"{threads} set by {ThreadsVariable} (the measurement would choose {measured})."
            : Reason(rates, measured);

        bool isCuda = cuda.is_available();
        var device = isCuda ? CUDA : CPU;
        var precisions = EngineCalibration.MeasurePrecisions(device);
        // TorchSharp exposes no device-name query, so a GPU's description names the backend and device count.
        var info = isCuda
            ? new EngineDeviceInfo("cuda", $"CUDA GPU ×{cuda.device_count()} (libtorch {version})", threads)
            : new EngineDeviceInfo("cpu", $"CPU ({threads} {(threads == 1 ? "thread" : "threads")}, libtorch {version})", threads);
        return (info with
        {
            ThreadSource = configured is null ? MeasuredSource : VariableSource,
            ThreadReason = reason,
            ThreadRates = rates,
            PrecisionRates = precisions,
            CalibrationSeconds = clock.Elapsed.TotalSeconds,
        }, device);
    }

    private static string Reason(IReadOnlyList<ThreadRate> rates, int chosen)
    {
        var c = CultureInfo.InvariantCulture;
        string Rates(ThreadRate r) => string.Format(c, "{0}: {1:F0} median / {2:F0} slowest", r.Threads, r.Gflops, r.SlowestGflops);
        var all = string.Join("; ", rates.Select(Rates)) + " GFLOP/s";
        if (rates.Count == 1)
            return string.Format(c, "1 thread: the only logical processor ({0}).", all);
        return chosen == 1
            ? string.Format(c, "1 thread: no larger count was {0:0.##}× as fast in both its median and its slowest repetition ({1}).", EngineCalibration.RequiredGain, all)
            : string.Format(c, "{0} threads: at least {1:0.##}× as fast as fewer threads in both median and slowest repetition ({2}).", chosen, EngineCalibration.RequiredGain, all);
    }

    private static int? ConfiguredThreads()
    {
        var configured = Environment.GetEnvironmentVariable(ThreadsVariable);
        return int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n : null;
    }

    private static string LibTorchVersion()
    {
        // TorchSharp reports the libtorch version as four parts ("2.10.0.0").
        var parts = __version__.Split('.');
        return parts.Length > 3 ? string.Join('.', parts.Take(3)) : __version__;
    }
}
