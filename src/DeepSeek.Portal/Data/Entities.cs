using Microsoft.AspNetCore.Identity;

namespace DeepSeek.Portal.Data;

public sealed class PortalUser : IdentityUser
{
    public string? DisplayName { get; set; }
}

/// <summary>An imported dataset. Its content is an immutable JSONL file under the data directory, named by hash.</summary>
public sealed class Dataset
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public required string SourceFileName { get; set; }
    public required string Format { get; set; }
    public int RecordCount { get; set; }
    public long Characters { get; set; }
    public long Bytes { get; set; }
    public required string Sha256 { get; set; }
    public bool IsDemo { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    /// <summary>Set when the dataset was deleted while runs still refer to it: hidden from lists and launches, kept for those runs.</summary>
    public DateTimeOffset? ArchivedAt { get; set; }
}

public enum RunStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

public sealed class TrainingRun
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public int DatasetId { get; set; }
    public Dataset? Dataset { get; set; }
    public RunStatus Status { get; set; }

    public int MicroBatchSize { get; set; }
    public int GradientAccumulationSteps { get; set; }
    public double LearningRate { get; set; }
    public int Steps { get; set; }
    public required string Precision { get; set; }
    public int Seed { get; set; }
    public int WarmupSteps { get; set; }
    public int SequenceLength { get; set; }

    public int CurrentStep { get; set; }
    public double? LastLoss { get; set; }
    public double? TokensPerSecond { get; set; }
    public double? HeldOutLoss { get; set; }
    public double? HeldOutPerplexity { get; set; }
    public long? ParameterCount { get; set; }
    public string? Device { get; set; }
    public string? Error { get; set; }
    public bool CancelRequested { get; set; }
    /// <summary>How many times the run was started; above 1 it was resumed after a restart.</summary>
    public int Attempts { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? CreatedBy { get; set; }

    public bool IsActive => Status is RunStatus.Queued or RunStatus.Running;
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
