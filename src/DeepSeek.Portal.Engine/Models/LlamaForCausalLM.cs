using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// Grouped-query self-attention of HF Llama and Qwen2: <c>q_proj</c> <c>[heads·d, hidden]</c>, <c>k_proj</c> and
/// <c>v_proj</c> <c>[kv_heads·d, hidden]</c>, <c>o_proj</c> <c>[hidden, heads·d]</c>; rotate_half RoPE over the whole
/// head; each key/value head serves <c>heads / kv_heads</c> consecutive query heads (<c>repeat_kv</c>); softmax
/// scale <c>d^−0.5</c>. Biases as <see cref="LlamaConfig.QkvBias"/> and <see cref="LlamaConfig.OutputBias"/> say.
/// </summary>
public sealed class LlamaAttention : nn.Module<Tensor, Tensor>
{
    private readonly CastLinear q_proj;
    private readonly CastLinear k_proj;
    private readonly CastLinear v_proj;
    private readonly CastLinear o_proj;

    private readonly int numHeads;
    private readonly int numKeyValueHeads;
    private readonly int headDim;
    private readonly RotaryEmbedding rotary;

    /// <summary>Creates the attention block for <paramref name="config"/> (weights uninitialised, biases zero).</summary>
    public LlamaAttention(LlamaConfig config) : base(nameof(LlamaAttention))
    {
        numHeads = config.NumAttentionHeads;
        numKeyValueHeads = config.KeyValueHeads;
        headDim = config.ResolvedHeadDim;
        q_proj = new CastLinear(config.HiddenSize, (long)numHeads * headDim, config.QkvBias);
        k_proj = new CastLinear(config.HiddenSize, (long)numKeyValueHeads * headDim, config.QkvBias);
        v_proj = new CastLinear(config.HiddenSize, (long)numKeyValueHeads * headDim, config.QkvBias);
        o_proj = new CastLinear((long)numHeads * headDim, config.HiddenSize, config.OutputBias);
        rotary = new RotaryEmbedding(headDim, config.RopeTheta, config.RopeScaling, RopeLayout.Half);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden) => Forward(hidden, AttentionContext.Causal(hidden.shape[1], hidden.device), 0);

    /// <summary>
    /// Self-attention of <c>[batch, seq, hidden]</c> under <paramref name="context"/>; with a cache, rotated keys and
    /// values <c>[B, kv_heads, T, d]</c> are stored in slot <paramref name="layerIndex"/>.
    /// </summary>
    public Tensor Forward(Tensor hidden, AttentionContext context, int layerIndex)
    {
        long batch = hidden.shape[0], seq = hidden.shape[1];
        var q = q_proj.call(hidden).view(batch, seq, numHeads, headDim).transpose(1, 2);          // [B, nh, S, d]
        var k = k_proj.call(hidden).view(batch, seq, numKeyValueHeads, headDim).transpose(1, 2);  // [B, nkv, S, d]
        var v = v_proj.call(hidden).view(batch, seq, numKeyValueHeads, headDim).transpose(1, 2);  // [B, nkv, S, d]

        var (cos, sin) = rotary.Frequencies(context.Positions);
        q = RotaryEmbedding.ApplyHalf(q, cos, sin);
        k = RotaryEmbedding.ApplyHalf(k, cos, sin);
        if (context.Cache is { } cache) (k, v) = cache.Append(layerIndex, k, v, dim: 2);

        if (numKeyValueHeads != numHeads)
        {
            int repeats = numHeads / numKeyValueHeads;
            long keys = k.shape[2];
            k = k.unsqueeze(2).expand(batch, numKeyValueHeads, repeats, keys, headDim).reshape(batch, numHeads, keys, headDim);
            v = v.unsqueeze(2).expand(batch, numKeyValueHeads, repeats, keys, headDim).reshape(batch, numHeads, keys, headDim);
        }
        var attended = context.Mask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: context.Mask.to(q.dtype)); // [B, nh, S, d]
        return o_proj.call(attended.transpose(1, 2).reshape(batch, seq, numHeads * headDim));
    }
}

