using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// Root-mean-square layer norm as in DeepSeek/Llama: <c>x · rsqrt(mean(x²) + eps)</c> computed in fp32,
/// cast back to the input dtype, then scaled by a learned weight (TorchSharp has no RMSNorm module).
/// </summary>
public sealed class RMSNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight; // [hidden]
    private readonly double eps;

    /// <summary>Creates a norm over the last dimension of width <paramref name="hiddenSize"/>, weight initialised to ones.</summary>
    public RMSNorm(long hiddenSize, double eps) : base(nameof(RMSNorm))
    {
        weight = new Parameter(ones(hiddenSize));
        this.eps = eps;
        RegisterComponents();
    }

    /// <summary>The learned per-channel scale.</summary>
    public Parameter Weight => weight;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var inputType = input.dtype;
        // Squares of bf16 activations lose too much precision, hence fp32 for the statistics.
        var h = input.to(ScalarType.Float32);
        var variance = h.pow(2).mean([-1L], keepdim: true);
        h = h * rsqrt(variance + eps);
        var w = weight.dtype == inputType ? weight : weight.to(inputType);
        return h.to(inputType) * w;
    }
}
