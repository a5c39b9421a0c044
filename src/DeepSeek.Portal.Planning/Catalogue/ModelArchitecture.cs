namespace DeepSeek.Portal.Planning.Catalogue;

/// <summary>
/// What the planner needs to know of a model: its size, its attention (for the KV cache), its depth and width (for
/// activations) and its limits. Catalogue entries come from the published configs; a registered Hugging Face folder
/// is read from its <c>config.json</c> (<see cref="ModelCatalogue.FromConfigJson"/>).
/// </summary>
/// <param name="Id">Stable id used by the API and the command line (<c>deepseek-v3</c>, <c>r1-distill-qwen-7b</c>, <c>registered:12</c>).</param>
/// <param name="Name">Display name (<c>DeepSeek-V3 / R1</c>).</param>
/// <param name="ModelType">Hugging Face <c>model_type</c>: <c>llama</c>, <c>qwen2</c>, <c>deepseek_v2</c>, <c>deepseek_v3</c>.</param>
/// <param name="TotalParameters">Every parameter (all experts; without V3's 14B MTP module, which inference ignores).</param>
/// <param name="ActiveParameters">Parameters used per token (the routed experts chosen, shared experts, attention, embeddings): equal to the total for dense models.</param>
/// <param name="Layers">Decoder layers.</param>
/// <param name="HiddenSize">Residual width.</param>
/// <param name="IntermediateSize">Dense MLP width.</param>
/// <param name="AttentionHeads">Query heads.</param>
/// <param name="KeyValueHeads">KV heads (equal to the query heads for MHA; for MLA the query heads).</param>
/// <param name="HeadDim">Key/value head width (MHA/GQA).</param>
/// <param name="KvLoraRank">MLA's compressed KV width d_c (512), or null for MHA/GQA.</param>
/// <param name="QkRopeHeadDim">MLA's decoupled RoPE key width d_h^R (64), or null.</param>
/// <param name="VocabSize">Vocabulary (logits width).</param>
/// <param name="MaxContext">Longest context the model supports (its max_position_embeddings, or the documented limit).</param>
/// <param name="NativePrecision">The format its weights are published in (BF16; FP8 for V3/R1).</param>
/// <param name="Source">Where the figures come from (paper, README, config.json).</param>
/// <param name="ParametersApproximate">True where the total is a published rounding, not an exact count.</param>
public sealed record ModelArchitecture(
    string Id,
    string Name,
    string ModelType,
    long TotalParameters,
    long ActiveParameters,
    int Layers,
    int HiddenSize,
    int IntermediateSize,
    int AttentionHeads,
    int KeyValueHeads,
    int HeadDim,
    int? KvLoraRank,
    int? QkRopeHeadDim,
    int VocabSize,
    int MaxContext,
    Precision NativePrecision,
    string Source,
    bool ParametersApproximate = false)
{
    /// <summary>MLA when a KV LoRA rank is set; otherwise MHA or GQA by the KV head count.</summary>
    public AttentionKind Attention => KvLoraRank is not null ? AttentionKind.Mla
        : KeyValueHeads == AttentionHeads ? AttentionKind.Mha : AttentionKind.Gqa;

    /// <summary>Whether only some parameters work per token (mixture of experts).</summary>
    public bool IsMixtureOfExperts => ActiveParameters < TotalParameters;
}
