using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Feeding.Import;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Datasets;

/// <summary>
/// The data pipeline's REST surface: staged uploads, import and transformation jobs, versions (lineage, statistics,
/// records, comparison, export). Everything the dataset pages do goes through these.
/// </summary>
public static class DataPipelineEndpoints
{
    public static IEndpointRouteBuilder MapDataPipelineEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/datasets").WithTags("Data pipeline").RequireAuthorization(PortalPolicies.Read);

        group.MapPost("/uploads", StageAsync)
            .RequireAuthorization(PortalPolicies.Launch)
            .DisableAntiforgery()
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = DatasetUploadReader.OpenApiRequestBody();
                return Task.CompletedTask;
            })
            .Produces<StagedUploadView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithName("StageUpload")
            .WithSummary("Uploads a file (multipart field \"file\") and keeps it for inspection and import; streams to disk, any size up to Portal:Uploads:MaxStagedBytes.");

        group.MapPost("/uploads/{uploadId}/inspect", async Task<Results<Ok<SourceInspection>, NotFound>> (string uploadId, InspectRequest request, DataJobService jobs, CancellationToken ct) =>
                await jobs.InspectAsync(uploadId, request, ct) is { } inspection ? TypedResults.Ok(inspection) : TypedResults.NotFound())
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("InspectUpload")
            .WithSummary("Reads the first records of a staged upload as an import with these settings would: format, encoding and shape detected, the fields seen, raw samples, and the records (or errors) the field mapping gives. The mapping step's live preview.");

        group.MapPost("/imports", StartImportAsync)
            .RequireAuthorization(PortalPolicies.Launch)
            // Described by hand, not with Accepts<T>: Accepts makes routing answer another Content-Type with a bare 415.
            .AddOpenApiOperationTransformer(async (operation, context, ct) =>
            {
                operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(ImportJobRequest), null, ct) },
                    },
                };
            })
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .Produces<DataJobView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("StartImport")
            .WithSummary("Queues the import of a staged upload as a new dataset (format, encoding, text split and field mapping optional); answers with the job.");

        group.MapGet("/jobs", (int? datasetId, DataJobService jobs, CancellationToken ct) => jobs.ListAsync(datasetId, ct))
            .WithName("ListDataJobs").WithSummary("The latest 100 data jobs (imports and transformations), newest first; ?datasetId= narrows to one dataset.");

        group.MapGet("/jobs/{id:int}", async Task<Results<Ok<DataJobView>, NotFound>> (int id, DataJobService jobs, CancellationToken ct) =>
                await jobs.GetAsync(id, ct) is { } job ? TypedResults.Ok(job) : TypedResults.NotFound())
            .WithName("GetDataJob").WithSummary("One data job with its progress (percent, records/s, ETA) and, when it failed, its errors. Live: hub /hubs/data-jobs, Watch(jobId).");

        group.MapPost("/jobs/{id:int}/cancel", async Task<Results<Accepted<DataJobView>, NotFound, Conflict<DataJobView>>> (int id, DataJobService jobs, DataJobCancellation cancellations, CancellationToken ct) =>
            {
                if (await jobs.GetAsync(id, ct) is not { } job)
                    return TypedResults.NotFound();
                if (!job.IsActive || !await jobs.CancelAsync(id, cancellations, ct))
                    return TypedResults.Conflict(await jobs.GetAsync(id, ct) ?? job);
                return TypedResults.Accepted($"/api/datasets/jobs/{id}", await jobs.GetAsync(id, ct) ?? job);
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("CancelDataJob").WithSummary("Cancels a queued or running data job; nothing of it is kept. 409 when it has already finished.");

        group.MapGet("/{id:int}/versions", async Task<Results<Ok<IReadOnlyList<VersionSummary>>, NotFound>> (int id, DatasetService datasets, DatasetVersionService versions, CancellationToken ct) =>
                await datasets.GetAsync(id, ct) is null ? TypedResults.NotFound() : TypedResults.Ok(await versions.ListAsync(id, ct)))
            .WithName("ListVersions").WithSummary("A dataset's versions, oldest first.");

        group.MapGet("/versions/{versionId:int}", async Task<Results<Ok<VersionDetail>, NotFound>> (int versionId, DatasetVersionService versions, CancellationToken ct) =>
                await versions.GetAsync(versionId, ct) is { } detail ? TypedResults.Ok(detail) : TypedResults.NotFound())
            .WithName("GetVersion").WithSummary("One version: counts, statistics, parameters, mapping, and its lineage back to the import.");

        group.MapGet("/versions/{versionId:int}/records", async Task<Results<Ok<RecordPage>, NotFound, ProblemHttpResult>> (
                int versionId, int? page, int? pageSize, string? q, bool? dropped, DatasetVersionService versions, CancellationToken ct) =>
            {
                if (await versions.FindAsync(versionId, ct) is not { } version)
                    return TypedResults.NotFound();
                try
                {
                    return TypedResults.Ok(await versions.PageAsync(version, page ?? 1, pageSize ?? 20, q, dropped ?? false, ct));
                }
                catch (DatasetFileMissingException e)
                {
                    return TypedResults.Problem(title: "The version's file is missing.", detail: e.Message, statusCode: StatusCodes.Status410Gone);
                }
            })
            .WithName("ListVersionRecords")
            .WithSummary("A page of a version's records with their scores (?page, ?pageSize ≤ 200, ?q searches text, prompt and response); ?dropped=true lists what its filter dropped, each with the rule.");

        group.MapGet("/versions/compare", async Task<Results<Ok<VersionComparison>, NotFound>> (int from, int to, DatasetVersionService versions, CancellationToken ct) =>
                await versions.FindAsync(from, ct) is { } a && await versions.FindAsync(to, ct) is { } b
                    ? TypedResults.Ok(await versions.CompareAsync(a, b, ct))
                    : TypedResults.NotFound())
            .WithName("CompareVersions").WithSummary("How version ?to differs from version ?from by record text: added, removed and unchanged counts, with samples.");

        group.MapPost("/versions/{versionId:int}/transform", async (int versionId, TransformJobRequest request, DataJobService jobs, ClaimsPrincipal user, CancellationToken ct) =>
                Started(await jobs.StartTransformAsync(versionId, request, user.Identity?.Name, ct)))
            .RequireAuthorization(PortalPolicies.Launch)
            .Produces<DataJobView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("TransformVersion")
            .WithSummary("Queues a transformation (preprocess, score, filter, dedup, mask, compose, mix) of a version into a new version of its dataset; the old one is kept as it is.")
            .WithDescription("The parameters are the operation's own; absent ones take its defaults, and each error names its field (400). "
                + "mix makes version 1 of a new dataset from several versions: {\"name\": \"bank-general\", \"sources\": [{\"versionId\": 3, \"weight\": 3}, {\"versionId\": 7, \"weight\": 1}], "
                + "\"records\": 2000, \"seed\": 7, \"policy\": \"static\" | \"uniform\", \"allowRepeats\": false}. The version in the path must be one of the sources "
                + "(it becomes the parent in lineage). records is split by the weights with largest remainders, so each source gives exactly its share; "
                + "without records the mix takes the most it can without repeating a record, and a larger target needs allowRepeats. The seed decides the records drawn "
                + "(without replacement) and their shuffled order. A name already taken answers 409.");

        group.MapGet("/versions/{versionId:int}/export", async Task<IResult> (int versionId, bool? dropped, DatasetVersionService versions, DatasetService datasets, CancellationToken ct) =>
            {
                if (await versions.FindAsync(versionId, ct) is not { } version)
                    return TypedResults.NotFound();
                var sha = dropped == true ? version.DroppedSha256 : version.Sha256;
                var path = sha is null ? null : versions.FilePath(sha);
                if (path is null || !File.Exists(path))
                    return TypedResults.NotFound();
                var name = (await datasets.GetAsync(version.DatasetId, ct))?.Name ?? "dataset";
                return TypedResults.PhysicalFile(path, "application/jsonl", $"{name}-v{version.Number}{(dropped == true ? "-dropped" : "")}.jsonl");
            })
            .WithName("ExportVersion").WithSummary("Downloads a version's records as JSONL (?dropped=true: the records its filter dropped).");

        group.MapPut("/versions/{versionId:int}/records/{index:long}/label", async Task<Results<NoContent, NotFound, ProblemHttpResult>> (int versionId, long index, RecordLabel label, DatasetVersionService versions, RecordLabelStore labels, CancellationToken ct) =>
            {
                if (await versions.FindAsync(versionId, ct) is not { } version)
                    return TypedResults.NotFound();
                var record = await versions.RecordAtAsync(version, index, ct);
                if (record is null)
                    return TypedResults.NotFound();
                if (label.Label is not (null or "clean" or "noisy"))
                    return TypedResults.Problem(title: "Unknown label.", detail: $"label: expected \"clean\", \"noisy\" or null but got \"{label.Label}\"", statusCode: StatusCodes.Status400BadRequest);
                await labels.SetAsync(version.DatasetId, record.Text, label.Label is null ? null : label.Label == "noisy", ct);
                return TypedResults.NoContent();
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("LabelRecord")
            .WithSummary("Labels a record clean or noisy (null clears it) for the noise classifier; the label follows the text into every version of the dataset.");

        group.MapGet("/versions/{versionId:int}/clusters", async Task<Results<Ok<IReadOnlyList<DuplicateCluster>>, NotFound>> (int versionId, int? max, DatasetVersionService versions, CancellationToken ct) =>
                await versions.FindAsync(versionId, ct) is { } version
                    ? TypedResults.Ok(await versions.ClustersAsync(version, Math.Clamp(max ?? 50, 1, 500), 20, ct))
                    : TypedResults.NotFound())
            .WithName("ListDuplicateClusters")
            .WithSummary("For a version a dedup made: the duplicate clusters, largest first — each kept record with the exact and near copies dropped (at most 20 shown per cluster, with their estimated Jaccard).");

        group.MapGet("/tokenizers", (VersionStatisticsFactory statistics) => statistics.Tokenizers().Select(t => new { t.RunId, t.Name, t.Label }))
            .WithName("ListTokenizers").WithSummary("Tokenizers statistics can measure coverage with: those of succeeded runs, newest first.");

        group.MapPost("/versions/{versionId:int}/statistics", async Task<Results<Ok<System.Text.Json.Nodes.JsonNode>, NotFound, ProblemHttpResult>> (
                int versionId, int? tokenizerRunId, DatasetVersionService versions, VersionStatisticsFactory statistics, CancellationToken ct) =>
            {
                TokenizerChoice? tokenizer = null;
                if (tokenizerRunId is { } runId && (tokenizer = statistics.Tokenizer(runId)) is null)
                    return TypedResults.Problem(title: "Unknown tokenizer.", detail: $"tokenizerRunId: run {runId} has no tokenizer (it must have succeeded and its folder must be present)", statusCode: StatusCodes.Status400BadRequest);
                return await versions.RecomputeStatisticsAsync(versionId, statistics.Create(tokenizer), ct) is { } json ? TypedResults.Ok(json) : TypedResults.NotFound();
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("RecomputeStatistics")
            .WithSummary("Recomputes a version's statistics, with the tokenizer of ?tokenizerRunId (tokens per character, byte-fallback rate) or without one; the records stay as they are.");

        group.MapGet("/{id:int}/original", async Task<IResult> (int id, DatasetService datasets, Data.DataPaths paths, CancellationToken ct) =>
            {
                var original = await datasets.OriginalFileAsync(id, ct);
                if (original is null)
                    return TypedResults.NotFound();
                var path = Path.Combine(paths.Uploads, original.Value.StoredName);
                return File.Exists(path) ? TypedResults.PhysicalFile(path, "application/octet-stream", original.Value.FileName) : TypedResults.NotFound();
            })
            .WithName("DownloadOriginal").WithSummary("Downloads the file a dataset was imported from, exactly as it was uploaded.");
        return app;
    }

    private static async Task<IResult> StageAsync(HttpRequest request, DataJobService jobs, Data.DataPaths paths, ClaimsPrincipal user, CancellationToken ct)
    {
        var (upload, failure) = await DatasetUploadReader.ReadAsync(request, paths, jobs.MaxStagedBytes, ct, keepable: true);
        if (failure is not null)
            return DatasetEndpoints.Problem(failure.StatusCode, failure.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "The file is too large.",
                StatusCodes.Status415UnsupportedMediaType => "Expected a multipart/form-data upload.",
                _ => "The upload could not be read.",
            }, [failure.Error]);
        await using (upload)
        {
            var staged = await jobs.StageAsync(upload!, user.Identity?.Name, ct);
            return TypedResults.Created($"/api/datasets/uploads/{staged.Id}", staged);
        }
    }

    /// <summary>
    /// Reads the import request itself rather than through parameter binding, which answers a body it cannot bind (an
    /// unknown format name, a number where text belongs) with a bare 400 that says neither which field nor what was expected.
    /// </summary>
    private static async Task<IResult> StartImportAsync(HttpRequest request, DataJobService jobs, IOptions<JsonOptions> json, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
            return BodyProblem(StatusCodes.Status415UnsupportedMediaType, null,
                $"expected Content-Type application/json but got {(string.IsNullOrEmpty(request.ContentType) ? "none" : request.ContentType)}");
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, new JsonNodeOptions { PropertyNameCaseInsensitive = true }, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            return BodyProblem(StatusCodes.Status400BadRequest, null, $"the body is not valid JSON: {WithoutPath(e.Message)}");
        }
        if (body is not JsonObject fields)
            return BodyProblem(StatusCodes.Status400BadRequest, null, "expected a JSON object such as {\"uploadId\": \"…\", \"name\": \"…\"}");
        if ((EnumProblem<SourceFormat>(fields, "format") ?? EnumProblem<TextSplit>(fields, "textSplit")) is { } enumProblem)
            return enumProblem;
        ImportJobRequest? parsed;
        try
        {
            parsed = fields.Deserialize<ImportJobRequest>(json.Value.SerializerOptions);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
            return BodyProblem(StatusCodes.Status400BadRequest, field, $"a value of the wrong type or shape: {WithoutPath(e.Message)}");
        }
        return Started(await jobs.StartImportAsync(parsed!, user.Identity?.Name, ct));
    }

    /// <summary>An enum field must name a member (any case); numbers are refused: they mean nothing to a reader of the request.</summary>
    private static IResult? EnumProblem<T>(JsonObject fields, string name) where T : struct, Enum
    {
        if (!fields.TryGetPropertyValue(name, out var value) || value is null)
            return null;
        var expected = $"expected one of {string.Join(", ", Enum.GetNames<T>())}";
        if (value.GetValueKind() != JsonValueKind.String)
            return BodyProblem(StatusCodes.Status400BadRequest, name, $"expected a name but found {value.ToJsonString()}; {expected}");
        var text = value.GetValue<string>();
        return Enum.TryParse<T>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !char.IsAsciiDigit(text.TrimStart('-').FirstOrDefault())
            ? null
            : BodyProblem(StatusCodes.Status400BadRequest, name, $"unknown value \"{text}\"; {expected}");
    }

    private static string WithoutPath(string message) =>
        message.IndexOf(" Path: ", StringComparison.Ordinal) is var at and >= 0 ? message[..at] : message;

    private static IResult BodyProblem(int status, string? field, string message) =>
        DatasetEndpoints.Problem(status, status == StatusCodes.Status415UnsupportedMediaType ? "Expected a JSON request." : "The request was not accepted.",
            [new ImportError("request body", null, field, message) { Kind = ImportErrorKind.InvalidUpload }]);

    private static IResult Started(DataJobStart start) =>
        start.Started
            ? TypedResults.Accepted($"/api/datasets/jobs/{start.Job!.Id}", start.Job)
            : DatasetEndpoints.Problem(start.StatusCode, start.StatusCode switch
            {
                StatusCodes.Status404NotFound => "Not found.",
                StatusCodes.Status409Conflict => "The dataset already exists.",
                _ => "The request was not accepted.",
            }, start.Errors, start.ExistingDatasetId);
}
