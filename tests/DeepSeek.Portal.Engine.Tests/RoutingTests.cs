using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests;

/// <summary>
/// Each routing variant on one hand-made token: 8 experts in 2 groups of 4, top-3. The router weight is set so that
/// the token's logits are exactly <see cref="Logits"/>; expected experts and weights are worked out here from the
/// formulas of each family's remote modelling code.
/// </summary>
public class RoutingTests
{
    // Group 0 = experts 0–3, group 1 = experts 4–7.
    private static readonly double[] Logits = [2.0, 1.0, 0.5, 0.0, 1.5, -1.0, 0.3, 0.2];
    private static readonly float[] Bias = [0, 0, 0, 0, 0, 0, 0.9f, 0.9f];

    private static DeepSeekConfig Config(string modelType, string method, bool norm, int topkGroup = 1) => TestModels.TwoLayer() with
    {
        ModelType = modelType,
        HiddenSize = 8,
        NRoutedExperts = 8,
        NumExpertsPerTok = 3,
        NGroup = 2,
        TopkGroup = topkGroup,
        TopkMethod = method,
        ScoringFunc = modelType == DeepSeekConfig.V3ModelType ? "sigmoid" : "softmax",
        NormTopkProb = norm,
        RoutedScalingFactor = modelType == DeepSeekConfig.V3ModelType ? 2.5 : 2.0,
    };

    /// <summary>Routes the token e₀ through a gate whose first weight column is <see cref="Logits"/>; returns experts (sorted) → weight.</summary>
    private static SortedDictionary<long, double> Route(DeepSeekConfig config)
    {
        using var scope = NewDisposeScope();
        Assert.Empty(config.Validate());
        using var gate = new MoEGate(config);
        using (no_grad())
        {
            gate.Weight.zero_();
            gate.Weight[.., 0] = tensor(Logits.Select(l => (float)l).ToArray());
            gate.ScoreCorrectionBias?.copy_(tensor(Bias));
        }
        var x = zeros(1, 8);
        x[0, 0] = 1;
        var routing = gate.call(x);
        var experts = routing.Experts.data<long>().ToArray();
        var weights = routing.Weights.to(ScalarType.Float64).data<double>().ToArray();
        return new SortedDictionary<long, double>(experts.Zip(weights).ToDictionary(p => p.First, p => p.Second));
    }

    private static double[] Softmax(double[] l)
    {
        var e = l.Select(Math.Exp).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    private static void AssertRouting(IReadOnlyDictionary<long, double> expected, IReadOnlyDictionary<long, double> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys);
        foreach (var (e, w) in expected) Assert.Equal(w, actual[e], 1e-6);
    }

    [Fact]
    public void V2_greedy_without_norm_topk_prob_scales_the_softmax_by_routed_scaling_factor()
    {
        var p = Softmax(Logits);
        // Highest logits 2.0, 1.5, 1.0 → experts 0, 4, 1.
        AssertRouting(new Dictionary<long, double> { [0] = p[0] * 2, [4] = p[4] * 2, [1] = p[1] * 2 },
            Route(Config(DeepSeekConfig.V2ModelType, "greedy", norm: false)));
    }

    [Fact]
    public void V2_greedy_with_norm_topk_prob_renormalises_and_skips_routed_scaling_factor()
    {
        var p = Softmax(Logits);
        double sum = p[0] + p[4] + p[1] + 1e-20;
        AssertRouting(new Dictionary<long, double> { [0] = p[0] / sum, [4] = p[4] / sum, [1] = p[1] / sum },
            Route(Config(DeepSeekConfig.V2ModelType, "greedy", norm: true)));
    }

    [Fact]
    public void V2_group_limited_greedy_keeps_the_group_with_the_highest_maximum()
    {
        var p = Softmax(Logits);
        // Group maxima: group 0 → p0 (logit 2.0), group 1 → p4 (1.5). One group kept → experts 0, 1, 2.
        AssertRouting(new Dictionary<long, double> { [0] = p[0] * 2, [1] = p[1] * 2, [2] = p[2] * 2 },
            Route(Config(DeepSeekConfig.V2ModelType, "group_limited_greedy", norm: false)));
        double sum = p[0] + p[1] + p[2];
        AssertRouting(new Dictionary<long, double> { [0] = p[0] / sum, [1] = p[1] / sum, [2] = p[2] / sum },
            Route(Config(DeepSeekConfig.V2ModelType, "group_limited_greedy", norm: true)));
    }

