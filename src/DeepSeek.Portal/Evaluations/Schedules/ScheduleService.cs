using System.Security.Claims;
using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace DeepSeek.Portal.Evaluations.Schedules;

/// <summary>A recurring evaluation: suite, target, settings, a Quartz cron expression and the time zone it is read in.</summary>
public sealed record ScheduleRequest(
    string? Name,
    int? SuiteVersionId,
    EvaluationTargetRequest? Target,
    string? Cron,
    string? TimeZone = null,
    int? MaxNewTokens = null,
    int? Concurrency = null,
    bool? MeasurePerplexity = null,
    bool? Enabled = null);

/// <summary>A schedule as the API shows it, with its next firing (null when disabled).</summary>
public sealed record ScheduleView(int Id, string Name, int SuiteVersionId, string TargetKind, int? TargetId, string Cron, string TimeZone,
    EvaluationSettings Settings, bool Enabled, DateTimeOffset? NextRunAt, DateTimeOffset CreatedAt, string? CreatedBy);

public sealed record ScheduleChange(ScheduleView? Schedule, IReadOnlyDictionary<string, string[]> Errors, bool NotFound = false);

/// <summary>
/// Evaluation schedules: each enabled schedule has a Quartz cron trigger (in its time zone) that launches an
/// evaluation of its suite against its target through <see cref="EvaluationService.LaunchAsync"/> — the same checks
/// as a launch by hand; a launch that fails them (the run was deleted, say) is logged and the schedule keeps firing.
/// </summary>
public sealed class ScheduleService(PortalDbContext db, EvaluationService evaluations, ISchedulerFactory schedulerFactory, TimeProvider clock)
{
    private const string Group = "evaluation-schedule";

    public static JobKey KeyFor(int scheduleId) => new($"schedule-{scheduleId}", Group);

