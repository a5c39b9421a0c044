using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// Hyper-parameters of a DeepSeek-V2/V3 model (multi-head latent attention + DeepSeekMoE), named after the fields of a
/// Hugging Face <c>config.json</c> with <c>model_type</c> "deepseek_v2" or "deepseek_v3".
/// </summary>
/// <remarks>
/// Routing follows each family's own remote modelling code: V2 scores with softmax and picks <c>greedy</c> or
/// <c>group_limited_greedy</c>; V3 scores with sigmoid and picks <c>noaux_tc</c> (see <see cref="DeepSeekMoE"/>).
/// YaRN rope scaling is implemented; multi-token prediction layers (<c>num_nextn_predict_layers</c>) are not built
/// (as in HF inference) and FP8 <c>quantization_config</c> is refused.
/// </remarks>
public sealed record DeepSeekConfig : ModelConfig
{
    /// <summary>model_type of DeepSeek-V2 and V2-Lite.</summary>
    public const string V2ModelType = "deepseek_v2";

    /// <summary>model_type of DeepSeek-V3 and R1.</summary>
    public const string V3ModelType = "deepseek_v3";

    /// <summary><see cref="V2ModelType"/> or <see cref="V3ModelType"/>.</summary>
    public string ModelType { get; init; } = V2ModelType;

    /// <inheritdoc />
    [JsonIgnore]
    public override ModelFamily Family => ModelType == V3ModelType ? ModelFamily.DeepSeekV3 : ModelFamily.DeepSeekV2;

    /// <summary>Rank of the low-rank query projection; <c>null</c> uses a plain <c>q_proj</c> (as in V2-Lite).</summary>
    public int? QLoraRank { get; init; }

    /// <summary>Rank of the compressed key/value latent produced by <c>kv_a_proj_with_mqa</c>.</summary>
    public int KvLoraRank { get; init; }

    /// <summary>Per-head query/key dimensions that carry no positional information.</summary>
    public int QkNopeHeadDim { get; init; }

    /// <summary>Per-head query/key dimensions rotated by RoPE (the key part is shared by all heads).</summary>
    public int QkRopeHeadDim { get; init; }

    /// <summary>Per-head value dimension.</summary>
    public int VHeadDim { get; init; }

    /// <summary>Number of routed experts in each MoE layer.</summary>
    public int NRoutedExperts { get; init; }

    /// <summary>Number of shared experts; they are fused into one MLP of width <c>MoeIntermediateSize × NSharedExperts</c>.</summary>
    public int NSharedExperts { get; init; }

    /// <summary>Routed experts chosen per token (top-k).</summary>
    public int NumExpertsPerTok { get; init; }

    /// <summary>Inner width of each routed expert.</summary>
    public int MoeIntermediateSize { get; init; }

    /// <summary>Layers with an index below this value use the dense MLP instead of MoE.</summary>
    public int FirstKDenseReplace { get; init; }

    /// <summary>
    /// Multiplier on the routed expert weights. V2 applies it only when <see cref="NormTopkProb"/> is off (or top-k is
    /// 1); V3 always applies it, after the renormalisation.
    /// </summary>
    public double RoutedScalingFactor { get; init; } = 1.0;

    /// <summary>Whether the top-k routing weights are renormalised to sum to one (only when top-k &gt; 1, as in both references).</summary>
    public bool NormTopkProb { get; init; }

    /// <summary>Weight α of the expert balance loss; 0 disables it.</summary>
    public double AuxLossAlpha { get; init; } = 0.001;

    /// <summary>Whether the balance loss is computed per sequence (<c>seq_aux</c>) rather than over the whole batch.</summary>
    public bool SeqAux { get; init; } = true;

    /// <summary>Router: <c>greedy</c> or <c>group_limited_greedy</c> (V2), <c>noaux_tc</c> (V3).</summary>
    public string TopkMethod { get; init; } = "greedy";

    /// <summary>Router scores: <c>softmax</c> (V2) or <c>sigmoid</c> (V3).</summary>
    public string ScoringFunc { get; init; } = "softmax";

