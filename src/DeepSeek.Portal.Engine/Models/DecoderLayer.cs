using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// One pre-norm decoder block: <c>h = x + self_attn(input_layernorm(x))</c>, then
/// <c>h + mlp(post_attention_layernorm(h))</c> where <c>mlp</c> is the dense SwiGLU MLP for layers below
/// <see cref="DeepSeekConfig.FirstKDenseReplace"/> and DeepSeekMoE after.
/// </summary>
public sealed class DecoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly RMSNorm input_layernorm;
    private readonly MultiHeadLatentAttention self_attn;
    private readonly RMSNorm post_attention_layernorm;
    private readonly nn.Module<Tensor, Tensor> mlp;
    private readonly int layerIndex;

    /// <summary>Creates layer <paramref name="layerIndex"/> of <paramref name="config"/>.</summary>
    public DecoderLayer(DeepSeekConfig config, int layerIndex) : base(nameof(DecoderLayer))
    {
        this.layerIndex = layerIndex;
        input_layernorm = new RMSNorm(config.HiddenSize, config.RmsNormEps);
        self_attn = new MultiHeadLatentAttention(config);
        post_attention_layernorm = new RMSNorm(config.HiddenSize, config.RmsNormEps);
        mlp = config.IsMoeLayer(layerIndex)
            ? new DeepSeekMoE(config)
            : new SwiGluMlp(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    /// <summary>The attention block.</summary>
    public MultiHeadLatentAttention SelfAttention => self_attn;

    /// <summary>The MoE block, or <c>null</c> for a dense layer.</summary>
    public DeepSeekMoE? Moe => mlp as DeepSeekMoE;

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden) => Forward(hidden, AttentionContext.Causal(hidden.shape[1], hidden.device));

    /// <summary>The block under <paramref name="context"/> (positions, mask, cache).</summary>
    public Tensor Forward(Tensor hidden, AttentionContext context)
    {
        var h = hidden + self_attn.Forward(input_layernorm.call(hidden), context, layerIndex);
        return h + mlp.call(post_attention_layernorm.call(h));
    }
}
