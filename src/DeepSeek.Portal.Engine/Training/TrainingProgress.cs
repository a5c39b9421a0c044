namespace DeepSeek.Portal.Engine.Training;

/// <summary>Snapshot after an optimizer step.</summary>
/// <param name="Step">Optimizer steps completed (counting steps from an earlier, resumed attempt).</param>
/// <param name="TotalSteps">Steps the run will take in total.</param>
/// <param name="Loss">Mean language-model cross-entropy of the step's micro-batches (nats/token, without the MoE balance loss).</param>
/// <param name="LearningRate">Learning rate used for this step.</param>
/// <param name="TokensPerSecond">Smoothed training throughput (tokens per step ÷ step wall time).</param>
/// <param name="GradNorm">Global gradient L2 norm before clipping.</param>
/// <param name="Elapsed">Training wall time so far, including earlier attempts of a resumed run.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate, double TokensPerSecond, double GradNorm, TimeSpan Elapsed)
{
    /// <summary>Parameters of the model being trained (embeddings and all experts included), so it can be shown while the run is on.</summary>
    public long ParameterCount { get; init; }

    /// <summary>MoE balance loss of the step (already weighted by α).</summary>
    public double AuxLoss { get; init; }

    /// <summary>Per-source weight, probability and loss of a mixture run (in the mixture's source order); <c>null</c> without a mixture.</summary>
    public IReadOnlyList<Mixing.SourceProgress>? Sources { get; init; }

    /// <summary>Held-out loss after this step when <see cref="TrainingRequest.EvaluateHeldOutEvery"/> asked for one here; otherwise <c>null</c>.</summary>
    public double? HeldOutLoss { get; init; }

    /// <summary>fp16 runs: the loss scale after this step (halved when the step overflowed); <c>null</c> otherwise.</summary>
    public double? LossScale { get; init; }

    /// <summary>Whether this step's gradients overflowed (fp16) so the update was skipped; <see cref="GradNorm"/> is then 0.</summary>
    public bool StepSkipped { get; init; }

    /// <summary>The process's resident set after this step (bytes; <c>/proc/self/status</c> VmRSS); <c>null</c> where it cannot be read.</summary>
    public long? ResidentBytes { get; init; }

    /// <summary>
    /// The highest resident set of the process since this attempt began (bytes; VmHWM, reset at the start of the
    /// attempt), so transient activations inside a step count; <c>null</c> where it cannot be read.
    /// </summary>
    public long? PeakResidentBytes { get; init; }

    /// <summary>Share of the run done, 0–100.</summary>
    public double Percent => TotalSteps <= 0 ? 0 : 100.0 * Step / TotalSteps;

    /// <summary>Remaining time at the average pace so far; <c>null</c> before the first step.</summary>
    public TimeSpan? Eta => Step <= 0 ? null : TimeSpan.FromTicks(Elapsed.Ticks / Step * Math.Max(0, TotalSteps - Step));
}
