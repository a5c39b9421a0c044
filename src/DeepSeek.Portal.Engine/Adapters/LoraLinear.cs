using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Adapters;

/// <summary>
/// A linear layer with a low-rank adapter: <c>y = W₀x + b + scaling · B(A(dropout(x)))</c>, where A is
/// <c>[r, in]</c> (Kaiming-uniform, a = √5), B is <c>[out, r]</c> (zeros, so a fresh adapter changes nothing) and
/// <c>scaling = alpha / r</c>, or <c>alpha / √r</c> with rsLoRA. The base weight and bias are the wrapped layer's own
/// parameters (shared, not copied) and are frozen; only A and B train.
/// </summary>
/// <remarks>
/// The base parameters keep their names (<c>weight</c>, <c>bias</c>) and the adapter adds <c>lora_A.weight</c> and
/// <c>lora_B.weight</c>, so a wrapped model's <c>state_dict</c> still loads a base checkpoint by its HF names, and
/// the adapter's names map one-to-one onto PEFT's saved keys. Like the engine's <c>CastLinear</c>, the base weight is
/// cast to the input's dtype; the adapter runs in its own (fp32) dtype and casts its output back.
/// </remarks>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight; // [out, in], the base layer's own, frozen
    private readonly Parameter? bias;  // [out], the base layer's own, frozen
    private readonly Linear lora_A; // weight [r, in]
    private readonly Linear lora_B; // weight [out, r]
    private readonly nn.Module<Tensor, Tensor> lora_dropout;

    /// <summary>Wraps <paramref name="baseLayer"/>, a linear layer (parameters <c>weight</c> [out, in] and optional <c>bias</c> [out], nothing else).</summary>
    /// <param name="baseLayer">The layer to adapt; its parameters are shared with the wrapper and frozen.</param>
    /// <param name="rank">r, the adapter's rank.</param>
    /// <param name="alpha">lora_alpha.</param>
    /// <param name="dropout">Dropout applied to the adapter's input (0 for none).</param>
    /// <param name="useRsLora">Scale by alpha/√r instead of alpha/r.</param>
    /// <param name="generator">Random source for A's initialisation (torch's global one when null).</param>
    public LoraLinear(nn.Module<Tensor, Tensor> baseLayer, int rank, double alpha, double dropout = 0, bool useRsLora = false, Generator? generator = null)
        : base(nameof(LoraLinear))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(dropout);
        var (w, b) = LinearParameters(baseLayer);
        weight = w;
        bias = b;
        weight.requires_grad = false;
        if (bias is not null) bias.requires_grad = false;
        _base = new BaseLayer(baseLayer);
        Rank = rank;
        Alpha = alpha;
        UseRsLora = useRsLora;
        Scaling = useRsLora ? alpha / Math.Sqrt(rank) : alpha / rank;

        long outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        lora_A = nn.Linear(inFeatures, rank, hasBias: false, device: weight.device);
        lora_B = nn.Linear(rank, outFeatures, hasBias: false, device: weight.device);
        using (no_grad())
        {
            // Kaiming-uniform with a = √5: gain √(2 / (1 + a²)) = √(1/3), bound = gain · √(3 / fan_in) = 1 / √fan_in.
            // Written out because TorchSharp's kaiming_uniform_ takes no generator.
            double bound = Math.Sqrt(2.0 / (1 + 5)) * Math.Sqrt(3.0 / inFeatures);
            lora_A.weight!.uniform_(-bound, bound, generator);
            nn.init.zeros_(lora_B.weight);
        }
        lora_dropout = dropout > 0 ? nn.Dropout(dropout) : nn.Identity();
        RegisterComponents();
    }

    /// <summary>The adapter's rank r.</summary>
    public int Rank { get; }

    /// <summary>lora_alpha.</summary>
    public double Alpha { get; }

    /// <summary>Whether scaling is alpha/√r (rsLoRA) rather than alpha/r.</summary>
    public bool UseRsLora { get; }

    /// <summary>The factor applied to B·A: alpha/r, or alpha/√r with rsLoRA.</summary>
    public double Scaling { get; }

    /// <summary>Whether B·A has been added into the base weight (<see cref="Merge"/>), so forward skips the adapter path.</summary>
    public bool IsMerged { get; private set; }

    /// <summary>A, <c>[r, in]</c>.</summary>
    public Parameter LoraA => lora_A.weight!;

    /// <summary>B, <c>[out, r]</c>.</summary>
    public Parameter LoraB => lora_B.weight!;

    /// <summary>The shared base weight, <c>[out, in]</c>.</summary>
    public Parameter Weight => weight;

    /// <summary>The shared base bias, <c>[out]</c>, or null.</summary>
    public Parameter? Bias => bias;

    /// <summary>The layer this adapter wraps (not a registered child: its parameters already are this module's weight and bias).</summary>
    internal nn.Module<Tensor, Tensor> Base => _base.Layer;

    // Boxed so that RegisterComponents, which registers every Module-typed field (backing fields included), skips it.
    private readonly BaseLayer _base;

    private sealed record BaseLayer(nn.Module<Tensor, Tensor> Layer);

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var w = weight.dtype == input.dtype ? weight : weight.to(input.dtype);
        var b = bias is null || bias.dtype == input.dtype ? bias : bias.to(input.dtype);
        var output = nn.functional.linear(input, w, b);
        return IsMerged ? output : output + Delta(input);
    }

    /// <summary>The adapter's contribution alone, <c>scaling · B(A(dropout(x)))</c>, in the input's dtype.</summary>
    public Tensor Delta(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.dtype == LoraA.dtype ? input : input.to(LoraA.dtype);
        var delta = lora_B.call(lora_A.call(lora_dropout.call(x))).mul(Scaling);
        if (delta.dtype != input.dtype) delta = delta.to(input.dtype);
        return delta.MoveToOuterDisposeScope();
    }

    /// <summary>The weight update <c>(B·A) · scaling</c>, <c>[out, in]</c>, in the adapter's dtype.</summary>
    public Tensor DeltaWeight()
    {
        using var noGrad = no_grad();
        using var product = LoraB.matmul(LoraA);
        return product.mul(Scaling);
    }

    /// <summary>Adds the update into the shared base weight in place; forward then skips the adapter path.</summary>
    public void Merge()
    {
        if (IsMerged) return;
        using var noGrad = no_grad();
        using var delta = DeltaWeight();
        using var cast = delta.to(weight.dtype);
        weight.add_(cast);
        IsMerged = true;
    }

    /// <summary>Subtracts the update from the base weight again (exact up to floating-point rounding).</summary>
    public void Unmerge()
    {
        if (!IsMerged) return;
        using var noGrad = no_grad();
        using var delta = DeltaWeight();
        using var cast = delta.to(weight.dtype);
        weight.sub_(cast);
        IsMerged = false;
    }

    /// <summary>A new plain <see cref="Linear"/> with weight <c>W + (B·A)·scaling</c> and the base bias (this module is unchanged).</summary>
    public Linear ToMergedLinear()
    {
        using var noGrad = no_grad();
        var merged = nn.Linear(weight.shape[1], weight.shape[0], hasBias: bias is not null, device: weight.device, dtype: weight.dtype);
        if (IsMerged)
        {
            merged.weight!.copy_(weight);
        }
        else
        {
            using var delta = DeltaWeight();
            using var sum = weight.add(delta.to(weight.dtype));
            merged.weight!.copy_(sum);
        }
        if (bias is not null) merged.bias!.copy_(bias);
        return merged;
    }

    /// <summary>
    /// The <c>weight</c> and optional <c>bias</c> of a linear-like layer: a module with no children whose only
    /// parameters are a 2-D <c>weight</c> and a 1-D <c>bias</c> of matching size.
    /// </summary>
    internal static (Parameter Weight, Parameter? Bias) LinearParameters(nn.Module layer)
    {
        if (layer is LoraLinear)
            throw new ArgumentException("The layer already carries a LoRA adapter.", nameof(layer));
        if (layer.named_children().Any())
            throw new ArgumentException($"{layer.GetType().Name} has sub-modules; LoRA wraps plain linear layers only.", nameof(layer));
        var parameters = layer.named_parameters(recurse: false).ToDictionary(p => p.name, p => p.parameter);
        if (!parameters.TryGetValue("weight", out var w) || w.dim() != 2)
            throw new ArgumentException($"{layer.GetType().Name} has no 2-D 'weight'; LoRA wraps linear layers only.", nameof(layer));
        parameters.TryGetValue("bias", out var b);
        if (parameters.Keys.Any(k => k is not ("weight" or "bias")) || (b is not null && (b.dim() != 1 || b.shape[0] != w.shape[0])))
            throw new ArgumentException($"{layer.GetType().Name} has parameters [{string.Join(", ", parameters.Keys)}]; LoRA wraps layers with only weight [out, in] and bias [out].", nameof(layer));
        return (w, b);
    }
}
