using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// DeepSeek-V2 multi-head latent attention (MLA), training/prefill form (no KV cache).
/// </summary>
/// <remarks>
/// Keys and values are rebuilt from a <c>KvLoraRank</c>-wide latent; a separate <c>QkRopeHeadDim</c>-wide key part
/// carries position and is shared by all heads. Queries come from <c>q_proj</c>, or from the low-rank
/// <c>q_a_proj → q_a_layernorm → q_b_proj</c> path when <see cref="DeepSeekConfig.QLoraRank"/> is set. The two latent
/// norms use eps 1e-6 (the RMSNorm default in both the remote and the HF code), not <c>rms_norm_eps</c>. The softmax
/// scale is <see cref="DeepSeekConfig.SoftmaxScale"/> (YaRN's mscale² included); the rope dimensions use the config's
/// <see cref="ModelConfig.RopeScaling"/>.
/// </remarks>
public sealed class MultiHeadLatentAttention : nn.Module<Tensor, Tensor>
{
    private readonly CastLinear? q_proj;
    private readonly CastLinear? q_a_proj;
    private readonly RMSNorm? q_a_layernorm;
    private readonly CastLinear? q_b_proj;
    private readonly CastLinear kv_a_proj_with_mqa; // [kv_lora + rope, hidden]
    private readonly RMSNorm kv_a_layernorm;
    private readonly CastLinear kv_b_proj;          // [heads · (nope + v), kv_lora]
    private readonly CastLinear o_proj;             // [hidden, heads · v]

    private readonly int numHeads;
    private readonly int nopeDim;
    private readonly int ropeDim;
    private readonly int vDim;
    private readonly int kvLoraRank;
    private readonly RotaryEmbedding rotary;
    private readonly double softmaxScale;

    /// <summary>Epsilon of <c>q_a_layernorm</c> and <c>kv_a_layernorm</c>, fixed by the reference code.</summary>
    public const double LatentNormEps = 1e-6;

    /// <summary>Creates the attention block for <paramref name="config"/> (weights uninitialised).</summary>
    public MultiHeadLatentAttention(DeepSeekConfig config) : base(nameof(MultiHeadLatentAttention))
    {
        numHeads = config.NumAttentionHeads;
        nopeDim = config.QkNopeHeadDim;
        ropeDim = config.QkRopeHeadDim;
        vDim = config.VHeadDim;
        kvLoraRank = config.KvLoraRank;
        long qOut = (long)numHeads * config.QkHeadDim;
        if (config.QLoraRank is int qRank)
        {
            q_a_proj = new CastLinear(config.HiddenSize, qRank);
            q_a_layernorm = new RMSNorm(qRank, LatentNormEps);
            q_b_proj = new CastLinear(qRank, qOut);
        }
        else
        {
            q_proj = new CastLinear(config.HiddenSize, qOut);
        }
        kv_a_proj_with_mqa = new CastLinear(config.HiddenSize, kvLoraRank + ropeDim);
        kv_a_layernorm = new RMSNorm(kvLoraRank, LatentNormEps);
        kv_b_proj = new CastLinear(kvLoraRank, (long)numHeads * (nopeDim + vDim));
        o_proj = new CastLinear((long)numHeads * vDim, config.HiddenSize);
        rotary = new RotaryEmbedding(ropeDim, config.RopeTheta, config.RopeScaling, RopeLayout.Interleaved);
        softmaxScale = config.SoftmaxScale;
        RegisterComponents();
    }

    /// <summary>Causal self-attention over <c>[batch, seq, hidden]</c>, positions 0..seq−1; returns <c>[batch, seq, hidden]</c>.</summary>
    public override Tensor forward(Tensor hidden) => Forward(hidden, AttentionContext.Causal(hidden.shape[1], hidden.device), 0);