    public async Task<IReadOnlyList<ScheduleView>> ListAsync(CancellationToken ct)
    {
        var rows = await db.EvaluationSchedules.AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct);
        var views = new List<ScheduleView>();
        foreach (var row in rows)
            views.Add(await ViewAsync(row, ct));
        return views;
    }

    public async Task<ScheduleView?> GetAsync(int id, CancellationToken ct) =>
        await db.EvaluationSchedules.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct) is { } row ? await ViewAsync(row, ct) : null;

    private async Task<ScheduleView> ViewAsync(EvaluationSchedule s, CancellationToken ct)
    {
        DateTimeOffset? next = null;
        if (s.Enabled)
        {
            var scheduler = await schedulerFactory.GetScheduler(ct);
            next = (await scheduler.GetTriggersOfJob(KeyFor(s.Id), ct)).Select(t => t.NextFireTimeUtc).FirstOrDefault(t => t is not null);
        }
        return new ScheduleView(s.Id, s.Name, s.SuiteVersionId, s.TargetKind.ToString().ToLowerInvariant(),
            s.TargetKind switch { EvaluationTargetKind.Run => s.TargetRunId, EvaluationTargetKind.Model => s.TargetModelId, _ => s.TargetEndpointId },
            s.Cron, s.TimeZone, EvaluationSettings.Read(s.Settings), s.Enabled, next, s.CreatedAt, s.CreatedBy);
    }

    /// <summary>What is wrong with a cron expression (Quartz syntax, seconds first), or null.</summary>
    public static string? CheckCron(string? cron, TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(cron))
            return "Give a Quartz cron expression (seconds first), for example \"0 0 2 * * ?\" for 02:00 every day.";
        try
        {
            var expression = new CronExpression(cron.Trim(), zone);
            return expression.GetNextValidTimeAfter(DateTimeOffset.UtcNow) is null ? "The cron expression never fires again." : null;
        }
        catch (FormatException e)
        {
            return $"Not a valid Quartz cron expression (seconds minutes hours day-of-month month day-of-week [year], for example \"0 0 2 * * ?\"): {e.Message}";
        }
    }

    /// <summary>The time zone of an IANA (or Windows) id, or null.</summary>
    public static TimeZoneInfo? FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return TimeZoneInfo.Utc;
        try { return TimeZoneInfo.FindSystemTimeZoneById(id.Trim()); }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException) { return null; }
    }

    private async Task<Dictionary<string, string[]>> ValidateAsync(ScheduleRequest r, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(r.Name)) errors["name"] = ["Give the schedule a name."];
        else if (r.Name.Trim().Length > 200) errors["name"] = ["The name is longer than 200 characters."];
        var zone = FindZone(r.TimeZone);
        if (zone is null) errors["timeZone"] = [$"Unknown time zone '{r.TimeZone}'; use an IANA name such as Asia/Shanghai or UTC."];
        if (CheckCron(r.Cron, zone ?? TimeZoneInfo.Utc) is { } cronProblem) errors["cron"] = [cronProblem];
        var launch = ToLaunch(r, null);
        EvaluationSettings.Validate(launch, errors);
        if (r.SuiteVersionId is not int versionId) errors["suiteVersionId"] = ["Choose the suite: a dataset version id."];
        else if (!await db.DatasetVersions.AnyAsync(v => v.Id == versionId, ct)) errors["suiteVersionId"] = [$"Dataset version {versionId} does not exist."];
        await evaluations.CheckTargetAsync(r.Target, errors, ct);
        return errors;
    }

    private static EvaluationLaunchRequest ToLaunch(ScheduleRequest r, string? name) =>
        new(name, r.SuiteVersionId, r.Target, r.MaxNewTokens, r.Concurrency, r.MeasurePerplexity);

    public async Task<ScheduleChange> CreateAsync(ScheduleRequest request, string? user, CancellationToken ct)
    {
        var errors = await ValidateAsync(request, ct);
        if (errors.Count > 0)
            return new ScheduleChange(null, errors);
        var schedule = new EvaluationSchedule
        {
            Name = request.Name!.Trim(), SuiteVersionId = request.SuiteVersionId!.Value, Cron = request.Cron!.Trim(),
            TimeZone = FindZone(request.TimeZone)!.Id, Settings = EvaluationSettings.From(ToLaunch(request, null)).ToJson(),
            Enabled = request.Enabled ?? true, CreatedAt = clock.GetUtcNow(), CreatedBy = user,
        };
        ApplyTarget(schedule, request.Target!);
        db.EvaluationSchedules.Add(schedule);
        await db.SaveChangesAsync(ct);
        await SyncTriggerAsync(schedule, ct);
        return new ScheduleChange(await ViewAsync(schedule, ct), new Dictionary<string, string[]>());
    }

    public async Task<ScheduleChange> UpdateAsync(int id, ScheduleRequest request, CancellationToken ct)
    {
        var schedule = await db.EvaluationSchedules.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (schedule is null)
            return new ScheduleChange(null, new Dictionary<string, string[]>(), NotFound: true);
        var errors = await ValidateAsync(request, ct);
        if (errors.Count > 0)
            return new ScheduleChange(null, errors);
        schedule.Name = request.Name!.Trim();
        schedule.SuiteVersionId = request.SuiteVersionId!.Value;
        schedule.Cron = request.Cron!.Trim();
        schedule.TimeZone = FindZone(request.TimeZone)!.Id;
        schedule.Settings = EvaluationSettings.From(ToLaunch(request, null)).ToJson();
        schedule.Enabled = request.Enabled ?? schedule.Enabled;
        ApplyTarget(schedule, request.Target!);
        await db.SaveChangesAsync(ct);
        await SyncTriggerAsync(schedule, ct);
        return new ScheduleChange(await ViewAsync(schedule, ct), new Dictionary<string, string[]>());
    }

    private static void ApplyTarget(EvaluationSchedule schedule, EvaluationTargetRequest target)
    {
        schedule.TargetKind = Enum.Parse<EvaluationTargetKind>(target.Kind!.Trim(), ignoreCase: true);
        schedule.TargetRunId = schedule.TargetKind == EvaluationTargetKind.Run ? target.Id : null;
        schedule.TargetModelId = schedule.TargetKind == EvaluationTargetKind.Model ? target.Id : null;
        schedule.TargetEndpointId = schedule.TargetKind == EvaluationTargetKind.Endpoint ? target.Id : null;
    }

    public async Task<bool> DeleteAsync(int id, CancellationToken ct)
    {
        if (await db.EvaluationSchedules.Where(s => s.Id == id).ExecuteDeleteAsync(ct) == 0)
            return false;
        var scheduler = await schedulerFactory.GetScheduler(ct);
        await scheduler.DeleteJob(KeyFor(id), ct);
        return true;
    }

    /// <summary>Makes the scheduler's triggers match the table (at start: schedules are the source of truth).</summary>
    public async Task SyncTriggersAsync(CancellationToken ct)
    {
        var scheduler = await schedulerFactory.GetScheduler(ct);
        var schedules = await db.EvaluationSchedules.AsNoTracking().ToListAsync(ct);
        var known = schedules.Select(s => KeyFor(s.Id)).ToHashSet();
        foreach (var key in await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(Group), ct))
            if (!known.Contains(key))
                await scheduler.DeleteJob(key, ct);
        foreach (var schedule in schedules)
            await SyncTriggerAsync(schedule, ct);
    }

    private async Task SyncTriggerAsync(EvaluationSchedule schedule, CancellationToken ct)
    {
        var scheduler = await schedulerFactory.GetScheduler(ct);
        var key = KeyFor(schedule.Id);
        await scheduler.DeleteJob(key, ct);
        if (!schedule.Enabled || FindZone(schedule.TimeZone) is not { } zone || CheckCron(schedule.Cron, zone) is not null)
            return;
        var job = JobBuilder.Create<ScheduledEvaluationJob>().WithIdentity(key).UsingJobData(ScheduledEvaluationJob.ScheduleIdKey, schedule.Id).Build();
        var trigger = TriggerBuilder.Create().WithIdentity(key.Name, key.Group)
            // A firing missed while the portal was down is not made up: the next one comes at its time.
            .WithCronSchedule(schedule.Cron, c => c.InTimeZone(zone).WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing))
            .Build();
        await scheduler.ScheduleJob(job, trigger, cancellationToken: ct);
    }

    /// <summary>Launches the schedule's evaluation now (what its trigger does); field → messages when the launch checks fail.</summary>
    public async Task<EvaluationLaunchOutcome?> LaunchAsync(int scheduleId, CancellationToken ct)
    {
        var s = await db.EvaluationSchedules.AsNoTracking().FirstOrDefaultAsync(x => x.Id == scheduleId, ct);
        if (s is null)
            return null;
        var settings = EvaluationSettings.Read(s.Settings);
        var target = new EvaluationTargetRequest(s.TargetKind.ToString().ToLowerInvariant(),
            s.TargetKind switch { EvaluationTargetKind.Run => s.TargetRunId, EvaluationTargetKind.Model => s.TargetModelId, _ => s.TargetEndpointId });
        var name = $"{s.Name} {clock.GetUtcNow():yyyy-MM-dd HH:mm}";
        return await evaluations.LaunchAsync(new EvaluationLaunchRequest(name[..Math.Min(200, name.Length)], s.SuiteVersionId, target, settings.MaxNewTokens, settings.Concurrency, settings.MeasurePerplexity),
            s.CreatedBy, s.Id, ct);
    }
}

