using DeepSeek.Portal.Engine.Models;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>Everything a training run needs.</summary>
/// <param name="Options">Hyper-parameters.</param>
/// <param name="TrainTexts">Documents to train the tokenizer and the model on.</param>
/// <param name="HeldOutTexts">Documents evaluated after training (may be empty).</param>
/// <param name="OutputDirectory">Folder for the tokenizer and checkpoints; an earlier interrupted attempt's checkpoint there is resumed.</param>
public sealed record TrainingRequest(TrainingOptions Options, IReadOnlyList<string> TrainTexts, IReadOnlyList<string> HeldOutTexts, string OutputDirectory)
{
    /// <summary>
    /// Architecture to train; <c>null</c> → <see cref="DeepSeekConfig.Tiny"/> sized to the trained tokenizer.
    /// A <see cref="DeepSeekConfig.VocabSize"/> of 0 is replaced by the tokenizer's vocabulary size.
    /// </summary>
    public DeepSeekConfig? Model { get; init; }
}
