using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DeepSeek.Portal.Data;

/// <summary>
/// One training run. Its settings are stored whole, as the JSON of the engine's options record
/// (<see cref="Settings"/>, format <see cref="SettingsVersion"/>), so a resumed run uses exactly what it started with.
/// </summary>
public sealed class TrainingRun
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public int DatasetId { get; set; }
    /// <summary>The dataset version trained on; <see langword="null"/> for runs from before versions (they used version 1).</summary>
    public int? DatasetVersionId { get; set; }
    public Dataset? Dataset { get; set; }
    public RunStatus Status { get; set; }

    /// <summary>The complete training options as JSON (every field written, none defaulted on read).</summary>
    public required string Settings { get; set; }
    /// <summary>Format of <see cref="Settings"/>; bumped when the options record changes incompatibly.</summary>
    public int SettingsVersion { get; set; }
    /// <summary>Optimizer steps planned (also inside <see cref="Settings"/>; kept as a column for progress queries).</summary>
    public int Steps { get; set; }

    /// <summary>
    /// For a run on a mixture of dataset versions: the mixture as JSON (policy, feeder learning rate, and each source's
    /// version, name and weight), written once at launch so a resumed run samples exactly as it started;
    /// <see langword="null"/> for a run on one version.
    /// </summary>
    public string? Mixture { get; set; }
    /// <summary>Format of <see cref="Mixture"/> (0 when there is none).</summary>
    public int MixtureVersion { get; set; }

    /// <summary>
    /// The registered model a fine-tuning run starts from; <see langword="null"/> for a run that trains the demo model
    /// from scratch. Not a foreign key: the model may be unregistered later, and the run keeps
    /// <see cref="BaseModelName"/> and <see cref="BaseModelPath"/> as they were at launch.
    /// </summary>
    public int? BaseModelId { get; set; }
    /// <summary>The base model's name at launch (kept when the model is unregistered or renamed).</summary>
    public string? BaseModelName { get; set; }
    /// <summary>The base model's folder at launch; the run's job reads the weights from here on every attempt.</summary>
    public string? BaseModelPath { get; set; }

    public int CurrentStep { get; set; }
    public double? LastLoss { get; set; }
    public double? TokensPerSecond { get; set; }
    public double? HeldOutLoss { get; set; }
    public double? HeldOutPerplexity { get; set; }
    public long? ParameterCount { get; set; }
    public string? Device { get; set; }
    /// <summary>
    /// The highest resident memory of the portal process while the run trained (bytes), over all its attempts; the
    /// engine resets the process's peak when an attempt starts. <see langword="null"/> before the first step or where
    /// the platform does not report it.
    /// </summary>
    public long? PeakMemoryBytes { get; set; }
    public string? Error { get; set; }
    public bool CancelRequested { get; set; }
    /// <summary>How many times the run was started; above 1 it was resumed after a restart.</summary>
    public int Attempts { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? CreatedBy { get; set; }
    /// <summary>Set when the run is archived: hidden from the run list by default, its curves kept.</summary>
    public DateTimeOffset? ArchivedAt { get; set; }

    public bool IsActive => Status.IsActive();
}

/// <summary>One optimizer step of a run, as the engine reported it.</summary>
public sealed class RunMetric
{
    public long Id { get; set; }
    public int RunId { get; set; }
    public int Step { get; set; }
    public double Loss { get; set; }
    public double LearningRate { get; set; }
    public double TokensPerSecond { get; set; }
    public double GradNorm { get; set; }
    public double ElapsedSeconds { get; set; }
    /// <summary>When the engine finished the step (Unix milliseconds); used to measure chart latency.</summary>
    public long RecordedAtUnixMs { get; set; }
}

/// <summary>One source of a mixture run after one optimizer step, as the engine reported it.</summary>
public sealed class RunSourceMetric
{
    public long Id { get; set; }
    public int RunId { get; set; }
    public int Step { get; set; }
    /// <summary>The source's position in the run's mixture (0-based); its name is in <see cref="TrainingRun.Mixture"/>.</summary>
    public int Source { get; set; }
    /// <summary>The source's weight after this step's update.</summary>
    public double Weight { get; set; }
    /// <summary>Its sampling probability for the next step.</summary>
    public double Probability { get; set; }
    /// <summary>Mean loss per target token of its sequences in this step; <see langword="null"/> when none was drawn.</summary>
    public double? Loss { get; set; }
    /// <summary>How many of the step's sequences came from it.</summary>
    public int Sequences { get; set; }
}

internal sealed class TrainingRunConfiguration : IEntityTypeConfiguration<TrainingRun>
{
    public void Configure(EntityTypeBuilder<TrainingRun> e)
    {
        e.ToTable("Runs");
        e.Property(r => r.Status).HasConversion<string>().HasMaxLength(20);
        e.HasIndex(r => r.Status);
        e.Property(r => r.BaseModelName).HasMaxLength(200);
        e.Ignore(r => r.IsActive);
    }
}

internal sealed class RunMetricConfiguration : IEntityTypeConfiguration<RunMetric>
{
    public void Configure(EntityTypeBuilder<RunMetric> e)
    {
        e.HasIndex(m => new { m.RunId, m.Step }).IsUnique();
    }
}

internal sealed class RunSourceMetricConfiguration : IEntityTypeConfiguration<RunSourceMetric>
{
    public void Configure(EntityTypeBuilder<RunSourceMetric> e)
    {
        e.ToTable("RunSourceMetrics");
        e.HasIndex(m => new { m.RunId, m.Step, m.Source }).IsUnique();
    }
}
