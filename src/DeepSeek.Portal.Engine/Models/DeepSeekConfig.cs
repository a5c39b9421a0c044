using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// Hyper-parameters of a DeepSeek-V2 style model (multi-head latent attention + DeepSeekMoE), named after the
/// fields of a Hugging Face <c>config.json</c> with <c>model_type</c> "deepseek_v2".
/// </summary>
/// <remarks>
/// Only the plain V2 layout is modelled: greedy top-k softmax routing, no expert groups, no YaRN rope scaling,
/// no multi-token prediction. <see cref="FromJson"/> refuses configs that need any of those.
/// </remarks>
public sealed record DeepSeekConfig
{
    /// <summary>Number of token ids (rows of <c>embed_tokens</c> and <c>lm_head</c>).</summary>
    public int VocabSize { get; init; }

    /// <summary>Width of the residual stream.</summary>
    public int HiddenSize { get; init; }

    /// <summary>Inner width of the dense SwiGLU MLP used by the first <see cref="FirstKDenseReplace"/> layers.</summary>
    public int IntermediateSize { get; init; }

    /// <summary>Number of decoder layers.</summary>
    public int NumHiddenLayers { get; init; }

    /// <summary>Number of attention heads.</summary>
    public int NumAttentionHeads { get; init; }

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

    /// <summary>Epsilon of every RMSNorm.</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>RoPE base θ.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Longest sequence the model is meant to see.</summary>
    public int MaxPositionEmbeddings { get; init; }

    /// <summary>Multiplier on the routed expert weights (not applied when <see cref="NormTopkProb"/> is set, as in V2).</summary>
    public double RoutedScalingFactor { get; init; } = 1.0;

    /// <summary>Whether the top-k routing weights are renormalised to sum to one.</summary>
    public bool NormTopkProb { get; init; }

    /// <summary>Weight α of the sequence-level expert balance loss; 0 disables it.</summary>
    public double AuxLossAlpha { get; init; } = 0.001;

    /// <summary>Query/key head dimension: <c>QkNopeHeadDim + QkRopeHeadDim</c>.</summary>
    [JsonIgnore]
    public int QkHeadDim => QkNopeHeadDim + QkRopeHeadDim;

    /// <summary>Whether layer <paramref name="layerIndex"/> uses DeepSeekMoE rather than the dense MLP.</summary>
    public bool IsMoeLayer(int layerIndex) => layerIndex >= FirstKDenseReplace && NRoutedExperts > 0;

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

