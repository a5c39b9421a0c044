using System.Security.Claims;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Engine.Training;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSeek.Portal.Training;

public static class RunEndpoints
{
    public static IEndpointRouteBuilder MapRunEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/runs").WithTags("Training runs").RequireAuthorization(PortalPolicies.Read);

        group.MapGet("/", (RunService runs, CancellationToken ct) => runs.ListAsync(ct))
            .WithName("ListRuns").WithSummary("The 200 most recent training runs, newest first.");

        group.MapGet("/defaults", () => TypedResults.Ok(RunService.Defaults))
            .WithName("GetRunDefaults").WithSummary("The complete settings a new run gets when a launch field is left out; precisions: " + string.Join(", ", TrainingPrecisions.All.Select(p => p.Name())) + ".");

        group.MapGet("/lora-targets", async Task<Results<Ok<IReadOnlyList<RunLoraTargetChoice>>, NotFound<string>>> (int? baseModelId, RunService runs, CancellationToken ct) =>
                await runs.LoraTargetsAsync(baseModelId, ct) is { } targets ? TypedResults.Ok(targets) : TypedResults.NotFound($"Model {baseModelId} is not registered or its config.json cannot be read."))
            .WithName("GetRunLoraTargets")
            .WithSummary("The linear layers a LoRA run can adapt (lora.targetModules), how many layers carry each name, and which a run adapts when none are named (the attention projections) — of the demo model, or with baseModelId of that registered model.");

        group.MapGet("/{id:int}", async Task<Results<Ok<RunSummary>, NotFound>> (int id, RunService runs, CancellationToken ct) =>
                await runs.GetAsync(id, ct) is { } run ? TypedResults.Ok(run) : TypedResults.NotFound())
            .WithName("GetRun").WithSummary("One run: settings, status, progress and, once finished, held-out perplexity.");

        group.MapGet("/{id:int}/metrics", async Task<Results<Ok<IReadOnlyList<RunPoint>>, NotFound>> (int id, int? afterStep, RunService runs, CancellationToken ct) =>
                await runs.GetAsync(id, ct) is null ? TypedResults.NotFound() : TypedResults.Ok(await runs.GetPointsAsync(id, afterStep ?? 0, ct)))
            .WithName("GetRunMetrics").WithSummary("Stored per-step metrics (loss, learning rate, tokens/s, gradient norm) after the given step.");

        group.MapGet("/{id:int}/sources", async Task<Results<Ok<IReadOnlyList<RunSourceStep>>, NotFound>> (int id, int? afterStep, RunService runs, CancellationToken ct) =>
                await runs.GetAsync(id, ct) is null ? TypedResults.NotFound() : TypedResults.Ok(await runs.GetSourcesAsync(id, afterStep ?? 0, ct)))
            .WithName("GetRunSources")
            .WithSummary("A mixture run's per-source history after the given step: for each step, each source's weight, sampling probability, loss and sequences drawn.")
            .WithDescription("One entry per stored step, each listing the sources in mixture order (source index, name \"<dataset> v<N>\"). Probabilities of a step sum to 1. Loss is null for a source no sequence of that step came from. Empty for a run on a single dataset version. Live values arrive with each RunPoint's sources over the hub /hubs/runs.");

        group.MapPost("/", async Task<Results<Created<RunSummary>, ValidationProblem>> (RunLaunchRequest request, RunService runs, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var outcome = await runs.LaunchAsync(request, user.Identity?.Name, ct);
                return outcome.Succeeded
                    ? TypedResults.Created($"/api/runs/{outcome.Run!.Id}", outcome.Run)
                    : TypedResults.ValidationProblem(outcome.Errors, title: "The run settings are not valid; nothing was queued.");
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("LaunchRun").WithSummary("Validates the settings and queues a training run as a scheduler job. Live updates: SignalR hub /hubs/runs.");

        group.MapPost("/{id:int}/cancel", async Task<Results<Accepted<RunSummary>, NotFound>> (int id, RunService runs, CancellationToken ct) =>
                await runs.CancelAsync(id, ct) is { } run ? TypedResults.Accepted($"/api/runs/{id}", run) : TypedResults.NotFound())
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("CancelRun").WithSummary("Cancels a queued or running run; a running one stops after its current micro-batch and keeps its checkpoint.");

        group.MapPost("/{id:int}/export", async Task<Results<Created<Models.ModelSummary>, ProblemHttpResult>> (int id, RunExportRequest request, RunModelExport export, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var outcome = await export.ExportAsync(id, request, user.Identity?.Name, ct);
                return outcome.Succeeded
                    ? TypedResults.Created($"/api/models/{outcome.Model!.Id}", outcome.Model)
                    : TypedResults.Problem(title: "The run was not saved as a model.", detail: outcome.Message, statusCode: outcome.Status,
                        extensions: new Dictionary<string, object?> { ["code"] = outcome.Code });
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("ExportRun")
            .WithSummary("Saves a finished run as a registered model: its latest checkpoint as a Hugging Face folder (a LoRA run's adapter merged into the base weights) in the portal's models folder.")
            .WithDescription("The folder (config.json, model.safetensors under the family's HF names, generation_config.json, tokenizer.json, tokenizer_config.json) is written under <data dir>/models and registered under the given name; the new model is listed on /api/models and can generate. " +
                "Problems carry a 'code': run_not_found (404), name_required / name_too_long (400), run_not_finished (409, only succeeded runs), name_taken (409), no_checkpoint (409).");

        group.MapDelete("/{id:int}", async Task<Results<NoContent, NotFound, ProblemHttpResult>> (int id, RunService runs, CancellationToken ct) =>
                await runs.DeleteAsync(id, ct) switch
                {
                    RunRemoval.Deleted => TypedResults.NoContent(),
                    RunRemoval.Active => TypedResults.Problem(title: "The run is still queued or running.", detail: $"Cancel run {id} and wait until it has stopped, then delete it.", statusCode: StatusCodes.Status409Conflict),
                    _ => TypedResults.NotFound(),
                })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("DeleteRun").WithSummary("Deletes a finished run with its metrics and checkpoints; 409 while it is queued or running.");
        return app;
    }
}
