using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// Hyper-parameters of a Llama-architecture model (<c>model_type</c> "llama": DeepSeek-LLM 7B/67B, deepseek-coder)
/// or a Qwen2 one ("qwen2": the R1-Distill-Qwen models), named after the fields of a Hugging Face <c>config.json</c>.
/// </summary>
/// <remarks>
/// Both follow the HF modelling code: pre-norm RMSNorm blocks, grouped-query attention with
/// <see cref="NumKeyValueHeads"/>, rotate_half RoPE over the whole head, SwiGLU MLP without biases. Llama puts a
/// bias on q/k/v/o only when <see cref="AttentionBias"/> is set; Qwen2 always has q/k/v biases and none on o_proj.
/// Rope scaling: "linear" only ("dynamic", "llama3", "yarn" and "longrope" are refused by <see cref="FromJson"/>);
/// Qwen2's sliding window is refused when <c>use_sliding_window</c> is true.
/// </remarks>
public sealed record LlamaConfig : ModelConfig
{
    /// <summary>model_type of Llama-architecture checkpoints.</summary>
    public const string LlamaModelType = "llama";

    /// <summary>model_type of Qwen2-architecture checkpoints.</summary>
    public const string Qwen2ModelType = "qwen2";

    /// <summary><see cref="LlamaModelType"/> or <see cref="Qwen2ModelType"/>.</summary>
    public string ModelType { get; init; } = LlamaModelType;

    /// <inheritdoc />
    [JsonIgnore]
    public override ModelFamily Family => ModelType == Qwen2ModelType ? ModelFamily.Qwen2 : ModelFamily.Llama;

    /// <summary>Key/value heads (grouped-query attention); <c>0</c> means as many as <see cref="ModelConfig.NumAttentionHeads"/>.</summary>
    public int NumKeyValueHeads { get; init; }

    /// <summary>Per-head width; <c>null</c> means <c>HiddenSize / NumAttentionHeads</c>.</summary>
    public int? HeadDim { get; init; }

    /// <summary>Llama only: biases on q/k/v/o projections (Qwen2 ignores this field and always has q/k/v biases).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>Whether <c>lm_head</c> reuses <c>embed_tokens.weight</c> (then no <c>lm_head.weight</c> tensor exists).</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Key/value heads after the "0 means all" default.</summary>
    [JsonIgnore]
    public int KeyValueHeads => NumKeyValueHeads > 0 ? NumKeyValueHeads : NumAttentionHeads;

    /// <summary>Per-head width after the default.</summary>
    [JsonIgnore]
    public int ResolvedHeadDim => HeadDim ?? (NumAttentionHeads > 0 ? HiddenSize / NumAttentionHeads : 0);

    /// <summary>Whether q/k/v projections have biases.</summary>
    [JsonIgnore]
    public bool QkvBias => Family == ModelFamily.Qwen2 || AttentionBias;

    /// <summary>Whether o_proj has a bias.</summary>
    [JsonIgnore]
    public bool OutputBias => Family == ModelFamily.Llama && AttentionBias;

    /// <summary>Softmax scale <c>head_dim^−0.5</c>.</summary>
    [JsonIgnore]
    public double SoftmaxScale => Math.Pow(ResolvedHeadDim, -0.5);

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Errors();
        ValidateCommon(errors);
        if (ModelType is not (LlamaModelType or Qwen2ModelType))
            errors.Fail(nameof(ModelType), $"ModelType must be '{LlamaModelType}' or '{Qwen2ModelType}' (was '{ModelType}').");
        if (IntermediateSize < 1) errors.Fail(nameof(IntermediateSize), $"IntermediateSize must be at least 1 (was {IntermediateSize}).");
        if (NumKeyValueHeads < 0 || (NumAttentionHeads > 0 && NumAttentionHeads % KeyValueHeads != 0))
            errors.Fail(nameof(NumKeyValueHeads), $"NumKeyValueHeads must divide NumAttentionHeads ({NumAttentionHeads}) (was {NumKeyValueHeads}).");
        if (HeadDim is null && NumAttentionHeads > 0 && HiddenSize % NumAttentionHeads != 0)
            errors.Fail(nameof(HeadDim), $"HiddenSize ({HiddenSize}) must be a multiple of NumAttentionHeads ({NumAttentionHeads}) unless HeadDim is set.");
        if (ResolvedHeadDim < 2 || ResolvedHeadDim % 2 != 0)
            errors.Fail(nameof(HeadDim), $"The head width must be a positive even number because RoPE rotates pairs (was {ResolvedHeadDim}).");
        return errors.ToDictionary();
    }

    /// <inheritdoc />
    public override string ToJson(int? bosTokenId = null, int? eosTokenId = null)
    {
        var node = JsonSerializer.SerializeToNode(this, JsonOptions)!.AsObject();
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(Family == ModelFamily.Qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"),
        };
        foreach (var (key, value) in node)
        {
            if (value is not null) root[key] = value.DeepClone();
        }
        root["num_key_value_heads"] = KeyValueHeads;
        root["hidden_act"] = "silu";
        root["mlp_bias"] = false;
        root["rope_scaling"] = RopeScalingJson(RopeScaling);
        if (Family == ModelFamily.Qwen2)
        {
            root.Remove("attention_bias");
            root["use_sliding_window"] = false;
        }
        root["torch_dtype"] = "float32";
        if (bosTokenId is not null) root["bos_token_id"] = bosTokenId;
        if (eosTokenId is not null) root["eos_token_id"] = eosTokenId;
        return root.ToJsonString(JsonOptions);
    }

    /// <summary>
    /// Reads a Hugging Face <c>config.json</c> of model_type <c>llama</c> or <c>qwen2</c>. Throws
    /// <see cref="NotSupportedException"/> naming the field for activations other than SiLU, MLP biases, rope
    /// scaling other than linear, and an enabled Qwen2 sliding window.
    /// </summary>
    public static new LlamaConfig FromJson(string json)
    {
        var root = ParseObject(json);
        string modelType = ModelTypeOf(root)
            ?? throw new NotSupportedException("config.json names neither model_type nor architectures.");
        if (modelType is not (LlamaModelType or Qwen2ModelType))
            throw new NotSupportedException($"config.json has model_type '{modelType}'; a LlamaConfig reads only '{LlamaModelType}' and '{Qwen2ModelType}'.");
        Require(root, "hidden_act", "only SiLU (SwiGLU) MLPs are implemented", "silu");
        Require(root, "mlp_bias", "MLP biases are not implemented", "false");
        if (modelType == Qwen2ModelType)
            Require(root, "use_sliding_window", "sliding-window attention is not implemented", "false");
        var config = Deserialize<LlamaConfig>(root);
        return config with
        {
            ModelType = modelType,
            NumKeyValueHeads = config.KeyValueHeads,
            RopeScaling = ReadRopeScaling(root, modelType, RopeScaling.Linear),
            // Qwen2's q/k/v biases are hard-coded in its modelling code, whatever attention_bias says.
            AttentionBias = modelType == LlamaModelType && root["attention_bias"] is JsonNode bias && bias.GetValue<bool>(),
        };
    }
}
