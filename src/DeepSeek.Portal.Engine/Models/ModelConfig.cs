using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>The model families this engine builds, each following its own checkpoint's modelling code.</summary>
public enum ModelFamily
{
    /// <summary><c>deepseek_v2</c>: MLA + DeepSeekMoE with softmax routing (remote <c>modeling_deepseek.py</c> of V2).</summary>
    DeepSeekV2,

    /// <summary><c>deepseek_v3</c>: MLA + DeepSeekMoE with sigmoid <c>noaux_tc</c> routing (remote code of V3).</summary>
    DeepSeekV3,

    /// <summary><c>llama</c>: DeepSeek-LLM 7B/67B and deepseek-coder (HF <c>LlamaForCausalLM</c>).</summary>
    Llama,

    /// <summary><c>qwen2</c>: the R1-Distill-Qwen models (HF <c>Qwen2ForCausalLM</c>).</summary>
    Qwen2,
}

/// <summary>
/// Hyper-parameters shared by every family, named after the fields of a Hugging Face <c>config.json</c>.
/// <see cref="FromJson"/> picks the family from <c>model_type</c> (or <c>architectures</c>) and returns a
/// <see cref="DeepSeekConfig"/> or a <see cref="LlamaConfig"/>.
/// </summary>
public abstract record ModelConfig
{
    /// <summary>Number of token ids (rows of <c>embed_tokens</c> and <c>lm_head</c>).</summary>
    public int VocabSize { get; init; }

    /// <summary>Width of the residual stream.</summary>
    public int HiddenSize { get; init; }

    /// <summary>Inner width of the dense SwiGLU MLP.</summary>
    public int IntermediateSize { get; init; }

    /// <summary>Number of decoder layers.</summary>
    public int NumHiddenLayers { get; init; }

    /// <summary>Number of attention (query) heads.</summary>
    public int NumAttentionHeads { get; init; }

    /// <summary>Epsilon of the decoder RMSNorms.</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>RoPE base θ.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Longest sequence the model is meant to see.</summary>
    public int MaxPositionEmbeddings { get; init; }

    /// <summary>RoPE scaling, or <c>null</c> for plain RoPE (JSON <c>rope_scaling</c>).</summary>
    [JsonIgnore]
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>The family, which decides the modules and the reference semantics.</summary>
    [JsonIgnore]
    public abstract ModelFamily Family { get; }

