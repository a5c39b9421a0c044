namespace DeepSeek.Portal.Planning.Roadmap;

/// <summary>The whole roadmap as pages and the API show it.</summary>
/// <param name="Phases">In order.</param>
/// <param name="Milestones">Ordered by phase, then start.</param>
/// <param name="Today">Today in the server's calendar (UTC), for the Gantt's today line and slips.</param>
public sealed record RoadmapView(IReadOnlyList<PhaseView> Phases, IReadOnlyList<MilestoneView> Milestones, DateOnly Today);

public sealed record PhaseView(int Id, string Name, string? NameZh, int Order, string? Description, string? DescriptionZh = null);

/// <summary>A milestone with its dependencies, gates and how far it has slipped.</summary>
/// <param name="SlipDays">Days its end lies past the baseline end (0 when not later).</param>
/// <param name="Overdue">Its end is before today and it is not done.</param>
/// <param name="GatesMet">Every gate is met (true when it has none).</param>
/// <param name="DependencyConflicts">
/// The dependencies (of <paramref name="DependsOn"/>) this milestone starts before they end (on or before their end
/// date): finish-to-start broken by a date change. Edits that break it are allowed (plans move in steps); they are flagged.
/// </param>
public sealed record MilestoneView(
    int Id, int PhaseId, string Title, string? TitleZh, string Owner, DateOnly Start, DateOnly End, DateOnly BaselineEnd,
    MilestoneStatus Status, string? Notes, int Version, IReadOnlyList<int> DependsOn, IReadOnlyList<GateView> Gates,
    int SlipDays, bool Overdue, bool GatesMet, DateTimeOffset UpdatedAt, string? UpdatedBy, IReadOnlyList<int> DependencyConflicts,
    string? NotesZh = null);

public sealed record GateView(
    int Id, int MilestoneId, string Metric, string Scope, string? TargetLabel, GateComparison Comparison, double Target,
    GateState State, int? EvaluationId, double? Value, DateTimeOffset? CheckedAt);

/// <param name="Reason">Why, in English.</param>
/// <param name="ReasonText">The same sentence as a resource key and arguments (null for events stored before those were).</param>
public sealed record GateEventView(
    long Id, int GateId, DateTimeOffset At, GateState From, GateState To, int? EvaluationId, double? Value, string Reason, RoadmapMessage? ReasonText = null);

/// <param name="Summary">One line, in English.</param>
/// <param name="SummaryText">The same line as a resource key and arguments (null for changes stored before those were).</param>
public sealed record ChangeView(
    long Id, DateTimeOffset At, string? User, string Entity, int EntityId, string Action, string Summary, RoadmapMessage? SummaryText = null);

/// <summary>A phase to create or the new state of one.</summary>
public sealed record PhaseInput(string Name, string? NameZh = null, int? Order = null, string? Description = null, string? DescriptionZh = null);

/// <summary>
/// A milestone to create or the new state of one. <paramref name="Version"/> (on update) must be the version read;
/// <paramref name="BaselineEnd"/> defaults to <paramref name="End"/> on create and is kept on update unless given.
/// </summary>
public sealed record MilestoneInput(
    int PhaseId, string Title, string Owner, DateOnly Start, DateOnly End,
    MilestoneStatus Status = MilestoneStatus.NotStarted, string? TitleZh = null, string? Notes = null,
    IReadOnlyList<int>? DependsOn = null, DateOnly? BaselineEnd = null, int? Version = null, string? NotesZh = null);

/// <summary>Shift a milestone by whole days (start and end together), as dragging a Gantt bar does; the version is optional here (a move is relative).</summary>
public sealed record MilestoneMove(int Days, int? Version = null);

/// <summary>A KPI gate bound to an evaluation metric. Comparison defaults from the metric (at most for perplexity).</summary>
public sealed record GateInput(string Metric, double Target, string? Scope = null, string? TargetLabel = null, GateComparison? Comparison = null);

/// <summary>An edit the roadmap refuses (cycle, end before start, unknown metric, unknown phase…): field → messages. Nothing is saved.</summary>
public sealed class RoadmapValidationException(IReadOnlyDictionary<string, string[]> errors)
    : Exception(string.Join(" ", errors.SelectMany(e => e.Value)))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>An edit based on an older version of the milestone than the stored one (someone else changed it first).</summary>
public sealed class RoadmapConflictException(string message) : Exception(message);

/// <summary>The phase, milestone or gate does not exist.</summary>
public sealed class RoadmapNotFoundException(string message) : Exception(message);

/// <summary>
/// The rollout roadmap: phases, milestones, dependencies, KPI gates bound to live evaluation metrics, gate history and
/// the change history. Every edit is validated whole before anything is saved, and recorded with who made it.
/// </summary>
public interface IRoadmapService
{
    Task<RoadmapView> GetAsync(CancellationToken ct);
    /// <summary>One phase, milestone or gate (what a create's Location names); not found is <see cref="RoadmapNotFoundException"/>.</summary>
    Task<PhaseView> GetPhaseAsync(int id, CancellationToken ct);
    Task<MilestoneView> GetMilestoneAsync(int id, CancellationToken ct);
    Task<GateView> GetGateAsync(int id, CancellationToken ct);

    Task<PhaseView> CreatePhaseAsync(PhaseInput input, string? user, CancellationToken ct);
    Task<PhaseView> UpdatePhaseAsync(int id, PhaseInput input, string? user, CancellationToken ct);
    /// <summary>Deletes a phase with its milestones (their gates, dependencies on them go too; all recorded).</summary>
    Task DeletePhaseAsync(int id, string? user, CancellationToken ct);

    Task<MilestoneView> CreateMilestoneAsync(MilestoneInput input, string? user, CancellationToken ct);
    Task<MilestoneView> UpdateMilestoneAsync(int id, MilestoneInput input, string? user, CancellationToken ct);
    Task<MilestoneView> MoveMilestoneAsync(int id, MilestoneMove move, string? user, CancellationToken ct);
    Task DeleteMilestoneAsync(int id, string? user, CancellationToken ct);

    /// <summary>Adds a gate and checks it at once against the latest matching evaluation.</summary>
    Task<GateView> AddGateAsync(int milestoneId, GateInput input, string? user, CancellationToken ct);
    Task<GateView> UpdateGateAsync(int gateId, GateInput input, string? user, CancellationToken ct);
    Task DeleteGateAsync(int gateId, string? user, CancellationToken ct);

    /// <summary>Every state change of a gate, newest first.</summary>
    Task<IReadOnlyList<GateEventView>> GateHistoryAsync(int gateId, CancellationToken ct);

    /// <summary>The change history, newest first; of one milestone (and its gates) when given.</summary>
    Task<IReadOnlyList<ChangeView>> ChangesAsync(int? milestoneId, int take, CancellationToken ct);

    /// <summary>Re-checks every gate against the latest finished evaluations; records each state change with its reason.</summary>
    Task RefreshGatesAsync(CancellationToken ct);
}
