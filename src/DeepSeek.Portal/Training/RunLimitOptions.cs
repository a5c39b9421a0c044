using System.ComponentModel.DataAnnotations;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Training;

/// <summary>
/// The "Portal:RunLimits" settings: how much one training run may ask of this machine. A launch whose estimated
/// footprint (<see cref="TrainingFootprint"/>) exceeds them is refused with the estimate and the limit.
/// </summary>
public sealed class RunLimitOptions
{
    /// <summary>
    /// Memory one run may use, in bytes. Unset: what the runtime may use on this machine (physical memory, or the
    /// container's limit). Set it lower to keep room for other work, or to the GPU's memory on a CUDA machine.
    /// </summary>
    [Range(1L << 20, long.MaxValue)]
    public long? MaxMemoryBytes { get; set; }

    /// <summary>Tokens one optimizer step may process (micro-batch × accumulation × sequence length).</summary>
    [Range(1, long.MaxValue)]
    public long MaxTokensPerStep { get; set; } = TrainingFootprint.DefaultMaxTokensPerStep;

    /// <summary>The memory limit in force: the configured one, or what this machine can hold.</summary>
    public long EffectiveMaxMemoryBytes => MaxMemoryBytes ?? TrainingFootprint.AvailableMemoryBytes();
}
