using System.Text.Json;
using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.Http.Features;

namespace DeepSeek.Portal.Models.Generation;

/// <summary>
/// <c>POST /api/models/{id}/generate</c> and <c>POST /api/runs/{id}/generate</c>: tokens streamed as
/// <c>application/x-ndjson</c>, one <see cref="GenerationEvent"/> per line, flushed as each token is produced.
/// </summary>
public static class GenerationEndpoints
{
    private const string Description =
        "Streams newline-delimited JSON (application/x-ndjson), one GenerationEvent per line, each flushed as produced: " +
        "{\"type\":\"start\",\"promptTokenIds\":[…]}, then per token {\"type\":\"token\",\"index\":0,\"tokenId\":17,\"text\":\"…\"} " +
        "(text is what the token adds; held back while a multi-byte character or a possible stop string is incomplete), then " +
        "{\"type\":\"done\",\"reason\":\"Length|StopToken|StopString\",\"tokenIds\":[…],\"text\":\"…\"} or {\"type\":\"error\",\"message\":\"…\"}. " +
        "Give 'prompt' (BOS added) or 'messages' (rendered with the model's chat template). maxNewTokens is capped by Portal:Models:MaxNewTokens. " +
        "Closing the connection cancels the generation. One generation at a time per model: a second request gets 429 at once (no queue). " +
        "400: invalid options (validation problem) or a folder problem (problem with 'code').";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapGenerationEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/models/{id:int}/generate", async (int id, GenerateRequest request, GenerationSources sources, ModelGenerator generator, HttpContext http) =>
                await sources.ForModelAsync(id, http.RequestAborted) is { } source ? await StartAsync(generator, source, request, http) : TypedResults.NotFound())
            .WithTags("Models")
            .RequireAuthorization(PortalPolicies.Launch)
            .Produces<GenerationEvent>(StatusCodes.Status200OK, "application/x-ndjson")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("GenerateFromModel").WithSummary("Generates from a registered model, streaming tokens as they are produced.").WithDescription(Description);

        app.MapPost("/api/runs/{id:int}/generate", async (int id, GenerateRequest request, GenerationSources sources, ModelGenerator generator, HttpContext http) =>
            {
                var (source, problem) = await sources.ForRunAsync(id, http.RequestAborted);
                return problem switch
                {
                    RunSourceProblem.NotFound => TypedResults.NotFound(),
                    RunSourceProblem.NotSucceeded => TypedResults.Problem(title: "The run has not succeeded.", detail: "Only a finished, succeeded run can be tried.", statusCode: StatusCodes.Status409Conflict),
                    RunSourceProblem.NoCheckpoint => TypedResults.Problem(title: "The run has no checkpoint.", detail: "Its folder holds no complete checkpoint to load.", statusCode: StatusCodes.Status409Conflict),
                    _ => await StartAsync(generator, source!, request, http),
                };
            })
            .WithTags("Training runs")
            .RequireAuthorization(PortalPolicies.Launch)
            .Produces<GenerationEvent>(StatusCodes.Status200OK, "application/x-ndjson")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("GenerateFromRun").WithSummary("Generates from a succeeded run's last checkpoint with its own tokenizer, streaming tokens as they are produced.").WithDescription(Description);
        return app;
    }

    /// <summary>Runs the generation up to its first event, so refusals still get a status code, then streams the rest.</summary>
    private static async Task<IResult> StartAsync(ModelGenerator generator, GenerationSource source, GenerateRequest request, HttpContext http)
    {
        var events = generator.StreamAsync(source, request, http.RequestAborted).GetAsyncEnumerator(http.RequestAborted);
        try
        {
            if (await events.MoveNextAsync())
                return new NdjsonStream(events);
            await events.DisposeAsync();
            return TypedResults.NoContent();
        }
        catch (Exception e) when (e is GenerationBusyException or GenerationRequestException or ModelFolderException)
        {
            await events.DisposeAsync();
            return e switch
            {
                GenerationBusyException => TypedResults.Problem(title: "The model is busy.", detail: e.Message, statusCode: StatusCodes.Status429TooManyRequests),
                GenerationRequestException r => TypedResults.ValidationProblem(r.Errors, title: "The generation request is not valid."),
                ModelFolderException f => TypedResults.Problem(title: f.Title, detail: f.Message, statusCode: StatusCodes.Status400BadRequest,
                    extensions: new Dictionary<string, object?> { ["code"] = f.Code }),
                _ => throw new InvalidOperationException(),
            };
        }
    }

    /// <summary>Writes the already-started event stream, one JSON line per event, flushing each.</summary>
    private sealed class NdjsonStream(IAsyncEnumerator<GenerationEvent> events) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            await using var _ = events;
            http.Response.ContentType = "application/x-ndjson; charset=utf-8";
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            var ct = http.RequestAborted;
            try
            {
                do
                {
                    await JsonSerializer.SerializeAsync(http.Response.Body, events.Current, Json, ct);
                    await http.Response.Body.WriteAsync("\n"u8.ToArray(), ct);
                    await http.Response.Body.FlushAsync(ct);
                }
                while (await events.MoveNextAsync());
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The client went away; the generation stopped with it.
            }
            catch (Exception e)
            {
                var logger = http.RequestServices.GetRequiredService<ILogger<ModelGenerator>>();
                logger.LogError(e, "Generation failed after it had started streaming");
                await JsonSerializer.SerializeAsync(http.Response.Body, new GenerationEvent { Type = "error", Message = e.Message }, Json, CancellationToken.None);
                await http.Response.Body.WriteAsync("\n"u8.ToArray(), CancellationToken.None);
            }
        }
    }
}
