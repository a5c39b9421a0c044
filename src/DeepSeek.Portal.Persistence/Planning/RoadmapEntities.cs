using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DeepSeek.Portal.Data;

/// <summary>Where a milestone stands, as its owner reports it.</summary>
public enum MilestoneStatus
{
    NotStarted,
    InProgress,
    Done,
    Blocked,
}

/// <summary>How a KPI gate compares the latest figure with its target.</summary>
public enum GateComparison
{
    /// <summary>Met when the value is at least the target (BLEU, F1, accuracy, NPS, task completion).</summary>
    AtLeast,
    /// <summary>Met when the value is at most the target (perplexity, robustness drop).</summary>
    AtMost,
}

/// <summary>A gate's state: no matching evaluation yet, the latest one meets the target, or it misses it.</summary>
public enum GateState
{
    Pending,
    Met,
    Missed,
}

/// <summary>A phase of the rollout roadmap (pilot, domain data, private deployment, …), shown as a band of the Gantt chart.</summary>
public sealed class RoadmapPhase
{
    public int Id { get; set; }
    /// <summary>The phase's name as entered (any language).</summary>
    public required string Name { get; set; }
    /// <summary>An optional Simplified Chinese name shown on zh-Hans pages; <see cref="Name"/> when absent.</summary>
    public string? NameZh { get; set; }
    /// <summary>Position in the roadmap, from 0.</summary>
    public int Order { get; set; }
    public string? Description { get; set; }
    /// <summary>An optional Simplified Chinese description shown on zh-Hans pages; <see cref="Description"/> when absent.</summary>
    public string? DescriptionZh { get; set; }
}

/// <summary>A milestone: one bar of the Gantt chart, with an owner, dates, a status, dependencies and KPI gates.</summary>
public sealed class RoadmapMilestone
{
    public int Id { get; set; }
    public int PhaseId { get; set; }
    public required string Title { get; set; }
    /// <summary>An optional Simplified Chinese title shown on zh-Hans pages; <see cref="Title"/> when absent.</summary>
    public string? TitleZh { get; set; }
    /// <summary>Who answers for it (a name or team, free text).</summary>
    public required string Owner { get; set; }
    public DateOnly Start { get; set; }
    /// <summary>The planned end (inclusive). Never before <see cref="Start"/>.</summary>
    public DateOnly End { get; set; }
    /// <summary>The end first agreed (set at creation; changed only on purpose): a later <see cref="End"/> is a slip.</summary>
    public DateOnly BaselineEnd { get; set; }
    public MilestoneStatus Status { get; set; }
    public string? Notes { get; set; }
    /// <summary>Optional Simplified Chinese notes shown on zh-Hans pages; <see cref="Notes"/> when absent.</summary>
    public string? NotesZh { get; set; }
    /// <summary>Bumped on every change; an edit naming an older version is refused (two managers racing).</summary>
    public int Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

/// <summary>A finish-to-start dependency: <see cref="MilestoneId"/> starts after <see cref="DependsOnId"/> ends. Never forms a cycle.</summary>
public sealed class MilestoneDependency
{
    public int MilestoneId { get; set; }
    public int DependsOnId { get; set; }
}

/// <summary>
/// A KPI gate of a milestone, bound to a live evaluation metric: it is met when the latest finished evaluation with
/// that metric (and scope, and optionally target label) meets <see cref="Target"/>.
/// </summary>
public sealed class KpiGate
{
    public int Id { get; set; }
    public int MilestoneId { get; set; }
    /// <summary>One of the evaluation metric names (<c>bleu</c>, <c>f1</c>, <c>ppl</c>, <c>nps</c>, …).</summary>
    public required string Metric { get; set; }
    /// <summary>The figure's scope: <c>all</c>, <c>slice:domain</c>, <c>domain:…</c>, <c>feedback</c>.</summary>
    public required string Scope { get; set; }
    /// <summary>Only evaluations of this target (their target label); any target when absent.</summary>
    public string? TargetLabel { get; set; }
    public GateComparison Comparison { get; set; }
    public double Target { get; set; }
    public GateState State { get; set; }
    /// <summary>The evaluation whose figure decided <see cref="State"/>.</summary>
    public int? EvaluationId { get; set; }
    /// <summary>That figure.</summary>
    public double? Value { get; set; }
    public DateTimeOffset? CheckedAt { get; set; }
}

/// <summary>One change of a gate's state, with why (which evaluation, which value, or an edit of the gate).</summary>
public sealed class KpiGateEvent
{
    public long Id { get; set; }
    public int GateId { get; set; }
    public DateTimeOffset At { get; set; }
    public GateState From { get; set; }
    public GateState To { get; set; }
    public int? EvaluationId { get; set; }
    public double? Value { get; set; }
    /// <summary>Why, in words (English: the API's text, and what the pages show for events stored before <see cref="ReasonCode"/>).</summary>
    public required string Reason { get; set; }
    /// <summary>The resource key of the same sentence, worded in the reader's language (null on older rows).</summary>
    public string? ReasonCode { get; set; }
    /// <summary>Its arguments, a JSON array.</summary>
    public string? ReasonArgs { get; set; }
}

/// <summary>The roadmap's audit trail: every create, update, move and delete, who and when, with before and after as JSON.</summary>
public sealed class RoadmapChange
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public string? User { get; set; }
    /// <summary><c>phase</c>, <c>milestone</c>, <c>dependency</c> or <c>gate</c>.</summary>
    public required string Entity { get; set; }
    public int EntityId { get; set; }
    /// <summary><c>create</c>, <c>update</c>, <c>delete</c>.</summary>
    public required string Action { get; set; }
    /// <summary>One line people read ("End 2027-03-31 → 2027-04-15"), in English: the API's text, and what the pages show for rows stored before <see cref="SummaryCode"/>.</summary>
    public required string Summary { get; set; }
    /// <summary>The resource key of the same line, worded in the reader's language (null on older rows).</summary>
    public string? SummaryCode { get; set; }
    /// <summary>Its arguments, a JSON array.</summary>
    public string? SummaryArgs { get; set; }
    public string? Before { get; set; }
    public string? After { get; set; }
}

