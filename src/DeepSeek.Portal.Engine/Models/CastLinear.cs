using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// A bias-free linear layer that runs in the dtype of its input. The weight stays the fp32 master copy and is
/// cast on the fly, which is how this engine gets autocast-like bf16 training without TorchSharp having autocast:
/// the cast is part of the graph, so gradients land on the fp32 weight.
/// </summary>
public sealed class CastLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight; // [out_features, in_features], HF name "<prefix>.weight"

    /// <summary>Creates an uninitialised <c>[outFeatures, inFeatures]</c> weight (the model initialises it).</summary>
    public CastLinear(long inFeatures, long outFeatures) : base(nameof(CastLinear))
    {
        weight = new Parameter(empty(outFeatures, inFeatures));
        RegisterComponents();
    }

    /// <summary>The fp32 master weight, <c>[out_features, in_features]</c>.</summary>
    public Parameter Weight => weight;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var w = weight.dtype == input.dtype ? weight : weight.to(input.dtype);
        return nn.functional.linear(input, w);
    }
}
