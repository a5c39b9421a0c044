using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Deployment;
using DeepSeek.Portal.Planning.Estimates;

namespace DeepSeek.Portal.Planning.Planner;

/// <summary>
/// A model the planner can plan: a catalogue entry, or a registered model folder read from its <c>config.json</c>.
/// A registered folder whose config cannot be read is still listed, with <see cref="Problem"/> and no architecture,
/// so people see why it cannot be planned instead of it silently missing.
/// </summary>
/// <param name="Id">The id plans use: the catalogue id, or <c>registered:&lt;model id&gt;</c>.</param>
/// <param name="Name">Display name.</param>
/// <param name="Source"><c>catalogue</c> or <c>registered</c>.</param>
/// <param name="Architecture">What the planner computes with; null when <see cref="Problem"/> is set.</param>
/// <param name="Repository">Hugging Face repo id the serving files pull (catalogue models), or null.</param>
/// <param name="Folder">The registered folder on the server (registered models), or null.</param>
/// <param name="Problem">Why a registered folder cannot be planned (its config.json is missing or unreadable), translatable.</param>
public sealed record PlannerModel(string Id, string Name, string Source, ModelArchitecture? Architecture, string? Repository, string? Folder, PlanNote? Problem)
{
    public const string CatalogueSource = "catalogue";
    public const string RegisteredSource = "registered";
    public const string RegisteredPrefix = "registered:";
}

/// <summary>The devices the planner plans on: the GPU catalogue and this machine's CPU (id <c>cpu</c>).</summary>
/// <param name="Gpus">Catalogue GPUs, then <c>cpu</c>.</param>
/// <param name="CpuBandwidthSource">Where the CPU's bandwidth comes from: <c>configured</c> (Portal:Planner:CpuBandwidthGBps) or <c>measured</c>.</param>
public sealed record PlannerDevices(IReadOnlyList<GpuSpec> Gpus, string CpuBandwidthSource);

/// <summary>Serving choices beyond the plan, all optional.</summary>
/// <param name="ServedName">The name clients send (lowercase letters, digits, hyphens, at most 40: Kubernetes names are built from it); default: a slug of the model id (a registered model: of its name).</param>
/// <param name="Port">The port the OpenAI-compatible API listens on; default 8000 (vLLM) or 30000 (SGLang).</param>
/// <param name="Image">Container image with its tag; default <see cref="ServingDefaults"/>. Every option is checked by the deployment library; a refusal comes back on its options.* field.</param>
/// <param name="HostModelPath">Host folder holding the weights, mounted read-only (catalogue models; a registered model always mounts its folder).</param>
/// <param name="ApiKeySecretName">Secret / environment variable holding the API key; none by default.</param>
public sealed record ServingOptions(string? ServedName = null, int? Port = null, string? Image = null, string? HostModelPath = null, string? ApiKeySecretName = null);

/// <summary>What a compose file or Kubernetes manifest is generated from: a plan request, the engine and options.</summary>
public sealed record ServingArtefactRequest(PlanRequest Plan, ServingEngine Engine, ServingOptions? Options = null);

/// <summary>A serving spec with what people should know about it (quantisation caveats, each translatable).</summary>
public sealed record ServingPlan(Plan Plan, ServingSpec Spec, IReadOnlyList<PlanNote> Notes);

/// <summary>
/// Training settings of a launch bundle. From a run, its own settings fill every field left out; without a run each
/// field has the default given.
/// </summary>
/// <param name="LearningRate">Peak learning rate (default: the run's, else 1e-4).</param>
/// <param name="Epochs">Epochs (1–1000). From a run without it: the run's steps × effective batch ÷ records, rounded up.</param>
/// <param name="MicroBatchSize">Per-device batch (default: the run's, else 1).</param>
/// <param name="GradientAccumulationSteps">Accumulation steps (default: the run's, else 8).</param>
/// <param name="SequenceLength">Cutoff length (default: the run's, else the plan's context length).</param>
/// <param name="LoraRank">LoRA rank (default: the run's, else the plan's).</param>
/// <param name="LoraAlpha">LoRA alpha (default: the run's, else twice the rank).</param>
public sealed record TrainingBundleSettings(
    double? LearningRate = null, int? Epochs = null, int? MicroBatchSize = null, int? GradientAccumulationSteps = null,
    int? SequenceLength = null, int? LoraRank = null, int? LoraAlpha = null);

