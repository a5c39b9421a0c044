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
    public override Tensor forward(Tensor hidden)
    {
        long batch = hidden.shape[0], seq = hidden.shape[1];

        var q = q_proj is not null ? q_proj.call(hidden) : q_b_proj!.call(q_a_layernorm!.call(q_a_proj!.call(hidden)));
        q = q.view(batch, seq, numHeads, nopeDim + ropeDim).transpose(1, 2); // [B, nh, S, nope+rope]
        var qParts = q.split([nopeDim, ropeDim], -1);

        var compressed = kv_a_proj_with_mqa.call(hidden); // [B, S, kv_lora + rope]
        var kvParts = compressed.split([kvLoraRank, ropeDim], -1);
        var kPe = kvParts[1].view(batch, 1, seq, ropeDim); // one rope key for all heads

        var kv = kv_b_proj.call(kv_a_layernorm.call(kvParts[0]))
            .view(batch, seq, numHeads, nopeDim + vDim)
            .transpose(1, 2); // [B, nh, S, nope+v]
        var kvSplit = kv.split([nopeDim, vDim], -1);

        var (cos, sin) = rotary.Frequencies(arange(seq, dtype: ScalarType.Int64, device: hidden.device));
        var qPe = RotaryEmbedding.Apply(qParts[1], cos, sin);
        kPe = RotaryEmbedding.Apply(kPe, cos, sin).expand(batch, numHeads, seq, ropeDim);

        // scaled_dot_product_attention divides by √(nope+rope); fold the model's own scale into the query instead.
        var query = cat([qParts[0], qPe], -1); // [B, nh, S, nope+rope]
        double queryFactor = softmaxScale * Math.Sqrt(nopeDim + ropeDim);
        if (Math.Abs(queryFactor - 1) > 1e-12) query = query * queryFactor;
        var key = cat([kvSplit[0], kPe], -1);  // [B, nh, S, nope+rope]
        var attended = nn.functional.scaled_dot_product_attention(query, key, kvSplit[1], is_casual: true); // [B, nh, S, v]
        return o_proj.call(attended.transpose(1, 2).reshape(batch, seq, numHeads * vDim));
    }
}