    [Fact]
    public void V3_noaux_tc_selects_with_the_biased_top2_group_sum_and_weights_with_unbiased_sigmoid()
    {
        var s = Logits.Select(Sigmoid).ToArray();
        var c = s.Select((v, i) => v + Bias[i]).ToArray();
        // Group score = sum of the two best biased scores: group 0 → c0 + c1 = 1.612, group 1 → c6 + c7 = 2.924.
        Assert.True(c[6] + c[7] > c[0] + c[1]);
        // Within group 1 the biased order is 6 (1.474), 7 (1.450), 4 (0.818): expert 0, the best raw score, is out.
        double sum = s[6] + s[7] + s[4] + 1e-20;
        AssertRouting(new Dictionary<long, double> { [6] = s[6] / sum * 2.5, [7] = s[7] / sum * 2.5, [4] = s[4] / sum * 2.5 },
            Route(Config(DeepSeekConfig.V3ModelType, "noaux_tc", norm: true)));
        // Without norm_topk_prob the unbiased scores are only scaled (V3 always applies routed_scaling_factor).
        AssertRouting(new Dictionary<long, double> { [6] = s[6] * 2.5, [7] = s[7] * 2.5, [4] = s[4] * 2.5 },
            Route(Config(DeepSeekConfig.V3ModelType, "noaux_tc", norm: false)));
    }

    [Fact]
    public void V3_noaux_tc_with_both_groups_kept_takes_the_biased_top_k_overall()
    {
        var s = Logits.Select(Sigmoid).ToArray();
        // Biased: 6 → 1.474, 7 → 1.450, 0 → 0.881, 4 → 0.818.
        double sum = s[6] + s[7] + s[0];
        AssertRouting(new Dictionary<long, double> { [0] = s[0] / sum * 2.5, [6] = s[6] / sum * 2.5, [7] = s[7] / sum * 2.5 },
            Route(Config(DeepSeekConfig.V3ModelType, "noaux_tc", norm: true, topkGroup: 2)));
    }

    [Fact]
    public void V3_router_has_the_correction_bias_in_the_hugging_face_layout_and_it_gets_no_gradient()
    {
        using var scope = NewDisposeScope();
        var config = Config(DeepSeekConfig.V3ModelType, "noaux_tc", norm: true) with { HiddenSize = 16, NumHiddenLayers = 2 };
        using var model = new DeepSeekForCausalLM(config);
        using (var generator = new Generator(5)) model.InitializeWeights(generator);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var bias = parameters["model.layers.1.mlp.gate.e_score_correction_bias"];
        Assert.Equal(new long[] { 8 }, bias.shape);
        Assert.Equal(0f, bias.abs().max().item<float>());
        Assert.DoesNotContain("model.layers.0.mlp.gate.e_score_correction_bias", parameters.Keys);
        Assert.Contains("model.layers.1.mlp.gate.e_score_correction_bias", model.state_dict().Keys);

        model.train();
        var ids = randint(0, config.VocabSize, [2, 6]);
        var output = model.Forward(ids, ids);
        Assert.NotNull(output.AuxLoss);
        (output.Loss! + output.AuxLoss!).backward();
        Assert.True(bias.grad is null || bias.grad.abs().max().item<float>() == 0);
        Assert.NotNull(parameters["model.layers.1.mlp.gate.weight"].grad);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Balance_loss_matches_the_reference_formula(bool seqAux, bool v3)
    {
        using var scope = NewDisposeScope();
        var config = (v3 ? Config(DeepSeekConfig.V3ModelType, "noaux_tc", norm: true, topkGroup: 2) : Config(DeepSeekConfig.V2ModelType, "greedy", norm: false))
            with { SeqAux = seqAux, AuxLossAlpha = 0.1 };
        using var moe = new DeepSeekMoE(config);
        using (no_grad())
        {
            using var generator = new Generator(9);
            foreach (var (_, w) in moe.named_parameters()) w.normal_(0, 0.5, generator);
        }
        moe.train();
        const int batch = 2, seq = 5, k = 3, experts = 8;
        var x = randn(batch, seq, config.HiddenSize);
        moe.call(x);
        double actual = moe.LastAuxLoss!.item<float>();

        var routing = moe.Route(x.reshape(-1, config.HiddenSize));
        var p = routing.Probabilities.to(ScalarType.Float64).data<double>().ToArray();
        var chosen = routing.Experts.data<long>().ToArray();
        if (v3)
        {
            // V3 report: scores normalised per token before averaging.
            for (int t = 0; t < batch * seq; t++)
            {
                double sum = 0;
                for (int e = 0; e < experts; e++) sum += p[t * experts + e];
                for (int e = 0; e < experts; e++) p[t * experts + e] /= sum;
            }
        }
        double expected = 0;
        int rows = seqAux ? batch : 1, tokensPerRow = seqAux ? seq : batch * seq;
        for (int r = 0; r < rows; r++)
        {
            for (int e = 0; e < experts; e++)
            {
                double count = 0, meanP = 0;
                for (int t = r * tokensPerRow; t < (r + 1) * tokensPerRow; t++)
                {
                    for (int j = 0; j < k; j++) if (chosen[t * k + j] == e) count++;
                    meanP += p[t * experts + e] / tokensPerRow;
                }
                expected += count * experts / (tokensPerRow * k) * meanP / rows;
            }
        }
        Assert.Equal(0.1 * expected, actual, 1e-5);
    }
}
