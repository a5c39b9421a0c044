using System.Globalization;
using System.Text.Json;

namespace DeepSeek.Portal.Planning.Catalogue;

/// <summary>The DeepSeek models the planner knows, from their published configs, and registered folders read from config.json.</summary>
/// <remarks>
/// Every total is counted from the config (<see cref="DecoderShape"/>), not copied from a model card: the cards round
/// (V2-Lite "16B" is 15.7B, R1-Distill-Qwen-1.5B "~2B" is 1.78B). Where a config value is not in the project's reference
/// (shared/reference §1) but is the well-known Hugging Face config.json value, the entry's <see cref="ModelArchitecture.Source"/>
/// says so. <see cref="ModelArchitecture.MaxContext"/> is the documented context where the README states one below the
/// config's <c>max_position_embeddings</c> (V2-Lite 32K, V2/V3 128K), otherwise the config's value.
/// </remarks>
public static class ModelCatalogue
{
    internal static readonly IReadOnlyList<(ModelArchitecture Model, DecoderShape Shape)> Entries = Build();

    /// <summary>DeepSeek-LLM 7B/67B, V2-Lite, V2, V3/R1, R1-Distill Qwen 1.5B/7B/14B/32B and Llama 8B/70B.</summary>
    public static IReadOnlyList<ModelArchitecture> All { get; } = [.. Entries.Select(e => e.Model)];

    /// <summary>The entry with <paramref name="id"/> (case-insensitive), or null.</summary>
    public static ModelArchitecture? Find(string id) => All.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Reads a Hugging Face <c>config.json</c> (llama, qwen2, deepseek_v2, deepseek_v3) into an architecture with an exact
    /// parameter count; throws <see cref="FormatException"/> naming the missing or invalid field.
    /// </summary>
    /// <remarks>
    /// <c>num_key_value_heads</c> defaults to the query heads, <c>head_dim</c> to hidden ÷ heads, <c>tie_word_embeddings</c>
    /// to false; Qwen2 always has q/k/v biases, Llama has them (and the o_proj bias) when <c>attention_bias</c> is true.
    /// The native precision comes from <c>quantization_config.quant_method</c> ("fp8") or <c>torch_dtype</c>
    /// (bfloat16 when absent). V3's multi-token-prediction layers (<c>num_nextn_predict_layers</c>) are not counted, as
    /// inference does not load them.
    /// </remarks>
    public static ModelArchitecture FromConfigJson(string id, string name, string configJson)
    {
        ArgumentNullException.ThrowIfNull(configJson);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(configJson);
        }
        catch (JsonException e)
        {
            throw new FormatException($"config.json is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("config.json must be a JSON object.");
            var shape = ReadShape(root);
            return shape.ToArchitecture(id, name, shape.MaxPositions, ReadPrecision(root), "config.json");
        }
    }

    internal static DecoderShape ReadShape(JsonElement root)
    {
        var modelType = String(root, "model_type")
            ?? throw new FormatException("config.json: 'model_type' is missing (expected llama, qwen2, deepseek_v2 or deepseek_v3).");
        if (modelType is not ("llama" or "qwen2" or "deepseek_v2" or "deepseek_v3"))
            throw new FormatException($"config.json: 'model_type' is '{modelType}'; expected llama, qwen2, deepseek_v2 or deepseek_v3.");
        int hidden = Positive(root, "hidden_size"), heads = Positive(root, "num_attention_heads");
        var shape = new DecoderShape
        {
            ModelType = modelType,
            Hidden = hidden,
            Intermediate = Positive(root, "intermediate_size"),
            Layers = Positive(root, "num_hidden_layers"),
            Heads = heads,
            KvHeads = Positive(root, "num_key_value_heads", heads),
            HeadDim = Positive(root, "head_dim", hidden % heads == 0 ? hidden / heads : null),
            Vocab = Positive(root, "vocab_size"),
            MaxPositions = Positive(root, "max_position_embeddings"),
            TiedEmbeddings = Bool(root, "tie_word_embeddings") ?? false,
            QkvBias = modelType == "qwen2" || (modelType == "llama" && (Bool(root, "attention_bias") ?? false)),
            OutputBias = modelType == "llama" && (Bool(root, "attention_bias") ?? false),
            MlpBias = modelType == "llama" && (Bool(root, "mlp_bias") ?? false),
        };
        if (shape.KvHeads > heads || heads % shape.KvHeads != 0)
            throw new FormatException($"config.json: 'num_key_value_heads' must divide num_attention_heads ({heads}); was {shape.KvHeads}.");
        if (!shape.IsDeepSeek) return shape;

        var routed = Optional(root, "n_routed_experts") ?? 0;
        return shape with
        {
            QLoraRank = Optional(root, "q_lora_rank"),
            KvLoraRank = Positive(root, "kv_lora_rank"),
            QkNopeHeadDim = Positive(root, "qk_nope_head_dim"),
            QkRopeHeadDim = Positive(root, "qk_rope_head_dim"),
            VHeadDim = Positive(root, "v_head_dim"),
            RoutedExperts = routed,
            SharedExperts = Optional(root, "n_shared_experts") ?? 0,
            ExpertsPerToken = routed > 0 ? Positive(root, "num_experts_per_tok") : 0,
            MoeIntermediate = routed > 0 ? Positive(root, "moe_intermediate_size") : 0,
            FirstDenseLayers = Optional(root, "first_k_dense_replace") ?? 0,
            MoeLayerFrequency = Optional(root, "moe_layer_freq") ?? 1,
            ScoreCorrectionBias = (String(root, "topk_method") ?? (modelType == "deepseek_v3" ? "noaux_tc" : "greedy")) == "noaux_tc",
        };
    }

