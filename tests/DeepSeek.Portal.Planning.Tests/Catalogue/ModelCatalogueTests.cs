using DeepSeek.Portal.Planning.Catalogue;

namespace DeepSeek.Portal.Planning.Tests.Catalogue;

public class ModelCatalogueTests
{
    [Fact]
    public void Catalogue_has_the_eleven_models_with_unique_ids()
    {
        Assert.Equal(11, ModelCatalogue.All.Count);
        Assert.Equal(ModelCatalogue.All.Count, ModelCatalogue.All.Select(m => m.Id).Distinct().Count());
        Assert.Equal("DeepSeek-V3 / R1", ModelCatalogue.Find("DEEPSEEK-V3")!.Name);
        Assert.Equal(Precision.Fp8, ModelCatalogue.Find("deepseek-v3")!.NativePrecision);
    }

    [Fact]
    public void DeepSeek_llm_7b_count_is_exact()
    {
        // embed + head 2 × 102400 × 4096 = 838,860,800; final norm 4096;
        // per layer: norms 2 × 4096 + q,k,v,o 4 × 4096² (67,108,864) + SwiGLU 3 × 4096 × 11008 (135,266,304) = 202,383,360; × 30 = 6,071,500,800.
        var m = ModelCatalogue.Find("deepseek-llm-7b")!;
        Assert.Equal(6_910_365_696L, m.TotalParameters);
        Assert.Equal(m.TotalParameters, m.ActiveParameters);
        Assert.Equal(AttentionKind.Mha, m.Attention);
        Assert.False(m.ParametersApproximate);
    }

    [Theory]
    // Published sizes (rounded) the exact counts must round to.
    [InlineData("deepseek-llm-67b", 67.4e9, AttentionKind.Gqa)]
    [InlineData("deepseek-v2-lite", 15.7e9, AttentionKind.Mla)]
    [InlineData("deepseek-v2", 235.7e9, AttentionKind.Mla)]
    [InlineData("deepseek-v3", 671.0e9, AttentionKind.Mla)]
    [InlineData("r1-distill-qwen-1.5b", 1.78e9, AttentionKind.Gqa)]
    [InlineData("r1-distill-qwen-7b", 7.62e9, AttentionKind.Gqa)]
    [InlineData("r1-distill-qwen-14b", 14.77e9, AttentionKind.Gqa)]
    [InlineData("r1-distill-qwen-32b", 32.76e9, AttentionKind.Gqa)]
    [InlineData("r1-distill-llama-8b", 8.03e9, AttentionKind.Gqa)]
    [InlineData("r1-distill-llama-70b", 70.55e9, AttentionKind.Gqa)]
    public void Counts_agree_with_the_published_sizes(string id, double published, AttentionKind attention)
    {
        var m = ModelCatalogue.Find(id)!;
        Assert.InRange(m.TotalParameters, published * 0.998, published * 1.002);
        Assert.Equal(attention, m.Attention);
    }

    [Fact]
    public void MoE_active_parameters_leave_out_only_the_unchosen_routed_experts()
    {
        // V3: 58 MoE layers × (256 − 8) unchosen experts × 3 × 7168 × 2048 = 633,474,121,728 parameters not used per token.
        var v3 = ModelCatalogue.Find("deepseek-v3")!;
        Assert.Equal(671_026_419_200L, v3.TotalParameters);
        Assert.Equal(v3.TotalParameters - 58L * 248 * 3 * 7168 * 2048, v3.ActiveParameters);
        Assert.True(v3.IsMixtureOfExperts);
        // V2: 21.4B active of 235.7B (README: 21B of 236B).
        Assert.Equal(21_375_800_320L, ModelCatalogue.Find("deepseek-v2")!.ActiveParameters);
        Assert.False(ModelCatalogue.Find("r1-distill-qwen-7b")!.IsMixtureOfExperts);
    }

    // A V2-Lite config.json as the reference (§1b) gives it, with fields the reader ignores.
    private const string V2LiteConfig = """
        {"architectures":["DeepseekV2ForCausalLM"],"model_type":"deepseek_v2","hidden_size":2048,"intermediate_size":10944,
         "num_hidden_layers":27,"num_attention_heads":16,"num_key_value_heads":16,"vocab_size":102400,"max_position_embeddings":163840,
         "rms_norm_eps":1e-6,"q_lora_rank":null,"kv_lora_rank":512,"qk_nope_head_dim":128,"qk_rope_head_dim":64,"v_head_dim":128,
         "n_routed_experts":64,"n_shared_experts":2,"num_experts_per_tok":6,"moe_intermediate_size":1408,"first_k_dense_replace":1,
         "moe_layer_freq":1,"topk_method":"greedy","tie_word_embeddings":false,"torch_dtype":"bfloat16",
         "rope_scaling":{"type":"yarn","factor":40,"original_max_position_embeddings":4096}}
        """;

