using System.Text.RegularExpressions;
using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Deployment;
using DeepSeek.Portal.Planning.Estimates;
using PlanEstimator = DeepSeek.Portal.Planning.Estimates.Planner;

namespace DeepSeek.Portal.Planning.Planner;

/// <summary>
/// The planner over the portal: the catalogue plus the registered model folders, the GPU catalogue plus this machine,
/// plans, serving files from a plan, the seed's claims, and registering a served model for evaluation. The numbers are
/// the planning library's; this class resolves ids, turns library refusals into field errors and adds nothing of its own.
/// </summary>
public sealed partial class PlannerService(IPlannerModelSource folders, CpuDevice cpu)
{
    /// <summary>The id of this machine as a device.</summary>
    public const string CpuId = "cpu";

    /// <summary>The longest served name the deployment files take (Kubernetes names are built from it).</summary>
    public const int MaxServedName = 40;

    /// <summary>Catalogue models, then every registered folder (by name), each readable or with its problem.</summary>
    public async Task<IReadOnlyList<PlannerModel>> ModelsAsync(CancellationToken ct)
    {
        var list = ModelCatalogue.All
            .Select(m => new PlannerModel(m.Id, m.Name, PlannerModel.CatalogueSource, m, ModelRepositories.For(m.Id), null, null))
            .ToList();
        list.AddRange(await folders.ListAsync(ct));
        return list;
    }

    /// <summary>The GPU catalogue and this machine's CPU, last.</summary>
    public PlannerDevices Devices() => new([.. GpuCatalogue.All, cpu.Spec()], cpu.BandwidthSource);

    /// <summary>The seed document's hardware statements, each with the computation that checks it.</summary>
    public IReadOnlyList<ClaimVerdict> Claims() => PlanEstimator.SeedClaims();

    /// <summary>
    /// Plans <paramref name="request"/>; throws <see cref="PlannerRequestException"/> with the field errors (unknown model
    /// or device, or the planning library's refusals) — names prefixed with <paramref name="field"/> when the request is
    /// part of a larger body (<c>plan.contextLength</c>).
    /// </summary>
    public async Task<Plan> PlanAsync(PlanRequest? request, CancellationToken ct, string field = "")
    {
        var prefix = field.Length == 0 ? "" : field + ".";
        if (request is null)
            throw new PlannerRequestException(field.Length == 0 ? "body" : field, PlanNote.Of("ErrPlanRequestMissing", $"Send a plan request: modelId, precision, contextLength, concurrentSequences, mode, gpuId (gpuCount optional)."));
        var errors = new Dictionary<string, PlanNote[]>();
        var (model, modelError) = await ResolveModelAsync(request.ModelId, ct);
        if (modelError is not null) errors[prefix + "modelId"] = [modelError];
        var (gpu, gpuError) = ResolveGpu(request.GpuId);
        if (gpuError is not null) errors[prefix + "gpuId"] = [gpuError];
        if (errors.Count > 0)
            throw new PlannerRequestException(errors);
        try
        {
            return PlanEstimator.Compute(request, model!.Architecture!, gpu!);
        }
        catch (PlanValidationException e)
        {
            throw new PlannerRequestException(e.Notes.ToDictionary(p => prefix + CamelCase(p.Key), p => p.Value));
        }
    }

