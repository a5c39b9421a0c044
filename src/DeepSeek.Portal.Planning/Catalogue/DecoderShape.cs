namespace DeepSeek.Portal.Planning.Catalogue;

/// <summary>
/// The shape of a decoder-only model as its <c>config.json</c> states it, enough to count every parameter exactly.
/// The catalogue entries and <see cref="ModelCatalogue.FromConfigJson"/> both go through this, so a config read from a
/// folder and the catalogue's entry for the same model give the same count.
/// </summary>
/// <remarks>
/// The counting is the engine's (<c>TrainingFootprint.CountParameters</c> in DeepSeek.Portal.Engine, which matches the
/// tensors HF's <c>LlamaForCausalLM</c>, <c>Qwen2ForCausalLM</c> and the DeepSeek remote code register), written again
/// here because this library must not depend on the engine: Llama/Qwen2 count embeddings, an untied head, two norms per
/// layer, q/k/v/o (with biases where the family has them) and a SwiGLU MLP; DeepSeek-V2/V3 count MLA (q or q_a/q_b with
/// its norm, kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj), the router (and V3's score-correction bias),
/// every routed expert and the shared experts.
/// </remarks>
internal sealed record DecoderShape
{
    public required string ModelType { get; init; }
    public required int Hidden { get; init; }
    public required int Intermediate { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public int KvHeads { get; init; }
    public int HeadDim { get; init; }
    public required int Vocab { get; init; }
    public required int MaxPositions { get; init; }
    public bool TiedEmbeddings { get; init; }
    public bool QkvBias { get; init; }
    public bool OutputBias { get; init; }
    public bool MlpBias { get; init; }

    // MLA and DeepSeekMoE (deepseek_v2 / deepseek_v3).
    public int? QLoraRank { get; init; }
    public int KvLoraRank { get; init; }
    public int QkNopeHeadDim { get; init; }
    public int QkRopeHeadDim { get; init; }
    public int VHeadDim { get; init; }
    public int RoutedExperts { get; init; }
    public int SharedExperts { get; init; }
    public int ExpertsPerToken { get; init; }
    public int MoeIntermediate { get; init; }
    public int FirstDenseLayers { get; init; }
    public int MoeLayerFrequency { get; init; } = 1;
    public bool ScoreCorrectionBias { get; init; }

    public bool IsDeepSeek => ModelType is "deepseek_v2" or "deepseek_v3";

    public bool IsMoeLayer(int layer) =>
        RoutedExperts > 0 && layer >= FirstDenseLayers && MoeLayerFrequency > 0 && layer % MoeLayerFrequency == 0;

    /// <summary>Every parameter, all experts included.</summary>
    public long TotalParameters => IsDeepSeek ? DeepSeekParameters(activeOnly: false) : DenseParameters();

    /// <summary>Parameters one token uses: all but the routed experts the router did not choose.</summary>
    public long ActiveParameters => IsDeepSeek ? DeepSeekParameters(activeOnly: true) : DenseParameters();

    private long DenseParameters()
    {
        long h = Hidden, v = Vocab, d = HeadDim;
        long q = Heads * d, kv = KvHeads * d;
        long attention = h * q + 2 * h * kv + q * h + (QkvBias ? q + 2 * kv : 0) + (OutputBias ? h : 0);
        long mlp = 3L * h * Intermediate + (MlpBias ? 2L * Intermediate + h : 0);
        long layer = 2 * h + attention + mlp;
        return v * h + h + (TiedEmbeddings ? 0 : h * v) + Layers * layer;
    }

    private long DeepSeekParameters(bool activeOnly)
    {
        long h = Hidden, heads = Heads, v = Vocab, qkHead = QkNopeHeadDim + QkRopeHeadDim;
        long attention = QLoraRank is int rank
            ? h * rank + rank + rank * heads * qkHead
            : h * heads * qkHead;
        attention += h * (KvLoraRank + QkRopeHeadDim) + KvLoraRank
            + (long)KvLoraRank * heads * (QkNopeHeadDim + VHeadDim)
            + heads * VHeadDim * h;
        long total = v * h + h + (TiedEmbeddings ? 0 : h * v);
        long expert = 3L * h * MoeIntermediate;
        for (var layer = 0; layer < Layers; layer++)
        {
            total += 2 * h + attention;
            if (IsMoeLayer(layer))
            {
                long experts = activeOnly ? Math.Min(ExpertsPerToken, RoutedExperts) : RoutedExperts;
                total += h * RoutedExperts + (ScoreCorrectionBias ? RoutedExperts : 0)
                    + experts * expert + SharedExperts * expert;
            }
            else
            {
                total += 3L * h * Intermediate;
            }
        }
        return total;
    }

    /// <summary>The planner's view of this shape.</summary>
    public ModelArchitecture ToArchitecture(string id, string name, int maxContext, Precision native, string source, bool approximate = false) => new(
        id, name, ModelType, TotalParameters, ActiveParameters, Layers, Hidden, Intermediate, Heads,
        IsDeepSeek ? Heads : KvHeads,
        IsDeepSeek ? VHeadDim : HeadDim,
        IsDeepSeek ? KvLoraRank : null,
        IsDeepSeek ? QkRopeHeadDim : null,
        Vocab, maxContext, native, source, approximate);
}
