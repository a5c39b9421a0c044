using System.Security.Claims;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Evaluations.Endpoints;
using DeepSeek.Portal.Evaluations.Suites;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSeek.Portal.Evaluations;

/// <summary>REST for evaluations, suites and endpoints. Everyone signed in reads; Engineers and Admins change.</summary>
public static class EvaluationEndpoints
{
    public static IEndpointRouteBuilder MapEvaluationEndpoints(this IEndpointRouteBuilder app)
    {
        MapEvaluations(app);
        MapSuites(app);
        MapEndpointRegistry(app);
        return app;
    }

    private static void MapEvaluations(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/evaluations").WithTags("Evaluations").RequireAuthorization(PortalPolicies.Read);

        group.MapGet("/", (EvaluationStatus? status, int? suiteVersionId, string? targetKind, int? targetId, int? scheduleId, EvaluationService service, CancellationToken ct) =>
                service.ListAsync(status, suiteVersionId, targetKind, targetId, scheduleId, ct))
            .WithName("ListEvaluations")
            .WithSummary("The 200 most recent evaluations, newest first; filters: status, suiteVersionId, targetKind (run | model | endpoint) with targetId, scheduleId.");

        group.MapGet("/suites", (EvaluationService service, CancellationToken ct) => service.SuiteChoicesAsync(ct))
            .WithName("ListEvaluationSuiteChoices").WithSummary("Dataset versions that can be evaluated (uploaded and composed suites first).");

        group.MapGet("/{id:int}", async Task<Results<Ok<EvaluationDetail>, NotFound>> (int id, EvaluationService service, CancellationToken ct) =>
                await service.GetAsync(id, ct) is { } detail ? TypedResults.Ok(detail) : TypedResults.NotFound())
            .WithName("GetEvaluation")
            .WithSummary("One evaluation: status, progress (done / failed / cached, rate, ETA), the partial flag, the error, and its figures per tier, metric and scope.")
            .WithDescription("Figures: scope 'all', 'slice:general|domain|adversarial', 'domain:<name>', and 'feedback' for tier-3 figures from stored user feedback whose model equals the target label. A partial evaluation's figures leave its failed items out. Live progress: SignalR hub /hubs/evaluations, Watch(id), method EvaluationUpdated.");

        group.MapGet("/{id:int}/items", async Task<Results<Ok<EvaluationItemPage>, NotFound>> (int id, string? slice, string? kind, string? domain, bool? failed, int? page, int? pageSize, EvaluationService service, CancellationToken ct) =>
                await service.ItemsAsync(id, slice, kind, domain, failed, page ?? 1, pageSize ?? 50, ct) is { } items ? TypedResults.Ok(items) : TypedResults.NotFound())
            .WithName("ListEvaluationItems")
            .WithSummary($"An evaluation's items (input, output, references, scores or failure), filtered by slice, kind, domain or failed; pages of up to {EvaluationService.MaxPageSize}.");

        group.MapPost("/", async Task<Results<Accepted<EvaluationSummary>, ValidationProblem>> (EvaluationLaunchRequest request, EvaluationService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var outcome = await service.LaunchAsync(request, user.Identity?.Name, null, ct);
                return outcome.Succeeded
                    ? TypedResults.Accepted($"/api/evaluations/{outcome.Evaluation!.Id}", outcome.Evaluation)
                    : TypedResults.ValidationProblem(outcome.Errors, title: "The evaluation cannot be launched; nothing was queued.");
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("LaunchEvaluation")
            .WithSummary("Checks the suite version, the target (a succeeded run, a registered model or an endpoint) and the settings, and queues the evaluation as a scheduler job (202).")
            .WithDescription($"Body: {{name?, suiteVersionId, target: {{kind: run | model | endpoint, id}}, maxNewTokens (1–{EvaluationSettings.MaxNewTokensLimit}, default 128), concurrency (1–{EvaluationSettings.ConcurrencyLimit}, default 4), measurePerplexity (default true)}}. Problems come back per field (400) and nothing is queued.");

        group.MapPost("/{id:int}/cancel", async Task<Results<Accepted<EvaluationSummary>, NotFound>> (int id, EvaluationService service, CancellationToken ct) =>
                await service.CancelAsync(id, ct) is { } e ? TypedResults.Accepted($"/api/evaluations/{id}", e) : TypedResults.NotFound())
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("CancelEvaluation").WithSummary("Cancels a queued or running evaluation; a running one stops after the items in flight, whose results are kept.");

        group.MapDelete("/{id:int}", async Task<Results<NoContent, NotFound, ProblemHttpResult>> (int id, EvaluationService service, CancellationToken ct) =>
                await service.DeleteAsync(id, ct) switch
                {
                    EvaluationRemoval.Deleted => TypedResults.NoContent(),
                    EvaluationRemoval.Active => TypedResults.Problem(title: "The evaluation is still queued or running.", detail: $"Cancel evaluation {id} and wait until it has stopped, then delete it.", statusCode: StatusCodes.Status409Conflict),
                    _ => TypedResults.NotFound(),
                })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("DeleteEvaluation").WithSummary("Deletes a finished evaluation with its items and figures; 409 while it is queued or running.");
    }

    private static void MapSuites(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/evaluation-suites", UploadSuiteAsync)
            .WithTags("Evaluations")
            .RequireAuthorization(PortalPolicies.Launch)
            // Cookie requests are checked by UsePortalCsrf (X-CSRF-TOKEN header); bearer clients need no token.
            .DisableAntiforgery()
            .WithName("UploadEvaluationSuite")
            .WithSummary("Uploads a suite file (multipart field \"file\", optional \"name\") as a new dataset and version whose records are the items; 201 {datasetId, versionId, items}.")
            .WithDescription("JSONL, UTF-8, one item per line: id, kind (generation | extraction | classification | conversation), slice (general | domain | adversarial; default domain), domain, prompt, messages [{role, content}], references [..] or reference, choices, answer (index or the choice's text), scoring (loglikelihood | generation), criteria [..]. All or nothing: any problem rejects the file, and every problem is listed by line and field (400).")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = DatasetUploadReader.OpenApiRequestBody();
                return Task.CompletedTask;
            })
            .Produces<SuiteUploaded>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
    }

