using System.Text.Json;
using DeepSeek.Portal.Evaluations.Suites;
using DeepSeek.Portal.Evaluations.Targets;
using DeepSeek.Portal.Models.Generation;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace DeepSeek.Portal.Evaluations;

public sealed record EvaluationLaunchOutcome(EvaluationSummary? Evaluation, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool Succeeded => Evaluation is not null;
}

/// <summary>Outcome of a removal.</summary>
public enum EvaluationRemoval { NotFound, Active, Deleted }

/// <summary>Launches, lists, cancels and deletes evaluations. An evaluation runs as a Quartz job (<see cref="EvaluationJob"/>); this service never calls a target.</summary>
public sealed class EvaluationService(PortalDbContext db, EvaluationSuites suites, GenerationSources sources, ISchedulerFactory schedulerFactory,
    EvaluationSupervisor supervisor, EvaluationLiveFeed feed, TimeProvider clock)
{
    public const int MaxPageSize = 200;

    /// <summary>Checks everything and queues the evaluation, or returns field → messages and queues nothing.</summary>
    public async Task<EvaluationLaunchOutcome> LaunchAsync(EvaluationLaunchRequest request, string? user, int? scheduleId, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        EvaluationSettings.Validate(request, errors);
        if (request.Name is { Length: > 200 })
            errors["name"] = ["The name is longer than 200 characters."];

        int items = 0;
        string? suiteName = null;
        if (request.SuiteVersionId is not int versionId)
            errors["suiteVersionId"] = ["Choose the suite: a dataset version id."];
        else
        {
            var version = await db.DatasetVersions.AsNoTracking().FirstOrDefaultAsync(v => v.Id == versionId, ct);
            if (version is null)
                errors["suiteVersionId"] = [$"Dataset version {versionId} does not exist."];
            else
            {
                suiteName = await SuiteNameAsync(version.DatasetId, version.Number, ct);
                var read = await suites.ItemsAsync(versionId, ct);
                if (read is null)
                    errors["suiteVersionId"] = [$"The file of dataset version {versionId} is missing from the data directory."];
                else if (read.Count == 0)
                    errors["suiteVersionId"] = [$"Dataset version {versionId} has no records to evaluate."];
                items = read?.Count ?? 0;
            }
        }

        var (kind, label) = await CheckTargetAsync(request.Target, errors, ct);
        if (errors.Count > 0)
            return new EvaluationLaunchOutcome(null, errors);

        var now = clock.GetUtcNow();
        var defaultName = $"{suiteName} · {label} {now:yyyy-MM-dd HH:mm}";
        var evaluation = new EvaluationRun
        {
            Name = string.IsNullOrWhiteSpace(request.Name) ? defaultName[..Math.Min(200, defaultName.Length)] : request.Name.Trim(),
            SuiteVersionId = request.SuiteVersionId!.Value,
            TargetKind = kind,
            TargetRunId = kind == EvaluationTargetKind.Run ? request.Target!.Id : null,
            TargetModelId = kind == EvaluationTargetKind.Model ? request.Target!.Id : null,
            TargetEndpointId = kind == EvaluationTargetKind.Endpoint ? request.Target!.Id : null,
            TargetLabel = label!,
            Settings = EvaluationSettings.From(request).ToJson(),
            Status = EvaluationStatus.Queued,
            ItemsTotal = items,
            ScheduleId = scheduleId,
            CreatedAt = now,
            CreatedBy = user,
        };
        db.Evaluations.Add(evaluation);
        await db.SaveChangesAsync(ct);
        await ScheduleAsync(evaluation.Id, ct);
        feed.Publish(EvaluationUpdate.From(evaluation));
        return new EvaluationLaunchOutcome(EvaluationSummary.From(evaluation, suiteName, now), new Dictionary<string, string[]>());
    }

    /// <summary>Checks the target and returns its kind and label (fixed at launch: a renamed model does not rename past evaluations).</summary>
    internal async Task<(EvaluationTargetKind Kind, string? Label)> CheckTargetAsync(EvaluationTargetRequest? target, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (target is null)
        {
            errors["target"] = ["Choose a target: {\"kind\": \"run\" | \"model\" | \"endpoint\", \"id\": …}."];
            return default;
        }
        EvaluationTargetKind kind;
        switch (target.Kind?.Trim().ToLowerInvariant())
        {
            case "run": kind = EvaluationTargetKind.Run; break;
            case "model": kind = EvaluationTargetKind.Model; break;
            case "endpoint": kind = EvaluationTargetKind.Endpoint; break;
            default:
                errors["target.kind"] = [$"The target kind must be run, model or endpoint (was '{target.Kind}')."];
                return default;
        }
        if (target.Id is not int id)
        {
            errors["target.id"] = [$"Give the {kind.ToString().ToLowerInvariant()}'s id."];
            return (kind, null);
        }
        switch (kind)
        {
            case EvaluationTargetKind.Run:
                var (source, problem) = await sources.ForRunAsync(id, ct);
                if (source is null)
                {
                    errors["target.id"] = [EvaluationTargets.RunProblem(id, problem)];
                    return (kind, null);
                }
                var runName = await db.Runs.Where(r => r.Id == id).Select(r => r.Name).FirstAsync(ct);
                return (kind, $"run #{id} {runName}");
            case EvaluationTargetKind.Model:
                var model = await db.Models.AsNoTracking().Where(m => m.Id == id).Select(m => new { m.Name }).FirstOrDefaultAsync(ct);
                if (model is null)
                {
                    errors["target.id"] = [$"Model {id} is not registered."];
                    return (kind, null);
                }
                try
                {
                    if (await sources.ForModelAsync(id, ct) is not { } folder || !Directory.Exists(folder.Folder))
                        errors["target.id"] = [$"The folder of model {id} no longer exists."];
                }
                catch (Exception e) when (e is Models.ModelFolderException or IOException or UnauthorizedAccessException)
                {
                    errors["target.id"] = [$"The folder of model {id} cannot be used: {e.Message}"];
                }
                return (kind, model.Name);
            default:
                var endpoint = await db.EvaluationEndpoints.AsNoTracking().Where(e => e.Id == id).Select(e => new { e.Name, e.Model }).FirstOrDefaultAsync(ct);
                if (endpoint is null)
                {
                    errors["target.id"] = [$"Endpoint {id} does not exist."];
                    return (kind, null);
                }
                return (kind, $"{endpoint.Name} · {endpoint.Model}");
        }
    }

    private async Task<string?> SuiteNameAsync(int datasetId, int number, CancellationToken ct)
    {
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        return name is null ? null : number > 1 ? $"{name} v{number}" : name;
    }

    public async Task ScheduleAsync(int evaluationId, CancellationToken ct)
    {
        var scheduler = await schedulerFactory.GetScheduler(ct);
        var key = EvaluationJob.KeyFor(evaluationId);
        if (await scheduler.Exists(key, ct))
            return;
        var job = JobBuilder.Create<EvaluationJob>()
            .WithIdentity(key)
            .UsingJobData(EvaluationJob.EvaluationIdKey, evaluationId)
            // A crash mid-evaluation re-fires the job on the next start; items already stored are skipped.
            .RequestRecovery()
            .Build();
        var trigger = TriggerBuilder.Create().WithIdentity(key.Name, key.Group).WithExecutionGroup(EvaluationJob.ExecutionGroup).StartNow().Build();
        await scheduler.ScheduleJob(job, trigger, cancellationToken: ct);
    }

    public async Task<IReadOnlyList<EvaluationSummary>> ListAsync(EvaluationStatus? status, int? suiteVersionId, string? targetKind, int? targetId, int? scheduleId, CancellationToken ct)
    {
        var query = db.Evaluations.AsNoTracking();
        if (status is { } s) query = query.Where(e => e.Status == s);
        if (suiteVersionId is { } v) query = query.Where(e => e.SuiteVersionId == v);
        if (scheduleId is { } sch) query = query.Where(e => e.ScheduleId == sch);
        if (targetKind is not null && Enum.TryParse<EvaluationTargetKind>(targetKind, ignoreCase: true, out var kind))
        {
            query = query.Where(e => e.TargetKind == kind);
            if (targetId is { } t)
                query = kind switch
                {
                    EvaluationTargetKind.Run => query.Where(e => e.TargetRunId == t),
                    EvaluationTargetKind.Model => query.Where(e => e.TargetModelId == t),
                    _ => query.Where(e => e.TargetEndpointId == t),
                };
        }
        var rows = await query.OrderByDescending(e => e.Id).Take(200).ToListAsync(ct);
        var names = await SuiteNamesAsync(rows.Select(r => r.SuiteVersionId), ct);
        var now = clock.GetUtcNow();
        return rows.Select(r => EvaluationSummary.From(r, names.GetValueOrDefault(r.SuiteVersionId), now)).ToList();
    }

    private async Task<Dictionary<int, string>> SuiteNamesAsync(IEnumerable<int> versionIds, CancellationToken ct)
    {
        var ids = versionIds.Distinct().ToList();
        return (await db.DatasetVersions.AsNoTracking().Where(v => ids.Contains(v.Id))
                .Join(db.Datasets.AsNoTracking(), v => v.DatasetId, d => d.Id, (v, d) => new { v.Id, d.Name, v.Number }).ToListAsync(ct))
            .ToDictionary(x => x.Id, x => x.Number > 1 ? $"{x.Name} v{x.Number}" : x.Name);
    }

    public async Task<EvaluationDetail?> GetAsync(int id, CancellationToken ct)
    {
        var row = await db.Evaluations.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
        if (row is null)
            return null;
        var names = await SuiteNamesAsync([row.SuiteVersionId], ct);
        var figures = await db.EvaluationMetrics.AsNoTracking().Where(m => m.EvaluationId == id).OrderBy(m => m.Tier).ThenBy(m => m.Metric).ThenBy(m => m.Scope).ToListAsync(ct);
        return new EvaluationDetail(EvaluationSummary.From(row, names.GetValueOrDefault(row.SuiteVersionId), clock.GetUtcNow()), figures.Select(EvaluationFigure.From).ToList());
    }

    /// <summary>A page of an evaluation's items, optionally of one slice, kind or domain, or only failed ones.</summary>
    public async Task<EvaluationItemPage?> ItemsAsync(int id, string? slice, string? kind, string? domain, bool? failed, int page, int pageSize, CancellationToken ct)
    {
        if (!await db.Evaluations.AnyAsync(e => e.Id == id, ct))
            return null;
        var query = db.EvaluationItems.AsNoTracking().Where(i => i.EvaluationId == id);
        if (!string.IsNullOrWhiteSpace(slice)) query = query.Where(i => i.Slice == slice.Trim().ToLower());
        if (!string.IsNullOrWhiteSpace(kind)) query = query.Where(i => i.Kind == kind.Trim().ToLower());
        if (!string.IsNullOrWhiteSpace(domain)) query = query.Where(i => i.Domain == domain.Trim());
        if (failed is true) query = query.Where(i => i.Error != null);
        else if (failed is false) query = query.Where(i => i.Error == null);
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        page = Math.Max(1, page);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderBy(i => i.Id).Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        return new EvaluationItemPage(total, page, pageSize, rows.Select(View).ToList());
    }

    internal static EvaluationItemView View(EvaluationItemResult r) => new(
        r.ItemId, r.Slice, r.Kind, r.Domain, r.Input, r.Output,
        r.References is null ? [] : JsonSerializer.Deserialize<List<string>>(r.References) ?? [],
        r.Scores is null ? new Dictionary<string, double>() : JsonSerializer.Deserialize<Dictionary<string, double>>(r.Scores) ?? [],
        r.Error, r.FromCache, r.Seconds, r.Note);

    /// <summary>Requests cancellation: a queued evaluation is cancelled at once, a running one after the items in flight (their results are kept).</summary>
    public async Task<EvaluationSummary?> CancelAsync(int id, CancellationToken ct)
    {
        var row = await db.Evaluations.FirstOrDefaultAsync(e => e.Id == id, ct);
        if (row is null)
            return null;
        if (row.Status is EvaluationStatus.Queued or EvaluationStatus.Running)
        {
            row.CancelRequested = true;
            if (row.Status == EvaluationStatus.Queued && !supervisor.IsRunning(id))
            {
                row.Status = EvaluationStatus.Cancelled;
                row.FinishedAt = clock.GetUtcNow();
                var scheduler = await schedulerFactory.GetScheduler(ct);
                await scheduler.DeleteJob(EvaluationJob.KeyFor(id), ct);
            }
            await db.SaveChangesAsync(ct);
            supervisor.Cancel(id);
            feed.Publish(EvaluationUpdate.From(row));
        }
        var names = await SuiteNamesAsync([row.SuiteVersionId], ct);
        return EvaluationSummary.From(row, names.GetValueOrDefault(row.SuiteVersionId), clock.GetUtcNow());
    }

    /// <summary>Deletes a finished evaluation with its items, figures and kept outputs; refused while it is queued or running.</summary>
    public async Task<EvaluationRemoval> DeleteAsync(int id, CancellationToken ct)
    {
        var row = await db.Evaluations.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
        if (row is null)
            return EvaluationRemoval.NotFound;
        if (row.Status is EvaluationStatus.Queued or EvaluationStatus.Running || supervisor.IsRunning(id))
            return EvaluationRemoval.Active;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.EvaluationItems.Where(i => i.EvaluationId == id).ExecuteDeleteAsync(ct);
        await db.EvaluationMetrics.Where(m => m.EvaluationId == id).ExecuteDeleteAsync(ct);
        await EvaluationOutputs.DeleteAsync(db, id, ct);
        await db.Evaluations.Where(e => e.Id == id).ExecuteDeleteAsync(ct);
        await transaction.CommitAsync(ct);
        return EvaluationRemoval.Deleted;
    }

    /// <summary>Dataset versions that can be suites (archived datasets left out), suite files marked.</summary>
    public async Task<IReadOnlyList<SuiteVersionChoice>> SuiteChoicesAsync(CancellationToken ct) =>
        (await db.DatasetVersions.AsNoTracking()
            .Join(db.Datasets.AsNoTracking().Where(d => d.ArchivedAt == null), v => v.DatasetId, d => d.Id, (v, d) => new { v.Id, v.DatasetId, d.Name, v.Number, v.RecordCount, v.Operation })
            .ToListAsync(ct))
        .Select(x => new SuiteVersionChoice(x.Id, x.DatasetId, x.Name, x.Number, x.RecordCount, x.Operation is "suite" or "compose"))
        .OrderByDescending(c => c.IsSuiteFile).ThenBy(c => c.DatasetName, StringComparer.CurrentCulture).ThenBy(c => c.Number).ToList();
}
