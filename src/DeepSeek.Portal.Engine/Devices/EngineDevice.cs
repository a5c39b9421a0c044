using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Devices;

/// <summary>Where the engine runs its tensors.</summary>
/// <param name="Kind">"cuda" or "cpu".</param>
/// <param name="Description">Human-readable summary, e.g. "CPU (2 threads, libtorch 2.10.0)".</param>
/// <param name="Threads">Intra-op CPU threads libtorch uses.</param>
public sealed record EngineDeviceInfo(string Kind, string Description, int Threads);

/// <summary>
/// The one place that chooses the compute device: CUDA when libtorch reports it available, otherwise the CPU.
/// Every other part of the engine places tensors through <see cref="Device"/>.
/// </summary>
/// <remarks>
/// Selection also fixes libtorch's intra-op CPU threads to one fewer than the logical processors (at least 1), or to
/// <see cref="ThreadsVariable"/> when set. Measured on the 2-core portal machine: with both cores given to libtorch,
/// a single other busy process (the web server, a build) made OpenMP barriers wait on preempted workers and a demo
/// training step went from ~0.12 s to 1.5–7 s; with one thread it stayed at ~0.17 s. Leaving a core to the rest of
/// the process trades a little peak speed for predictable throughput.
/// </remarks>
public static class EngineDevice
{
    /// <summary>Environment variable that overrides the intra-op CPU thread count (a positive integer).</summary>
    public const string ThreadsVariable = "DEEPSEEK_ENGINE_THREADS";

    private static readonly Lazy<(EngineDeviceInfo Info, Device Device)> Selected = new(Select);

    /// <summary>The selected device's description.</summary>
    public static EngineDeviceInfo Current => Selected.Value.Info;

    /// <summary>The selected torch device.</summary>
    public static Device Device => Selected.Value.Device;

    private static (EngineDeviceInfo, Device) Select()
    {
        string version = LibTorchVersion();
        int threads = CpuThreads();
        set_num_threads(threads);
        if (cuda.is_available())
        {
            int count = cuda.device_count();
            // TorchSharp exposes no device-name query, so the description names the backend and device count.
            return (new EngineDeviceInfo("cuda", $"CUDA GPU ×{count} (libtorch {version})", threads), CUDA);
        }
        return (new EngineDeviceInfo("cpu", $"CPU ({threads} {(threads == 1 ? "thread" : "threads")}, libtorch {version})", threads), CPU);
    }

    private static int CpuThreads()
    {
        var configured = Environment.GetEnvironmentVariable(ThreadsVariable);
        if (int.TryParse(configured, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 1)
            return n;
        return Math.Max(1, Environment.ProcessorCount - 1);
    }

    private static string LibTorchVersion()
    {
        // TorchSharp reports the libtorch version as four parts ("2.10.0.0").
        var parts = __version__.Split('.');
        return parts.Length > 3 ? string.Join('.', parts.Take(3)) : __version__;
    }
}
