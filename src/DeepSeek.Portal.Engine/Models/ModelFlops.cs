namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// Analytic FLOP estimates used for throughput and model-FLOPs utilisation (MFU) figures.
/// </summary>
/// <remarks>
/// Convention (Kaplan et al. / PaLM appendix B): a matrix parameter costs 2 FLOPs per token forward and 4 backward,
/// so training costs <c>6 · N_active</c> per token, where <c>N_active</c> counts the weight matrices a token passes
/// through — attention projections, the dense MLP or the router + top-k routed experts + shared experts, and
/// lm_head — but not the embedding lookup or norm weights. Attention scores add
/// <c>6 · layers · heads · S · (qk_head_dim + v_head_dim)</c> (QKᵀ and P·V, forward ×3 for training), without
/// halving for the causal mask, as in PaLM. Element-wise work (norms, RoPE, softmax, SiLU) is ignored.
/// </remarks>
public static class ModelFlops
{
    /// <summary>Matrix parameters used per token (see remarks); routed experts count k times, not E times.</summary>
    public static long ActiveMatrixParameters(DeepSeekConfig config)
    {
        long h = config.HiddenSize, heads = config.NumAttentionHeads;
        long attention = config.QLoraRank is int r
            ? h * r + r * heads * config.QkHeadDim
            : h * heads * config.QkHeadDim;
        attention += h * (config.KvLoraRank + config.QkRopeHeadDim)
            + (long)config.KvLoraRank * heads * (config.QkNopeHeadDim + config.VHeadDim)
            + heads * config.VHeadDim * h;

        long total = 0;
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            total += attention;
            if (config.IsMoeLayer(layer))
            {
                total += h * config.NRoutedExperts;                                    // router
                total += 3L * h * config.MoeIntermediateSize * config.NumExpertsPerTok;
                total += 3L * h * config.MoeIntermediateSize * config.NSharedExperts;
            }
            else
            {
                total += 3L * h * config.IntermediateSize;
            }
        }
        return total + h * config.VocabSize; // lm_head
    }

    /// <summary>
    /// Matrix parameters of a Llama/Qwen2 model used per token: q/k/v/o, the SwiGLU MLP and the output matrix (also
    /// when it is tied to the embedding, because the product is still computed).
    /// </summary>
    public static long ActiveMatrixParameters(LlamaConfig config)
    {
        long h = config.HiddenSize, d = config.ResolvedHeadDim;
        long attention = h * d * (2L * config.NumAttentionHeads + 2L * config.KeyValueHeads);
        return config.NumHiddenLayers * (attention + 3L * h * config.IntermediateSize) + h * config.VocabSize;
    }

    /// <summary>Matrix parameters used per token for a config of any family.</summary>
    public static long ActiveMatrixParameters(ModelConfig config) => config switch
    {
        DeepSeekConfig deepSeek => ActiveMatrixParameters(deepSeek),
        LlamaConfig llama => ActiveMatrixParameters(llama),
        _ => throw new NotSupportedException($"No FLOP model for {config.GetType().Name}."),
    };

    /// <summary>Training FLOPs per token at context length <paramref name="sequenceLength"/> (see remarks).</summary>
    public static double TrainingFlopsPerToken(ModelConfig config, int sequenceLength)
    {
        double matrices = 6.0 * ActiveMatrixParameters(config);
        double widths = config switch
        {
            DeepSeekConfig d => d.QkHeadDim + d.VHeadDim,
            LlamaConfig l => 2.0 * l.ResolvedHeadDim,
            _ => 0,
        };
        double attention = 6.0 * config.NumHiddenLayers * config.NumAttentionHeads * (double)sequenceLength * widths;
        return matrices + attention;
    }
}
