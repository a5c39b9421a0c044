using System.ComponentModel;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Training;

/// <summary>What a user chooses when launching a training run. Unset fields take the engine's defaults.</summary>
public sealed record RunLaunchRequest
{
    [Description("Dataset to train on (with a mixture: may be left out; the run is listed under its first source's dataset).")]
    public int DatasetId { get; init; }
    [Description("Dataset version to train on; default: the dataset's newest version. Ignored with a mixture.")]
    public int? DatasetVersionId { get; init; }
    [Description("Train on a mixture of dataset versions instead of one: policy, feeder learning rate and ≥ 2 sources with weights.")]
    public RunMixtureRequest? Mixture { get; init; }
    [Description("Display name; defaults to the dataset name and time.")]
    public string? Name { get; init; }
    [Description("Sequences per forward pass. Effective batch = micro-batch × accumulation (default 8 × 4 = 32).")]
    public int MicroBatchSize { get; init; } = 8;
    [Description("Micro-batches whose gradients are summed before each optimizer step.")]
    public int GradientAccumulationSteps { get; init; } = 4;
    [Description("Peak learning rate (AdamW), reached after warm-up, then cosine or linear decay (learningRateDecay).")]
    public double? LearningRate { get; init; }
    [Description("How the rate falls after warm-up to 10 % of the peak at the last step: cosine (default) or linear (case-insensitive).")]
    public string? LearningRateDecay { get; init; }
    [Description("Optimizer steps.")]
    public int? Steps { get; init; }
    [Description("Numeric precision of forward and backward (case-insensitive): fp32 (default); bf16 (bfloat16 activations, fp32 master weights; on some CPUs slower than fp32 — GET /api/engine reports the measured ratio); or fp16 (float16 activations with dynamic loss scaling, see initialLossScale).")]
    public string? Precision { get; init; }
    [Description("Seed for initialisation and data order.")]
    public int? Seed { get; init; }
    [Description("Linear warm-up steps.")]
    public int? WarmupSteps { get; init; }
    [Description("Tokens per training sequence.")]
    public int? SequenceLength { get; init; }
    [Description("AdamW decoupled weight decay (matrices only).")]
    public double? WeightDecay { get; init; }
    [Description("Global gradient-norm clip.")]
    public double? MaxGradNorm { get; init; }
    [Description("Optimizer steps between checkpoints.")]
    public int? CheckpointEvery { get; init; }
    [Description("Upper bound on the vocabulary of the byte-level BPE tokenizer trained from the dataset (259–262144); leave it out to size it from the data (Chinese-heavy data gets more than 2048).")]
    public int? TokenizerVocabSize { get; init; }

    // Fine-tuning: the starting point of the run.
    [Description("Registered model (id from /api/models) to fine-tune: its config, tokenizer and weights are the starting point, and TokenizerVocabSize must be left out. Leave it out to train the demo model from scratch.")]
    public int? BaseModelId { get; init; }

    // ── Precision details, activation memory and LoRA (the form's "Advanced" section) ──
    [Description("fp16 only: the loss scale the run starts with (1–1e30; default 65536 = 2^16, as PyTorch's GradScaler). A step whose gradients overflow is skipped and the scale halved. Refused with another precision.")]
    public double? InitialLossScale { get; init; }
    [Description("fp16 only: consecutive finite steps after which the loss scale doubles (1–1000000; default 2000). Refused with another precision.")]
    public int? LossScaleGrowthInterval { get; init; }
    [Description("Recompute each decoder layer's forward during backward instead of keeping its activations: activation memory drops to about one layer's, each step costs one extra forward; gradients are unchanged. Default false. Cannot be combined with LoRA dropout.")]
    public bool? ActivationCheckpointing { get; init; }
    [Description("LoRA fine-tuning: leave out (or null) for full training. When given, only low-rank adapters on the target linears train and the adapter is saved in PEFT format.")]
    public RunLoraRequest? Lora { get; init; }
}

