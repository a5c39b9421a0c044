namespace DeepSeek.Portal.Engine.Training;

/// <summary>Hyper-parameters of one training run. Defaults train the demo model visibly within a minute on two CPU cores.</summary>
public sealed record TrainingOptions
{
    /// <summary>Sequences per forward/backward pass.</summary>
    public int MicroBatchSize { get; init; } = 8;

    /// <summary>Micro-batches accumulated per optimizer step (effective batch = 8 × 4 = 32 by default).</summary>
    public int GradientAccumulationSteps { get; init; } = 4;

    /// <summary>Peak AdamW learning rate (after warm-up; cosine or linear decay to 10 % of it, see <see cref="LearningRateDecay"/>).</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>How the rate falls after warm-up: cosine (default) or linear, to 10 % of the peak at the last step.</summary>
    public LearningRateDecay LearningRateDecay { get; init; } = LearningRateDecay.Cosine;

    /// <summary>Optimizer steps to run.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>
    /// fp32; bf16 (fp32 master weights, forward and backward activations in bf16); or fp16 (fp32 master weights,
    /// fp16 activations, dynamic loss scaling — see <see cref="InitialLossScale"/>).
    /// </summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;

    /// <summary>Seed of weight initialisation and data order.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Steps of linear learning-rate warm-up.</summary>
    public int WarmupSteps { get; init; } = 20;

    /// <summary>Tokens per training sequence.</summary>
    public int SequenceLength { get; init; } = 64;

    /// <summary>AdamW decoupled weight decay, applied to matrices only (not to norm weights).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Global gradient-norm clip.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Optimizer steps between checkpoints (a checkpoint is also written at the end and on cancellation).</summary>
    public int CheckpointEvery { get; init; } = 50;

    /// <summary>
    /// Upper bound on the vocabulary of the tokenizer trained from the run's texts; null picks one that suits the
    /// data (<see cref="Tokenization.ByteLevelBpeTraining.DefaultVocabSize"/>: Chinese-heavy data gets more than
    /// 2,048 because each CJK character needs its own merges).
    /// </summary>
    public int? TokenizerVocabSize { get; init; }

    /// <summary>
    /// fp16 only: the loss scale the run starts with (PyTorch GradScaler's default 2^16). A step whose gradients
    /// overflow is skipped and the scale halved; it doubles after <see cref="LossScaleGrowthInterval"/> finite steps.
    /// </summary>
    public double InitialLossScale { get; init; } = DynamicLossScaler.DefaultInitialScale;

    /// <summary>fp16 only: consecutive finite steps after which the loss scale doubles (PyTorch's default 2000).</summary>
    public int LossScaleGrowthInterval { get; init; } = DynamicLossScaler.DefaultGrowthInterval;

    /// <summary>
    /// Recompute each decoder layer's forward during backward instead of keeping its activations: activation memory
    /// drops to about one layer's, at the cost of one extra forward per step. Gradients are unchanged.
    /// </summary>
    public bool ActivationCheckpointing { get; init; }

    /// <summary>
    /// LoRA fine-tuning (r, alpha, dropout, target modules, rsLoRA — see <see cref="Adapters.LoraConfig"/>): the
    /// targeted linears get low-rank adapters, every other weight is frozen, only the adapters' A and B are in the
    /// optimiser, and the adapter is saved in PEFT format in the output's <c>adapter</c> folder at the end.
    /// <c>null</c>: full fine-tuning.
    /// </summary>
    public Adapters.LoraConfig? Lora { get; init; }

    /// <summary>Sequences per optimizer step.</summary>
    public int EffectiveBatchSize => MicroBatchSize * GradientAccumulationSteps;

    /// <summary>Field name → messages for every invalid field; empty when the options are usable.</summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, List<string>>();
        void Fail(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        if (MicroBatchSize < 1 || MicroBatchSize > 4096)
            Fail(nameof(MicroBatchSize), $"MicroBatchSize must be between 1 and 4096 (was {MicroBatchSize}).");
        if (GradientAccumulationSteps < 1 || GradientAccumulationSteps > 1024)
            Fail(nameof(GradientAccumulationSteps), $"GradientAccumulationSteps must be between 1 and 1024 (was {GradientAccumulationSteps}).");
        if (!(LearningRate > 0) || LearningRate > 1)
            Fail(nameof(LearningRate), $"LearningRate must be greater than 0 and at most 1 (was {LearningRate}).");
        if (Steps < 1 || Steps > 100_000)
            Fail(nameof(Steps), $"Steps must be between 1 and 100000 (was {Steps}).");
        if (!Enum.IsDefined(LearningRateDecay))
            Fail(nameof(LearningRateDecay), $"LearningRateDecay must be cosine or linear (was {(int)LearningRateDecay}).");
        if (!Enum.IsDefined(Precision))
            Fail(nameof(Precision), $"Precision must be one of {string.Join(", ", TrainingPrecisions.All.Select(p => p.Name()))} (was {(int)Precision}).");
        if (WarmupSteps < 0 || WarmupSteps > Steps)
            Fail(nameof(WarmupSteps), $"WarmupSteps must be between 0 and Steps ({Steps}) (was {WarmupSteps}).");
        if (SequenceLength < 8 || SequenceLength > 4096)
            Fail(nameof(SequenceLength), $"SequenceLength must be between 8 and 4096 (was {SequenceLength}).");
        if (!(WeightDecay >= 0) || WeightDecay > 1)
            Fail(nameof(WeightDecay), $"WeightDecay must be between 0 and 1 (was {WeightDecay}).");
        if (!(MaxGradNorm > 0) || double.IsInfinity(MaxGradNorm))
            Fail(nameof(MaxGradNorm), $"MaxGradNorm must be a positive finite number (was {MaxGradNorm}).");
        if (CheckpointEvery < 1)
            Fail(nameof(CheckpointEvery), $"CheckpointEvery must be at least 1 (was {CheckpointEvery}).");
        if (TokenizerVocabSize is < 259 or > 262_144)
            Fail(nameof(TokenizerVocabSize), $"TokenizerVocabSize must be between 259 (specials + bytes) and 262144 (was {TokenizerVocabSize}).");

        if (!(InitialLossScale >= 1) || InitialLossScale > 1e30)
            Fail(nameof(InitialLossScale), $"InitialLossScale must be between 1 and 1e30 (was {InitialLossScale}).");
        if (LossScaleGrowthInterval < 1 || LossScaleGrowthInterval > 1_000_000)
            Fail(nameof(LossScaleGrowthInterval), $"LossScaleGrowthInterval must be between 1 and 1000000 (was {LossScaleGrowthInterval}).");

        if (Lora is { } lora)
        {
            if (lora.R < 1 || lora.R > 4096)
                Fail(nameof(Lora), $"Lora.R must be between 1 and 4096 (was {lora.R}).");
            if (!(lora.LoraDropout >= 0) || lora.LoraDropout >= 1)
                Fail(nameof(Lora), $"Lora.LoraDropout must be at least 0 and below 1 (was {lora.LoraDropout}).");
            if (lora.LoraDropout > 0 && ActivationCheckpointing)
                Fail(nameof(Lora), "LoRA dropout cannot be combined with ActivationCheckpointing: the recomputed forward would draw different dropout masks.");
        }

        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }
}
