using System.Security.Claims;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Feeding.Import;
using DeepSeek.Portal.Options;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSeek.Portal.Datasets;

public static class DatasetEndpoints
{
    public static IEndpointRouteBuilder MapDatasetEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/datasets").WithTags("Datasets").RequireAuthorization(PortalPolicies.Read);

        group.MapGet("/", (bool? includeArchived, DatasetService service, CancellationToken ct) => service.ListAsync(includeArchived ?? false, ct))
            .WithName("ListDatasets").WithSummary("Lists the datasets, the demo dataset first; archived ones only with ?includeArchived=true.");

        group.MapDelete("/{id:int}", async Task<Results<Ok<DatasetRemovalResult>, NotFound>> (int id, DatasetService service, CancellationToken ct) =>
                await service.DeleteAsync(id, ct) is var result and not DatasetRemoval.NotFound
                    ? TypedResults.Ok(new DatasetRemovalResult(id, result))
                    : TypedResults.NotFound())
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("DeleteDataset")
            .WithSummary("Deletes a dataset and its file, or archives it when a run used it; the answer's result says which (Deleted or Archived).");

        group.MapGet("/{id:int}", async Task<Results<Ok<DatasetSummary>, NotFound>> (int id, DatasetService service, CancellationToken ct) =>
                await service.GetAsync(id, ct) is { } d ? TypedResults.Ok(d) : TypedResults.NotFound())
            .WithName("GetDataset").WithSummary("One dataset's metadata.");

        group.MapGet("/{id:int}/preview", async Task<Results<Ok<IReadOnlyList<string>>, NotFound, ProblemHttpResult>> (int id, int? count, DatasetService service, CancellationToken ct) =>
            {
                if (await service.GetAsync(id, ct) is null)
                    return TypedResults.NotFound();
                try
                {
                    return TypedResults.Ok(await service.PreviewAsync(id, count ?? 10, ct));
                }
                catch (DatasetFileMissingException e)
                {
                    return TypedResults.Problem(title: "The dataset's file is missing.", detail: e.Message, statusCode: StatusCodes.Status410Gone,
                        extensions: new Dictionary<string, object?> { ["datasetId"] = id });
                }
            })
            .WithName("PreviewDataset").WithSummary("The first records of a dataset (at most 100); 410 when its file is missing from the data directory.");

        group.MapPost("/", UploadAsync)
            .RequireAuthorization(PortalPolicies.Launch)
            // Cookie requests are checked by UsePortalCsrf (X-CSRF-TOKEN header, before the body is read); bearer clients need no token.
            .DisableAntiforgery()
            .WithName("UploadDataset")
            .WithSummary("Uploads a JSONL or TXT file as a new dataset (multipart field \"file\", optional \"name\" and \"description\"). All or nothing: any error rejects the whole file.")
            // Described for OpenAPI by hand rather than with Accepts<IFormFile>: Accepts also makes routing answer a wrong
            // Content-Type with a bare 415, and the caller should hear what was expected instead.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = DatasetUploadReader.OpenApiRequestBody();
                return Task.CompletedTask;
            })
            .Produces<DatasetSummary>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    private static async Task<IResult> UploadAsync(HttpRequest request, DatasetService service, DataPaths paths, ClaimsPrincipal user, CancellationToken ct)
    {
        // Streamed to a temporary file part by part (never buffered as a form), imported from there, and the file removed
        // whatever happens: success, refusal, an exception, or a client that goes away.
        var (upload, failure) = await DatasetUploadReader.ReadAsync(request, paths, service.MaxUploadBytes, ct);
        if (failure is not null)
            return Problem(failure.StatusCode, failure.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "The file is too large.",
                StatusCodes.Status415UnsupportedMediaType => "Expected a multipart/form-data upload.",
                _ => "The upload could not be read.",
            }, [failure.Error]);
        await using (upload)
        {
            var outcome = await service.ImportAsync(upload!.Content, upload.FileName, upload.Name, upload.Description, user.Identity?.Name, ct);
            if (outcome.Succeeded)
                return TypedResults.Created($"/api/datasets/{outcome.Dataset!.Id}", outcome.Dataset);
            if (outcome.ExistingDatasetId is { } existing)
                return Problem(StatusCodes.Status409Conflict, "The dataset already exists.", outcome.Errors, existing);
            var tooLarge = outcome.Errors.Any(e => e.Kind == ImportErrorKind.FileTooLarge);
            return Problem(tooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest,
                tooLarge ? "The file is too large." : "The file was not imported.", outcome.Errors);
        }
    }

    internal static IResult Problem(int status, string title, IReadOnlyList<ImportError> errors, int? datasetId = null)
    {
        var extensions = new Dictionary<string, object?> { ["errors"] = errors };
        if (datasetId is not null)
            extensions["datasetId"] = datasetId;
        return TypedResults.Problem(title: title, detail: string.Join("\n", errors.Select(e => e.ToString())), statusCode: status, extensions: extensions);
    }
}

public static class ByteSize
{
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):0.#} KB",
        _ => $"{bytes} B",
    };
}
