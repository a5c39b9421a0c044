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
public static class EngineDevice
{
    private static readonly Lazy<(EngineDeviceInfo Info, Device Device)> Selected = new(Select);

    /// <summary>The selected device's description.</summary>
    public static EngineDeviceInfo Current => Selected.Value.Info;

    /// <summary>The selected torch device.</summary>
    public static Device Device => Selected.Value.Device;

    private static (EngineDeviceInfo, Device) Select()
    {
        string version = LibTorchVersion();
        int threads = get_num_threads();
        if (cuda.is_available())
        {
            int count = cuda.device_count();
            // TorchSharp exposes no device-name query, so the description names the backend and device count.
            return (new EngineDeviceInfo("cuda", $"CUDA GPU ×{count} (libtorch {version})", threads), CUDA);
        }
        return (new EngineDeviceInfo("cpu", $"CPU ({threads} threads, libtorch {version})", threads), CPU);
    }

    private static string LibTorchVersion()
    {
        // TorchSharp reports the libtorch version as four parts ("2.10.0.0").
        var parts = __version__.Split('.');
        return parts.Length > 3 ? string.Join('.', parts.Take(3)) : __version__;
    }
}