/// <summary>One pre-norm Llama/Qwen2 block: <c>h = x + self_attn(input_layernorm(x))</c>, then <c>h + mlp(post_attention_layernorm(h))</c>.</summary>
public sealed class LlamaDecoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly RMSNorm input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly RMSNorm post_attention_layernorm;
    private readonly SwiGluMlp mlp;
    private readonly int layerIndex;

    /// <summary>Creates layer <paramref name="layerIndex"/> of <paramref name="config"/>.</summary>
    public LlamaDecoderLayer(LlamaConfig config, int layerIndex) : base(nameof(LlamaDecoderLayer))
    {
        this.layerIndex = layerIndex;
        input_layernorm = new RMSNorm(config.HiddenSize, config.RmsNormEps);
        self_attn = new LlamaAttention(config);
        post_attention_layernorm = new RMSNorm(config.HiddenSize, config.RmsNormEps);
        mlp = new SwiGluMlp(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden) => Forward(hidden, AttentionContext.Causal(hidden.shape[1], hidden.device));

    /// <summary>The block under <paramref name="context"/> (positions, mask, cache).</summary>
    public Tensor Forward(Tensor hidden, AttentionContext context)
    {
        var h = hidden + self_attn.Forward(input_layernorm.call(hidden), context, layerIndex);
        return h + mlp.call(post_attention_layernorm.call(h));
    }
}

/// <summary>The Llama/Qwen2 decoder stack (<c>model.*</c> in HF names): token embedding, decoder layers, final norm.</summary>
public sealed class LlamaModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RMSNorm norm;

    /// <summary>Creates the decoder stack for <paramref name="config"/>.</summary>
    public LlamaModel(LlamaConfig config) : base(nameof(LlamaModel))
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i)).ToArray());
        norm = new RMSNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    /// <summary>The token embedding <c>[vocab, hidden]</c> (also the output matrix when embeddings are tied).</summary>
    public Parameter EmbeddingWeight => embed_tokens.weight!;

    /// <summary>Activation dtype (see <see cref="CausalLM.ComputeDType"/>).</summary>
    public ScalarType ComputeDType { get; set; } = ScalarType.Float32;

    /// <inheritdoc />
    public override Tensor forward(Tensor inputIds) => Forward(inputIds, AttentionContext.Causal(inputIds.shape[1], inputIds.device));

    /// <summary>Token ids <c>[batch, seq]</c> → final hidden states <c>[batch, seq, hidden]</c> under <paramref name="context"/>.</summary>
    public Tensor Forward(Tensor inputIds, AttentionContext context) => Forward(inputIds, context, checkpoint: false);

    /// <summary>The stack under <paramref name="context"/>, each layer recomputed in backward when <paramref name="checkpoint"/> is set.</summary>
    public Tensor Forward(Tensor inputIds, AttentionContext context, bool checkpoint)
    {
        var h = embed_tokens.call(inputIds);
        if (h.dtype != ComputeDType) h = h.to(ComputeDType);
        foreach (var layer in layers)
        {
            var current = layer;
            h = checkpoint
                ? ActivationCheckpoint.Run(h, x => (current.Forward(x, context), null)).Output
                : layer.Forward(h, context);
        }
        return norm.call(h);
    }
}

/// <summary>
/// <c>LlamaForCausalLM</c> / <c>Qwen2ForCausalLM</c>: <c>model</c> plus <c>lm_head</c>, or the embedding matrix as
/// output when <see cref="LlamaConfig.TieWordEmbeddings"/> is set (then, as in HF checkpoints of tied models, there is
/// no <c>lm_head.weight</c>).
/// </summary>
public sealed class LlamaForCausalLM : CausalLM
{
    private readonly LlamaModel model;
    private readonly CastLinear? lm_head; // [vocab, hidden]; null when tied

    /// <summary>Creates the model with uninitialised weights; call <see cref="CausalLM.InitializeWeights"/> or load a state dict.</summary>
    public LlamaForCausalLM(LlamaConfig config) : base(nameof(LlamaForCausalLM), config)
    {
        Config = config;
        model = new LlamaModel(config);
        if (!config.TieWordEmbeddings) lm_head = new CastLinear(config.HiddenSize, config.VocabSize);
        RegisterComponents();
    }

    /// <summary>The architecture this instance was built for.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The decoder stack.</summary>
    public LlamaModel Model => model;

    /// <inheritdoc />
    protected override Tensor Hidden(Tensor inputIds, AttentionContext context)
    {
        model.ComputeDType = ComputeDType;
        return model.Forward(inputIds, context, CheckpointLayers(context));
    }

    /// <inheritdoc />
    protected override Tensor Logits(Tensor hidden)
    {
        if (lm_head is not null) return lm_head.call(hidden);
        var w = model.EmbeddingWeight;
        return nn.functional.linear(hidden, w.dtype == hidden.dtype ? w : w.to(hidden.dtype));
    }
}
