using DeepSeek.Portal.Engine.Models;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>Everything a training run needs.</summary>
/// <param name="Options">Hyper-parameters.</param>
/// <param name="TrainTexts">Documents to train the tokenizer and the model on (empty when <see cref="Mixture"/> is given).</param>
/// <param name="HeldOutTexts">Documents evaluated after training (may be empty).</param>
/// <param name="OutputDirectory">Folder for the tokenizer and checkpoints; an earlier interrupted attempt's checkpoint there is resumed.</param>
public sealed record TrainingRequest(TrainingOptions Options, IReadOnlyList<string> TrainTexts, IReadOnlyList<string> HeldOutTexts, string OutputDirectory)
{
    /// <summary>
    /// Architecture to train, of any family (<see cref="DeepSeekConfig"/>, <see cref="LlamaConfig"/>); <c>null</c> →
    /// <see cref="DeepSeekConfig.Tiny"/> sized to the trained tokenizer.
    /// A <see cref="ModelConfig.VocabSize"/> of 0 is replaced by the tokenizer's vocabulary size.
    /// Must be <c>null</c> when <see cref="BaseModel"/> is set.
    /// </summary>
    public ModelConfig? Model { get; init; }

    /// <summary>
    /// Fine-tune: the folder of a Hugging Face model (config.json, model.safetensors or a sharded index, tokenizer.json)
    /// to start from (<see cref="BaseModelFolder"/>). Its config is the architecture, its tokenizer is used as it is
    /// (so <see cref="TrainingOptions.TokenizerVocabSize"/> must be left unset) and its weights are loaded before LoRA
    /// is applied. The base's identity is part of the resume fingerprint. <c>null</c>: train from a fresh config.
    /// </summary>
    public string? BaseModel { get; init; }

    /// <summary>
    /// Train through a mixture of named sources instead of <see cref="TrainTexts"/> (which must then be empty); the
    /// tokenizer is trained on all sources' texts. <c>null</c>: all training texts packed together, as before.
    /// </summary>
    public Mixing.TrainingMixture? Mixture { get; init; }

    /// <summary>
    /// Evaluate the held-out texts every this many optimizer steps and report it in
    /// <see cref="TrainingProgress.HeldOutLoss"/> (costs a held-out pass each time); <c>null</c>: only at the end.
    /// Evaluation has no randomness, so it does not change the training trajectory.
    /// </summary>
    public int? EvaluateHeldOutEvery { get; init; }

    /// <summary>
    /// Chat/SFT examples trained on their responses only, packed together with <see cref="TrainTexts"/> (which are
    /// trained as plain causal LM, every token a target). <c>null</c> or empty: plain texts only. Not combinable with
    /// a <see cref="Mixture"/>.
    /// </summary>
    public IReadOnlyList<SupervisedExample>? SupervisedExamples { get; init; }

    /// <summary>
    /// How <see cref="SupervisedExamples"/> become tokens; <c>null</c>: <see cref="Training.SupervisedLayout.Plain"/>, the
    /// layout for the portal's own tokenizer. Fine-tuning a registered model family passes
    /// <see cref="Training.SupervisedLayout.ForTemplate"/> with its chat template, so it learns in the format it is prompted in.
    /// </summary>
    public SupervisedLayout? SupervisedLayout { get; init; }
}
