using System.Globalization;
using DeepSeek.Portal.Engine.Models;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// What one training run will ask of the machine, estimated before it is queued: memory at the peak of a micro-batch
/// and tokens per optimizer step. Each field is checked on its own by <see cref="TrainingOptions.Validate"/>; only
/// together do they say whether a run can fit (micro-batch 4096 × sequence 4096 is valid field by field and needs
/// terabytes).
/// </summary>
/// <remarks>
/// The estimate follows the usual accounting of mixed-precision training (Rajbhandari et al., ZeRO, §3) for what
/// this engine keeps: fp32 weights, fp32 gradients and AdamW's two fp32 moments per parameter, plus a bf16 copy of the
/// weights when computing in bf16; activations saved for backward per token and layer (norms, MLA projections, the
/// attention matrix, the dense or routed MLP), counted in the compute precision; and the logits, their log-softmax
/// and its gradient in fp32 (<c>3 · tokens · vocabulary · 4</c> bytes), which dominate for small models. It is an
/// upper-bound style estimate, not a measurement: allocator slack and libtorch's workspace are not included.
/// </remarks>
/// <param name="Parameters">Parameters of the model, embeddings and every expert included.</param>
/// <param name="WeightBytes">fp32 master weights (and the bf16 compute copy under bf16).</param>
/// <param name="GradientBytes">fp32 gradients, one per parameter.</param>
/// <param name="OptimizerStateBytes">AdamW's first and second moments, fp32.</param>
/// <param name="ActivationBytes">Activations saved for backward for one micro-batch.</param>
/// <param name="LogitsBytes">Logits, log-probabilities and their gradient for one micro-batch.</param>
/// <param name="TokensPerStep">Micro-batch × accumulation steps × sequence length.</param>
public sealed record TrainingFootprint(
    long Parameters, long WeightBytes, long GradientBytes, long OptimizerStateBytes, long ActivationBytes, long LogitsBytes, long TokensPerStep)
{
    /// <summary>Tokens per optimizer step above which a run is refused unless the caller sets another limit: 4 Mi tokens,
    /// the order of a large published pre-training batch, and hours per step on this engine's CPU path.</summary>
    public const long DefaultMaxTokensPerStep = 4L * 1024 * 1024;

    /// <summary>The peak: every part together.</summary>
    public long TotalBytes => Saturate((double)WeightBytes + GradientBytes + OptimizerStateBytes + ActivationBytes + LogitsBytes);

    /// <summary>
    /// Estimates the footprint of <paramref name="options"/> on <paramref name="model"/> (DeepSeek, Llama or Qwen2), or on the demo model
    /// (<see cref="DeepSeekConfig.Tiny"/> at the options' tokenizer vocabulary, the largest it can be) when none is given.
    /// An automatic vocabulary counts at the largest size the automatic rule picks.
    /// </summary>
    public static TrainingFootprint Estimate(TrainingOptions options, ModelConfig? model = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        int largestVocabulary = options.TokenizerVocabSize ?? Tokenization.ByteLevelBpeTraining.MaxDefaultVocabSize;
        var config = model ?? DeepSeekConfig.Tiny(largestVocabulary);
        var vocabulary = config.VocabSize > 0 ? config.VocabSize : largestVocabulary;
        double parameters = CountParameters(config with { VocabSize = vocabulary });
        var bf16 = options.Precision == TrainingPrecision.Bf16;
        double computeBytes = bf16 ? 2 : 4;
        double tokens = (double)options.MicroBatchSize * options.SequenceLength;

        double perTokenPerLayer = 0;
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
            perTokenPerLayer += ActivationsPerToken(config, layer, options.SequenceLength);
        // Embedding output, final norm in and out.
        double activations = tokens * (perTokenPerLayer + 3.0 * config.HiddenSize) * computeBytes;

        return new TrainingFootprint(
            (long)parameters,
            Saturate(parameters * (bf16 ? 6 : 4)),
            Saturate(parameters * 4),
            Saturate(parameters * 8),
            Saturate(activations),
            Saturate(3.0 * tokens * vocabulary * 4),
            Saturate(tokens * options.GradientAccumulationSteps));
    }

    /// <summary>Parameters of a model built from <paramref name="config"/>, of any family, exactly as the engine registers them.</summary>
    public static long CountParameters(ModelConfig config) => config switch
    {
        DeepSeekConfig deepSeek => CountParameters(deepSeek),
        LlamaConfig llama => CountParameters(llama),
        null => throw new ArgumentNullException(nameof(config)),
        _ => throw new NotSupportedException($"No parameter count for {config.GetType().Name}."),
    };

    /// <summary>Parameters of a Llama or Qwen2 model, exactly as <c>LlamaForCausalLM</c> registers them (biases, GQA, tied embeddings).</summary>
    public static long CountParameters(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long h = config.HiddenSize, v = config.VocabSize, d = config.ResolvedHeadDim;
        long q = config.NumAttentionHeads * d, kv = config.KeyValueHeads * d;
        long attention = h * q + 2 * h * kv + q * h                       // q, k, v, o projections
            + (config.QkvBias ? q + 2 * kv : 0) + (config.OutputBias ? h : 0);
        long layer = 2 * h + attention + 3L * h * config.IntermediateSize; // two norms, attention, SwiGLU MLP
        return v * h + h + (config.TieWordEmbeddings ? 0 : h * v) + config.NumHiddenLayers * layer;
    }

    /// <summary>Parameters of a model built from <paramref name="config"/>, exactly as <c>DeepSeekForCausalLM</c> registers them.</summary>
    public static long CountParameters(DeepSeekConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long h = config.HiddenSize, heads = config.NumAttentionHeads, v = config.VocabSize;
        long attention = config.QLoraRank is int rank
            ? h * rank + rank + (long)rank * heads * config.QkHeadDim   // q_a_proj, q_a_layernorm, q_b_proj
            : h * heads * config.QkHeadDim;                             // q_proj
        attention += h * (config.KvLoraRank + config.QkRopeHeadDim)     // kv_a_proj_with_mqa
            + config.KvLoraRank                                         // kv_a_layernorm
            + (long)config.KvLoraRank * heads * (config.QkNopeHeadDim + config.VHeadDim)
            + heads * config.VHeadDim * h;                              // o_proj

        long total = v * h + h + h * v; // embed_tokens, final norm, lm_head (untied)
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            total += 2 * h + attention;
            total += config.IsMoeLayer(layer)
                ? h * config.NRoutedExperts
                    + (config.TopkMethod == "noaux_tc" ? config.NRoutedExperts : 0)  // V3 e_score_correction_bias
                    + config.NRoutedExperts * 3L * h * config.MoeIntermediateSize
                    + (config.NSharedExperts > 0 ? 3L * h * config.MoeIntermediateSize * config.NSharedExperts : 0)
                : 3L * h * config.IntermediateSize;
        }
        return total;
    }

    /// <summary>
    /// Field name (of <see cref="TrainingOptions"/>) → message for each limit the footprint exceeds; empty when it fits.
    /// Memory is reported on <c>MicroBatchSize</c> (what most often needs lowering), tokens per step on
    /// <c>GradientAccumulationSteps</c>; each message gives the estimate and the limit.
    /// </summary>
    /// <param name="options">The options the footprint was estimated for (named in the messages).</param>
    /// <param name="memoryLimitBytes">What this machine can hold; see <see cref="AvailableMemoryBytes"/>.</param>
    /// <param name="maxTokensPerStep">The most tokens one optimizer step may process.</param>
    public IReadOnlyDictionary<string, string[]> Check(TrainingOptions options, long memoryLimitBytes, long maxTokensPerStep = DefaultMaxTokensPerStep)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new Dictionary<string, string[]>();
        if (TotalBytes > memoryLimitBytes)
        {
            errors[nameof(TrainingOptions.MicroBatchSize)] =
            [
                $"Estimated training memory is {FormatBytes(TotalBytes)} (weights {FormatBytes(WeightBytes)}, gradients {FormatBytes(GradientBytes)}, " +
                $"AdamW state {FormatBytes(OptimizerStateBytes)}, activations {FormatBytes(ActivationBytes)} and logits {FormatBytes(LogitsBytes)} " +
                $"for micro-batch {options.MicroBatchSize} × {options.SequenceLength} tokens); this machine can hold {FormatBytes(memoryLimitBytes)}. " +
                "Lower the micro-batch size or the sequence length.",
            ];
        }
        if (TokensPerStep > maxTokensPerStep)
        {
            errors[nameof(TrainingOptions.GradientAccumulationSteps)] =
            [
                $"One optimizer step would process {N(TokensPerStep)} tokens ({options.MicroBatchSize} × {options.GradientAccumulationSteps} × {options.SequenceLength}); " +
                $"the limit is {N(maxTokensPerStep)}. Lower the accumulation steps, the micro-batch size or the sequence length.",
            ];
        }
        return errors;
    }

    /// <summary>Memory the runtime may use on this machine (physical memory, or the container's limit), in bytes.</summary>
    public static long AvailableMemoryBytes()
    {
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0)
            return available;
        // Before the first collection the figure can still be empty; one gen-0 collection fills it in.
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>Bytes in binary units as people read memory sizes ("23.4 GB").</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} bytes" : $"{value.ToString("0.#", CultureInfo.InvariantCulture)} {units[unit]}";
    }

    /// <summary>Values saved for backward per token in one layer, in elements of the compute precision.</summary>
    private static double ActivationsPerToken(ModelConfig config, int layer, int sequenceLength) => config switch
    {
        DeepSeekConfig deepSeek => ActivationsPerToken(deepSeek, layer, sequenceLength),
        LlamaConfig llama => ActivationsPerToken(llama, sequenceLength),
        _ => throw new NotSupportedException($"No activation estimate for {config.GetType().Name}."),
    };

    /// <summary>A Llama/Qwen2 layer: norms, q/k/v and their rotated forms, attention matrix and output, the SwiGLU MLP.</summary>
    private static double ActivationsPerToken(LlamaConfig c, int sequenceLength)
    {
        double h = c.HiddenSize, heads = c.NumAttentionHeads, d = c.ResolvedHeadDim, kvHeads = c.KeyValueHeads;
        double norms = 4 * h;
        double projections = heads * d + 2 * kvHeads * d                                  // q, k, v
            + heads * d + kvHeads * d                                                     // rotated q and k
            + heads * d + h;                                                              // attention output, o_proj output
        double attentionMatrix = 2.0 * heads * sequenceLength;
        double mlp = 4.0 * c.IntermediateSize + h;
        return norms + projections + attentionMatrix + mlp;
    }

    private static double ActivationsPerToken(DeepSeekConfig c, int layer, int sequenceLength)
    {
        double h = c.HiddenSize, heads = c.NumAttentionHeads;
        double norms = 4 * h;                                                             // two RMSNorms, input and output each
        double projections = heads * c.QkHeadDim                                          // q
            + (c.QLoraRank ?? 0) * 2.0                                                    // q latent and its norm
            + c.KvLoraRank * 2.0 + c.QkRopeHeadDim                                        // kv latent, its norm, the rope key
            + heads * (c.QkNopeHeadDim + c.VHeadDim)                                      // kv_b output
            + heads * c.QkHeadDim * 3                                                     // rotated q, assembled and rotated k
            + heads * c.VHeadDim * 2                                                      // v, attention output
            + h;                                                                          // o_proj output
        double attentionMatrix = 2.0 * heads * sequenceLength;                            // scores and softmax, [heads, S] per token
        double mlp = c.IsMoeLayer(layer)
            ? 2.0 * c.NRoutedExperts                                                      // router logits and probabilities
              + c.NumExpertsPerTok * (4.0 * c.MoeIntermediateSize + 2 * h)                // gate, up, SiLU, product; expert in and out
              + (c.NSharedExperts > 0 ? 4.0 * c.MoeIntermediateSize * c.NSharedExperts + h : 0)
            : 4.0 * c.IntermediateSize + h;
        return norms + projections + attentionMatrix + mlp;
    }

    private static long Saturate(double value) => value >= long.MaxValue ? long.MaxValue : (long)Math.Ceiling(value);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
