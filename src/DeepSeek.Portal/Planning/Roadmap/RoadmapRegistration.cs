using System.Security.Claims;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Evaluations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSeek.Portal.Planning.Roadmap;

/// <summary>Services, start-up work and endpoints of the roadmap.</summary>
public static class RoadmapRegistration
{
    public static IHostApplicationBuilder AddRoadmap(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddScoped<IRoadmapService, RoadmapService>();
        services.AddScoped<RoadmapExport>();
        services.AddSingleton<IEvaluationFinishedObserver, RoadmapGateObserver>();
        // After the database start-up (registered earlier): the default roadmap on first start, then gates re-checked.
        services.AddHostedService<RoadmapStartup>();
        return builder;
    }

    /// <summary>
    /// REST under <c>/api/roadmap</c>: everyone signed in reads; managers and admins change. Refused edits are 400 with
    /// the field errors (nothing saved), unknown ids 404, an edit of an older version of a milestone 409.
    /// </summary>
    public static IEndpointRouteBuilder MapRoadmapEndpoints(this IEndpointRouteBuilder app)
    {
        var roadmap = app.MapGroup("/api/roadmap").WithTags("Roadmap").RequireAuthorization(PortalPolicies.Read)
            .AddEndpointFilter(async (context, next) =>
            {
                try
                {
                    return await next(context);
                }
                catch (RoadmapValidationException e)
                {
                    return TypedResults.ValidationProblem(e.Errors.ToDictionary(x => x.Key, x => x.Value), title: "The roadmap was not changed.");
                }
                catch (RoadmapNotFoundException e)
                {
                    return TypedResults.Problem(title: "Not found.", detail: e.Message, statusCode: StatusCodes.Status404NotFound);
                }
                catch (RoadmapConflictException e)
                {
                    return TypedResults.Problem(title: "The milestone was changed by someone else.", detail: e.Message, statusCode: StatusCodes.Status409Conflict);
                }
            });

        roadmap.MapGet("/", (IRoadmapService service, CancellationToken ct) => service.GetAsync(ct))
            .WithName("GetRoadmap")
            .WithSummary("The whole roadmap: phases in order, milestones (owner, dates, status, dependencies, KPI gates, days slipped past the baseline end, overdue) and today's date.");

        roadmap.MapGet("/phases/{id:int}", (int id, IRoadmapService service, CancellationToken ct) => service.GetPhaseAsync(id, ct))
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("GetRoadmapPhase")
            .WithSummary("One phase: name, Chinese name, order and description.");
        roadmap.MapGet("/milestones/{id:int}", (int id, IRoadmapService service, CancellationToken ct) => service.GetMilestoneAsync(id, ct))
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("GetRoadmapMilestone")
            .WithSummary("One milestone as the roadmap lists it, with its version (send it back when changing the milestone) and the dependencies it starts before they end.");
        roadmap.MapGet("/gates/{id:int}", (int id, IRoadmapService service, CancellationToken ct) => service.GetGateAsync(id, ct))
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("GetRoadmapGate")
            .WithSummary("One KPI gate: metric, scope, target, state and the evaluation and value that decided it.");

        var edit = roadmap.MapGroup("").RequireAuthorization(PlanningFeature.EditRoadmapPolicy);

        edit.MapPost("/phases", async (PhaseInput input, IRoadmapService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var created = await service.CreatePhaseAsync(input, user.Identity?.Name, ct);
                return TypedResults.Created($"/api/roadmap/phases/{created.Id}", created);
            })
            .ProducesValidationProblem()
            .WithName("CreateRoadmapPhase")
            .WithSummary("Adds a phase (name, optional Chinese name, order — last when left out — and description). Managers and admins.");
        edit.MapPut("/phases/{id:int}", (int id, PhaseInput input, IRoadmapService service, ClaimsPrincipal user, CancellationToken ct) =>
                service.UpdatePhaseAsync(id, input, user.Identity?.Name, ct))
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("UpdateRoadmapPhase")
            .WithSummary("Renames, reorders or redescribes a phase (order kept when left out). Managers and admins.");
        edit.MapDelete("/phases/{id:int}", async (int id, IRoadmapService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                await service.DeletePhaseAsync(id, user.Identity?.Name, ct);
                return TypedResults.NoContent();
            })
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("DeleteRoadmapPhase")
            .WithSummary("Deletes a phase with its milestones, their gates and every dependency on them; each removal is in the change history.");

        edit.MapPost("/milestones", async (MilestoneInput input, IRoadmapService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var created = await service.CreateMilestoneAsync(input, user.Identity?.Name, ct);
                return TypedResults.Created($"/api/roadmap/milestones/{created.Id}", created);
            })
            .ProducesValidationProblem()
            .WithName("CreateRoadmapMilestone")
            .WithSummary("Adds a milestone: phase, title (optional Chinese title), owner, start and end (end not before start), status, notes, finish-to-start dependencies (existing milestones); the baseline end defaults to the end.");
        edit.MapPut("/milestones/{id:int}", (int id, MilestoneInput input, IRoadmapService service, ClaimsPrincipal user, CancellationToken ct) =>
                service.UpdateMilestoneAsync(id, input, user.Identity?.Name, ct))
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("UpdateRoadmapMilestone")
            .WithSummary("Changes a milestone. Send the version you read (required: 400 without it; 409 when it changed since). dependsOn replaces the dependencies (left out: kept); a dependency cycle is refused with its path.");
        edit.MapPost("/milestones/{id:int}/move", (int id, MilestoneMove move, IRoadmapService service, ClaimsPrincipal user, CancellationToken ct) =>
                service.MoveMilestoneAsync(id, move, user.Identity?.Name, ct))
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("MoveRoadmapMilestone")
            .WithSummary("Shifts a milestone's start and end by whole days (as dragging its Gantt bar does); the baseline end stays, so a later end shows as a slip. The version is optional (409 when given and stale). A start before a dependency's end is allowed and flagged (dependencyConflicts).");
        edit.MapDelete("/milestones/{id:int}", async (int id, IRoadmapService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                await service.DeleteMilestoneAsync(id, user.Identity?.Name, ct);
                return TypedResults.NoContent();
            })
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("DeleteRoadmapMilestone")
            .WithSummary("Deletes a milestone with its gates and every dependency on or of it.");

        edit.MapPost("/milestones/{id:int}/gates", async (int id, GateInput input, IRoadmapService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var gate = await service.AddGateAsync(id, input, user.Identity?.Name, ct);
                return TypedResults.Created($"/api/roadmap/gates/{gate.Id}", gate);
            })
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("AddRoadmapGate")
            .WithSummary("Adds a KPI gate bound to an evaluation metric (ppl, bleu, rougeL, f1, em, accuracy, macroF1, microF1, robustnessDrop, tcr, nps) over a scope (all, slice:…, domain:…, feedback), optionally one target label; checked at once against the latest finished evaluation.");
        edit.MapPut("/gates/{id:int}", (int id, GateInput input, IRoadmapService service, ClaimsPrincipal user, CancellationToken ct) =>
                service.UpdateGateAsync(id, input, user.Identity?.Name, ct))
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("UpdateRoadmapGate")
            .WithSummary("Changes a gate's metric, scope, target label, comparison or target, and re-checks it.");
        edit.MapDelete("/gates/{id:int}", async (int id, IRoadmapService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                await service.DeleteGateAsync(id, user.Identity?.Name, ct);
                return TypedResults.NoContent();
            })
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("DeleteRoadmapGate")
            .WithSummary("Deletes a gate; its state history moves into the deletion's change record (before.events).");

        roadmap.MapGet("/gates/{id:int}/history", (int id, IRoadmapService service, CancellationToken ct) => service.GateHistoryAsync(id, ct))
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("GetRoadmapGateHistory")
            .WithSummary("Every state change of a gate, newest first: when, from and to, the deciding evaluation and value, and why (reason in English; reasonText: its resource key and arguments).");
        roadmap.MapGet("/changes", async Task<Results<Ok<IReadOnlyList<ChangeView>>, ValidationProblem>> (int? milestoneId, int? take, IRoadmapService service, CancellationToken ct) =>
                take is < 1 or > RoadmapService.MaxTake
                    ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["take"] = [$"Expected 1 to {RoadmapService.MaxTake}."] })
                    : TypedResults.Ok(await service.ChangesAsync(milestoneId, take ?? 100, ct)))
            .WithName("GetRoadmapChanges")
            .WithSummary("The change history, newest first (take: 1–1000, default 100): who, when, what, and a one-line summary (in English; summaryText: its resource key and arguments); of one milestone and its gates and dependencies when milestoneId is given.");

        roadmap.MapGet("/export.csv", async (IRoadmapService service, RoadmapExport export, CancellationToken ct) =>
                TypedResults.File(export.Csv(await service.GetAsync(ct)), "text/csv; charset=utf-8", "roadmap.csv"))
            .WithName("ExportRoadmapCsv")
            .WithSummary("The milestones as CSV, UTF-8 with a byte-order mark: headers, statuses and names in the request's language (?culture=zh-Hans), ISO dates, plain numbers.");
        roadmap.MapGet("/export.xlsx", async (IRoadmapService service, RoadmapExport export, CancellationToken ct) =>
                TypedResults.File(export.Xlsx(await service.GetAsync(ct), await service.ChangesAsync(null, RoadmapService.MaxTake, ct)),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "roadmap.xlsx"))
            .WithName("ExportRoadmapXlsx")
            .WithSummary("The roadmap as an Excel workbook: Milestones, Gates and Changes (the latest 1000) sheets, in the request's language.");
        return app;
    }
}