    /// <summary>Number of expert groups for group-limited routing (1: no groups).</summary>
    public int NGroup { get; init; } = 1;

    /// <summary>Groups kept per token by group-limited routing.</summary>
    public int TopkGroup { get; init; } = 1;

    /// <summary>From <see cref="FirstKDenseReplace"/> on, every this-many-th layer index is MoE (the others dense).</summary>
    public int MoeLayerFreq { get; init; } = 1;

    /// <summary>Query/key head dimension: <c>QkNopeHeadDim + QkRopeHeadDim</c>.</summary>
    [JsonIgnore]
    public int QkHeadDim => QkNopeHeadDim + QkRopeHeadDim;

    /// <summary>
    /// Softmax scale of MLA: <c>qk_head_dim^−0.5</c>, times <c>get_mscale(factor, mscale_all_dim)²</c> when YaRN
    /// rope scaling sets <c>mscale_all_dim</c> (remote V2/V3 code and HF V3; see ADR 0008).
    /// </summary>
    [JsonIgnore]
    public double SoftmaxScale => Math.Pow(QkHeadDim, -0.5) * (RopeScaling?.SoftmaxScaleFactor ?? 1.0);

    /// <summary>
    /// Whether layer <paramref name="layerIndex"/> uses DeepSeekMoE rather than the dense MLP:
    /// <c>n_routed_experts &gt; 0 and layer ≥ first_k_dense_replace and layer % moe_layer_freq == 0</c>.
    /// </summary>
    public bool IsMoeLayer(int layerIndex) =>
        NRoutedExperts > 0 && layerIndex >= FirstKDenseReplace && MoeLayerFreq > 0 && layerIndex % MoeLayerFreq == 0;

    /// <summary>
    /// The demo model (≈1.1 M parameters with the default 2,048-token vocabulary): a 200-step run with default options
    /// takes about 35 s on the 2-core portal machine (docs/PERFORMANCE.md), and every architectural piece is exercised — MLA with a KV latent, one dense
    /// layer, then three MoE layers with a shared expert and top-2 of 4 routed experts.
    /// </summary>
    public static DeepSeekConfig Tiny(int vocabSize) => new()
    {
        VocabSize = vocabSize,
        HiddenSize = 128,
        IntermediateSize = 256,
        NumHiddenLayers = 4,
        NumAttentionHeads = 4,
        QLoraRank = null,
        KvLoraRank = 32,
        QkNopeHeadDim = 16,
        QkRopeHeadDim = 16,
        VHeadDim = 16,
        NRoutedExperts = 4,
        NSharedExperts = 1,
        NumExpertsPerTok = 2,
        MoeIntermediateSize = 64,
        FirstKDenseReplace = 1,
        RmsNormEps = 1e-6,
        RopeTheta = 10000.0,
        MaxPositionEmbeddings = 4096,
        RoutedScalingFactor = 1.0,
        NormTopkProb = false,
        AuxLossAlpha = 0.001,
    };

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Errors();
        void Fail(string field, string message) => errors.Fail(field, message);
        ValidateCommon(errors);