    private static Precision ReadPrecision(JsonElement root)
    {
        if (root.TryGetProperty("quantization_config", out var quantization) && quantization.ValueKind == JsonValueKind.Object
            && String(quantization, "quant_method") is string method && method.Equals("fp8", StringComparison.OrdinalIgnoreCase))
            return Precision.Fp8;
        return (String(root, "torch_dtype") ?? String(root, "dtype")) switch
        {
            "float32" => Precision.Fp32,
            "float16" => Precision.Fp16,
            _ => Precision.Bf16,
        };
    }

    private static string? String(JsonElement root, string field) =>
        root.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool? Bool(JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new FormatException($"config.json: '{field}' must be true or false (was {value.GetRawText()})."),
        };
    }

    /// <summary>An optional non-negative integer (null when absent or JSON null).</summary>
    private static int? Optional(JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < 0)
            throw new FormatException($"config.json: '{field}' must be a non-negative integer or null (was {value.GetRawText()}).");
        return number;
    }

    /// <summary>A positive integer; <paramref name="fallback"/> when absent (and a fallback exists).</summary>
    private static int Positive(JsonElement root, string field, int? fallback = null)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return fallback ?? throw new FormatException($"config.json: '{field}' is missing (expected a positive integer).");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number <= 0)
            throw new FormatException($"config.json: '{field}' must be a positive integer (was {value.GetRawText()}).");
        return number;
    }

    private static List<(ModelArchitecture, DecoderShape)> Build()
    {
        const string LlmSource = "deepseek-llm-7b config dump (reference §1a); MHA and 4096 context: DeepSeek-LLM README";
        var llm7 = Llama("llama", 4096, 11008, 30, 32, 32, 128, 102400, 4096);
        // 67B: 95 layers, 64 heads, 8 KV heads and 4096 context are in the reference (DeepSeek-LLM README, arXiv 2401.02954);
        // intermediate_size 22016 is the HF config.json value (not in the reference); the count, 67.4B, agrees with "67B".
        var llm67 = Llama("llama", 8192, 22016, 95, 64, 8, 128, 102400, 4096);
        var v2Lite = DeepSeek("deepseek_v2", hidden: 2048, intermediate: 10944, layers: 27, heads: 16, vocab: 102400, maxPositions: 163840,
            qLoraRank: null, routed: 64, shared: 2, topK: 6, moeIntermediate: 1408, firstDense: 1, correctionBias: false);
        // V2 full: hidden, layers, heads, q_lora_rank, experts and moe width are in the reference; intermediate_size 12288,
        // 2 shared experts and top-6 are the HF config.json values. The count, 235.7B, agrees with the README's 236B.
        var v2 = DeepSeek("deepseek_v2", hidden: 5120, intermediate: 12288, layers: 60, heads: 128, vocab: 102400, maxPositions: 163840,
            qLoraRank: 1536, routed: 160, shared: 2, topK: 6, moeIntermediate: 1536, firstDense: 1, correctionBias: false);
        var v3 = DeepSeek("deepseek_v3", hidden: 7168, intermediate: 18432, layers: 61, heads: 128, vocab: 129280, maxPositions: 163840,
            qLoraRank: 1536, routed: 256, shared: 1, topK: 8, moeIntermediate: 2048, firstDense: 3, correctionBias: true);
        // R1-Distill bases: Qwen2.5-Math-1.5B/7B, Qwen2.5-14B/32B (qkv biases, untied), Llama-3.1-8B, Llama-3.3-70B (untied).
        var q15 = Llama("qwen2", 1536, 8960, 28, 12, 2, 128, 151936, 131072);
        var q7 = Llama("qwen2", 3584, 18944, 28, 28, 4, 128, 152064, 131072);
        var q14 = Llama("qwen2", 5120, 13824, 48, 40, 8, 128, 152064, 131072);
        var q32 = Llama("qwen2", 5120, 27648, 64, 40, 8, 128, 152064, 131072);
        var l8 = Llama("llama", 4096, 14336, 32, 32, 8, 128, 128256, 131072);
        var l70 = Llama("llama", 8192, 28672, 80, 64, 8, 128, 128256, 131072);

        const string HfRecalled = "the HF config.json values of the base model (not in the project reference; checked only against the README's rounded size)";
        return
        [
            (llm7.ToArchitecture("deepseek-llm-7b", "DeepSeek-LLM 7B", 4096, Precision.Bf16, LlmSource), llm7),
            (llm67.ToArchitecture("deepseek-llm-67b", "DeepSeek-LLM 67B", 4096, Precision.Bf16,
                "DeepSeek-LLM README and arXiv 2401.02954 (95 layers, d 8192, 64 heads, 8 KV heads, 4096 context); intermediate_size 22016 from the HF config.json (not in the reference)"), llm67),
            (v2Lite.ToArchitecture("deepseek-v2-lite", "DeepSeek-V2-Lite", 32768, Precision.Bf16,
                "DeepSeek-V2-Lite config.json dumps (reference §1b); 32K context: README (max_position_embeddings 163840)"), v2Lite),
            (v2.ToArchitecture("deepseek-v2", "DeepSeek-V2", 131072, Precision.Bf16,
                "DeepSeek-V2 README and reference §1b (hidden 5120, 60 layers, 128 heads, q_lora 1536, 160 experts, moe width 1536); intermediate_size 12288, 2 shared experts, top-6 from the HF config.json; 128K context: README"), v2),
            (v3.ToArchitecture("deepseek-v3", "DeepSeek-V3 / R1", 131072, Precision.Fp8,
                "DeepSeek-V3/R1 config.json (reference §1c); the 14B MTP module is not counted (inference ignores it); weights ship as FP8 (128×128 blocks); 128K context: README"), v3),
            (q15.ToArchitecture("r1-distill-qwen-1.5b", "DeepSeek-R1-Distill-Qwen-1.5B", 131072, Precision.Bf16,
                "R1-Distill-Qwen-1.5B config.json (reference §1d)"), q15),
            (q7.ToArchitecture("r1-distill-qwen-7b", "DeepSeek-R1-Distill-Qwen-7B", 131072, Precision.Bf16,
                "28 layers, 4 KV heads, head_dim 128, 131072 positions: reference §1; hidden 3584, intermediate 18944, vocab 152064: " + HfRecalled), q7),
            (q14.ToArchitecture("r1-distill-qwen-14b", "DeepSeek-R1-Distill-Qwen-14B", 131072, Precision.Bf16,
                "Qwen2.5-14B shape: " + HfRecalled + " (R1 README: 14.8B)"), q14),
            (q32.ToArchitecture("r1-distill-qwen-32b", "DeepSeek-R1-Distill-Qwen-32B", 131072, Precision.Bf16,
                "Qwen2.5-32B shape: " + HfRecalled + " (R1 README: 32.8B)"), q32),
            (l8.ToArchitecture("r1-distill-llama-8b", "DeepSeek-R1-Distill-Llama-8B", 131072, Precision.Bf16,
                "Llama-3.1-8B shape: " + HfRecalled + " (R1 README: 8B)"), l8),
            (l70.ToArchitecture("r1-distill-llama-70b", "DeepSeek-R1-Distill-Llama-70B", 131072, Precision.Bf16,
                "Llama-3.3-70B shape: " + HfRecalled + " (R1 README: 71B)"), l70),
        ];
    }

    private static DecoderShape Llama(string type, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim, int vocab, int maxPositions) => new()
    {
        ModelType = type, Hidden = hidden, Intermediate = intermediate, Layers = layers, Heads = heads, KvHeads = kvHeads,
        HeadDim = headDim, Vocab = vocab, MaxPositions = maxPositions, QkvBias = type == "qwen2",
    };

    private static DecoderShape DeepSeek(string type, int hidden, int intermediate, int layers, int heads, int vocab, int maxPositions,
        int? qLoraRank, int routed, int shared, int topK, int moeIntermediate, int firstDense, bool correctionBias) => new()
    {
        ModelType = type, Hidden = hidden, Intermediate = intermediate, Layers = layers, Heads = heads, KvHeads = heads,
        HeadDim = 128, Vocab = vocab, MaxPositions = maxPositions, QLoraRank = qLoraRank, KvLoraRank = 512,
        QkNopeHeadDim = 128, QkRopeHeadDim = 64, VHeadDim = 128, RoutedExperts = routed, SharedExperts = shared,
        ExpertsPerToken = topK, MoeIntermediate = moeIntermediate, FirstDenseLayers = firstDense, ScoreCorrectionBias = correctionBias,
    };

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
