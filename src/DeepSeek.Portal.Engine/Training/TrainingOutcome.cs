namespace DeepSeek.Portal.Engine.Training;

/// <summary>Result of <see cref="Trainer.RunAsync"/>.</summary>
/// <param name="StepsCompleted">Optimizer steps completed in total (including a resumed attempt's earlier steps).</param>
/// <param name="Cancelled">Whether the run stopped early because cancellation was requested.</param>
/// <param name="HeldOutLoss">Mean cross-entropy (nats/token) on the held-out texts; <c>null</c> when cancelled or none were given.</param>
/// <param name="HeldOutPerplexity"><c>exp(HeldOutLoss)</c>.</param>
/// <param name="CheckpointDirectory">Folder of the last checkpoint written (model.safetensors, config.json, tokenizer.json, …).</param>
/// <param name="ParameterCount">Total parameters, embeddings and all experts included.</param>
/// <param name="Device">Description of the device used.</param>
/// <param name="TokensPerSecond">Average training throughput of this attempt (tokens ÷ optimizer-step wall time).</param>
/// <param name="ModelFlopsPerToken">Training FLOPs per token (see <see cref="Models.ModelFlops.TrainingFlopsPerToken"/>).</param>
public sealed record TrainingOutcome(
    int StepsCompleted,
    bool Cancelled,
    double? HeldOutLoss,
    double? HeldOutPerplexity,
    string? CheckpointDirectory,
    long ParameterCount,
    string Device,
    double TokensPerSecond,
    double ModelFlopsPerToken)
{
    /// <summary>LoRA runs: the folder holding the adapter in PEFT format (<c>adapter_config.json</c>, <c>adapter_model.safetensors</c>); otherwise <c>null</c>.</summary>
    public string? AdapterDirectory { get; init; }

    /// <summary>The process's peak resident set during this attempt, held-out evaluation included (bytes); <c>null</c> where it cannot be read.</summary>
    public long? PeakResidentBytes { get; init; }
}
