using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>Routing decision of a <see cref="DeepSeekMoE"/> layer for a flat batch of <c>T</c> tokens.</summary>
/// <param name="Weights">Combine weight of each chosen expert, fp32 <c>[T, k]</c>.</param>
/// <param name="Experts">Chosen expert indices, int64 <c>[T, k]</c>.</param>
/// <param name="Probabilities">
/// Router scores over all experts, fp32 <c>[T, E]</c>: the softmax (V2) or sigmoid (V3, without the correction bias).
/// </param>
public readonly record struct MoeRouting(Tensor Weights, Tensor Experts, Tensor Probabilities);

/// <summary>
/// The router of a DeepSeekMoE layer (<c>mlp.gate</c> in HF names): <c>weight</c> <c>[E, hidden]</c> and, for V3's
/// <c>noaux_tc</c>, the <c>e_score_correction_bias</c> <c>[E]</c> that steers selection only.
/// </summary>
/// <remarks>
/// Follows each family's remote modelling code. V2: softmax scores; <c>greedy</c> takes the top-k, and
/// <c>group_limited_greedy</c> keeps the <c>topk_group</c> groups with the highest maximum score (the others' scores
/// set to 0) before the top-k; with <c>norm_topk_prob</c> and k &gt; 1 the weights are renormalised (sum + 1e-20)
/// and <c>routed_scaling_factor</c> is <b>not</b> applied, otherwise weight = score × routed_scaling_factor.
/// V3: sigmoid scores s; selection uses s + bias: group score = sum of the top-2 biased scores in each group, keep
/// <c>topk_group</c> groups (the others filled with 0.0, as the remote code does), top-k; weights are the
/// <b>unbiased</b> s of the chosen experts, renormalised (sum + 1e-20) when <c>norm_topk_prob</c> and k &gt; 1, then
/// always × routed_scaling_factor. Logits and scores are computed in fp32.
/// </remarks>
public sealed class MoEGate : nn.Module<Tensor, MoeRouting>
{
    private readonly Parameter weight;                   // [E, hidden]
    private readonly Parameter? e_score_correction_bias; // [E], V3 only; not trained by gradient

    private readonly bool v3;
    private readonly string topkMethod;
    private readonly int numExperts;
    private readonly int topK;
    private readonly int nGroup;
    private readonly int topkGroup;
    private readonly bool normTopkProb;
    private readonly double routedScalingFactor;

