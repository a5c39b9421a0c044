using System.Diagnostics;
using System.Globalization;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Planning.Catalogue;

namespace DeepSeek.Portal.Planning.Planner;

/// <summary>Planner settings (<c>Portal:Planner</c>).</summary>
public sealed class PlannerOptions
{
    public const string Section = "Portal:Planner";

    /// <summary>
    /// This machine's memory bandwidth in GB/s for the <c>cpu</c> device. Unset: measured once per process with a
    /// short copy (which reads the bandwidth one core sees, usually below what all cores reach together).
    /// </summary>
    public double? CpuBandwidthGBps { get; set; }

    /// <summary>The largest training bundle (zip) the portal writes, in bytes; default 1 GiB.</summary>
    public long MaxBundleBytes { get; set; } = 1L << 30;
}

/// <summary>
/// This machine as a planner device: the memory the runtime may use (<see cref="TrainingFootprint.AvailableMemoryBytes"/>)
/// and a bandwidth that is configured or measured, the source saying which. Measured once and kept for the process.
/// </summary>
public sealed class CpuDevice(Microsoft.Extensions.Options.IOptions<PlannerOptions> options)
{
    /// <summary>Bytes per copy pass: far beyond any cache, small enough to allocate on a busy machine.</summary>
    internal const int CopyBytes = 128 << 20;
    internal const int Passes = 3;

    private readonly Lazy<(double GBps, string Source)> _bandwidth = new(() => Bandwidth(options.Value.CpuBandwidthGBps));

    /// <summary><c>configured</c> or <c>measured</c>.</summary>
    public string BandwidthSource => _bandwidth.Value.Source.StartsWith("configured", StringComparison.Ordinal) ? "configured" : "measured";

    /// <summary>The device, id <c>cpu</c>.</summary>
    public GpuSpec Spec()
    {
        var (gbps, source) = _bandwidth.Value;
        var memoryGB = TrainingFootprint.AvailableMemoryBytes() / 1e9;
        return GpuCatalogue.Cpu(Math.Round(memoryGB, 2), Math.Round(gbps, 2),
            string.Create(CultureInfo.InvariantCulture, $"memory: what the runtime may use on this machine ({memoryGB:0.##} GB); bandwidth: {source}"));
    }

    private static (double, string) Bandwidth(double? configured)
    {
        if (configured is > 0)
            return (configured.Value, string.Create(CultureInfo.InvariantCulture, $"configured (Portal:Planner:CpuBandwidthGBps = {configured.Value:0.##} GB/s)"));
        var gbps = MeasureCopy();
        return (gbps, string.Create(CultureInfo.InvariantCulture,
            $"measured: best of {Passes} copies of {CopyBytes >> 20} MiB on one thread, read + write bytes ÷ time = {gbps:0.##} GB/s (set Portal:Planner:CpuBandwidthGBps to override)"));
    }

    /// <summary>Best of a few single-threaded copies, counting bytes read and written (STREAM's Copy convention).</summary>
    internal static double MeasureCopy()
    {
        var source = GC.AllocateUninitializedArray<byte>(CopyBytes);
        var target = GC.AllocateUninitializedArray<byte>(CopyBytes);
        // Touch every page first so the timing is the copy, not page faults.
        source.AsSpan().Fill(1);
        target.AsSpan().Clear();
        var best = double.MaxValue;
        for (var pass = 0; pass < Passes; pass++)
        {
            var watch = Stopwatch.StartNew();
            source.AsSpan().CopyTo(target);
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return 2.0 * CopyBytes / Math.Max(best, 1e-9) / 1e9;
    }
}