    // R1-Distill-Qwen-1.5B's config.json (reference §1d).
    private const string QwenConfig = """
        {"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","hidden_size":1536,"intermediate_size":8960,"num_hidden_layers":28,
         "num_attention_heads":12,"num_key_value_heads":2,"vocab_size":151936,"max_position_embeddings":131072,"rope_theta":10000,
         "tie_word_embeddings":false,"sliding_window":4096,"use_sliding_window":false,"torch_dtype":"bfloat16"}
        """;

    [Fact]
    public void FromConfigJson_reads_a_V2_Lite_config_to_the_catalogue_count()
    {
        var read = ModelCatalogue.FromConfigJson("registered:1", "V2-Lite folder", V2LiteConfig);
        var catalogue = ModelCatalogue.Find("deepseek-v2-lite")!;
        Assert.Equal(catalogue.TotalParameters, read.TotalParameters);
        Assert.Equal(catalogue.ActiveParameters, read.ActiveParameters);
        Assert.Equal(15_706_484_224L, read.TotalParameters);
        Assert.Equal(AttentionKind.Mla, read.Attention);
        Assert.Equal(512, read.KvLoraRank);
        Assert.Equal(64, read.QkRopeHeadDim);
        Assert.Equal(163840, read.MaxContext);
        Assert.Equal("deepseek_v2", read.ModelType);
        Assert.Equal("registered:1", read.Id);
    }

    [Fact]
    public void FromConfigJson_reads_a_qwen2_config_with_its_qkv_biases()
    {
        var read = ModelCatalogue.FromConfigJson("registered:2", "Qwen", QwenConfig);
        var catalogue = ModelCatalogue.Find("r1-distill-qwen-1.5b")!;
        Assert.Equal(catalogue.TotalParameters, read.TotalParameters);
        Assert.Equal(1_777_088_000L, read.TotalParameters);
        Assert.Equal(2, read.KeyValueHeads);
        Assert.Equal(128, read.HeadDim);
        // Tying the head removes 151936 × 1536 parameters.
        var tied = ModelCatalogue.FromConfigJson("t", "t", QwenConfig.Replace("\"tie_word_embeddings\":false", "\"tie_word_embeddings\":true"));
        Assert.Equal(read.TotalParameters - 151936L * 1536, tied.TotalParameters);
    }

    [Fact]
    public void FromConfigJson_reads_fp8_quantisation_as_the_native_precision()
    {
        var json = V2LiteConfig.Replace("\"model_type\":\"deepseek_v2\"", "\"model_type\":\"deepseek_v3\"")
            .Replace("\"torch_dtype\":\"bfloat16\"", "\"quantization_config\":{\"quant_method\":\"fp8\",\"weight_block_size\":[128,128]}");
        var read = ModelCatalogue.FromConfigJson("x", "x", json);
        Assert.Equal(Precision.Fp8, read.NativePrecision);
        // topk_method greedy stays greedy: no correction bias.
        Assert.Equal(ModelCatalogue.Find("deepseek-v2-lite")!.TotalParameters, read.TotalParameters);
    }

    [Theory]
    [InlineData("\"hidden_size\":2048,", "", "'hidden_size' is missing")]
    [InlineData("\"hidden_size\":2048", "\"hidden_size\":-3", "'hidden_size' must be a positive integer (was -3)")]
    [InlineData("\"kv_lora_rank\":512,", "", "'kv_lora_rank' is missing")]
    [InlineData("\"model_type\":\"deepseek_v2\"", "\"model_type\":\"gpt2\"", "'model_type' is 'gpt2'")]
    [InlineData("\"num_key_value_heads\":16", "\"num_key_value_heads\":5", "'num_key_value_heads' must divide")]
    [InlineData("\"tie_word_embeddings\":false", "\"tie_word_embeddings\":\"no\"", "'tie_word_embeddings' must be true or false")]
    [InlineData("\"vocab_size\":102400", "\"vocab_size\":\"big\"", "'vocab_size' must be a positive integer")]
    public void FromConfigJson_names_the_bad_field(string from, string to, string message)
    {
        var e = Assert.Throws<FormatException>(() => ModelCatalogue.FromConfigJson("x", "x", V2LiteConfig.Replace(from, to)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void FromConfigJson_refuses_what_is_not_a_json_object()
    {
        Assert.Contains("not valid JSON", Assert.Throws<FormatException>(() => ModelCatalogue.FromConfigJson("x", "x", "{")).Message);
        Assert.Contains("JSON object", Assert.Throws<FormatException>(() => ModelCatalogue.FromConfigJson("x", "x", "[]")).Message);
        Assert.Contains("'model_type' is missing", Assert.Throws<FormatException>(() => ModelCatalogue.FromConfigJson("x", "x", "{}")).Message);
    }
}
