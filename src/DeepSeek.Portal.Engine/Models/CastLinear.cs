using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// A linear layer that runs in the dtype of its input. The weight (and optional bias) stay the fp32 master copy and
/// are cast on the fly, which is how this engine gets autocast-like bf16 training without TorchSharp having autocast:
/// the cast is part of the graph, so gradients land on the fp32 weight.
/// </summary>
public sealed class CastLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight; // [out_features, in_features], HF name "<prefix>.weight"
    private readonly Parameter? bias;  // [out_features], HF name "<prefix>.bias" (Qwen2 q/k/v)

    /// <summary>Creates an uninitialised <c>[outFeatures, inFeatures]</c> weight (the model initialises it) and, when asked, a zero bias.</summary>
    public CastLinear(long inFeatures, long outFeatures, bool hasBias = false) : base(nameof(CastLinear))
    {
        weight = new Parameter(empty(outFeatures, inFeatures));
        if (hasBias) bias = new Parameter(zeros(outFeatures));
        RegisterComponents();
    }

    /// <summary>The fp32 master weight, <c>[out_features, in_features]</c>.</summary>
    public Parameter Weight => weight;

    /// <summary>The fp32 bias <c>[out_features]</c>, or <c>null</c>.</summary>
    public Parameter? Bias => bias;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var w = weight.dtype == input.dtype ? weight : weight.to(input.dtype);
        var b = bias is null || bias.dtype == input.dtype ? bias : bias.to(input.dtype);
        return nn.functional.linear(input, w, b);
    }
}
