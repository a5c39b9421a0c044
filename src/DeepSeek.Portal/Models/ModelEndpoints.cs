using System.Security.Claims;
using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSeek.Portal.Models;

/// <summary>REST over the model registry: stakeholders read, engineers register and unregister.</summary>
public static class ModelEndpoints
{
    public static IEndpointRouteBuilder MapModelEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/models").WithTags("Models").RequireAuthorization(PortalPolicies.Read);

        group.MapGet("/", (ModelService models, CancellationToken ct) => models.ListAsync(ct))
            .WithName("ListModels").WithSummary("Registered model folders with their cards, by name.");

        group.MapGet("/roots", (ModelRoots roots) => TypedResults.Ok(roots.Configured))
            .WithName("ListModelRoots").WithSummary("The folders (Portal:Models:Roots) a model folder may be registered from.");

        group.MapGet("/{id:int}", async Task<Results<Ok<ModelSummary>, NotFound>> (int id, ModelService models, CancellationToken ct) =>
                await models.GetAsync(id, ct) is { } model ? TypedResults.Ok(model) : TypedResults.NotFound())
            .WithName("GetModel").WithSummary("One registered model and its card: family, parameters and active parameters, dtypes, context, tokenizer and the reference semantics the engine follows.");

        group.MapPost("/", async Task<Results<Created<ModelSummary>, ProblemHttpResult>> (RegisterModelRequest request, ModelService models, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var outcome = await models.RegisterAsync(request, user.Identity?.Name, ct);
                if (outcome.Succeeded) return TypedResults.Created($"/api/models/{outcome.Model!.Id}", outcome.Model);
                if (outcome.NameTaken)
                    return TypedResults.Problem(title: "A model with that name is already registered.", detail: "Choose another name.", statusCode: StatusCodes.Status409Conflict,
                        extensions: new Dictionary<string, object?> { ["code"] = "name_taken" });
                var problem = outcome.Problem!;
                return TypedResults.Problem(title: problem.Title, detail: problem.Message, statusCode: StatusCodes.Status400BadRequest,
                    extensions: new Dictionary<string, object?> { ["code"] = problem.Code });
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("RegisterModel")
            .WithSummary("Registers a Hugging Face model folder on the server (config.json + model.safetensors or a sharded index) and computes its card from the headers; no weights are loaded.")
            .WithDescription("The path must lie inside one of Portal:Models:Roots after '..' and symbolic links are resolved (files inside the folder too). " +
                "A refused folder gets 400 with a problem whose 'code' says why: outside_roots, folder_not_found, missing_config, malformed_config, unsupported_config, missing_weights, malformed_weights, weights_mismatch. 409 (name_taken) when the name is in use.");

        group.MapDelete("/{id:int}", async Task<Results<NoContent, NotFound>> (int id, ModelService models, CancellationToken ct) =>
                await models.UnregisterAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("UnregisterModel").WithSummary("Forgets a registered model. The folder and its files are never deleted.");
        return app;
    }
}
