namespace DeepSeek.Portal.Planning.Catalogue;

/// <summary>
/// One accelerator of the catalogue, with sourced figures. Fields whose figure no authoritative source states are
/// listed in <see cref="Uncertain"/> and shown marked; a figure not found at all is null.
/// </summary>
/// <param name="Id">Stable id (<c>a100-80</c>, <c>h200</c>, <c>ascend-910b</c>, <c>cpu</c>).</param>
/// <param name="Name">Display name.</param>
/// <param name="MemoryGB">Device memory in GB (10⁹ bytes) as the vendor states it.</param>
/// <param name="BandwidthGBps">Memory bandwidth in GB/s.</param>
/// <param name="Bf16Tflops">Dense BF16/FP16 tensor TFLOPS, if published.</param>
/// <param name="Fp8">Whether the hardware computes in FP8 (Hopper, Ada); without it FP8 checkpoints run as W8A16 at best.</param>
/// <param name="Int8Tops">Dense INT8 TOPS, if published.</param>
/// <param name="GpusPerNode">Devices in the usual server (8 for SXM boards, 1 for a Jetson module).</param>
/// <param name="Source">Where the figures come from.</param>
/// <param name="Uncertain">Names of the fields whose figures are third-party or conflicting (<c>BandwidthGBps</c>, …).</param>
public sealed record GpuSpec(
    string Id,
    string Name,
    double MemoryGB,
    double BandwidthGBps,
    double? Bf16Tflops,
    bool Fp8,
    double? Int8Tops,
    int GpusPerNode,
    string Source,
    IReadOnlyList<string> Uncertain);