/// <summary>The cluster a training bundle launches on.</summary>
/// <param name="MasterAddress">Rank 0's address (MASTER_ADDR); default 127.0.0.1 as in seed 1.2.</param>
/// <param name="MasterPort">Rank 0's port (MASTER_PORT); default 29500.</param>
/// <param name="SocketInterface">NCCL_SOCKET_IFNAME, or none.</param>
/// <param name="InfiniBand">RDMA (else NCCL_IB_DISABLE=1); default false.</param>
/// <param name="ZeroStage">DeepSpeed ZeRO stage 0–3; default 3 for a full fine-tune, 2 otherwise.</param>
/// <param name="Image">Container image; default per framework.</param>
public sealed record TrainingClusterOptions(string? MasterAddress = null, int? MasterPort = null, string? SocketInterface = null, bool? InfiniBand = null, int? ZeroStage = null, string? Image = null);

/// <summary>
/// A multi-node training launch bundle: the plan (model, devices, mode), the framework, and the data and settings —
/// a training run's (<see cref="RunId"/>) or a dataset version with settings.
/// </summary>
public sealed record TrainingBundleRequest(
    PlanRequest Plan, TrainingFramework Framework, int? RunId = null, int? DatasetVersionId = null,
    TrainingBundleSettings? Settings = null, TrainingClusterOptions? Cluster = null);

/// <summary>Registers a served model as an OpenAI-compatible evaluation endpoint.</summary>
/// <param name="Name">The endpoint's unique name.</param>
/// <param name="BaseUrl">http(s)://host:port/v1; a URL without a path gets <c>/v1</c>.</param>
/// <param name="ServedName">The model name the server serves (its --served-model-name).</param>
/// <param name="ApiKey">The server's API key, stored encrypted; none by default.</param>
public sealed record ServedEndpointRequest(string? Name, string? BaseUrl, string? ServedName, string? ApiKey = null);

/// <summary>
/// Thrown for a request the planner portal refuses: field → messages (a 400, nothing produced). Coded messages (the
/// planning library's, the deployment checks' and the services' own) also come as <see cref="Notes"/>, so pages
/// translate them; the few deployment checks without a code have English text only.
/// </summary>
public sealed class PlannerRequestException : Exception
{
    /// <summary>Field → its messages in English.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>Field → its messages with codes and arguments; only the fields whose messages have codes.</summary>
    public IReadOnlyDictionary<string, PlanNote[]> Notes { get; }

    public PlannerRequestException(IReadOnlyDictionary<string, string[]> errors)
        : base(string.Join(" ", errors.SelectMany(e => e.Value)))
    {
        Errors = errors;
        Notes = new Dictionary<string, PlanNote[]>();
    }

    public PlannerRequestException(IReadOnlyDictionary<string, PlanNote[]> notes)
        : base(string.Join(" ", notes.SelectMany(e => e.Value).Select(n => n.Text)))
    {
        Errors = notes.ToDictionary(e => e.Key, e => e.Value.Select(n => n.Text).ToArray());
        Notes = notes;
    }

    /// <summary>English messages by field, with coded notes for the fields that have them.</summary>
    public PlannerRequestException(IReadOnlyDictionary<string, string[]> errors, IReadOnlyDictionary<string, PlanNote[]> notes)
        : this(errors)
    {
        Notes = notes;
    }

    public PlannerRequestException(string field, string message) : this(new Dictionary<string, string[]> { [field] = [message] })
    {
    }

    public PlannerRequestException(string field, PlanNote message) : this(new Dictionary<string, PlanNote[]> { [field] = [message] })
    {
    }

    /// <summary>A deployment-library check's refusal reported on the request's <paramref name="field"/>: its coded note when it has one.</summary>
    public static PlannerRequestException FromSpecCheck(string field, ArgumentException e) =>
        e is SpecFieldException refused
            ? new(field, refused.Note)
            : new(field, e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal));
}