    /// <summary>A model by id (catalogue, or <c>registered:&lt;id&gt;</c>) ready to plan, or the reason it is not.</summary>
    public async Task<(PlannerModel? Model, PlanNote? Error)> ResolveModelAsync(string? id, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(id))
            return (null, PlanNote.Of("ErrChooseModel", $"Choose a model (modelId): a catalogue id or registered:<id>; GET /api/planner/models lists them."));
        if (await folders.FindAsync(id, ct) is { } folder)
            return folder.Problem is { } problem ? (null, Unplannable(folder.Name, problem)) : (folder, null);
        if (id.StartsWith(PlannerModel.RegisteredPrefix, StringComparison.OrdinalIgnoreCase))
            return (null, PlanNote.Of("ErrNoRegisteredModel", $"No registered model \"{id}\"; GET /api/planner/models lists them."));
        return ModelCatalogue.Find(id) is { } m
            ? (new PlannerModel(m.Id, m.Name, PlannerModel.CatalogueSource, m, ModelRepositories.For(m.Id), null, null), null)
            : (null, PlanNote.Of("ErrUnknownModelId", $"Unknown model \"{id}\"; GET /api/planner/models lists the ids."));
    }

    /// <summary>
    /// "The model … cannot be planned: " and the folder's problem: one note whose code is the problem's with an
    /// <c>Unplannable</c> prefix and whose arguments are the name and then the problem's, so it translates as a whole.
    /// </summary>
    internal static PlanNote Unplannable(string name, PlanNote problem) =>
        new("Unplannable" + problem.Code, $"The model \"{name}\" cannot be planned: {problem.Text}", [name, .. problem.Args])
        {
            Template = "The model \"{0}\" cannot be planned: " + Shift(problem.Template),
        };

    /// <summary>A template's holes moved up by one ({0} → {1}), for a template put after one argument.</summary>
    private static string Shift(string template) => HoleIndex().Replace(template, m => "{" + (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1) + "}");

    [GeneratedRegex(@"\{(\d+)\}")]
    private static partial Regex HoleIndex();

    /// <summary>A device by id (catalogue or <c>cpu</c>), or the reason it is unknown.</summary>
    public (GpuSpec? Gpu, PlanNote? Error) ResolveGpu(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
            return (null, PlanNote.Of("ErrChooseDevice", $"Choose a device (gpuId); GET /api/planner/gpus lists them."));
        if (string.Equals(id, CpuId, StringComparison.OrdinalIgnoreCase))
            return (cpu.Spec(), null);
        return GpuCatalogue.Find(id) is { } gpu ? (gpu, null) : (null, PlanNote.Of("ErrUnknownDevice", $"Unknown device \"{id}\"; GET /api/planner/gpus lists the ids."));
    }

    // ---- serving -------------------------------------------------------------------------------------------------

    /// <summary>
    /// The serving spec of a plan: tensor/pipeline parallel from the plan, the model's repository (or its folder mounted
    /// read-only), the served name, and the engine's quantisation flag for the precision, with caveats.
    /// </summary>
    public async Task<ServingPlan> ServingAsync(ServingArtefactRequest? request, CancellationToken ct)
    {
        if (request is null)
            throw new PlannerRequestException("body", PlanNote.Of("ErrServingRequestMissing", $"Send {{plan: {{…plan request…}}, engine: vllm | sglang, options?: {{servedName, port, image, hostModelPath, apiKeySecretName}}}}."));
        if (!Enum.IsDefined(request.Engine))
            throw new PlannerRequestException("engine", PlanNote.Of("ErrEngine", $"The engine must be vllm or sglang."));
        var options = request.Options ?? new ServingOptions();
        var plan = await PlanAsync(request.Plan, ct, "plan");
        var model = (await ResolveModelAsync(request.Plan.ModelId, ct)).Model!;
        var notes = new List<PlanNote>();
        var servedName = options.ServedName ?? Slug(model.Source == PlannerModel.RegisteredSource ? model.Name : model.Id, MaxServedName);
        string modelArgument;
        string? hostPath;
        if (model.Folder is { } folder)
        {
            // Always a safe word: a bad served name is then refused as the served name, not as the path.
            (modelArgument, hostPath) = ("/models/" + Slug(servedName, MaxServedName), folder);
        }
        else if (options.HostModelPath is { } mounted)
        {
            (modelArgument, hostPath) = ("/models/" + Slug(servedName, MaxServedName), mounted);
        }
        else
        {
            modelArgument = model.Repository ?? throw new PlannerRequestException("plan.modelId", PlanNote.Of("ErrNoRepository", $"No Hugging Face repository is known for \"{model.Id}\"; give options.hostModelPath with its weights."));
            hostPath = null;
        }
        var quantization = Quantization(request.Engine, plan, notes);
        var defaults = ServingDefaults.For(request.Engine);
        var spec = new ServingSpec(
            request.Engine, modelArgument, servedName, plan.TensorParallel, plan.PipelineParallel, plan.TensorParallel,
            plan.Request.ContextLength, quantization, options.Port ?? defaults.Port, options.Image ?? defaults.Image, hostPath, options.ApiKeySecretName);
        if (!plan.Fits)
            notes.Add(PlanNote.Of("ServingDoesNotFit", $"The plan does not fit {plan.GpuCount} × {plan.Gpu.Name}: the files ask for what was planned, but the server will run out of memory."));
        return new ServingPlan(plan, spec, notes);
    }

    /// <summary>
    /// The engine's <c>--quantization</c> for the planned precision against the checkpoint's own format: none when they
    /// agree; <c>fp8</c> (online, both engines) for FP8 of a 16-bit checkpoint; <c>awq</c> for INT4 (an AWQ checkpoint
    /// is needed); INT8: SGLang's <c>w8a8_int8</c> (an INT8 checkpoint is needed), nothing online in vLLM.
    /// </summary>
    private static string? Quantization(ServingEngine engine, Plan plan, List<PlanNote> notes)
    {
        var native = plan.Model.NativePrecision;
        var wanted = plan.Request.Precision;
        if (wanted == native)
            return null;
        switch (wanted)
        {
            case Precision.Fp8:
                return "fp8";
            case Precision.Int4:
                notes.Add(PlanNote.Of("ServingInt4Awq", $"INT4 serving reads an AWQ checkpoint: point the model at an AWQ export of the weights (for DeepSeek MoE models SGLang uses --quantization moe_wna16)."));
                return "awq";
            case Precision.Int8 when engine == ServingEngine.Sglang:
                notes.Add(PlanNote.Of("ServingSglangInt8", $"SGLang's w8a8_int8 reads a checkpoint already quantised to INT8 (for example meituan/DeepSeek-R1-Channel-INT8)."));
                return "w8a8_int8";
            case Precision.Int8:
                notes.Add(PlanNote.Of("ServingVllmInt8", $"vLLM has no online INT8 for this model: serve a W8A8 (compressed-tensors) checkpoint, which vLLM detects without a flag."));
                return null;
            default:
                if (native == Precision.Fp8)
                    notes.Add(PlanNote.Of("ServingFp8Conversion", $"The checkpoint ships in FP8; serving it in {wanted} needs a converted copy (fp8_cast_bf16.py) mounted as the model."));
                return null;
        }
    }

    /// <summary>The compose file serving the plan.</summary>
    public async Task<(ServingPlan Serving, GeneratedFile File)> ComposeAsync(ServingArtefactRequest? request, CancellationToken ct)
    {
        var serving = await ServingAsync(request, ct);
        return (serving, Generate(() => ServingArtefacts.Compose(serving.Spec), serving.Spec));
    }

    /// <summary>The Kubernetes manifest serving the plan.</summary>
    public async Task<(ServingPlan Serving, GeneratedFile File)> KubernetesAsync(ServingArtefactRequest? request, CancellationToken ct)
    {
        var serving = await ServingAsync(request, ct);
        return (serving, Generate(() => ServingArtefacts.Kubernetes(serving.Spec), serving.Spec));
    }

    /// <summary>
    /// Runs a generator of the deployment library, whose checks name the spec field they refuse
    /// (<see cref="ArgumentException.ParamName"/>), and reports the refusal on the request field it came from.
    /// </summary>
    private static GeneratedFile Generate(Func<GeneratedFile> generate, ServingSpec spec)
    {
        try
        {
            return generate();
        }
        catch (ArgumentException e)
        {
            var field = e.ParamName switch
            {
                nameof(ServingSpec.ServedName) => "options.servedName",
                nameof(ServingSpec.Port) => "options.port",
                nameof(ServingSpec.Image) => "options.image",
                nameof(ServingSpec.ApiKeySecretName) => "options.apiKeySecretName",
                nameof(ServingSpec.HostModelPath) or nameof(ServingSpec.Model) when spec.HostModelPath is not null => "options.hostModelPath",
                nameof(ServingSpec.Engine) => "engine",
                _ => "plan",
            };
            throw PlannerRequestException.FromSpecCheck(field, e);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /// <summary>A DNS-label slug of an id: lowercase letters, digits and hyphens, at most 63 characters.</summary>
    public static string Slug(string id, int maxLength = 63)
    {
        var slug = NotLabel().Replace(id.ToLowerInvariant(), "-").Trim('-');
        if (slug.Length > maxLength) slug = slug[..maxLength].TrimEnd('-');
        return slug.Length == 0 ? "model" : slug;
    }

    private static string CamelCase(string field) =>
        field.Length == 0 || char.IsLower(field[0]) ? field : char.ToLowerInvariant(field[0]) + field[1..];

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotLabel();
}

/// <summary>Default images and ports of the serving engines (pinned tags: a manifest should not change under people).</summary>
public sealed record ServingDefaults(string Image, int Port)
{
    public static readonly ServingDefaults Vllm = new("vllm/vllm-openai:v0.10.2", 8000);
    public static readonly ServingDefaults Sglang = new("lmsysorg/sglang:v0.5.2-cu126", 30000);

    public static ServingDefaults For(ServingEngine engine) => engine == ServingEngine.Sglang ? Sglang : Vllm;
}
