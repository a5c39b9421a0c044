using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DeepSeek.Portal.Data;

/// <summary>What an evaluation runs against.</summary>
public enum EvaluationTargetKind
{
    /// <summary>A succeeded training run's last checkpoint, on the built-in engine.</summary>
    Run,
    /// <summary>A registered model folder, on the built-in engine.</summary>
    Model,
    /// <summary>An OpenAI-compatible endpoint (vLLM, SGLang, Ollama, TensorRT-LLM, …).</summary>
    Endpoint,
}

/// <summary>An evaluation's state.</summary>
public enum EvaluationStatus
{
    Queued,
    Running,
    /// <summary>Every item was run and scored.</summary>
    Succeeded,
    /// <summary>Finished, but some items failed: the figures cover the others and say so.</summary>
    Partial,
    Failed,
    Cancelled,
}

/// <summary>
/// An OpenAI-compatible endpoint known to the portal. The key is stored encrypted with the portal's data-protection
/// keys (<see cref="ProtectedKey"/>) and is never returned or logged.
/// </summary>
public sealed class EvaluationEndpoint
{
    public int Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The base URL up to and including <c>/v1</c> (for example <c>http://10.0.0.5:8000/v1</c>).</summary>
    public required string BaseUrl { get; set; }
    /// <summary>The model name sent in every request.</summary>
    public required string Model { get; set; }
    /// <summary>The API key, encrypted; <see langword="null"/> for endpoints without one.</summary>
    public string? ProtectedKey { get; set; }
    /// <summary>Requests in flight at once, 1–64.</summary>
    public int MaxConcurrency { get; set; } = 8;
    /// <summary>Seconds one request may take.</summary>
    public int TimeoutSeconds { get; set; } = 120;
    public DateTimeOffset CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
}

/// <summary>One evaluation of a suite (a dataset version) against a target.</summary>
public sealed class EvaluationRun
{
    public int Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The suite: a dataset version whose records are the items.</summary>
    public int SuiteVersionId { get; set; }
    public EvaluationTargetKind TargetKind { get; set; }
    public int? TargetRunId { get; set; }
    public int? TargetModelId { get; set; }
    public int? TargetEndpointId { get; set; }
    /// <summary>What people see for the target (kept when the run, model or endpoint is deleted): <c>run #12 …</c>, a model's name, <c>endpoint · model</c>.</summary>
    public required string TargetLabel { get; set; }
    /// <summary>The settings as JSON (max new tokens, choice scoring, concurrency, …), written at launch.</summary>
    public required string Settings { get; set; }
    public EvaluationStatus Status { get; set; }
    public int ItemsTotal { get; set; }
    public int ItemsDone { get; set; }
    public int ItemsFailed { get; set; }
    public int ItemsCached { get; set; }
    public string? Error { get; set; }
    public bool CancelRequested { get; set; }
    /// <summary>The schedule that started it, if any.</summary>
    public int? ScheduleId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? CreatedBy { get; set; }
}

/// <summary>One item's input, output and scores (the drill-down).</summary>
public sealed class EvaluationItemResult
{
    public long Id { get; set; }
    public int EvaluationId { get; set; }
    public required string ItemId { get; set; }
    /// <summary><c>general</c>, <c>domain</c> or <c>adversarial</c>.</summary>
    public required string Slice { get; set; }
    /// <summary><c>generation</c>, <c>extraction</c>, <c>classification</c> or <c>conversation</c>.</summary>
    public required string Kind { get; set; }
    public string? Domain { get; set; }
    /// <summary>The input as shown to people (prompt, or the conversation as lines).</summary>
    public required string Input { get; set; }
    public string? Output { get; set; }
    /// <summary>References / gold answers / the right choice, as a JSON array of strings.</summary>
    public string? References { get; set; }
    /// <summary>The item's scores as a JSON object (metric → value).</summary>
    public string? Scores { get; set; }
    /// <summary>Why the item failed (kind: message); nothing scored.</summary>
    public string? Error { get; set; }
    /// <summary>What was not measured for an item that did not fail (e.g. perplexity on an endpoint without log-probabilities).</summary>
    public string? Note { get; set; }
    public bool FromCache { get; set; }
    public double Seconds { get; set; }
}

/// <summary>One figure of an evaluation (a metric over a scope); dashboards and reports read these rows.</summary>
public sealed class EvaluationMetricRow
{
    public long Id { get; set; }
    public int EvaluationId { get; set; }
    public int Tier { get; set; }
    public required string Metric { get; set; }
    /// <summary><c>all</c>, <c>slice:…</c> or <c>domain:…</c>.</summary>
    public required string Scope { get; set; }
    public double Value { get; set; }
    public double? Lower { get; set; }
    public double? Upper { get; set; }
    public int Count { get; set; }
    public long? Tokens { get; set; }
}

/// <summary>A recurring evaluation of a suite against a target (Quartz cron).</summary>
public sealed class EvaluationSchedule
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public int SuiteVersionId { get; set; }
    public EvaluationTargetKind TargetKind { get; set; }
    public int? TargetRunId { get; set; }
    public int? TargetModelId { get; set; }
    public int? TargetEndpointId { get; set; }
    /// <summary>A Quartz cron expression (seconds first: <c>0 0 2 * * ?</c> = 02:00 every night).</summary>
    public required string Cron { get; set; }
    /// <summary>IANA time zone the cron is read in.</summary>
    public required string TimeZone { get; set; }
    public required string Settings { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
}

/// <summary>
/// One user's feedback on a model: a 0–10 likelihood-to-recommend score and/or whether their task was completed.
/// Imported from survey CSVs until serving collects it itself.
/// </summary>
public sealed class FeedbackRecord
{
    public long Id { get; set; }
    /// <summary>Which model the feedback is about (free text matching an evaluation target's label, or a model name).</summary>
    public required string ModelLabel { get; set; }
    /// <summary>0–10, or null when the row has only a completion judgement.</summary>
    public int? Score { get; set; }
    /// <summary>Whether the user's task was completed, or null when the row has only a score.</summary>
    public bool? TaskCompleted { get; set; }
    public string? Task { get; set; }
    public string? Comment { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    /// <summary>Where the row came from (file name and line of the import).</summary>
    public required string Source { get; set; }
    public int? ImportId { get; set; }
}

/// <summary>A target value for a metric: drawn on charts, and what reports call met or missed.</summary>
public sealed class MetricTarget
{
    /// <summary>The metric name (primary key).</summary>
    public required string Metric { get; set; }
    /// <summary>The target; met when the value is at least it (at most it, for metrics where lower is better).</summary>
    public double Value { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

/// <summary>A cached target output, so a re-run does not pay twice. Key: SHA-256 of the target identity and the call.</summary>
public sealed class EvaluationOutputCacheEntry
{
    public required string Key { get; set; }
    /// <summary>The output as JSON.</summary>
    public required string Output { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class EvaluationConfiguration :
    IEntityTypeConfiguration<EvaluationEndpoint>, IEntityTypeConfiguration<EvaluationRun>, IEntityTypeConfiguration<EvaluationItemResult>,
    IEntityTypeConfiguration<EvaluationMetricRow>, IEntityTypeConfiguration<EvaluationSchedule>, IEntityTypeConfiguration<FeedbackRecord>,
    IEntityTypeConfiguration<MetricTarget>, IEntityTypeConfiguration<EvaluationOutputCacheEntry>
{
    public void Configure(EntityTypeBuilder<EvaluationEndpoint> e)
    {
        e.ToTable("EvaluationEndpoints");
        e.HasIndex(x => x.Name).IsUnique();
        e.Property(x => x.Name).HasMaxLength(200);
    }

    public void Configure(EntityTypeBuilder<EvaluationRun> e)
    {
        e.ToTable("Evaluations");
        e.Property(x => x.Status).HasConversion<string>().HasMaxLength(20);
        e.Property(x => x.TargetKind).HasConversion<string>().HasMaxLength(20);
        e.HasIndex(x => x.CreatedAt);
        e.HasIndex(x => x.SuiteVersionId);
    }

    public void Configure(EntityTypeBuilder<EvaluationItemResult> e)
    {
        e.ToTable("EvaluationItems");
        e.HasIndex(x => new { x.EvaluationId, x.ItemId }).IsUnique();
        e.HasOne<EvaluationRun>().WithMany().HasForeignKey(x => x.EvaluationId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<EvaluationMetricRow> e)
    {
        e.ToTable("EvaluationMetrics");
        e.HasIndex(x => new { x.EvaluationId, x.Metric, x.Scope }).IsUnique();
        e.HasIndex(x => x.Metric);
        e.HasOne<EvaluationRun>().WithMany().HasForeignKey(x => x.EvaluationId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<EvaluationSchedule> e)
    {
        e.ToTable("EvaluationSchedules");
        e.Property(x => x.TargetKind).HasConversion<string>().HasMaxLength(20);
    }

    public void Configure(EntityTypeBuilder<FeedbackRecord> e)
    {
        e.ToTable("Feedback");
        e.HasIndex(x => new { x.ModelLabel, x.RecordedAt });
    }

    public void Configure(EntityTypeBuilder<MetricTarget> e)
    {
        e.ToTable("MetricTargets");
        e.HasKey(x => x.Metric);
    }

    public void Configure(EntityTypeBuilder<EvaluationOutputCacheEntry> e)
    {
        e.ToTable("EvaluationOutputCache");
        e.HasKey(x => x.Key);
    }
}