    /// <summary>
    /// Self-attention of <c>[batch, seq, hidden]</c> under <paramref name="context"/> (positions, mask, cache);
    /// <paramref name="layerIndex"/> picks this layer's slot in the cache. Returns <c>[batch, seq, hidden]</c>.
    /// </summary>
    /// <remarks>
    /// With a cache, the compressed latent <c>kv_a_layernorm(c)</c> and the rotated rope key are stored, and attention
    /// runs in latent space with <c>kv_b_proj</c> absorbed (DeepSeek's "absorb" inference): the key half of
    /// <c>kv_b_proj</c> is folded into the query and its value half applied after the weighted sum, so held tokens are
    /// never expanded. Without a cache keys and values are expanded as in training.
    /// </remarks>
    public Tensor Forward(Tensor hidden, AttentionContext context, int layerIndex)
    {
        long batch = hidden.shape[0], seq = hidden.shape[1];

        var q = q_proj is not null ? q_proj.call(hidden) : q_b_proj!.call(q_a_layernorm!.call(q_a_proj!.call(hidden)));
        q = q.view(batch, seq, numHeads, nopeDim + ropeDim).transpose(1, 2); // [B, nh, S, nope+rope]
        var qParts = q.split([nopeDim, ropeDim], -1);

        var compressed = kv_a_proj_with_mqa.call(hidden); // [B, S, kv_lora + rope]
        var kvParts = compressed.split([kvLoraRank, ropeDim], -1);
        var latent = kv_a_layernorm.call(kvParts[0]);     // [B, S, kv_lora]

        var (cos, sin) = rotary.Frequencies(context.Positions);
        var qPe = RotaryEmbedding.Apply(qParts[1], cos, sin);
        // One rope key per position, shared by all heads: [B, 1, S, rope] while rotating, stored as [B, S, rope].
        var kPe = RotaryEmbedding.Apply(kvParts[1].unsqueeze(1), cos, sin).squeeze(1);
        if (context.Cache is { } cache)
        {
            (latent, kPe) = cache.Append(layerIndex, latent, kPe, dim: 1);
            return o_proj.call(AbsorbedAttention(qParts[0], qPe, latent, kPe, context.Mask!));
        }
        long keys = latent.shape[1];

        var kv = kv_b_proj.call(latent)
            .view(batch, keys, numHeads, nopeDim + vDim)
            .transpose(1, 2); // [B, nh, T, nope+v]
        var kvSplit = kv.split([nopeDim, vDim], -1);

        var query = cat([qParts[0], qPe], -1);                                                          // [B, nh, S, nope+rope]
        var key = cat([kvSplit[0], kPe.unsqueeze(1).expand(batch, numHeads, keys, ropeDim)], -1);       // [B, nh, T, nope+rope]
        // scaled_dot_product_attention divides by √(nope+rope); fold the model's own scale into the query instead.
        double queryFactor = softmaxScale * Math.Sqrt(nopeDim + ropeDim);
        if (Math.Abs(queryFactor - 1) > 1e-12) query = query * queryFactor;
        var attended = context.Mask is null
            ? nn.functional.scaled_dot_product_attention(query, key, kvSplit[1], is_casual: true)
            : nn.functional.scaled_dot_product_attention(query, key, kvSplit[1], attn_mask: context.Mask.to(query.dtype)); // [B, nh, S, v]
        return o_proj.call(attended.transpose(1, 2).reshape(batch, seq, numHeads * vDim));
    }

    /// <summary>
    /// Attention against held latents: scores = (q_nope·W_UK)·latentᵀ + q_pe·k_peᵀ, output = (P·latent)·W_UVᵀ,
    /// where W_UK/W_UV are the key and value rows of <c>kv_b_proj</c> per head. Returns <c>[B, S, nh·v]</c>.
    /// </summary>
    private Tensor AbsorbedAttention(Tensor qNope, Tensor qPe, Tensor latent, Tensor kPe, Tensor mask)
    {
        long batch = qNope.shape[0], seq = qNope.shape[2], keys = latent.shape[1];
        var w = kv_b_proj.Weight.to(qNope.dtype).view(numHeads, nopeDim + vDim, kvLoraRank);
        var wUK = w.narrow(1, 0, nopeDim);      // [nh, nope, kv_lora]
        var wUV = w.narrow(1, nopeDim, vDim);   // [nh, v, kv_lora]
        var qLatent = matmul(qNope, wUK.unsqueeze(0)); // [B, nh, S, kv_lora]
        var query = cat([qLatent, qPe], -1);           // [B, nh, S, kv_lora + rope]
        var key = cat([latent, kPe], -1).unsqueeze(1).expand(batch, numHeads, keys, kvLoraRank + ropeDim);
        var value = latent.unsqueeze(1).expand(batch, numHeads, keys, kvLoraRank);
        // The scores equal the expanded form's, so the model's scale applies; undo SDPA's own 1/√width.
        query = query * (softmaxScale * Math.Sqrt(kvLoraRank + ropeDim));
        var attendedLatent = nn.functional.scaled_dot_product_attention(query, key, value, attn_mask: mask.to(query.dtype)); // [B, nh, S, kv_lora]
        var attended = matmul(attendedLatent, wUV.transpose(1, 2).unsqueeze(0)); // [B, nh, S, v]
        return attended.transpose(1, 2).reshape(batch, seq, numHeads * vDim);
    }
}
