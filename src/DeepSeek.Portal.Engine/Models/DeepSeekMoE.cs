using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>Routing decision of a <see cref="DeepSeekMoE"/> layer for a flat batch of <c>T</c> tokens.</summary>
/// <param name="Weights">Combine weight of each chosen expert, fp32 <c>[T, k]</c>.</param>
/// <param name="Experts">Chosen expert indices, int64 <c>[T, k]</c>, highest score first.</param>
/// <param name="Probabilities">Softmax router scores over all experts, fp32 <c>[T, E]</c>.</param>
public readonly record struct MoeRouting(Tensor Weights, Tensor Experts, Tensor Probabilities);

/// <summary>
/// DeepSeekMoE (V2): a softmax router picks the top-k of <c>NRoutedExperts</c> SwiGLU experts per token, and
/// shared experts (fused into one wider MLP) see every token.
/// </summary>
/// <remarks>
/// Routing follows the V2 reference: gate logits in fp32, softmax, greedy top-k. Weights are
/// <c>prob × RoutedScalingFactor</c>, or the renormalised top-k probabilities when <c>NormTopkProb</c> is set
/// (V2 then applies no scaling factor). In training mode the layer also computes the sequence-level balance loss
/// <c>α · Σ_e f_e · P_e</c> with <c>f_e = count_e · E / (S · k)</c> and <c>P_e = mean_s p_e</c>, averaged over
/// the batch, and leaves it in <see cref="LastAuxLoss"/> for the model to collect.
/// </remarks>
public sealed class DeepSeekMoE : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<SwiGluMlp> experts;
    private readonly SwiGluMlp? shared_experts;
    private readonly CastLinear gate; // router, [E, hidden], HF name "mlp.gate.weight"

    private readonly int numExperts;
    private readonly int topK;
    private readonly bool normTopkProb;
    private readonly double routedScalingFactor;
    private readonly double auxLossAlpha;

    /// <summary>Creates the MoE block for <paramref name="config"/> (weights uninitialised).</summary>
    public DeepSeekMoE(DeepSeekConfig config) : base(nameof(DeepSeekMoE))
    {
        numExperts = config.NRoutedExperts;
        topK = config.NumExpertsPerTok;
        normTopkProb = config.NormTopkProb;
        routedScalingFactor = config.RoutedScalingFactor;
        auxLossAlpha = config.AuxLossAlpha;
        experts = nn.ModuleList(Enumerable.Range(0, numExperts)
            .Select(_ => new SwiGluMlp(config.HiddenSize, config.MoeIntermediateSize)).ToArray());
        if (config.NSharedExperts > 0)
            shared_experts = new SwiGluMlp(config.HiddenSize, (long)config.MoeIntermediateSize * config.NSharedExperts);
        gate = new CastLinear(config.HiddenSize, numExperts);
        RegisterComponents();
    }

    /// <summary>The routed experts, in index order.</summary>
    public IReadOnlyList<SwiGluMlp> Experts => new System.Collections.ObjectModel.ReadOnlyCollection<SwiGluMlp>(experts);

    /// <summary>The fused shared experts, or <c>null</c> when the config has none.</summary>
    public SwiGluMlp? SharedExperts => shared_experts;

    /// <summary>
    /// Balance loss of the latest training-mode forward (already multiplied by α), or <c>null</c> after an
    /// eval-mode forward or when α is 0. Owned by the caller's dispose scope.
    /// </summary>
    public Tensor? LastAuxLoss { get; private set; }

    /// <summary>Routes flat tokens <c>[T, hidden]</c>.</summary>
    public MoeRouting Route(Tensor flatHidden)
    {
        var logits = gate.call(flatHidden.to(ScalarType.Float32)); // [T, E], fp32 as in the reference
        var probabilities = logits.softmax(-1);
        var (weights, chosen) = probabilities.topk(topK, dim: -1, largest: true, sorted: true); // [T, k]
        weights = normTopkProb
            ? weights / (weights.sum(-1, keepdim: true) + 1e-20)
            : weights * routedScalingFactor;
        return new MoeRouting(weights, chosen, probabilities);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden)
    {
        var shape = hidden.shape; // [B, S, H]
        long hiddenSize = shape[^1];
        var flat = hidden.reshape(-1, hiddenSize); // [T, H]
        long tokens = flat.shape[0];
        var routing = Route(flat);

        // Group (token, slot) assignments by expert with one sort, so the host syncs once for the counts instead
        // of once per expert. Keys are unique (expert · T·k + position), so the order is deterministic.
        long assignments = tokens * topK;
        var flatExperts = routing.Experts.reshape(-1);                                     // [T·k]
        var order = (flatExperts * assignments + arange(assignments, device: hidden.device)).argsort();
        var counts = flatExperts.bincount(null, numExperts).cpu().data<long>().ToArray();
        var tokenOfAssignment = order.div(topK, rounding_mode: RoundingMode.floor);          // [T·k]
        var weightOfAssignment = routing.Weights.reshape(-1).index_select(0, order);        // [T·k], fp32

        var output = zeros_like(flat);
        long start = 0;
        for (int e = 0; e < numExperts; e++)
        {
            long count = counts[e];
            if (count == 0) continue;
            var tokenIds = tokenOfAssignment.narrow(0, start, count);
            var expertOut = experts[e].call(flat.index_select(0, tokenIds));                // [n, H]
            var w = weightOfAssignment.narrow(0, start, count).unsqueeze(-1).to(expertOut.dtype);
            output = output.index_add(0, tokenIds, expertOut * w, 1);
            start += count;
        }
        if (shared_experts is not null)
            output = output + shared_experts.call(flat);

        LastAuxLoss = training && auxLossAlpha > 0 ? BalanceLoss(routing, shape[0], shape[1]) : null;
        return output.view(shape);
    }

    private Tensor BalanceLoss(MoeRouting routing, long batch, long seq)
    {
        Tensor fraction;
        using (no_grad())
        {
            var chosen = routing.Experts.view(batch, seq * topK);
            var counts = zeros(batch, numExperts, device: chosen.device)
                .scatter_add_(1, chosen, ones(batch, seq * topK, device: chosen.device)); // [B, E]
            fraction = counts * ((double)numExperts / (seq * topK));
        }
        var meanProbability = routing.Probabilities.view(batch, seq, numExperts).mean([1L]); // [B, E]
        return (fraction * meanProbability).sum(1).mean() * auxLossAlpha;
    }
}
