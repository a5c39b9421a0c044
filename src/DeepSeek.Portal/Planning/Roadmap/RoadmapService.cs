using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Localization;
using static DeepSeek.Portal.Planning.Roadmap.RoadmapSentences;

namespace DeepSeek.Portal.Planning.Roadmap;

/// <summary>
/// The roadmap over the portal's database. Every edit runs in one (immediate) transaction: it is validated whole
/// first, then the rows and the change record that describes it are written together, so a refused edit leaves no
/// trace and an accepted one always has its history. Gate states are recomputed by <see cref="KpiGateChecker"/>.
/// </summary>
public sealed class RoadmapService(
    PortalDbContext db, TimeProvider clock, IStringLocalizer<SharedResource> localizer, ILogger<RoadmapService> logger) : IRoadmapService
{
    /// <summary>The most change rows one read returns.</summary>
    public const int MaxTake = 1000;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private DateTimeOffset Now => clock.GetUtcNow();
    private DateOnly Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
    private RoadmapRules Rules() => new(localizer);

    // ---------------------------------------------------------------- reads

    public async Task<RoadmapView> GetAsync(CancellationToken ct)
    {
        var phases = await db.RoadmapPhases.AsNoTracking().OrderBy(p => p.Order).ThenBy(p => p.Id).ToListAsync(ct);
        var milestones = await db.RoadmapMilestones.AsNoTracking().ToListAsync(ct);
        var dependencies = (await db.RoadmapDependencies.AsNoTracking().ToListAsync(ct)).ToLookup(d => d.MilestoneId, d => d.DependsOnId);
        var gates = (await db.RoadmapGates.AsNoTracking().OrderBy(g => g.Id).ToListAsync(ct)).ToLookup(g => g.MilestoneId);
        var position = phases.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var ends = milestones.ToDictionary(m => m.Id, m => m.End);
        var today = Today;
        return new RoadmapView(
            [.. phases.Select(ToView)],
            [.. milestones.OrderBy(m => position.GetValueOrDefault(m.PhaseId, int.MaxValue)).ThenBy(m => m.Start).ThenBy(m => m.Id)
                .Select(m => ToView(m, dependencies[m.Id], gates[m.Id], ends, today))],
            today);
    }

    public async Task<PhaseView> GetPhaseAsync(int id, CancellationToken ct) =>
        ToView(await db.RoadmapPhases.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct) ?? throw PhaseNotFound(Rules(), id));

    public async Task<MilestoneView> GetMilestoneAsync(int id, CancellationToken ct) =>
        await db.RoadmapMilestones.AnyAsync(m => m.Id == id, ct) ? await ViewAsync(id, ct) : throw MilestoneNotFound(Rules(), id);

    public async Task<GateView> GetGateAsync(int id, CancellationToken ct) =>
        ToView(await db.RoadmapGates.AsNoTracking().FirstOrDefaultAsync(g => g.Id == id, ct) ?? throw new RoadmapNotFoundException(Rules().Text("RmErrGateNotFound", id)));

    public async Task<IReadOnlyList<GateEventView>> GateHistoryAsync(int gateId, CancellationToken ct)
    {
        if (!await db.RoadmapGates.AnyAsync(g => g.Id == gateId, ct))
            throw new RoadmapNotFoundException(Rules().Text("RmErrGateNotFound", gateId));
        var events = await db.RoadmapGateEvents.AsNoTracking().Where(e => e.GateId == gateId).OrderByDescending(e => e.Id).ToListAsync(ct);
        return [.. events.Select(ToView)];
    }

    public async Task<IReadOnlyList<ChangeView>> ChangesAsync(int? milestoneId, int take, CancellationToken ct)
    {
        var query = db.RoadmapChanges.AsNoTracking();
        if (milestoneId is { } id)
        {
            // Gates are matched through their snapshots (a deleted gate has no row left to join): "milestoneId":5, is
            // how the serialised gate names its milestone, the comma keeping 5 from matching 55.
            var marker = $"\"milestoneId\":{id},";
            query = query.Where(c => ((c.Entity == RoadmapEntities.Milestone || c.Entity == RoadmapEntities.Dependency) && c.EntityId == id)
                || (c.Entity == RoadmapEntities.Gate && ((c.After != null && c.After.Contains(marker)) || (c.Before != null && c.Before.Contains(marker)))));
        }
        var rows = await query.OrderByDescending(c => c.Id).Take(Math.Clamp(take, 1, MaxTake))
            .Select(c => new { c.Id, c.At, c.User, c.Entity, c.EntityId, c.Action, c.Summary, c.SummaryCode, c.SummaryArgs }).ToListAsync(ct);
        return [.. rows.Select(c => new ChangeView(c.Id, c.At, c.User, c.Entity, c.EntityId, c.Action, c.Summary, RoadmapMessage.Parse(c.SummaryCode, c.SummaryArgs)))];
    }

    // ---------------------------------------------------------------- phases

    public Task<PhaseView> CreatePhaseAsync(PhaseInput input, string? user, CancellationToken ct) => InTransactionAsync(async () =>
    {
        var rules = Rules();
        var phase = new RoadmapPhase { Name = "" };
        ApplyPhase(rules, phase, input);
        rules.ThrowIfAny();
        if (input.Order is null)
            phase.Order = await db.RoadmapPhases.Select(p => (int?)p.Order).MaxAsync(ct) is { } max ? max + 1 : 0;
        db.RoadmapPhases.Add(phase);
        await db.SaveChangesAsync(ct);
        Record(user, RoadmapEntities.Phase, phase.Id, RoadmapEntities.Create, RoadmapMessage.Of(PhaseCreated, NameOf(phase)), null, phase);
        await db.SaveChangesAsync(ct);
        return ToView(phase);
    }, ct);

    public Task<PhaseView> UpdatePhaseAsync(int id, PhaseInput input, string? user, CancellationToken ct) => InTransactionAsync(async () =>
    {
        var rules = Rules();
        var phase = await db.RoadmapPhases.FirstOrDefaultAsync(p => p.Id == id, ct) ?? throw PhaseNotFound(rules, id);
        var before = Snapshot(phase);
        var old = new RoadmapPhase { Name = phase.Name, NameZh = phase.NameZh, Order = phase.Order, Description = phase.Description, DescriptionZh = phase.DescriptionZh };
        ApplyPhase(rules, phase, input with { Order = input.Order ?? phase.Order });
        rules.ThrowIfAny();
        var changes = new List<RoadmapMessage>();
        Diff(changes, "Name", old.Name, phase.Name);
        Diff(changes, "NameZh", old.NameZh, phase.NameZh);
        Diff(changes, "Order", old.Order.ToString(), phase.Order.ToString(), quote: false);
        if (old.Description != phase.Description) changes.Add(RoadmapMessage.Of(Changed, Field("Description")));
        if (old.DescriptionZh != phase.DescriptionZh) changes.Add(RoadmapMessage.Of(Changed, Field("DescriptionZh")));
        if (changes.Count > 0)
        {
            Record(user, RoadmapEntities.Phase, phase.Id, RoadmapEntities.Update, RoadmapMessage.Of(PhaseUpdated, NameOf(phase), RoadmapMessage.Join(changes)), before, phase);
            await db.SaveChangesAsync(ct);
        }
        return ToView(phase);
    }, ct);

    public Task DeletePhaseAsync(int id, string? user, CancellationToken ct) => InTransactionAsync(async () =>
    {
        var phase = await db.RoadmapPhases.FirstOrDefaultAsync(p => p.Id == id, ct) ?? throw PhaseNotFound(Rules(), id);
        var milestones = await db.RoadmapMilestones.Where(m => m.PhaseId == id).ToListAsync(ct);
        foreach (var milestone in milestones)
            await RemoveMilestoneAsync(milestone, user, ct);
        Record(user, RoadmapEntities.Phase, phase.Id, RoadmapEntities.Delete,
            milestones.Count > 0 ? RoadmapMessage.Of(PhaseDeletedWith, NameOf(phase), milestones.Count) : RoadmapMessage.Of(PhaseDeleted, NameOf(phase)), phase, null);
        db.RoadmapPhases.Remove(phase);
        await db.SaveChangesAsync(ct);
        return true;
    }, ct);

    private static void ApplyPhase(RoadmapRules rules, RoadmapPhase phase, PhaseInput input)
    {
        phase.Name = rules.Required("name", input.Name, RoadmapRules.NameMax);
        phase.NameZh = rules.Optional("nameZh", input.NameZh, RoadmapRules.NameMax);
        phase.Description = rules.Optional("description", input.Description, RoadmapRules.DescriptionMax);
        phase.DescriptionZh = rules.Optional("descriptionZh", input.DescriptionZh, RoadmapRules.DescriptionMax);
        if (input.Order is { } order)
        {
            if (order is < 0 or > 10_000) rules.Add("order", "RmErrOrder");
            phase.Order = order;
        }
    }

    // ---------------------------------------------------------------- milestones

    public Task<MilestoneView> CreateMilestoneAsync(MilestoneInput input, string? user, CancellationToken ct) => InTransactionAsync(async () =>
    {
        var rules = Rules();
        var milestone = new RoadmapMilestone { Title = "", Owner = "" };
        var dependsOn = await ApplyMilestoneAsync(rules, milestone, input, null, ct);
        rules.ThrowIfAny();
        milestone.BaselineEnd = input.BaselineEnd ?? milestone.End;
        milestone.Version = 1;
        milestone.UpdatedAt = Now;
        milestone.UpdatedBy = user;
        db.RoadmapMilestones.Add(milestone);
        await db.SaveChangesAsync(ct);
        Record(user, RoadmapEntities.Milestone, milestone.Id, RoadmapEntities.Create,
            RoadmapMessage.Of(MilestoneCreated, NameOf(milestone), RoadmapRules.Iso(milestone.Start), RoadmapRules.Iso(milestone.End), milestone.Owner),
            null, Snapshot(milestone, dependsOn));
        await SetDependenciesAsync(milestone, [], dependsOn, user, ct);
        await db.SaveChangesAsync(ct);
        return await ViewAsync(milestone.Id, ct);
    }, ct);

    public Task<MilestoneView> UpdateMilestoneAsync(int id, MilestoneInput input, string? user, CancellationToken ct) => InTransactionAsync(async () =>
    {
        var rules = Rules();
        var milestone = await FindMilestoneAsync(rules, id, input.Version, ct);
        // A full update without the version read would silently overwrite whatever another manager saved meanwhile
        // (a move is relative, so it may leave the version out).
        if (input.Version is null) rules.Add("version", "RmErrVersionRequired");
        var current = await DependenciesOfAsync(id, ct);
        var before = Snapshot(milestone, current);
        var dependsOn = await ApplyMilestoneAsync(rules, milestone, input, current, ct);
        if (input.BaselineEnd is { } baseline) milestone.BaselineEnd = baseline;
        rules.ThrowIfAny();
        var after = Snapshot(milestone, dependsOn);
        var phases = before.PhaseId == after.PhaseId ? null
            : (await db.RoadmapPhases.AsNoTracking().Where(p => p.Id == before.PhaseId || p.Id == after.PhaseId).ToListAsync(ct)).ToDictionary(p => p.Id, NameOf);
        var changes = MilestoneDiff(before, after, phases);
        var dependenciesChanged = !current.Order().SequenceEqual(dependsOn.Order());
        if (changes.Count == 0 && !dependenciesChanged)
            return await ViewAsync(id, ct); // nothing to record; the unchanged entity is dropped from the tracker on the way out
        Touch(milestone, user);
        if (changes.Count > 0)
            Record(user, RoadmapEntities.Milestone, id, RoadmapEntities.Update, RoadmapMessage.Of(MilestoneUpdated, NameOf(milestone), RoadmapMessage.Join(changes)), before, after with { Version = milestone.Version });
        await SetDependenciesAsync(milestone, current, dependsOn, user, ct);
        await SaveMilestoneAsync(rules, ct);
        return await ViewAsync(id, ct);
    }, ct);

    public Task<MilestoneView> MoveMilestoneAsync(int id, MilestoneMove move, string? user, CancellationToken ct) => InTransactionAsync(async () =>
    {
        var rules = Rules();
        var milestone = await FindMilestoneAsync(rules, id, move.Version, ct);
        if (move.Days == 0 || Math.Abs(move.Days) > RoadmapRules.MoveDaysMax)
            rules.Add("days", "RmErrMoveDays", RoadmapRules.MoveDaysMax);
        else if (milestone.Start.DayNumber + (long)move.Days < DateOnly.MinValue.DayNumber || milestone.End.DayNumber + (long)move.Days > DateOnly.MaxValue.DayNumber)
            rules.Add("days", "RmErrMoveDays", RoadmapRules.MoveDaysMax);
        rules.ThrowIfAny();
        var dependsOn = await DependenciesOfAsync(id, ct);
        var before = Snapshot(milestone, dependsOn);
        milestone.Start = milestone.Start.AddDays(move.Days);
        milestone.End = milestone.End.AddDays(move.Days);
        Touch(milestone, user);
        Record(user, RoadmapEntities.Milestone, id, RoadmapEntities.Update,
            RoadmapMessage.Of(MilestoneMoved, NameOf(milestone), move.Days.ToString("+0;-0", System.Globalization.CultureInfo.InvariantCulture),
                RoadmapRules.Iso(before.Start), RoadmapRules.Iso(milestone.Start), RoadmapRules.Iso(before.End), RoadmapRules.Iso(milestone.End)),
            before, Snapshot(milestone, dependsOn));
        await SaveMilestoneAsync(rules, ct);
        return await ViewAsync(id, ct);
    }, ct);

    public Task DeleteMilestoneAsync(int id, string? user, CancellationToken ct) => InTransactionAsync(async () =>
    {
        var milestone = await db.RoadmapMilestones.FirstOrDefaultAsync(m => m.Id == id, ct) ?? throw MilestoneNotFound(Rules(), id);
        await RemoveMilestoneAsync(milestone, user, ct);
        await db.SaveChangesAsync(ct);
        return true;
    }, ct);

    /// <summary>
    /// Validates and applies the input's fields to <paramref name="milestone"/>; returns the dependency set to store
    /// (the input's, or <paramref name="current"/> when the input leaves it out).
    /// </summary>
    private async Task<IReadOnlyList<int>> ApplyMilestoneAsync(RoadmapRules rules, RoadmapMilestone milestone, MilestoneInput input, IReadOnlyList<int>? current, CancellationToken ct)
    {
        milestone.Title = rules.Required("title", input.Title, RoadmapRules.TitleMax);
        milestone.TitleZh = rules.Optional("titleZh", input.TitleZh, RoadmapRules.TitleMax);
        milestone.Owner = rules.Required("owner", input.Owner, RoadmapRules.OwnerMax);
        milestone.Notes = rules.Optional("notes", input.Notes, RoadmapRules.NotesMax);
        milestone.NotesZh = rules.Optional("notesZh", input.NotesZh, RoadmapRules.NotesMax);
        milestone.Start = input.Start;
        milestone.End = input.End;
        if (input.Start == default) rules.Add("start", "RmErrDateRequired");
        if (input.End == default) rules.Add("end", "RmErrDateRequired");
        rules.Dates(input.Start, input.End);
        if (!Enum.IsDefined(input.Status))
            rules.Add("status", "RmErrStatus", string.Join(", ", Enum.GetNames<MilestoneStatus>()));
        milestone.Status = input.Status;
        if (!await db.RoadmapPhases.AnyAsync(p => p.Id == input.PhaseId, ct))
            rules.Add("phaseId", "RmErrUnknownPhase", input.PhaseId);
        milestone.PhaseId = input.PhaseId;

        if (input.DependsOn is null)
            return current ?? [];
        var dependsOn = input.DependsOn.Distinct().ToList();
        if (milestone.Id != 0 && dependsOn.Contains(milestone.Id))
        {
            rules.Add("dependsOn", "RmErrSelfDependency");
            return dependsOn;
        }
        var existing = await db.RoadmapMilestones.Where(m => dependsOn.Contains(m.Id)).Select(m => m.Id).ToListAsync(ct);
        var missing = dependsOn.Except(existing).ToList();
        if (missing.Count > 0)
        {
            rules.Add("dependsOn", "RmErrUnknownDependency", string.Join(", ", missing));
            return dependsOn;
        }
        if (milestone.Id != 0 && await CycleThroughAsync(milestone.Id, dependsOn, ct) is { } cycle)
        {
            var titles = await db.RoadmapMilestones.Where(m => cycle.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.Title, ct);
            // The milestone's own title may be changing in this very edit: name it as it will be.
            titles[milestone.Id] = milestone.Title.Length > 0 ? milestone.Title : titles.GetValueOrDefault(milestone.Id, "?");
            rules.Add("dependsOn", "RmErrCycle", string.Join(" → ", cycle.Select(i => titles.GetValueOrDefault(i, $"#{i}"))));
        }
        return dependsOn;
    }

    /// <summary>
    /// Whether making <paramref name="milestoneId"/> depend on <paramref name="dependsOn"/> closes a loop: the path
    /// milestone → … → milestone (each arrow "depends on"), or null. The milestone's current dependencies are replaced,
    /// every other edge is the stored one. A new milestone cannot close one (nothing depends on it yet).
    /// </summary>
    private async Task<IReadOnlyList<int>?> CycleThroughAsync(int milestoneId, IReadOnlyList<int> dependsOn, CancellationToken ct)
    {
        var edges = (await db.RoadmapDependencies.AsNoTracking().Where(d => d.MilestoneId != milestoneId).ToListAsync(ct))
            .ToLookup(d => d.MilestoneId, d => d.DependsOnId);
        IEnumerable<int> Next(int node) => node == milestoneId ? dependsOn : edges[node];
        // Depth-first from the milestone, remembering the path; any edge back to it is the cycle.
        var visited = new HashSet<int>();
        var path = new List<int> { milestoneId };
        bool Walk(int node)
        {
            foreach (var next in Next(node).Order())
            {
                if (next == milestoneId)
                {
                    path.Add(next);
                    return true;
                }
                if (!visited.Add(next)) continue;
                path.Add(next);
                if (Walk(next)) return true;
                path.RemoveAt(path.Count - 1);
            }
            return false;
        }
        return Walk(milestoneId) ? path : null;
    }

    private async Task SetDependenciesAsync(RoadmapMilestone milestone, IReadOnlyList<int> current, IReadOnlyList<int> wanted, string? user, CancellationToken ct)
    {
        var removed = current.Except(wanted).ToList();
        var added = wanted.Except(current).ToList();
        if (removed.Count + added.Count == 0) return;
        var titles = await TitlesAsync([.. removed, .. added], ct);
        foreach (var other in removed)
        {
            db.RoadmapDependencies.Remove(await db.RoadmapDependencies.FirstAsync(d => d.MilestoneId == milestone.Id && d.DependsOnId == other, ct));
            Record(user, RoadmapEntities.Dependency, milestone.Id, RoadmapEntities.Delete,
                RoadmapMessage.Of(DependencyRemoved, NameOf(milestone), titles.GetValueOrDefault(other)), new MilestoneDependency { MilestoneId = milestone.Id, DependsOnId = other }, null);
        }
        foreach (var other in added)
        {
            db.RoadmapDependencies.Add(new MilestoneDependency { MilestoneId = milestone.Id, DependsOnId = other });
            Record(user, RoadmapEntities.Dependency, milestone.Id, RoadmapEntities.Create,
                RoadmapMessage.Of(DependencyAdded, NameOf(milestone), titles.GetValueOrDefault(other)), null, new MilestoneDependency { MilestoneId = milestone.Id, DependsOnId = other });
        }
    }

    /// <summary>Removes a milestone with its gates (their state history kept in the deletion records) and every dependency on or of it, each recorded.</summary>
    private async Task RemoveMilestoneAsync(RoadmapMilestone milestone, string? user, CancellationToken ct)
    {
        var gates = await db.RoadmapGates.Where(g => g.MilestoneId == milestone.Id).ToListAsync(ct);
        foreach (var gate in gates)
            await RemoveGateAsync(gate, NameOf(milestone), user, ct);
        var dependencies = await db.RoadmapDependencies.Where(d => d.MilestoneId == milestone.Id || d.DependsOnId == milestone.Id).ToListAsync(ct);
        var titles = await TitlesAsync([.. dependencies.Select(d => d.MilestoneId)], ct);
        foreach (var dependency in dependencies.Where(d => d.DependsOnId == milestone.Id))
            Record(user, RoadmapEntities.Dependency, dependency.MilestoneId, RoadmapEntities.Delete,
                RoadmapMessage.Of(DependencyRemovedDeleted, titles.GetValueOrDefault(dependency.MilestoneId), NameOf(milestone)), dependency, null);
        db.RoadmapDependencies.RemoveRange(dependencies);
        Record(user, RoadmapEntities.Milestone, milestone.Id, RoadmapEntities.Delete, RoadmapMessage.Of(MilestoneDeleted, NameOf(milestone)),
            Snapshot(milestone, [.. dependencies.Where(d => d.MilestoneId == milestone.Id).Select(d => d.DependsOnId)]), null);
        db.RoadmapMilestones.Remove(milestone);
    }

    private async Task<RoadmapMilestone> FindMilestoneAsync(RoadmapRules rules, int id, int? version, CancellationToken ct)
    {
        var milestone = await db.RoadmapMilestones.FirstOrDefaultAsync(m => m.Id == id, ct) ?? throw MilestoneNotFound(rules, id);
        if (version is { } v && v != milestone.Version)
            throw new RoadmapConflictException(rules.Text("RmErrVersion", milestone.Title, v, milestone.Version, milestone.UpdatedBy ?? "?"));
        return milestone;
    }

    private void Touch(RoadmapMilestone milestone, string? user)
    {
        milestone.Version++;
        milestone.UpdatedAt = Now;
        milestone.UpdatedBy = user;
    }

    /// <summary>Saves; the version column is a concurrency token, so a write that raced past the version check still fails as a conflict.</summary>
    private async Task SaveMilestoneAsync(RoadmapRules rules, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new RoadmapConflictException(rules.Text("RmErrChangedMeanwhile"));
        }
    }

    private async Task<IReadOnlyList<int>> DependenciesOfAsync(int id, CancellationToken ct) =>
        await db.RoadmapDependencies.Where(d => d.MilestoneId == id).Select(d => d.DependsOnId).OrderBy(d => d).ToListAsync(ct);

    private async Task<MilestoneView> ViewAsync(int id, CancellationToken ct)
    {
        var milestone = await db.RoadmapMilestones.AsNoTracking().FirstAsync(m => m.Id == id, ct);
        var dependsOn = await DependenciesOfAsync(id, ct);
        var gates = await db.RoadmapGates.AsNoTracking().Where(g => g.MilestoneId == id).OrderBy(g => g.Id).ToListAsync(ct);
        var ends = await db.RoadmapMilestones.AsNoTracking().Where(m => dependsOn.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.End, ct);
        return ToView(milestone, dependsOn, gates, ends, Today);
    }

    /// <summary>Milestone titles (with their Chinese titles) for summaries, by id.</summary>
    private async Task<Dictionary<int, JsonNode>> TitlesAsync(IReadOnlyList<int> ids, CancellationToken ct) =>
        (await db.RoadmapMilestones.AsNoTracking().Where(m => ids.Contains(m.Id)).Select(m => new { m.Id, m.Title, m.TitleZh }).ToListAsync(ct))
            .ToDictionary(m => m.Id, m => RoadmapMessage.Name(m.Title, m.TitleZh));

    private static JsonNode NameOf(RoadmapPhase p) => RoadmapMessage.Name(p.Name, p.NameZh);
    private static JsonNode NameOf(RoadmapMilestone m) => RoadmapMessage.Name(m.Title, m.TitleZh);

    /// <param name="phases">The names of the two phases when the milestone moved between them (the summary names them, not their ids).</param>
    private static List<RoadmapMessage> MilestoneDiff(MilestoneSnapshot a, MilestoneSnapshot b, IReadOnlyDictionary<int, JsonNode>? phases = null)
    {
        var changes = new List<RoadmapMessage>();
        if (a.PhaseId != b.PhaseId)
        {
            object Phase(int id) => phases?.GetValueOrDefault(id) is { } name ? RoadmapMessage.Of(Quoted, name) : RoadmapMessage.Of(Quoted, id.ToString(CultureInfo.InvariantCulture));
            changes.Add(RoadmapMessage.Of(RoadmapSentences.Diff, Field("Phase"), Phase(a.PhaseId), Phase(b.PhaseId)));
        }
        Diff(changes, "Title", a.Title, b.Title);
        Diff(changes, "TitleZh", a.TitleZh, b.TitleZh);
        Diff(changes, "Owner", a.Owner, b.Owner);
        Diff(changes, "Start", RoadmapRules.Iso(a.Start), RoadmapRules.Iso(b.Start), quote: false);
        Diff(changes, "End", RoadmapRules.Iso(a.End), RoadmapRules.Iso(b.End), quote: false);
        Diff(changes, "BaselineEnd", RoadmapRules.Iso(a.BaselineEnd), RoadmapRules.Iso(b.BaselineEnd), quote: false);
        if (a.Status != b.Status)
            changes.Add(RoadmapMessage.Of(RoadmapSentences.Diff, Field("Status"), RoadmapMessage.Key("RmStatus_" + a.Status), RoadmapMessage.Key("RmStatus_" + b.Status)));
        if (a.Notes != b.Notes) changes.Add(RoadmapMessage.Of(Changed, Field("Notes")));
        if (a.NotesZh != b.NotesZh) changes.Add(RoadmapMessage.Of(Changed, Field("NotesZh")));
        return changes;
    }

    /// <summary>"Name "a" → "b"", "End 2027-03-31 → 2027-04-15", "Chinese name (none) → "试点"".</summary>
    private static void Diff(List<RoadmapMessage> changes, string field, string? before, string? after, bool quote = true)
    {
        if (before == after) return;
        object Show(string? s) => s is null ? RoadmapMessage.Of(None) : quote ? RoadmapMessage.Of(Quoted, s) : s;
        changes.Add(RoadmapMessage.Of(RoadmapSentences.Diff, Field(field), Show(before), Show(after)));
    }

    // ---------------------------------------------------------------- gates

    public Task<GateView> AddGateAsync(int milestoneId, GateInput input, string? user, CancellationToken ct) => InTransactionAsync(async () =>
    {
        var rules = Rules();
        var milestone = await db.RoadmapMilestones.AsNoTracking().FirstOrDefaultAsync(m => m.Id == milestoneId, ct) ?? throw MilestoneNotFound(rules, milestoneId);
        var gate = new KpiGate { MilestoneId = milestoneId, Metric = "", Scope = "", State = GateState.Pending };
        ApplyGate(rules, gate, input);
        rules.ThrowIfAny();
        db.RoadmapGates.Add(gate);
        await db.SaveChangesAsync(ct);
        Record(user, RoadmapEntities.Gate, gate.Id, RoadmapEntities.Create, RoadmapMessage.Of(GateAdded, GateMessage(gate), NameOf(milestone)), null, gate);
        await new KpiGateChecker(db).CheckAsync([gate], Now, ct);
        await db.SaveChangesAsync(ct);
        return ToView(gate);
    }, ct);

    public Task<GateView> UpdateGateAsync(int gateId, GateInput input, string? user, CancellationToken ct) => InTransactionAsync(async () =>
    {
        var rules = Rules();
        var gate = await db.RoadmapGates.FirstOrDefaultAsync(g => g.Id == gateId, ct) ?? throw new RoadmapNotFoundException(rules.Text("RmErrGateNotFound", gateId));
        var before = JsonSerializer.Serialize(gate, Json);
        var old = GateMessage(gate);
        ApplyGate(rules, gate, input);
        rules.ThrowIfAny();
        if (GateText(gate) != old.English())
        {
            var titles = await TitlesAsync([gate.MilestoneId], ct);
            var summary = RoadmapMessage.Of(GateUpdated, titles.GetValueOrDefault(gate.MilestoneId), old, GateMessage(gate));
            db.RoadmapChanges.Add(new RoadmapChange
            {
                At = Now, User = user, Entity = RoadmapEntities.Gate, EntityId = gate.Id, Action = RoadmapEntities.Update,
                Summary = summary.English(), SummaryCode = summary.Code, SummaryArgs = summary.ArgsJson(),
                Before = before, After = JsonSerializer.Serialize(gate, Json),
            });
            await new KpiGateChecker(db).CheckAsync([gate], Now, ct);
            await db.SaveChangesAsync(ct);
        }
        return ToView(gate);
    }, ct);

    public Task DeleteGateAsync(int gateId, string? user, CancellationToken ct) => InTransactionAsync(async () =>
    {
        var gate = await db.RoadmapGates.FirstOrDefaultAsync(g => g.Id == gateId, ct) ?? throw new RoadmapNotFoundException(Rules().Text("RmErrGateNotFound", gateId));
        var titles = await TitlesAsync([gate.MilestoneId], ct);
        await RemoveGateAsync(gate, titles.GetValueOrDefault(gate.MilestoneId), user, ct);
        await db.SaveChangesAsync(ct);
        return true;
    }, ct);

    /// <summary>
    /// Removes a gate; its state history (which the database drops with it) goes into the deletion's record first, as
    /// <see cref="DeletedGate.Events"/> in <see cref="RoadmapChange.Before"/>: the change history keeps why the gate was
    /// met or missed and when, while the live tables hold only live gates (no soft-deleted rows for every read to skip).
    /// </summary>
    private async Task RemoveGateAsync(KpiGate gate, JsonNode? milestoneTitle, string? user, CancellationToken ct)
    {
        var events = await db.RoadmapGateEvents.AsNoTracking().Where(e => e.GateId == gate.Id).OrderBy(e => e.Id).ToListAsync(ct);
        Record(user, RoadmapEntities.Gate, gate.Id, RoadmapEntities.Delete, RoadmapMessage.Of(GateDeleted, GateMessage(gate), milestoneTitle),
            new DeletedGate(gate.Id, gate.MilestoneId, gate.Metric, gate.Scope, gate.TargetLabel, gate.Comparison, gate.Target, gate.State,
                gate.EvaluationId, gate.Value, gate.CheckedAt, [.. events.Select(ToView)]), null);
        db.RoadmapGates.Remove(gate);
    }

    public Task RefreshGatesAsync(CancellationToken ct) => InTransactionAsync(async () =>
    {
        var gates = await db.RoadmapGates.ToListAsync(ct);
        var changed = await new KpiGateChecker(db).CheckAsync(gates, Now, ct);
        await db.SaveChangesAsync(ct);
        if (changed > 0)
            logger.LogInformation("Roadmap: {Changed} of {Gates} KPI gate(s) changed state", changed, gates.Count);
        return changed;
    }, ct);

    private static void ApplyGate(RoadmapRules rules, KpiGate gate, GateInput input)
    {
        var metric = rules.Metric(input.Metric);
        var scope = rules.Scope(input.Scope, metric);
        rules.Target(metric, input.Target);
        var label = rules.Optional("targetLabel", input.TargetLabel, RoadmapRules.TargetLabelMax);
        if (input.Comparison is { } c && !Enum.IsDefined(c))
            rules.Add("comparison", "RmErrComparison");
        if (metric is null) return;
        gate.Metric = metric;
        gate.Scope = scope;
        gate.TargetLabel = label;
        gate.Target = input.Target;
        gate.Comparison = input.Comparison ?? (Evaluation.Scoring.MetricNames.LowerIsBetter(metric) ? GateComparison.AtMost : GateComparison.AtLeast);
    }

    /// <summary>"bleu ≥ 30", "f1 (slice:domain) ≥ 70 for "model A"".</summary>
    internal static RoadmapMessage GateMessage(KpiGate gate)
    {
        var what = RoadmapMessage.MetricIn(gate.Metric, gate.Scope);
        var sign = gate.Comparison == GateComparison.AtLeast ? "≥" : "≤";
        return gate.TargetLabel is null
            ? RoadmapMessage.Of(RoadmapSentences.Gate, what, sign, RoadmapRules.Number(gate.Target))
            : RoadmapMessage.Of(GateFor, what, sign, RoadmapRules.Number(gate.Target), gate.TargetLabel);
    }

    internal static string GateText(KpiGate gate) => GateMessage(gate).English();

    // ---------------------------------------------------------------- shared

    /// <summary>
    /// Runs <paramref name="work"/> in one immediate transaction (writers queue; no snapshot goes stale between the
    /// checks and the write), or inside the caller's when one is open (the default roadmap is written whole).
    /// An exception rolls everything back. Either way the roadmap's entities leave the change tracker: a page's
    /// circuit keeps one context for its whole life, and an entity tracked from an earlier edit would otherwise be
    /// returned, stale, by the next query instead of what another manager has stored since.
    /// </summary>
    private async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null)
            return await work();
        try
        {
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(ct);
            var result = await work();
            await transaction.CommitAsync(ct);
            return result;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    private void Record(string? user, string entity, int entityId, string action, RoadmapMessage summary, object? before, object? after) =>
        db.RoadmapChanges.Add(new RoadmapChange
        {
            At = Now, User = user, Entity = entity, EntityId = entityId, Action = action,
            Summary = summary.English(), SummaryCode = summary.Code, SummaryArgs = summary.ArgsJson(),
            Before = before is null ? null : JsonSerializer.Serialize(before, before.GetType(), Json),
            After = after is null ? null : JsonSerializer.Serialize(after, after.GetType(), Json),
        });

    private static RoadmapNotFoundException PhaseNotFound(RoadmapRules rules, int id) => new(rules.Text("RmErrPhaseNotFound", id));
    private static RoadmapNotFoundException MilestoneNotFound(RoadmapRules rules, int id) => new(rules.Text("RmErrMilestoneNotFound", id));

    private static PhaseSnapshot Snapshot(RoadmapPhase p) => new(p.Id, p.Name, p.NameZh, p.Order, p.Description, p.DescriptionZh);

    private static MilestoneSnapshot Snapshot(RoadmapMilestone m, IReadOnlyList<int> dependsOn) =>
        new(m.Id, m.PhaseId, m.Title, m.TitleZh, m.Owner, m.Start, m.End, m.BaselineEnd, m.Status, m.Notes, m.Version, [.. dependsOn.Order()], m.NotesZh);

    internal static PhaseView ToView(RoadmapPhase p) => new(p.Id, p.Name, p.NameZh, p.Order, p.Description, p.DescriptionZh);

    internal static GateView ToView(KpiGate g) =>
        new(g.Id, g.MilestoneId, g.Metric, g.Scope, g.TargetLabel, g.Comparison, g.Target, g.State, g.EvaluationId, g.Value, g.CheckedAt);

    internal static GateEventView ToView(KpiGateEvent e) =>
        new(e.Id, e.GateId, e.At, e.From, e.To, e.EvaluationId, e.Value, e.Reason, RoadmapMessage.Parse(e.ReasonCode, e.ReasonArgs));

    /// <param name="ends">The end of (at least) every milestone <paramref name="m"/> depends on.</param>
    internal static MilestoneView ToView(RoadmapMilestone m, IEnumerable<int> dependsOn, IEnumerable<KpiGate> gates, IReadOnlyDictionary<int, DateOnly> ends, DateOnly today)
    {
        var gateViews = gates.Select(ToView).ToList();
        var dependencies = dependsOn.Order().ToList();
        return new MilestoneView(m.Id, m.PhaseId, m.Title, m.TitleZh, m.Owner, m.Start, m.End, m.BaselineEnd, m.Status, m.Notes, m.Version,
            dependencies, gateViews,
            SlipDays: Math.Max(0, m.End.DayNumber - m.BaselineEnd.DayNumber),
            Overdue: m.End < today && m.Status != MilestoneStatus.Done,
            GatesMet: gateViews.All(g => g.State == GateState.Met),
            m.UpdatedAt, m.UpdatedBy,
            // Finish-to-start: it may start the day after a dependency's (inclusive) end, not earlier.
            DependencyConflicts: [.. dependencies.Where(d => ends.TryGetValue(d, out var end) && m.Start <= end)],
            m.NotesZh);
    }

    /// <summary>A deleted gate as its deletion record keeps it: the gate and its whole state history, oldest first.</summary>
    private sealed record DeletedGate(
        int Id, int MilestoneId, string Metric, string Scope, string? TargetLabel, GateComparison Comparison, double Target, GateState State,
        int? EvaluationId, double? Value, DateTimeOffset? CheckedAt, IReadOnlyList<GateEventView> Events);

    private sealed record PhaseSnapshot(int Id, string Name, string? NameZh, int Order, string? Description, string? DescriptionZh);

    private sealed record MilestoneSnapshot(
        int Id, int PhaseId, string Title, string? TitleZh, string Owner, DateOnly Start, DateOnly End, DateOnly BaselineEnd,
        MilestoneStatus Status, string? Notes, int Version, IReadOnlyList<int> DependsOn, string? NotesZh);
}

/// <summary>The words stored in <see cref="RoadmapChange.Entity"/> and <see cref="RoadmapChange.Action"/>.</summary>
public static class RoadmapEntities
{
    public const string Phase = "phase";
    public const string Milestone = "milestone";
    public const string Dependency = "dependency";
    public const string Gate = "gate";
    public const string Create = "create";
    public const string Update = "update";
    public const string Delete = "delete";
}
