using DeepSeek.Portal.Planning.Catalogue;

namespace DeepSeek.Portal.Planning.Estimates;

/// <summary>What to plan for.</summary>
/// <param name="ModelId">A catalogue model id.</param>
/// <param name="Precision">Weight precision.</param>
/// <param name="ContextLength">Tokens per sequence (prompt + output), 1 … the model's maximum.</param>
/// <param name="ConcurrentSequences">Sequences in flight at once (serving) or the micro-batch (training), ≥ 1.</param>
/// <param name="Mode">Inference, full fine-tune, LoRA or QLoRA.</param>
/// <param name="GpuId">A catalogue GPU id.</param>
/// <param name="GpuCount">Devices to plan on; null for the fewest that hold the plan.</param>
/// <param name="ActivationCheckpointing">Training: keep only each layer's input (full recompute) instead of every activation.</param>
/// <param name="KvCachePrecision">KV cache format; null for 16-bit (FP8 when the weights are FP8 on FP8 hardware is not assumed).</param>
/// <param name="LoraRank">LoRA/QLoRA rank r (default 16), adapters on every attention and MLP projection.</param>
public sealed record PlanRequest(
    string ModelId,
    Precision Precision,
    int ContextLength,
    int ConcurrentSequences,
    PlanMode Mode,
    string GpuId,
    int? GpuCount = null,
    bool ActivationCheckpointing = true,
    Precision? KvCachePrecision = null,
    int LoraRank = 16);

/// <summary>One line of the memory breakdown.</summary>
/// <param name="Key"><c>weights</c>, <c>kvCache</c>, <c>activations</c>, <c>gradients</c>, <c>optimizer</c>, <c>adapters</c>, <c>overhead</c>.</param>
/// <param name="Bytes">The total over all devices.</param>
/// <param name="Formula">How it was computed, with the numbers put in (<c>6.91e9 params × 2 B = 13.8 GB</c>).</param>
/// <param name="Notes">Caveats and sources, each a translatable sentence; none when empty.</param>
public sealed record MemoryLine(string Key, double Bytes, string Formula, IReadOnlyList<PlanNote>? Notes = null)
{
    /// <summary>The caveats and sources, each a translatable sentence (empty for none).</summary>
    public IReadOnlyList<PlanNote> Notes { get; init; } = Notes ?? [];

    /// <summary>The notes in English, one text (null for none), as clients read it before notes had codes.</summary>
    public string? Note => PlanNote.Join(Notes);
}

/// <summary>Where a statement of the seed document stands against the computation.</summary>
/// <param name="Id">Stable id (<c>int8-quarter</c>, <c>a100x4-13b</c>, …).</param>
/// <param name="Quote">The seed's words (Chinese, verbatim).</param>
/// <param name="Claim">The claim in English.</param>
/// <param name="Holds">Whether the computation agrees.</param>
/// <param name="Computation">The computation, with numbers (a translatable sentence: the numbers are its arguments).</param>
/// <param name="Verdict">What is true instead, in one sentence (translatable).</param>
public sealed record ClaimVerdict(string Id, string Quote, string Claim, bool Holds, PlanNote Computation, PlanNote Verdict);

/// <summary>The planner's answer.</summary>
/// <param name="Request">What was asked (with the GPU count filled in).</param>
/// <param name="Model">The model planned.</param>
/// <param name="Gpu">The device planned on.</param>
/// <param name="Memory">The breakdown; the total is their sum.</param>
/// <param name="TotalBytes">Everything together.</param>
/// <param name="PerGpuBytes">What each device holds (the total over the tensor/pipeline split).</param>
/// <param name="GpusNeeded">Fewest devices that hold the plan.</param>
/// <param name="GpuCount">Devices planned on (the request's count, or <see cref="GpusNeeded"/> rounded to a usable parallel size).</param>
/// <param name="TensorParallel">Tensor-parallel degree (within a node; divides the attention heads).</param>
/// <param name="PipelineParallel">Pipeline stages (nodes), 1 on one node.</param>
/// <param name="Nodes">Servers needed.</param>
/// <param name="Fits">Whether the plan fits the devices planned on.</param>
/// <param name="DecodeTokensPerSecond">Aggregate decode tokens/s bound by memory bandwidth (inference), null for training.</param>
/// <param name="DecodeFormula">How that was computed.</param>
/// <param name="Warnings">Caveats (FP8 on hardware without FP8, uncertain GPU figures, …), each a translatable sentence.</param>
/// <param name="Formulas">Derived figures other than memory, each with its formula (<c>gpus</c>, <c>tp</c>, …).</param>
public sealed record Plan(
    PlanRequest Request,
    ModelArchitecture Model,
    GpuSpec Gpu,
    IReadOnlyList<MemoryLine> Memory,
    double TotalBytes,
    double PerGpuBytes,
    int GpusNeeded,
    int GpuCount,
    int TensorParallel,
    int PipelineParallel,
    int Nodes,
    bool Fits,
    double? DecodeTokensPerSecond,
    string? DecodeFormula,
    IReadOnlyList<PlanNote> Warnings,
    IReadOnlyDictionary<string, string> Formulas);

/// <summary>A request the planner cannot answer: field (of <see cref="PlanRequest"/>) → what is wrong and what is expected.</summary>
/// <param name="notes">Field → its errors, each a translatable sentence.</param>
public sealed class PlanValidationException(IReadOnlyDictionary<string, PlanNote[]> notes)
    : Exception(string.Join(" ", notes.SelectMany(e => e.Value).Select(n => n.Text)))
{
    /// <summary>Field → its errors with codes and arguments (for a user interface to translate).</summary>
    public IReadOnlyDictionary<string, PlanNote[]> Notes { get; } = notes;

    /// <summary>Field → its errors in English.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = notes.ToDictionary(e => e.Key, e => e.Value.Select(n => n.Text).ToArray());
}