    /// <summary>Checks every field; returns field name → messages, empty when the config is usable.</summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, List<string>>();
        void Fail(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        if (VocabSize < 1) Fail(nameof(VocabSize), $"VocabSize must be at least 1 (was {VocabSize}).");
        if (HiddenSize < 1) Fail(nameof(HiddenSize), $"HiddenSize must be at least 1 (was {HiddenSize}).");
        if (NumHiddenLayers < 1) Fail(nameof(NumHiddenLayers), $"NumHiddenLayers must be at least 1 (was {NumHiddenLayers}).");
        if (NumAttentionHeads < 1) Fail(nameof(NumAttentionHeads), $"NumAttentionHeads must be at least 1 (was {NumAttentionHeads}).");
        if (QLoraRank is < 1) Fail(nameof(QLoraRank), $"QLoraRank must be null (plain q_proj) or at least 1 (was {QLoraRank}).");
        if (KvLoraRank < 1) Fail(nameof(KvLoraRank), $"KvLoraRank must be at least 1 (was {KvLoraRank}).");
        if (QkNopeHeadDim < 0) Fail(nameof(QkNopeHeadDim), $"QkNopeHeadDim must not be negative (was {QkNopeHeadDim}).");
        if (QkRopeHeadDim < 2 || QkRopeHeadDim % 2 != 0)
            Fail(nameof(QkRopeHeadDim), $"QkRopeHeadDim must be a positive even number because RoPE rotates pairs (was {QkRopeHeadDim}).");
        if (VHeadDim < 1) Fail(nameof(VHeadDim), $"VHeadDim must be at least 1 (was {VHeadDim}).");
        if (FirstKDenseReplace < 0 || FirstKDenseReplace > NumHiddenLayers)
            Fail(nameof(FirstKDenseReplace), $"FirstKDenseReplace must be between 0 and NumHiddenLayers ({NumHiddenLayers}) (was {FirstKDenseReplace}).");
        bool anyDense = FirstKDenseReplace > 0 || NRoutedExperts == 0;
        bool anyMoe = FirstKDenseReplace < NumHiddenLayers && NRoutedExperts > 0;
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
        }
        if (!(RmsNormEps > 0) || RmsNormEps >= 1) Fail(nameof(RmsNormEps), $"RmsNormEps must be in (0, 1) (was {RmsNormEps}).");
        if (!(RopeTheta > 1) || double.IsInfinity(RopeTheta)) Fail(nameof(RopeTheta), $"RopeTheta must be a finite number above 1 (was {RopeTheta}).");
        if (MaxPositionEmbeddings < 1) Fail(nameof(MaxPositionEmbeddings), $"MaxPositionEmbeddings must be at least 1 (was {MaxPositionEmbeddings}).");

        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem when <see cref="Validate"/> finds any.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid DeepSeek model config: " + string.Join(" ", errors.SelectMany(e => e.Value)));
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>
    /// Serialises to a Hugging Face style <c>config.json</c> (snake_case keys, <c>model_type</c> "deepseek_v2",
    /// <c>architectures</c> ["DeepseekV2ForCausalLM"]) including the fixed routing fields this engine implements,
    /// so that HF tooling reads the same architecture.
    /// </summary>
    public string ToJson(int? bosTokenId = null, int? eosTokenId = null)
    {
        var node = JsonSerializer.SerializeToNode(this, JsonOptions)!.AsObject();
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("DeepseekV2ForCausalLM"),
            ["model_type"] = "deepseek_v2",
        };
        foreach (var (key, value) in node) root[key] = value?.DeepClone();
        root["num_key_value_heads"] = NumAttentionHeads;
        root["hidden_act"] = "silu";
        root["moe_layer_freq"] = 1;
        root["n_group"] = 1;
        root["topk_group"] = 1;
        root["topk_method"] = "greedy";
        root["scoring_func"] = "softmax";
        root["seq_aux"] = true;
        root["attention_bias"] = false;
        root["rope_scaling"] = null;
        root["tie_word_embeddings"] = false;
        root["torch_dtype"] = "float32";
        if (bosTokenId is not null) root["bos_token_id"] = bosTokenId;
        if (eosTokenId is not null) root["eos_token_id"] = eosTokenId;
        return root.ToJsonString(JsonOptions);
    }

    /// <summary>
    /// Reads a Hugging Face style <c>config.json</c>. Throws <see cref="NotSupportedException"/> for DeepSeek
    /// variants this engine does not implement (other model types, YaRN scaling, grouped or sigmoid routing).
    /// </summary>
    public static DeepSeekConfig FromJson(string json)
    {
        var root = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("config.json is empty.");
        string? modelType = root["model_type"]?.GetValue<string>();
        if (modelType is not null && modelType != "deepseek_v2")
            throw new NotSupportedException($"config.json has model_type '{modelType}'; only 'deepseek_v2' is supported.");
        RequireAbsentOrEqual(root, "rope_scaling", null, "RoPE scaling (YaRN) is not implemented");
        RequireAbsentOrEqual(root, "topk_method", "greedy", "only greedy top-k routing is implemented");
        RequireAbsentOrEqual(root, "scoring_func", "softmax", "only softmax routing scores are implemented");
        foreach (var key in new[] { "n_group", "topk_group", "moe_layer_freq" })
        {
            if (root[key] is JsonNode n && n.GetValue<int>() != 1)
                throw new NotSupportedException($"config.json has {key} = {n.ToJsonString()}; only 1 is supported.");
        }
        return JsonSerializer.Deserialize<DeepSeekConfig>(json, JsonOptions)
            ?? throw new FormatException("config.json did not describe a model.");
    }

    private static void RequireAbsentOrEqual(JsonObject root, string key, string? expected, string reason)
    {
        if (!root.TryGetPropertyValue(key, out var node) || node is null) return;
        string actual = node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();
        if (actual != expected)
            throw new NotSupportedException($"config.json has {key} = {node.ToJsonString()}: {reason}.");
    }
}