/// <summary>Fired by a schedule's cron trigger: launches its evaluation.</summary>
public sealed class ScheduledEvaluationJob(IServiceScopeFactory scopes, ILogger<ScheduledEvaluationJob> logger) : IJob
{
    public const string ScheduleIdKey = "scheduleId";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        var id = context.MergedJobDataMap.GetInt(ScheduleIdKey);
        await using var scope = scopes.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<ScheduleService>().LaunchAsync(id, ct);
        if (outcome is null)
            logger.LogWarning("Schedule {ScheduleId} fired but no longer exists", id);
        else if (!outcome.Succeeded)
            logger.LogWarning("Schedule {ScheduleId} could not launch its evaluation: {Errors}", id, string.Join(" ", outcome.Errors.SelectMany(e => e.Value)));
        else
            logger.LogInformation("Schedule {ScheduleId} launched evaluation {EvaluationId}", id, outcome.Evaluation!.Id);
    }
}

public static class ScheduleEndpoints
{
    public static IEndpointRouteBuilder MapScheduleEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/evaluation-schedules").WithTags("Evaluation schedules").RequireAuthorization(PortalPolicies.Read);

        group.MapGet("/", (ScheduleService service, CancellationToken ct) => service.ListAsync(ct))
            .WithName("ListEvaluationSchedules").WithSummary("Every evaluation schedule with its next firing.");

        group.MapGet("/{id:int}", async Task<Results<Ok<ScheduleView>, NotFound>> (int id, ScheduleService service, CancellationToken ct) =>
                await service.GetAsync(id, ct) is { } s ? TypedResults.Ok(s) : TypedResults.NotFound())
            .WithName("GetEvaluationSchedule").WithSummary("One schedule.");

        group.MapPost("/", async Task<Results<Created<ScheduleView>, ValidationProblem>> (ScheduleRequest request, ScheduleService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var change = await service.CreateAsync(request, user.Identity?.Name, ct);
                return change.Schedule is { } s ? TypedResults.Created($"/api/evaluation-schedules/{s.Id}", s) : TypedResults.ValidationProblem(change.Errors, title: "The schedule was not created.");
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("CreateEvaluationSchedule")
            .WithSummary("Creates a schedule: name, suiteVersionId, target {kind, id}, cron (Quartz, seconds first: \"0 0 2 * * ?\"), timeZone (IANA, default UTC), maxNewTokens, concurrency, measurePerplexity, enabled.");

        group.MapPut("/{id:int}", async Task<Results<Ok<ScheduleView>, NotFound, ValidationProblem>> (int id, ScheduleRequest request, ScheduleService service, CancellationToken ct) =>
            {
                var change = await service.UpdateAsync(id, request, ct);
                return change.NotFound ? TypedResults.NotFound() : change.Schedule is { } s ? TypedResults.Ok(s) : TypedResults.ValidationProblem(change.Errors, title: "The schedule was not changed.");
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("UpdateEvaluationSchedule").WithSummary("Replaces a schedule's settings (the same fields as when creating it).");

        group.MapDelete("/{id:int}", async Task<Results<NoContent, NotFound>> (int id, ScheduleService service, CancellationToken ct) =>
                await service.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("DeleteEvaluationSchedule").WithSummary("Deletes a schedule and its trigger; evaluations it launched stay.");

        group.MapPost("/{id:int}/run", async Task<Results<Accepted<EvaluationSummary>, NotFound, ValidationProblem>> (int id, ScheduleService service, CancellationToken ct) =>
                await service.LaunchAsync(id, ct) switch
                {
                    null => TypedResults.NotFound(),
                    { Succeeded: true } o => TypedResults.Accepted($"/api/evaluations/{o.Evaluation!.Id}", o.Evaluation),
                    var o => TypedResults.ValidationProblem(o.Errors, title: "The schedule's evaluation cannot be launched; nothing was queued."),
                })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("RunEvaluationScheduleNow").WithSummary("Launches the schedule's evaluation now, as its trigger would.");
        return app;
    }
}
