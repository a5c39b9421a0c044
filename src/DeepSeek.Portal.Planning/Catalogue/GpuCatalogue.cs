namespace DeepSeek.Portal.Planning.Catalogue;

/// <summary>The accelerators the planner knows (A100 40/80, H100, H200, H20, L40S, RTX 4090, Jetson AGX Orin 64 GB, Ascend 910B).</summary>
public static class GpuCatalogue
{
    /// <summary>Every entry, sourced; uncertain figures are marked in <see cref="GpuSpec.Uncertain"/>.</summary>
    /// <remarks>
    /// Memory in GB (10⁹ B) as vendors state it; bandwidth in GB/s; compute dense (the sparse figure is twice). Sources as
    /// collected in the project reference (shared/reference/planning-and-compression.md §3). The H20 has no official
    /// datasheet and the Ascend 910B no authoritative one: their figures are third-party and listed in
    /// <see cref="GpuSpec.Uncertain"/>; for the 910B's bandwidth, where third-party figures range from about 400 GB/s to
    /// 1.6 TB/s, the catalogue takes 1.6 TB/s (what four HBM2e stacks of the reported 64 GB deliver) and says so.
    /// </remarks>
    public static IReadOnlyList<GpuSpec> All { get; } =
    [
        new("a100-40", "NVIDIA A100 SXM 40GB", 40, 1555, 312, false, 624, 8,
            "NVIDIA A100 datasheet (via glennklockwood): 40 GB HBM2, 1.555 TB/s, BF16 312 (624 sparse), INT8 624 TOPS; no FP8 (vLLM runs FP8 checkpoints as W8A16 Marlin)", []),
        new("a100-80", "NVIDIA A100 SXM 80GB", 80, 2039, 312, false, 624, 8,
            "NVIDIA A100 datasheet (via glennklockwood): 80 GB HBM2e, 2.039 TB/s, BF16 312 (624 sparse), INT8 624 TOPS; no FP8 (vLLM runs FP8 checkpoints as W8A16 Marlin)", []),
        new("h100-sxm", "NVIDIA H100 SXM 80GB", 80, 3350, 989, true, 1979, 8,
            "NVIDIA H100 specification (hpctech copy): 80 GB HBM3, 3.35 TB/s, BF16 989 (1979 sparse), FP8 1979, INT8 1979 TOPS, 700 W", []),
        new("h200", "NVIDIA H200 141GB", 141, 4800, 989, true, 1979, 8,
            "NVIDIA H200 specification copies: 141 GB HBM3e, 4.8 TB/s, compute as H100 SXM, 700 W", []),
        new("h20", "NVIDIA H20 96GB", 96, 4000, 148, true, 296, 8,
            "No official datasheet: third-party figures (96 GB HBM3, 4.0 TB/s, BF16 148 TFLOPS, INT8 296 TOPS, 400 W); Hopper, so FP8 (TFLOPS not found)",
            ["MemoryGB", "BandwidthGBps", "Bf16Tflops", "Int8Tops"]),
        new("l40s", "NVIDIA L40S 48GB", 48, 864, 362.05, true, null, 8,
            "L40S datasheet copies: 48 GB GDDR6, 864 GB/s, BF16 362.05 (733 sparse), FP8 733 (1466 sparse), 350 W; INT8 TOPS not found; PCIe, no NVLink", []),
        new("rtx-4090", "NVIDIA GeForce RTX 4090 24GB", 24, 1008, 165.2, true, 660.6, 8,
            "Ada whitepaper Appendix A (v2.02): 24 GB GDDR6X, 1008 GB/s, BF16 165.2 with FP32 accumulate (330.4 sparse), FP8 330.3 (FP32 acc) / 660.6 (FP16 acc), INT8 660.6 TOPS; PCIe only, no NVLink (8 per server assumed)", []),
        new("jetson-agx-orin-64", "NVIDIA Jetson AGX Orin 64GB", 64, 204.8, null, false, null, 1,
            "Jetson AGX Orin docs: 64 GB LPDDR5 (256-bit) shared by CPU and GPU, 204.8 GB/s, 15–60 W; Ampere, no FP8; BF16 TFLOPS not found; the published 275 INT8 TOPS is sparse and for the whole module (GPU + DLA), so no dense figure is given", []),
        new("ascend-910b", "Huawei Ascend 910B 64GB", 64, 1600, 320, false, 512, 8,
            "No authoritative datasheet; reported: 64 GB HBM2e, FP16 ~256–320 TFLOPS (320 taken), INT8 ~512 TOPS; bandwidth figures conflict (about 400 GB/s to 1.6 TB/s): 1.6 TB/s taken; no FP8 (DeepSeek README names INT8 and BF16 for Ascend)",
            ["MemoryGB", "BandwidthGBps", "Bf16Tflops", "Int8Tops"]),
    ];

    /// <summary>The entry with <paramref name="id"/> (case-insensitive), or null.</summary>
    public static GpuSpec? Find(string id) => All.FirstOrDefault(g => string.Equals(g.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>This machine's CPU and memory as a device (id <c>cpu</c>): its memory and a measured or configured bandwidth.</summary>
    public static GpuSpec Cpu(double memoryGB, double bandwidthGBps, string source) =>
        new("cpu", "CPU (this machine)", memoryGB, bandwidthGBps, null, false, null, 1, source, []);
}
