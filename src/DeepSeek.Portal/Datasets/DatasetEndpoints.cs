using System.Security.Claims;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Feeding.Import;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSeek.Portal.Datasets;

public static class DatasetEndpoints
{
    public static IEndpointRouteBuilder MapDatasetEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/datasets").WithTags("Datasets").RequireAuthorization(PortalPolicies.Read);

        group.MapGet("/", (DatasetService service, CancellationToken ct) => service.ListAsync(ct))
            .WithName("ListDatasets").WithSummary("Lists all datasets, the demo dataset first.");

        group.MapGet("/{id:int}", async Task<Results<Ok<DatasetSummary>, NotFound>> (int id, DatasetService service, CancellationToken ct) =>
                await service.GetAsync(id, ct) is { } d ? TypedResults.Ok(d) : TypedResults.NotFound())
            .WithName("GetDataset").WithSummary("One dataset's metadata.");

        group.MapGet("/{id:int}/preview", async Task<Results<Ok<IReadOnlyList<string>>, NotFound>> (int id, int? count, DatasetService service, CancellationToken ct) =>
                await service.GetAsync(id, ct) is null ? TypedResults.NotFound() : TypedResults.Ok(await service.PreviewAsync(id, count ?? 10, ct)))
            .WithName("PreviewDataset").WithSummary("The first records of a dataset (at most 100).");

        group.MapPost("/", UploadAsync)
            .RequireAuthorization(PortalPolicies.Launch)
            // Cookie requests are checked by UsePortalCsrf (X-CSRF-TOKEN header, before the body is read); bearer clients need no token.
            .DisableAntiforgery()
            .WithName("UploadDataset")
            .WithSummary("Uploads a JSONL or TXT file as a new dataset (multipart field \"file\", optional \"name\" and \"description\"). All or nothing: any error rejects the whole file.")
            .Accepts<IFormFile>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    private static async Task<IResult> UploadAsync(HttpRequest request, DatasetService service, ClaimsPrincipal user, CancellationToken ct)
    {
        var limit = service.MaxUploadBytes;
        if (request.ContentLength is { } length && length > limit + 64 * 1024)
            return TooLarge(limit);
        if (!request.HasFormContentType)
            return TypedResults.Problem(title: "Expected multipart/form-data with a \"file\" field.", statusCode: StatusCodes.Status400BadRequest);
        // Cap the body at the upload limit plus room for the multipart envelope.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = limit + 64 * 1024;
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(limit);
        }
        catch (InvalidDataException e)
        {
            return TypedResults.Problem(title: "The upload could not be read.", detail: e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        var file = form.Files.GetFile("file");
        if (file is null)
            return TypedResults.Problem(title: "The form has no \"file\" field.", statusCode: StatusCodes.Status400BadRequest);
        if (file.Length > limit)
            return TooLarge(limit);
        await using var stream = file.OpenReadStream();
        var outcome = await service.ImportAsync(stream, file.FileName, form["name"], form["description"], user.Identity?.Name, ct);
        if (outcome.Succeeded)
            return TypedResults.Created($"/api/datasets/{outcome.Dataset!.Id}", outcome.Dataset);
        var tooLarge = outcome.Errors.Any(e => e.Kind == ImportErrorKind.FileTooLarge);
        return TypedResults.Problem(
            title: tooLarge ? "The file is too large." : "The file was not imported.",
            detail: string.Join("\n", outcome.Errors.Select(e => e.ToString())),
            statusCode: tooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest,
            extensions: new Dictionary<string, object?> { ["errors"] = outcome.Errors });
    }

    private static IResult TooLarge(long limit) => TypedResults.Problem(
        title: "The file is too large.",
        detail: $"The file is larger than the {ByteSize.Format(limit)} upload limit.",
        statusCode: StatusCodes.Status413PayloadTooLarge);
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