    /// <summary>Checks every field; returns field name → messages, empty when the config is usable.</summary>
    public abstract IReadOnlyDictionary<string, string[]> Validate();

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem when <see cref="Validate"/> finds any.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
            throw new ArgumentException($"Invalid {Family} model config: " + string.Join(" ", errors.SelectMany(e => e.Value)));
    }

    /// <summary>Serialises to a Hugging Face style <c>config.json</c> that HF tooling reads as the same architecture.</summary>
    public abstract string ToJson(int? bosTokenId = null, int? eosTokenId = null);

    /// <summary>
    /// Reads a Hugging Face <c>config.json</c> of any supported family (model_type <c>deepseek_v2</c>,
    /// <c>deepseek_v3</c>, <c>llama</c>, <c>qwen2</c>; or, without model_type, the first entry of
    /// <c>architectures</c>). Unknown fields that do not change the forward pass are ignored; a field that would
    /// need something this engine does not implement throws <see cref="NotSupportedException"/> naming the field.
    /// </summary>
    public static ModelConfig FromJson(string json)
    {
        var root = ParseObject(json);
        string modelType = ModelTypeOf(root)
            ?? throw new NotSupportedException("config.json names neither model_type nor a known architectures entry.");
        return modelType switch
        {
            DeepSeekConfig.V2ModelType or DeepSeekConfig.V3ModelType => DeepSeekConfig.FromJson(json),
            LlamaConfig.LlamaModelType or LlamaConfig.Qwen2ModelType => LlamaConfig.FromJson(json),
            _ => throw new NotSupportedException(
                $"config.json has model_type '{modelType}'; supported: deepseek_v2, deepseek_v3, llama, qwen2."),
        };
    }

    /// <summary>Snake-case options shared by the families' readers and writers.</summary>
    private protected static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    private protected static JsonObject ParseObject(string json) =>
        JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("config.json is empty.");

    /// <summary>model_type, or the one implied by <c>architectures[0]</c>; <c>null</c> when neither is there.</summary>
    private protected static string? ModelTypeOf(JsonObject root)
    {
        if (root["model_type"] is JsonNode type) return type.GetValue<string>();
        string? architecture = root["architectures"] is JsonArray { Count: > 0 } a ? a[0]?.GetValue<string>() : null;
        return architecture switch
        {
            "DeepseekV2ForCausalLM" => DeepSeekConfig.V2ModelType,
            "DeepseekV3ForCausalLM" => DeepSeekConfig.V3ModelType,
            "LlamaForCausalLM" => LlamaConfig.LlamaModelType,
            "Qwen2ForCausalLM" => LlamaConfig.Qwen2ModelType,
            null => null,
            _ => throw new NotSupportedException($"config.json has architectures ['{architecture}'] and no model_type; supported: " +
                "DeepseekV2ForCausalLM, DeepseekV3ForCausalLM, LlamaForCausalLM, Qwen2ForCausalLM."),
        };
    }

    /// <summary>Deserialises <typeparamref name="T"/> from <paramref name="root"/> with JSON nulls treated as absent (defaults apply).</summary>
    private protected static T Deserialize<T>(JsonObject root)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in root)
        {
            if (value is not null) copy[key] = value.DeepClone();
        }
        return copy.Deserialize<T>(JsonOptions) ?? throw new FormatException("config.json did not describe a model.");
    }

    /// <summary>Throws unless <paramref name="key"/> is absent, null, or equal to one of <paramref name="allowed"/> (compared as JSON text or string).</summary>
    private protected static void Require(JsonObject root, string key, string reason, params string[] allowed)
    {
        if (!root.TryGetPropertyValue(key, out var node) || node is null) return;
        string actual = node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();
        if (!allowed.Contains(actual))
            throw new NotSupportedException($"config.json has {key} = {node.ToJsonString()}: {reason}.");
    }

    /// <summary>
    /// Reads <c>rope_scaling</c>: <c>null</c> when absent, null, or of type "default"; kinds outside
    /// <paramref name="supported"/> throw <see cref="NotSupportedException"/>.
    /// </summary>
    private protected static RopeScaling? ReadRopeScaling(JsonObject root, string family, params string[] supported)
    {
        if (!root.TryGetPropertyValue("rope_scaling", out var node) || node is null) return null;
        if (node is not JsonObject scaling) throw new FormatException("config.json rope_scaling must be an object or null.");
        string? type = (scaling["type"] ?? scaling["rope_type"])?.GetValue<string>();
        if (type is null or "default") return null;
        if (!supported.Contains(type))
            throw new NotSupportedException($"config.json has rope_scaling type '{type}': for {family} this engine implements " +
                string.Join(" and ", supported.Select(s => $"'{s}'")) + " only (not 'dynamic', 'llama3' or 'longrope').");
        double Number(string key, double fallback) => scaling[key] is JsonNode n ? n.GetValue<double>() : fallback;
        var defaults = new RopeScaling();
        var result = new RopeScaling
        {
            Type = type,
            Factor = scaling["factor"] is JsonNode f ? f.GetValue<double>() : throw new FormatException("config.json rope_scaling lacks 'factor'."),
            OriginalMaxPositionEmbeddings = (int)Number("original_max_position_embeddings", defaults.OriginalMaxPositionEmbeddings),
            BetaFast = Number("beta_fast", defaults.BetaFast),
            BetaSlow = Number("beta_slow", defaults.BetaSlow),
            Mscale = Number("mscale", defaults.Mscale),
            MscaleAllDim = Number("mscale_all_dim", defaults.MscaleAllDim),
        };
        if (!(result.Factor >= 1) || double.IsInfinity(result.Factor))
            throw new NotSupportedException($"config.json has rope_scaling factor {result.Factor}: it must be a finite number of at least 1.");
        return result;
    }

    /// <summary>The <c>rope_scaling</c> JSON for <paramref name="scaling"/> (the fields its kind reads).</summary>
    private protected static JsonNode? RopeScalingJson(RopeScaling? scaling) => scaling switch
    {
        null => null,
        { Type: RopeScaling.Yarn } y => new JsonObject
        {
            ["type"] = y.Type,
            ["factor"] = y.Factor,
            ["original_max_position_embeddings"] = y.OriginalMaxPositionEmbeddings,
            ["beta_fast"] = y.BetaFast,
            ["beta_slow"] = y.BetaSlow,
            ["mscale"] = y.Mscale,
            ["mscale_all_dim"] = y.MscaleAllDim,
        },
        _ => new JsonObject { ["type"] = scaling.Type, ["factor"] = scaling.Factor },
    };

    /// <summary>Field-keyed error collector used by the families' <see cref="Validate"/>.</summary>
    private protected sealed class Errors
    {
        private readonly Dictionary<string, List<string>> errors = [];

        public void Fail(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        public IReadOnlyDictionary<string, string[]> ToDictionary() => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }

    /// <summary>Checks the fields every family has.</summary>
    private protected void ValidateCommon(Errors errors)
    {
        if (VocabSize < 1) errors.Fail(nameof(VocabSize), $"VocabSize must be at least 1 (was {VocabSize}).");
        if (HiddenSize < 1) errors.Fail(nameof(HiddenSize), $"HiddenSize must be at least 1 (was {HiddenSize}).");
        if (NumHiddenLayers < 1) errors.Fail(nameof(NumHiddenLayers), $"NumHiddenLayers must be at least 1 (was {NumHiddenLayers}).");
        if (NumAttentionHeads < 1) errors.Fail(nameof(NumAttentionHeads), $"NumAttentionHeads must be at least 1 (was {NumAttentionHeads}).");
        if (!(RmsNormEps > 0) || RmsNormEps >= 1) errors.Fail(nameof(RmsNormEps), $"RmsNormEps must be in (0, 1) (was {RmsNormEps}).");
        if (!(RopeTheta > 1) || double.IsInfinity(RopeTheta)) errors.Fail(nameof(RopeTheta), $"RopeTheta must be a finite number above 1 (was {RopeTheta}).");
        if (MaxPositionEmbeddings < 1) errors.Fail(nameof(MaxPositionEmbeddings), $"MaxPositionEmbeddings must be at least 1 (was {MaxPositionEmbeddings}).");
        if (RopeScaling is { } s)
        {
            if (s.Type is not (RopeScaling.Yarn or RopeScaling.Linear))
                errors.Fail(nameof(RopeScaling), $"RopeScaling type must be 'yarn' or 'linear' (was '{s.Type}').");
            if (!(s.Factor >= 1) || double.IsInfinity(s.Factor))
                errors.Fail(nameof(RopeScaling), $"RopeScaling factor must be a finite number of at least 1 (was {s.Factor}).");
            if (s.Type == RopeScaling.Yarn && (s.OriginalMaxPositionEmbeddings < 1 || !(s.BetaFast > 0) || !(s.BetaSlow > 0)))
                errors.Fail(nameof(RopeScaling), "YaRN needs original_max_position_embeddings, beta_fast and beta_slow above 0.");
        }
    }
}
