using System.Security.Claims;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Evaluations.Endpoints;
using DeepSeek.Portal.Planning.Deployment;
using DeepSeek.Portal.Planning.Estimates;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSeek.Portal.Planning.Planner;

/// <summary>
/// REST of the deployment planner under <c>/api/planner</c>. Everyone signed in reads and plans (plans and files are
/// computed, nothing is stored); registering an evaluation endpoint and running the machine check are for Engineers and
/// Admins. A request the planner refuses is a 400 ValidationProblem with the field errors and nothing produced.
/// </summary>
internal static class PlannerEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/planner").WithTags("Planner").RequireAuthorization(PortalPolicies.Read);

        group.MapGet("/models", (PlannerService planner, CancellationToken ct) => planner.ModelsAsync(ct))
            .WithName("ListPlannerModels")
            .WithSummary("The models the planner knows: the catalogue (with the Hugging Face repository served) and every registered model folder as registered:<id>, read from its config.json; a folder whose config cannot be read is listed with the problem ({code, text, args}: English text, a stable code and its values for clients that translate).");

        group.MapGet("/gpus", (PlannerService planner) => planner.Devices())
            .WithName("ListPlannerGpus")
            .WithSummary("The GPU catalogue (sourced figures; uncertain ones named in each entry's uncertain list) and this machine as the device cpu: its memory, and a bandwidth configured (Portal:Planner:CpuBandwidthGBps) or measured with a short copy (cpuBandwidthSource).");

        group.MapGet("/claims", (PlannerService planner) => planner.Claims())
            .WithName("ListPlannerClaims")
            .WithSummary("The seed document's hardware statements, each with the computation that checks it and whether it holds.")
            .WithDescription("computation and verdict are {code, text, args}: English text, a stable code per claim, and the computed values as args (invariant culture) for clients that translate.");

        group.MapPost("/plan", async Task<Results<Ok<Plan>, ValidationProblem>> (PlanRequest request, PlannerService planner, CancellationToken ct) =>
            {
                try { return TypedResults.Ok(await planner.PlanAsync(request, ct)); }
                catch (PlannerRequestException e) { return Refused(e, "The plan cannot be computed."); }
            })
            .WithName("ComputePlan")
            .WithSummary("Plans a model on a device: memory by part (weights, KV cache, activations, gradients, optimizer, adapters, overhead) each with its formula, GPUs needed, tensor/pipeline parallel, nodes, whether it fits, decode tokens/s from memory bandwidth, warnings.")
            .WithDescription("Body: {modelId, precision: fp32|bf16|fp16|fp8|int8|int4, contextLength, concurrentSequences, mode: inference|fullFineTune|lora|qLora, gpuId, gpuCount?, activationCheckpointing?, kvCachePrecision?, loraRank?}. Impossible plans (context beyond the model's maximum, zero GPUs, a precision the model or device cannot use, an unknown model or device) are 400 with the field's message in errors and, under notes, the same as {code, text, args}. Every sentence of the answer (warnings, each memory line's notes) is {code, text, args}: text is English, code is stable and args are the values put in (invariant culture), so a client can translate by code; memory lines keep note, their notes' English text joined.");

        group.MapPost("/artefacts/compose", async Task<Results<FileContentHttpResult, ValidationProblem>> (ServingArtefactRequest request, PlannerService planner, CancellationToken ct) =>
            {
                try
                {
                    var (serving, file) = await planner.ComposeAsync(request, ct);
                    return Download(file);
                }
                catch (PlannerRequestException e) { return Refused(e, "The compose file cannot be generated."); }
            })
            .WithName("DownloadPlanCompose")
            .WithSummary("A compose.yaml serving the planned model with vLLM or SGLang at the plan's tensor-parallel size (GPU reservations, shm, health check, read-only model mount), as a download.")
            .WithDescription("Body: {plan: {…as POST /api/planner/plan…}, engine: vllm|sglang, options?: {servedName, port, image, hostModelPath, apiKeySecretName}}. Catalogue models are pulled from their Hugging Face repository (or hostModelPath, mounted read-only); a registered model mounts its folder. A refusal is 400 with errors (English) and, for the planner's own messages, notes ({code, text, args}) per field.");

        group.MapPost("/artefacts/kubernetes", async Task<Results<FileContentHttpResult, ValidationProblem>> (ServingArtefactRequest request, PlannerService planner, CancellationToken ct) =>
            {
                try
                {
                    var (serving, file) = await planner.KubernetesAsync(request, ct);
                    return Download(file);
                }
                catch (PlannerRequestException e) { return Refused(e, "The Kubernetes manifest cannot be generated."); }
            })
            .WithName("DownloadPlanKubernetes")
            .WithSummary("A Kubernetes manifest (Deployment and Service; a StatefulSet pair across nodes) serving the planned model with vLLM or SGLang, requesting nvidia.com/gpu per the plan, as a download.")
            .WithDescription("Body as POST /api/planner/artefacts/compose.");

        group.MapPost("/training-bundle", async Task<Results<FileStreamHttpResult, ValidationProblem>> (TrainingBundleRequest request, TrainingBundleService bundles, CancellationToken ct) =>
            {
                try
                {
                    var bundle = await bundles.BuildAsync(request, ct);
                    return TypedResults.File(bundle.Content, "application/zip", bundle.FileName);
                }
                catch (PlannerRequestException e) { return Refused(e, "The training bundle cannot be generated."); }
            })
            .WithName("DownloadTrainingBundle")
            .WithSummary("A zip to launch multi-node training: launch.sh (torchrun with MASTER_ADDR/MASTER_PORT/NCCL_*), the container's compose.yaml, the DeepSpeed or LLaMA-Factory config, the dataset version exported for LLaMA-Factory (alpaca or sharegpt JSON) and manifest.json.")
            .WithDescription("Body: {plan (a training mode), framework: deepSpeed|llamaFactory, runId | datasetVersionId, settings?: {learningRate, epochs, microBatchSize, gradientAccumulationSteps, sequenceLength, loraRank, loraAlpha}, cluster?: {masterAddress (127.0.0.1), masterPort (29500), socketInterface, infiniBand, zeroStage, image}}. From a run, its version and settings fill what is left out. Records train as in the portal: conversations as sharegpt, pairs as alpaca; plain text is left out (counted in the manifest). The size is bounded by Portal:Planner:MaxBundleBytes.");

        group.MapPost("/endpoints", async Task<Results<Created<EndpointView>, ValidationProblem>> (ServedEndpointRequest request, ServedModelEndpoints served, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var change = await served.RegisterAsync(request, user.Identity?.Name, ct);
                return change.Endpoint is { } e
                    ? TypedResults.Created($"/api/evaluation-endpoints/{e.Id}", e)
                    : TypedResults.ValidationProblem(change.Errors, title: "The endpoint was not registered.");
            })
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("RegisterServedModelEndpoint")
            .WithSummary("Registers the served model as an OpenAI-compatible evaluation endpoint (the evaluation registry's rules): name, baseUrl http(s)://host:port/v1 (/v1 is added to a URL without a path), servedName, apiKey (write-only, stored encrypted).");

        group.MapGet("/machine-check", Results<Ok<MachineCheckResult>, NotFound> (MachineCheck check) =>
                check.Latest is { } result ? TypedResults.Ok(result) : TypedResults.NotFound())
            .WithName("GetMachineCheck")
            .WithSummary("The latest check of the planner's CPU estimate for the demo model against the engine's measurement on this machine (memory and decode tokens/s, with estimate ÷ measured ratios); 404 until one has run in this process.");

        group.MapPost("/machine-check", async (bool? refresh, MachineCheck check, CancellationToken ct) => TypedResults.Ok(await check.RunAsync(refresh ?? false, ct)))
            .RequireAuthorization(PortalPolicies.Launch)
            .WithName("RunMachineCheck")
            .WithSummary("Runs the machine check — a few seconds of decoding with the built-in engine, one at a time (a call while one runs waits for it and gets its result) — and keeps the result for the process; later calls return it unless ?refresh=true.");
    }

    /// <summary>
    /// The 400 of a refused request: <c>errors</c> field → English messages as always, and <c>notes</c> field → the same
    /// messages as <see cref="PlanNote"/>s (<c>{code, text, args}</c>) where they have codes, for clients that translate.
    /// </summary>
    private static ValidationProblem Refused(PlannerRequestException e, string title) =>
        TypedResults.ValidationProblem(e.Errors, title: title,
            extensions: e.Notes.Count == 0 ? null : new Dictionary<string, object?> { [NotesExtension] = e.Notes });

    /// <summary>The ValidationProblem member holding the coded messages.</summary>
    public const string NotesExtension = "notes";

    /// <summary>
    /// The file as an attachment under the name its own instructions use (<c>docker compose -f compose.yaml</c>,
    /// <c>kubectl apply -f deployment.yaml</c>); the generator's names are fixed ASCII, never taken from the request.
    /// </summary>
    private static FileContentHttpResult Download(GeneratedFile file) =>
        TypedResults.File(System.Text.Encoding.UTF8.GetBytes(file.Content), file.MediaType, Path.GetFileName(file.Path));
}