/// <summary>LoRA settings of a launch request. Unset fields take <see cref="Engine.Adapters.LoraConfig"/>'s defaults; the targets default to the attention projections (<c>GET /api/runs/lora-targets</c>).</summary>
public sealed record RunLoraRequest
{
    [Description("Rank r of each adapter (1–4096; default 8): the adapter adds r × (in + out) parameters per targeted linear.")]
    public int? R { get; init; }
    [Description("lora_alpha (greater than 0; default 8): the adapter's output is scaled by alpha / r (alpha / √r with useRsLora).")]
    public double? Alpha { get; init; }
    [Description("Dropout on the adapter's input (0 ≤ dropout < 1; default 0). Must be 0 with activationCheckpointing (the recomputed forward would draw other masks).")]
    public double? Dropout { get; init; }
    [Description("Names of the model's linear layers to adapt, e.g. [\"q_proj\", \"o_proj\"]; each name adapts that layer in every decoder layer. Default: the attention projections. The choices are listed by GET /api/runs/lora-targets.")]
    public IReadOnlyList<string>? TargetModules { get; init; }
    [Description("rsLoRA: scale by alpha / √r instead of alpha / r, which keeps high ranks learning (default false).")]
    public bool? UseRsLora { get; init; }
}

/// <summary>The registered model a fine-tuning run started from, as it was at launch.</summary>
/// <param name="Id">The registration's id (it may have been unregistered since).</param>
/// <param name="Name">Its name at launch.</param>
/// <param name="Path">Its folder at launch.</param>
public sealed record RunBaseModel(int Id, string Name, string Path);

/// <summary>A run as lists, pages and the API show it: identity, status, the full settings it runs with, progress.</summary>
public sealed record RunSummary(
    int Id, string Name, int DatasetId, string? DatasetName, RunStatus Status, TrainingOptions Settings,
    int CurrentStep, double Percent, double? LastLoss, double? TokensPerSecond, double? HeldOutLoss, double? HeldOutPerplexity,
    long? ParameterCount, string? Device, string? Error, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? CreatedBy, DateTimeOffset? ArchivedAt)
{
    public bool IsActive => Status.IsActive();
    public int Steps => Settings.Steps;

    /// <summary>The dataset version trained on (for a mixture run: <see langword="null"/>; see <see cref="Mixture"/>).</summary>
    public int? DatasetVersionId { get; init; }

    /// <summary>The mixture of dataset versions the run samples from; <see langword="null"/> for a run on one version.</summary>
    public RunMixture? Mixture { get; init; }

    /// <summary>The registered model the run fine-tunes; <see langword="null"/> for the demo model trained from scratch.</summary>
    public RunBaseModel? BaseModel { get; init; }

    /// <summary>The portal process's peak resident memory while the run trained (bytes, over all attempts); <see langword="null"/> before its first step.</summary>
    public long? PeakMemoryBytes { get; init; }

    public static RunSummary From(TrainingRun r) => new(
        r.Id, r.Name, r.DatasetId, r.Dataset?.Name, r.Status, r.ToOptions(),
        r.CurrentStep, RunStatusFacts.Percent(r.CurrentStep, r.Steps), r.LastLoss, r.TokensPerSecond, r.HeldOutLoss, r.HeldOutPerplexity,
        r.ParameterCount, r.Device, RunErrorText.ForReaders(r.Error), r.Attempts, r.CreatedAt, r.StartedAt, r.FinishedAt, r.CreatedBy, r.ArchivedAt)
    {
        DatasetVersionId = r.DatasetVersionId,
        Mixture = r.ReadMixture(),
        BaseModel = r.BaseModelId is int baseId ? new RunBaseModel(baseId, r.BaseModelName ?? "", r.BaseModelPath ?? "") : null,
        PeakMemoryBytes = r.PeakMemoryBytes,
    };
}

/// <summary>One point of a run's curves, as stored and as streamed.</summary>
public sealed record RunPoint(int Step, double Loss, double LearningRate, double TokensPerSecond, double GradNorm, double ElapsedSeconds, long RecordedAtUnixMs)
{
    /// <summary>For a mixture run: each source after this step (streamed live; the history is at /api/runs/{id}/sources).</summary>
    public IReadOnlyList<RunSourcePoint>? Sources { get; init; }

    public static RunPoint From(RunMetric m) => new(m.Step, m.Loss, m.LearningRate, m.TokensPerSecond, m.GradNorm, m.ElapsedSeconds, m.RecordedAtUnixMs);
}

/// <summary>A live update of a run: new points and/or a status change. Sent over SignalR to the group "run-{id}".</summary>
public sealed record RunUpdate(int RunId, RunStatus Status, int CurrentStep, int TotalSteps, double Percent, double? EtaSeconds, double? TokensPerSecond, IReadOnlyList<RunPoint> Points, double? HeldOutPerplexity, string? Error);