        if (ModelType is not (V2ModelType or V3ModelType))
            Fail(nameof(ModelType), $"ModelType must be '{V2ModelType}' or '{V3ModelType}' (was '{ModelType}').");
        if (QLoraRank is < 1) Fail(nameof(QLoraRank), $"QLoraRank must be null (plain q_proj) or at least 1 (was {QLoraRank}).");
        if (KvLoraRank < 1) Fail(nameof(KvLoraRank), $"KvLoraRank must be at least 1 (was {KvLoraRank}).");
        if (QkNopeHeadDim < 0) Fail(nameof(QkNopeHeadDim), $"QkNopeHeadDim must not be negative (was {QkNopeHeadDim}).");
        if (QkRopeHeadDim < 2 || QkRopeHeadDim % 2 != 0)
            Fail(nameof(QkRopeHeadDim), $"QkRopeHeadDim must be a positive even number because RoPE rotates pairs (was {QkRopeHeadDim}).");
        if (VHeadDim < 1) Fail(nameof(VHeadDim), $"VHeadDim must be at least 1 (was {VHeadDim}).");
        if (FirstKDenseReplace < 0 || FirstKDenseReplace > NumHiddenLayers)
            Fail(nameof(FirstKDenseReplace), $"FirstKDenseReplace must be between 0 and NumHiddenLayers ({NumHiddenLayers}) (was {FirstKDenseReplace}).");
        if (MoeLayerFreq < 1) Fail(nameof(MoeLayerFreq), $"MoeLayerFreq must be at least 1 (was {MoeLayerFreq}).");
        var layers = Enumerable.Range(0, Math.Max(NumHiddenLayers, 0));
        bool anyDense = layers.Any(l => !IsMoeLayer(l));
        bool anyMoe = layers.Any(IsMoeLayer);
        if (anyDense && IntermediateSize < 1)
            Fail(nameof(IntermediateSize), $"IntermediateSize must be at least 1 when a layer uses the dense MLP (was {IntermediateSize}).");
        if (NRoutedExperts < 0) Fail(nameof(NRoutedExperts), $"NRoutedExperts must not be negative (was {NRoutedExperts}).");
        if (NSharedExperts < 0) Fail(nameof(NSharedExperts), $"NSharedExperts must not be negative (was {NSharedExperts}).");
        if (anyMoe)
        {
            if (NumExpertsPerTok < 1 || NumExpertsPerTok > NRoutedExperts)
                Fail(nameof(NumExpertsPerTok), $"NumExpertsPerTok must be between 1 and NRoutedExperts ({NRoutedExperts}) (was {NumExpertsPerTok}).");
            if (MoeIntermediateSize < 1) Fail(nameof(MoeIntermediateSize), $"MoeIntermediateSize must be at least 1 (was {MoeIntermediateSize}).");
            if (!(RoutedScalingFactor > 0) || double.IsInfinity(RoutedScalingFactor))
                Fail(nameof(RoutedScalingFactor), $"RoutedScalingFactor must be a positive finite number (was {RoutedScalingFactor}).");
            if (!(AuxLossAlpha >= 0) || double.IsInfinity(AuxLossAlpha))
                Fail(nameof(AuxLossAlpha), $"AuxLossAlpha must be zero or a positive finite number (was {AuxLossAlpha}).");
            ValidateRouting(Fail);
        }
        return errors.ToDictionary();
    }

    private void ValidateRouting(Action<string, string> fail)
    {
        // Each family's remote code implements only its own scoring function and routers.
        string[] methods = Family == ModelFamily.DeepSeekV3 ? ["noaux_tc"] : ["greedy", "group_limited_greedy"];
        string scoring = Family == ModelFamily.DeepSeekV3 ? "sigmoid" : "softmax";
        if (!methods.Contains(TopkMethod))
            fail(nameof(TopkMethod), $"TopkMethod must be {string.Join(" or ", methods.Select(m => $"'{m}'"))} for {ModelType} (was '{TopkMethod}').");
        if (ScoringFunc != scoring)
            fail(nameof(ScoringFunc), $"ScoringFunc must be '{scoring}' for {ModelType} (was '{ScoringFunc}').");
        bool grouped = TopkMethod != "greedy";
        if (NGroup < 1 || NRoutedExperts % NGroup != 0)
            fail(nameof(NGroup), $"NGroup must be at least 1 and divide NRoutedExperts ({NRoutedExperts}) (was {NGroup}).");
        else if (grouped)
        {
            int perGroup = NRoutedExperts / NGroup;
            if (TopkGroup < 1 || TopkGroup > NGroup)
                fail(nameof(TopkGroup), $"TopkGroup must be between 1 and NGroup ({NGroup}) (was {TopkGroup}).");
            else if (NumExpertsPerTok > TopkGroup * perGroup)
                fail(nameof(NumExpertsPerTok), $"NumExpertsPerTok ({NumExpertsPerTok}) exceeds the experts in the kept groups ({TopkGroup} × {perGroup}).");
            if (TopkMethod == "noaux_tc" && perGroup < 2)
                fail(nameof(NGroup), $"noaux_tc scores each group by its top-2 experts, so groups need at least 2 experts (have {perGroup}).");
        }
    }

    /// <summary>
    /// Serialises to a Hugging Face style <c>config.json</c> (snake_case keys, <c>model_type</c> and
    /// <c>architectures</c> of the family) including the routing fields, so that HF tooling reads the same architecture.
    /// </summary>
    public override string ToJson(int? bosTokenId = null, int? eosTokenId = null)
    {
        var node = JsonSerializer.SerializeToNode(this, JsonOptions)!.AsObject();
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(Family == ModelFamily.DeepSeekV3 ? "DeepseekV3ForCausalLM" : "DeepseekV2ForCausalLM"),
        };
        foreach (var (key, value) in node) root[key] = value?.DeepClone();
        root["num_key_value_heads"] = NumAttentionHeads;
        root["hidden_act"] = "silu";
        root["attention_bias"] = false;
        root["rope_scaling"] = RopeScalingJson(RopeScaling);
        root["tie_word_embeddings"] = false;
        root["torch_dtype"] = "float32";
        if (bosTokenId is not null) root["bos_token_id"] = bosTokenId;
        if (eosTokenId is not null) root["eos_token_id"] = eosTokenId;
        return root.ToJsonString(JsonOptions);
    }

    /// <summary>
    /// Reads a Hugging Face style <c>config.json</c> of model_type <c>deepseek_v2</c> (also assumed when model_type
    /// and architectures are absent) or <c>deepseek_v3</c>. Throws <see cref="NotSupportedException"/> naming the
    /// field for what this engine does not implement: other model types, rope scaling other than YaRN or linear,
    /// routers or scoring functions outside the family's own code, activations other than SiLU, attention biases,
    /// tied embeddings and FP8 <c>quantization_config</c>.
    /// </summary>
    public static new DeepSeekConfig FromJson(string json)
    {
        var root = ParseObject(json);
        string modelType = ModelTypeOf(root) ?? V2ModelType;
        if (modelType is not (V2ModelType or V3ModelType))
            throw new NotSupportedException($"config.json has model_type '{modelType}'; a DeepSeekConfig reads only '{V2ModelType}' and '{V3ModelType}'.");
        bool v3 = modelType == V3ModelType;
        Require(root, "topk_method", $"{modelType} routing implements " + (v3 ? "'noaux_tc'" : "'greedy' and 'group_limited_greedy'") + " only",
            v3 ? ["noaux_tc"] : ["greedy", "group_limited_greedy"]);
        Require(root, "scoring_func", $"{modelType} routing scores with " + (v3 ? "'sigmoid'" : "'softmax'") + " only", v3 ? "sigmoid" : "softmax");
        Require(root, "hidden_act", "only SiLU (SwiGLU) MLPs are implemented", "silu");
        Require(root, "attention_bias", "MLA projections have no biases in this engine", "false");
        Require(root, "tie_word_embeddings", "DeepSeek models keep a separate lm_head", "false");
        if (root["quantization_config"] is JsonNode quantization)
            throw new NotSupportedException($"config.json has quantization_config = {quantization.ToJsonString()}: FP8 block-quantised weights " +
                "are not implemented; dequantise the checkpoint to BF16 first.");
        var config = Deserialize<DeepSeekConfig>(root) with
        {
            ModelType = modelType,
            RopeScaling = ReadRopeScaling(root, modelType, RopeScaling.Yarn, RopeScaling.Linear),
        };
        // V3 files normally state these; the defaults of this record are V2's.
        if (v3)
        {
            config = config with
            {
                TopkMethod = root["topk_method"] is null ? "noaux_tc" : config.TopkMethod,
                ScoringFunc = root["scoring_func"] is null ? "sigmoid" : config.ScoringFunc,
            };
        }
        return config;
    }
}
