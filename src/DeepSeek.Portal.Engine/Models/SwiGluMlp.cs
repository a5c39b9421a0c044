using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// The gated MLP of DeepSeek/Llama: <c>down_proj(silu(gate_proj(x)) · up_proj(x))</c>, no biases.
/// Used as the dense MLP, as each routed expert and as the fused shared experts.
/// </summary>
public sealed class SwiGluMlp : nn.Module<Tensor, Tensor>
{
    private readonly CastLinear gate_proj; // [inter, hidden]
    private readonly CastLinear up_proj;   // [inter, hidden]
    private readonly CastLinear down_proj; // [hidden, inter]

    /// <summary>Creates an MLP mapping <paramref name="hiddenSize"/> → <paramref name="intermediateSize"/> → <paramref name="hiddenSize"/>.</summary>
    public SwiGluMlp(long hiddenSize, long intermediateSize) : base(nameof(SwiGluMlp))
    {
        gate_proj = new CastLinear(hiddenSize, intermediateSize);
        up_proj = new CastLinear(hiddenSize, intermediateSize);
        down_proj = new CastLinear(intermediateSize, hiddenSize);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
        => down_proj.call(nn.functional.silu(gate_proj.call(input)) * up_proj.call(input));
}