    /// <summary>Creates the router for <paramref name="config"/> (weight uninitialised, bias zero).</summary>
    public MoEGate(DeepSeekConfig config) : base(nameof(MoEGate))
    {
        v3 = config.Family == ModelFamily.DeepSeekV3;
        topkMethod = config.TopkMethod;
        numExperts = config.NRoutedExperts;
        topK = config.NumExpertsPerTok;
        nGroup = config.NGroup;
        topkGroup = config.TopkGroup;
        normTopkProb = config.NormTopkProb;
        routedScalingFactor = config.RoutedScalingFactor;
        weight = new Parameter(empty(numExperts, config.HiddenSize));
        if (topkMethod == "noaux_tc")
            e_score_correction_bias = new Parameter(zeros(numExperts), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>The router matrix <c>[E, hidden]</c>.</summary>
    public Parameter Weight => weight;

    /// <summary>The V3 selection bias <c>[E]</c>, or <c>null</c> for V2 routers.</summary>
    public Parameter? ScoreCorrectionBias => e_score_correction_bias;

    /// <summary>Routes flat tokens <c>[T, hidden]</c>.</summary>
    public override MoeRouting forward(Tensor flatHidden)
    {
        var logits = nn.functional.linear(flatHidden.to(ScalarType.Float32), weight.to(ScalarType.Float32)); // [T, E]
        return v3 ? RouteV3(logits) : RouteV2(logits);
    }

    private MoeRouting RouteV2(Tensor logits)
    {
        var scores = logits.softmax(-1);
        var candidates = topkMethod == "group_limited_greedy"
            ? KeepTopGroups(scores, scores.view(scores.shape[0], nGroup, -1).amax([-1L])) // group score = max
            : scores;
        var (weights, chosen) = candidates.topk(topK, dim: -1, largest: true, sorted: true); // [T, k]
        weights = topK > 1 && normTopkProb
            ? weights / (weights.sum(-1, keepdim: true) + 1e-20)
            : weights * routedScalingFactor;
        return new MoeRouting(weights, chosen, scores);
    }

    private MoeRouting RouteV3(Tensor logits)
    {
        var scores = logits.sigmoid();
        var forChoice = scores + e_score_correction_bias!.unsqueeze(0);
        var groupScores = forChoice.view(scores.shape[0], nGroup, -1).topk(2, dim: -1).values.sum(-1); // [T, G]
        var (_, chosen) = KeepTopGroups(forChoice, groupScores).topk(topK, dim: -1, largest: true, sorted: true);
        var weights = scores.gather(1, chosen); // unbiased scores
        if (topK > 1 && normTopkProb) weights = weights / (weights.sum(-1, keepdim: true) + 1e-20);
        return new MoeRouting(weights * routedScalingFactor, chosen, scores);
    }

    /// <summary>Sets the scores of experts outside the <c>topk_group</c> best groups to 0.0, as both references do.</summary>
    private Tensor KeepTopGroups(Tensor scores, Tensor groupScores)
    {
        long tokens = scores.shape[0];
        var groupIndex = groupScores.topk(topkGroup, dim: -1, largest: true, sorted: false).indexes; // [T, topk_group]
        var groupMask = zeros_like(groupScores).scatter_(1, groupIndex, ones_like(groupIndex, dtype: groupScores.dtype)); // [T, G]
        var expertMask = groupMask.unsqueeze(-1).expand(tokens, nGroup, numExperts / nGroup).reshape(tokens, numExperts);
        return scores.masked_fill(expertMask.eq(0), 0.0);
    }
}

/// <summary>
/// DeepSeekMoE: a router (<see cref="MoEGate"/>) picks the top-k of <c>NRoutedExperts</c> SwiGLU experts per token,
/// and shared experts (fused into one wider MLP) see every token.
/// </summary>
/// <remarks>
/// In training mode with α &gt; 0 the layer also computes the expert balance loss and leaves it in
/// <see cref="LastAuxLoss"/> for the model to collect. With <c>seq_aux</c> (V2 remote code):
/// <c>α · mean_b Σ_e f_e · P_e</c> with <c>f_e = count_e · E / (S · k)</c> over each sequence and
/// <c>P_e = mean_s p_e</c>; without it the same over the whole batch. V2 uses the softmax scores as p. V3's remote
/// code does not train (<c>noaux_tc</c> asserts eval); here V3 uses the complementary sequence-wise loss of the V3
/// report, with p the sigmoid scores normalised to sum to one per token. The correction bias is not updated.
/// </remarks>
public sealed class DeepSeekMoE : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<SwiGluMlp> experts;
    private readonly SwiGluMlp? shared_experts;
    private readonly MoEGate gate; // HF names "mlp.gate.weight", "mlp.gate.e_score_correction_bias"

    private readonly int numExperts;
    private readonly int topK;
    private readonly double auxLossAlpha;
    private readonly bool seqAux;
    private readonly bool normaliseAuxScores;

    /// <summary>Creates the MoE block for <paramref name="config"/> (weights uninitialised).</summary>
    public DeepSeekMoE(DeepSeekConfig config) : base(nameof(DeepSeekMoE))
    {
        numExperts = config.NRoutedExperts;
        topK = config.NumExpertsPerTok;
        auxLossAlpha = config.AuxLossAlpha;
        seqAux = config.SeqAux;
        normaliseAuxScores = config.Family == ModelFamily.DeepSeekV3;
        experts = nn.ModuleList(Enumerable.Range(0, numExperts)
            .Select(_ => new SwiGluMlp(config.HiddenSize, config.MoeIntermediateSize)).ToArray());
        if (config.NSharedExperts > 0)
            shared_experts = new SwiGluMlp(config.HiddenSize, (long)config.MoeIntermediateSize * config.NSharedExperts);
        gate = new MoEGate(config);
        RegisterComponents();
    }

    /// <summary>The routed experts, in index order.</summary>
    public IReadOnlyList<SwiGluMlp> Experts => new System.Collections.ObjectModel.ReadOnlyCollection<SwiGluMlp>(experts);

    /// <summary>The fused shared experts, or <c>null</c> when the config has none.</summary>
    public SwiGluMlp? SharedExperts => shared_experts;

    /// <summary>The router.</summary>
    public MoEGate Gate => gate;

    /// <summary>
    /// Balance loss of the latest training-mode forward (already multiplied by α), or <c>null</c> after an
    /// eval-mode forward or when α is 0. Owned by the caller's dispose scope.
    /// </summary>
    public Tensor? LastAuxLoss { get; internal set; }

    /// <summary>Routes flat tokens <c>[T, hidden]</c>.</summary>
    public MoeRouting Route(Tensor flatHidden) => gate.call(flatHidden);

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
        var scores = routing.Probabilities; // [T, E]
        if (normaliseAuxScores) scores = scores / scores.sum(-1, keepdim: true);
        if (!seqAux)
        {
            Tensor batchFraction;
            using (no_grad())
            {
                batchFraction = nn.functional.one_hot(routing.Experts.reshape(-1), numExperts).to(ScalarType.Float32).mean([0L]) * numExperts; // [E]
            }
            return (scores.mean([0L]) * batchFraction).sum() * auxLossAlpha;
        }
        Tensor fraction;
        using (no_grad())
        {
            var chosen = routing.Experts.view(batch, seq * topK);
            var counts = zeros(batch, numExperts, device: chosen.device)
                .scatter_add_(1, chosen, ones(batch, seq * topK, device: chosen.device)); // [B, E]
            fraction = counts * ((double)numExperts / (seq * topK));
        }
        var meanProbability = scores.view(batch, seq, numExperts).mean([1L]); // [B, E]
        return (fraction * meanProbability).sum(1).mean() * auxLossAlpha;
    }
}