    private static async Task<IResult> UploadSuiteAsync(HttpRequest request, EvaluationSuites suites, DatasetService datasets, DataPaths paths, ClaimsPrincipal user, CancellationToken ct)
    {
        var (upload, failure) = await DatasetUploadReader.ReadAsync(request, paths, datasets.MaxUploadBytes, ct);
        if (failure is not null)
            return TypedResults.Problem(title: "The upload could not be read.", detail: failure.Error.ToString(), statusCode: failure.StatusCode,
                extensions: new Dictionary<string, object?> { ["errors"] = new[] { new SuiteFileError(0, failure.Error.Field, failure.Error.Message) } });
        await using (upload)
        {
            var outcome = await suites.UploadAsync(upload!.Content, upload.FileName, upload.Name, user.Identity?.Name, ct);
            if (outcome.Succeeded)
                return TypedResults.Created($"/api/datasets/{outcome.Suite!.DatasetId}", outcome.Suite);
            var extensions = new Dictionary<string, object?> { ["errors"] = outcome.Errors };
            if (outcome.ExistingDatasetId is { } existing)
                extensions["datasetId"] = existing;
            return TypedResults.Problem(
                title: outcome.ExistingDatasetId is null ? "The suite file was not stored." : "The suite already exists.",
                detail: string.Join("\n", outcome.Errors.Select(e => e.ToString())),
                statusCode: outcome.ExistingDatasetId is null ? StatusCodes.Status400BadRequest : StatusCodes.Status409Conflict,
                extensions: extensions);
        }
    }

    private static void MapEndpointRegistry(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/evaluation-endpoints").WithTags("Evaluation endpoints").RequireAuthorization(PortalPolicies.Read);

        group.MapGet("/", (EndpointRegistry registry, CancellationToken ct) => registry.ListAsync(ct))
            .WithName("ListEvaluationEndpoints").WithSummary("The OpenAI-compatible endpoints evaluations can run against. Keys are never returned: hasKey says whether one is stored.");

        group.MapGet("/{id:int}", async Task<Results<Ok<EndpointView>, NotFound>> (int id, EndpointRegistry registry, CancellationToken ct) =>
                await registry.GetAsync(id, ct) is { } e ? TypedResults.Ok(e) : TypedResults.NotFound())
            .WithName("GetEvaluationEndpoint").WithSummary("One endpoint (never its key).");

        group.MapPost("/", async Task<Results<Created<EndpointView>, ValidationProblem>> (EndpointRequest request, EndpointRegistry registry, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var change = await registry.CreateAsync(request, user.Identity?.Name, ct);
                return change.Endpoint is { } e ? TypedResults.Created($"/api/evaluation-endpoints/{e.Id}", e) : TypedResults.ValidationProblem(change.Errors, title: "The endpoint was not registered.");
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("CreateEvaluationEndpoint")
            .WithSummary("Registers an endpoint: name, baseUrl (absolute http/https, up to and including /v1), model, apiKey (write-only, stored encrypted), maxConcurrency (1–64), timeoutSeconds (1–3600).");

        group.MapPut("/{id:int}", async Task<Results<Ok<EndpointView>, NotFound, ValidationProblem>> (int id, EndpointRequest request, EndpointRegistry registry, CancellationToken ct) =>
            {
                var change = await registry.UpdateAsync(id, request, ct);
                return change.NotFound ? TypedResults.NotFound()
                    : change.Endpoint is { } e ? TypedResults.Ok(e) : TypedResults.ValidationProblem(change.Errors, title: "The endpoint was not changed.");
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("UpdateEvaluationEndpoint")
            .WithSummary("Changes an endpoint; fields left out stay. apiKey left out keeps the stored key; \"\" or clearKey: true removes it.");

        group.MapDelete("/{id:int}", async Task<Results<NoContent, NotFound, ProblemHttpResult>> (int id, EndpointRegistry registry, CancellationToken ct) =>
                await registry.DeleteAsync(id, ct) switch
                {
                    (false, _) => TypedResults.NotFound(),
                    (true, { } conflict) => TypedResults.Problem(title: "The endpoint is in use.", detail: conflict, statusCode: StatusCodes.Status409Conflict),
                    _ => TypedResults.NoContent(),
                })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("DeleteEvaluationEndpoint").WithSummary("Deletes an endpoint; 409 while a queued or running evaluation or a schedule uses it. Past evaluations keep its label.");

        group.MapPost("/{id:int}/test", async Task<Results<Ok<EndpointProbe>, NotFound>> (int id, EndpointRegistry registry, CancellationToken ct) =>
                await registry.ProbeAsync(id, ct) is { } probe ? TypedResults.Ok(probe) : TypedResults.NotFound())
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("TestEvaluationEndpoint")
            .WithSummary("Probes the endpoint with GET {baseUrl}/models and the stored key: ok, or what is wrong (unreachable, timeout, key refused, not JSON, model not listed).");
    }
}