internal sealed class RoadmapConfiguration :
    IEntityTypeConfiguration<RoadmapPhase>, IEntityTypeConfiguration<RoadmapMilestone>, IEntityTypeConfiguration<MilestoneDependency>,
    IEntityTypeConfiguration<KpiGate>, IEntityTypeConfiguration<KpiGateEvent>, IEntityTypeConfiguration<RoadmapChange>
{
    public void Configure(EntityTypeBuilder<RoadmapPhase> e)
    {
        e.ToTable("RoadmapPhases");
        e.Property(x => x.Name).HasMaxLength(200);
        e.Property(x => x.NameZh).HasMaxLength(200);
    }

    public void Configure(EntityTypeBuilder<RoadmapMilestone> e)
    {
        e.ToTable("RoadmapMilestones");
        e.Property(x => x.Title).HasMaxLength(300);
        e.Property(x => x.TitleZh).HasMaxLength(300);
        e.Property(x => x.Owner).HasMaxLength(200);
        e.Property(x => x.Status).HasConversion<string>().HasMaxLength(20);
        e.Property(x => x.Version).IsConcurrencyToken();
        e.HasOne<RoadmapPhase>().WithMany().HasForeignKey(x => x.PhaseId).OnDelete(DeleteBehavior.Cascade);
        e.HasIndex(x => x.PhaseId);
    }

    public void Configure(EntityTypeBuilder<MilestoneDependency> e)
    {
        e.ToTable("RoadmapDependencies");
        e.HasKey(x => new { x.MilestoneId, x.DependsOnId });
        e.HasOne<RoadmapMilestone>().WithMany().HasForeignKey(x => x.MilestoneId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<RoadmapMilestone>().WithMany().HasForeignKey(x => x.DependsOnId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<KpiGate> e)
    {
        e.ToTable("RoadmapGates");
        e.Property(x => x.Metric).HasMaxLength(40);
        e.Property(x => x.Scope).HasMaxLength(200);
        e.Property(x => x.Comparison).HasConversion<string>().HasMaxLength(20);
        e.Property(x => x.State).HasConversion<string>().HasMaxLength(20);
        e.HasOne<RoadmapMilestone>().WithMany().HasForeignKey(x => x.MilestoneId).OnDelete(DeleteBehavior.Cascade);
        e.HasIndex(x => x.Metric);
    }

    public void Configure(EntityTypeBuilder<KpiGateEvent> e)
    {
        e.ToTable("RoadmapGateEvents");
        e.Property(x => x.From).HasConversion<string>().HasMaxLength(20);
        e.Property(x => x.To).HasConversion<string>().HasMaxLength(20);
        e.Property(x => x.ReasonCode).HasMaxLength(60);
        e.HasOne<KpiGate>().WithMany().HasForeignKey(x => x.GateId).OnDelete(DeleteBehavior.Cascade);
        e.HasIndex(x => new { x.GateId, x.At });
    }

    public void Configure(EntityTypeBuilder<RoadmapChange> e)
    {
        e.ToTable("RoadmapChanges");
        e.Property(x => x.Entity).HasMaxLength(20);
        e.Property(x => x.Action).HasMaxLength(20);
        e.Property(x => x.SummaryCode).HasMaxLength(60);
        e.HasIndex(x => x.At);
    }
}
