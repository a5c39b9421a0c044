namespace DeepSeek.Portal.Planning.Catalogue;

/// <summary>The accelerators the planner knows (A100 40/80, H100, H200, H20, L40S, RTX 4090, Jetson AGX Orin 64 GB, Ascend 910B).</summary>
public static class GpuCatalogue
{
    /// <summary>Every entry, sourced; uncertain figures are marked in <see cref="GpuSpec.Uncertain"/>.</summary>
    public static IReadOnlyList<GpuSpec> All => throw new NotImplementedException("contract: filled by the planner core");

    /// <summary>The entry with <paramref name="id"/> (case-insensitive), or null.</summary>
    public static GpuSpec? Find(string id) => All.FirstOrDefault(g => string.Equals(g.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>This machine's CPU and memory as a device (id <c>cpu</c>): its memory and a measured or configured bandwidth.</summary>
    public static GpuSpec Cpu(double memoryGB, double bandwidthGBps, string source) =>
        new("cpu", "CPU (this machine)", memoryGB, bandwidthGBps, null, false, null, 1, source, []);
}
