using DeepSeek.Portal.Engine.Models;

namespace DeepSeek.Portal.Engine.Tests;

/// <summary>config.json of each family, YaRN and the softmax scale, pinned by the values of the reference notes.</summary>
public class ModelConfigTests
{
    internal const string V2Lite = """
        {"architectures":["DeepseekV2ForCausalLM"],"model_type":"deepseek_v2","vocab_size":102400,"hidden_size":2048,
         "intermediate_size":10944,"num_hidden_layers":27,"num_attention_heads":16,"num_key_value_heads":16,"q_lora_rank":null,
         "kv_lora_rank":512,"qk_nope_head_dim":128,"qk_rope_head_dim":64,"v_head_dim":128,"n_routed_experts":64,
         "n_shared_experts":2,"num_experts_per_tok":6,"moe_intermediate_size":1408,"first_k_dense_replace":1,"moe_layer_freq":1,
         "rms_norm_eps":1e-6,"rope_theta":10000,"max_position_embeddings":163840,"routed_scaling_factor":1.0,
         "norm_topk_prob":false,"aux_loss_alpha":0.001,"seq_aux":true,"topk_method":"greedy","scoring_func":"softmax","n_group":1,"topk_group":1,
         "hidden_act":"silu","attention_bias":false,"attention_dropout":0.0,"tie_word_embeddings":false,"bos_token_id":100000,"eos_token_id":100001,
         "torch_dtype":"bfloat16","transformers_version":"4.39.3","use_cache":true,"ep_size":1,"pretraining_tp":1,"initializer_range":0.02,
         "rope_scaling":{"type":"yarn","factor":40,"original_max_position_embeddings":4096,"beta_fast":32,"beta_slow":1,"mscale":0.707,"mscale_all_dim":0.707}}
        """;

    internal const string V3 = """
        {"architectures":["DeepseekV3ForCausalLM"],"model_type":"deepseek_v3","vocab_size":129280,"hidden_size":7168,
         "intermediate_size":18432,"moe_intermediate_size":2048,"num_hidden_layers":61,"num_attention_heads":128,"num_key_value_heads":128,
         "q_lora_rank":1536,"kv_lora_rank":512,"qk_nope_head_dim":128,"qk_rope_head_dim":64,"v_head_dim":128,"n_routed_experts":256,
         "n_shared_experts":1,"num_experts_per_tok":8,"n_group":8,"topk_group":4,"first_k_dense_replace":3,"moe_layer_freq":1,
         "routed_scaling_factor":2.5,"norm_topk_prob":true,"scoring_func":"sigmoid","topk_method":"noaux_tc","num_nextn_predict_layers":1,
         "max_position_embeddings":163840,"rms_norm_eps":1e-6,"rope_theta":10000,"bos_token_id":0,"eos_token_id":1,"aux_loss_alpha":0.001,
         "seq_aux":true,"hidden_act":"silu","tie_word_embeddings":false,"attention_bias":false,
         "rope_scaling":{"type":"yarn","factor":40,"original_max_position_embeddings":4096,"beta_fast":32,"beta_slow":1,"mscale":1.0,"mscale_all_dim":1.0}}
        """;

    internal const string DeepSeekLlm7B = """
        {"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":4096,"intermediate_size":11008,"num_hidden_layers":30,
         "num_attention_heads":32,"num_key_value_heads":32,"vocab_size":102400,"max_position_embeddings":4096,"rms_norm_eps":1e-6,
         "rope_theta":10000.0,"rope_scaling":null,"attention_bias":false,"attention_dropout":0.0,"mlp_bias":false,"tie_word_embeddings":false,
         "bos_token_id":100000,"eos_token_id":100001,"hidden_act":"silu","pretraining_tp":1,"torch_dtype":"bfloat16","use_cache":true}
        """;

    internal const string R1DistillQwen = """
        {"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","hidden_size":1536,"intermediate_size":8960,"num_hidden_layers":28,
         "num_attention_heads":12,"num_key_value_heads":2,"vocab_size":151936,"max_position_embeddings":131072,"rope_theta":10000,
         "rms_norm_eps":1e-6,"tie_word_embeddings":false,"sliding_window":4096,"use_sliding_window":false,"max_window_layers":21,
         "bos_token_id":151643,"eos_token_id":151643,"hidden_act":"silu","attention_dropout":0.0,"torch_dtype":"bfloat16","use_mrope":false}
        """;

    [Fact]
    public void V2_lite_config_with_yarn_parses_and_its_softmax_scale_is_the_reference_value()
    {
        var config = Assert.IsType<DeepSeekConfig>(ModelConfig.FromJson(V2Lite));
        Assert.Equal(ModelFamily.DeepSeekV2, config.Family);
        Assert.Empty(config.Validate());
        Assert.Equal(new RopeScaling { Type = "yarn", Factor = 40, OriginalMaxPositionEmbeddings = 4096, BetaFast = 32, BetaSlow = 1, Mscale = 0.707, MscaleAllDim = 0.707 },
            config.RopeScaling);
        // 192^-0.5 · (0.1 · 0.707 · ln 40 + 1)² = 0.0721688 · 1.5896262
        Assert.Equal(0.11472139, config.SoftmaxScale, 1e-8);
        Assert.Equal(1.0, config.RopeScaling!.CosSinFactor, 12);
        Assert.Equal(1.5896262, config.RopeScaling.SoftmaxScaleFactor, 1e-7);
        Assert.Null(config.QLoraRank);
        Assert.Equal("greedy", config.TopkMethod);
    }

    [Fact]
    public void V3_config_parses_with_noaux_routing_and_its_softmax_scale_is_the_reference_value()
    {
        var config = Assert.IsType<DeepSeekConfig>(ModelConfig.FromJson(V3));
        Assert.Equal(ModelFamily.DeepSeekV3, config.Family);
        Assert.Empty(config.Validate());
        Assert.Equal(0.13523378, config.SoftmaxScale, 1e-8);
        Assert.Equal(1.8738542, config.RopeScaling!.SoftmaxScaleFactor, 1e-7);
        Assert.Equal(1.0, config.RopeScaling.CosSinFactor, 12);
        Assert.Equal(("noaux_tc", "sigmoid", 8, 4, 2.5, true), (config.TopkMethod, config.ScoringFunc, config.NGroup, config.TopkGroup, config.RoutedScalingFactor, config.NormTopkProb));
        Assert.Equal(1536, config.QLoraRank);
        Assert.False(config.IsMoeLayer(2));
        Assert.True(config.IsMoeLayer(3));
    }

    [Fact]
    public void Yarn_inverse_frequencies_of_v2_lite_follow_the_reference_ramp_between_dims_10_and_23()
    {
        var config = DeepSeekConfig.FromJson(V2Lite);
        var rotary = new RotaryEmbedding(config.QkRopeHeadDim, config.RopeTheta, config.RopeScaling);
        var actual = rotary.InverseFrequencies;

        // Written out from the reference: cd(r) = 64·ln(4096/(2πr))/(2 ln 10000); low = floor(cd(32)), high = ceil(cd(1)).
        double Cd(double r) => 64 * Math.Log(4096 / (2 * Math.PI * r)) / (2 * Math.Log(10000));
        Assert.Equal(10, Math.Floor(Cd(32)));
        Assert.Equal(23, Math.Ceiling(Cd(1)));
        for (int i = 0; i < 32; i++)
        {
            double freqExtra = 1 / Math.Pow(10000, 2.0 * i / 64);
            double freqInter = freqExtra / 40;
            double ramp = Math.Clamp((i - 10) / 13.0, 0, 1);
            double mask = 1 - ramp;
            double expected = freqInter * (1 - mask) + freqExtra * mask;
            Assert.Equal(expected, actual[i], expected * 1e-12);
        }
        // Below low the original frequency is kept; above high it is divided by the factor.
        Assert.Equal(1.0, actual[0], 12);
        Assert.Equal(Math.Pow(10000, -20.0 / 64), actual[10], 1e-15);
        Assert.Equal(Math.Pow(10000, -46.0 / 64) / 40, actual[23], 1e-15);
        Assert.Equal(Math.Pow(10000, -62.0 / 64) / 40, actual[31], 1e-15);
        Assert.Equal(ReferenceAttentionTests.YarnInverseFrequencies(64, 10000, config.RopeScaling), actual);
    }

    [Fact]
    public void Linear_rope_scaling_divides_every_frequency_and_plain_rope_keeps_theta_powers()
    {
        var plain = new RotaryEmbedding(8, 500000).InverseFrequencies;
        double[] expected = [1.0, Math.Pow(500000, -0.25), Math.Pow(500000, -0.5), Math.Pow(500000, -0.75)];
        var linear = new RotaryEmbedding(8, 500000, new RopeScaling { Type = RopeScaling.Linear, Factor = 4 }).InverseFrequencies;
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i], plain[i], expected[i] * 1e-12);
            Assert.Equal(expected[i] / 4, linear[i], expected[i] * 1e-12);
        }
    }

    [Fact]
    public void Llama_and_qwen2_configs_parse_into_the_llama_family_with_their_bias_rules()
    {
        var llama = Assert.IsType<LlamaConfig>(ModelConfig.FromJson(DeepSeekLlm7B));
        Assert.Equal(ModelFamily.Llama, llama.Family);
        Assert.Empty(llama.Validate());
        Assert.Equal((32, 128, false, false, false), (llama.KeyValueHeads, llama.ResolvedHeadDim, llama.QkvBias, llama.OutputBias, llama.TieWordEmbeddings));
        Assert.Null(llama.RopeScaling);

        var qwen = Assert.IsType<LlamaConfig>(ModelConfig.FromJson(R1DistillQwen));
        Assert.Equal(ModelFamily.Qwen2, qwen.Family);
        Assert.Empty(qwen.Validate());
        Assert.Equal((2, 128, true, false), (qwen.KeyValueHeads, qwen.ResolvedHeadDim, qwen.QkvBias, qwen.OutputBias));
        Assert.Equal(Math.Pow(128, -0.5), qwen.SoftmaxScale, 15);
    }

    [Fact]
    public void Family_comes_from_architectures_when_model_type_is_missing()
    {
        var json = DeepSeekLlm7B.Replace("\"model_type\":\"llama\",", "");
        Assert.Equal(ModelFamily.Llama, ModelConfig.FromJson(json).Family);
        var qwen = R1DistillQwen.Replace("\"model_type\":\"qwen2\",", "");
        Assert.Equal(ModelFamily.Qwen2, ModelConfig.FromJson(qwen).Family);
    }

    [Theory]
    [InlineData("llama", "\"rope_scaling\":null", "\"rope_scaling\":{\"type\":\"dynamic\",\"factor\":2.0}", "rope_scaling", "dynamic")]
    [InlineData("llama", "\"rope_scaling\":null", "\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0}", "rope_scaling", "llama3")]
    [InlineData("llama", "\"rope_scaling\":null", "\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4.0}", "rope_scaling", "yarn")]
    [InlineData("llama", "\"mlp_bias\":false", "\"mlp_bias\":true", "mlp_bias", "true")]
    [InlineData("llama", "\"hidden_act\":\"silu\"", "\"hidden_act\":\"gelu\"", "hidden_act", "gelu")]
    [InlineData("llama", "\"model_type\":\"llama\"", "\"model_type\":\"mistral\"", "model_type", "mistral")]
    [InlineData("qwen2", "\"use_sliding_window\":false", "\"use_sliding_window\":true", "use_sliding_window", "true")]
    [InlineData("v2", "\"topk_method\":\"greedy\"", "\"topk_method\":\"noaux_tc\"", "topk_method", "noaux_tc")]
    [InlineData("v2", "\"scoring_func\":\"softmax\"", "\"scoring_func\":\"sigmoid\"", "scoring_func", "sigmoid")]
    [InlineData("v2", "\"type\":\"yarn\"", "\"type\":\"dynamic\"", "rope_scaling", "dynamic")]
    [InlineData("v2", "\"tie_word_embeddings\":false", "\"tie_word_embeddings\":true", "tie_word_embeddings", "true")]
    [InlineData("v2", "\"attention_bias\":false", "\"attention_bias\":true", "attention_bias", "true")]
    [InlineData("v3", "\"scoring_func\":\"sigmoid\"", "\"scoring_func\":\"softmax\"", "scoring_func", "softmax")]
    [InlineData("v3", "\"topk_method\":\"noaux_tc\"", "\"topk_method\":\"greedy\"", "topk_method", "greedy")]
    [InlineData("v3", "\"attention_bias\":false", "\"attention_bias\":false,\"quantization_config\":{\"quant_method\":\"fp8\"}", "quantization_config", "fp8")]
    public void Unsupported_fields_are_refused_with_a_message_naming_the_field(string file, string from, string to, string field, string value)
    {
        string json = file switch { "llama" => DeepSeekLlm7B, "qwen2" => R1DistillQwen, "v2" => V2Lite, _ => V3 };
        Assert.Contains(from, json);
        var e = Assert.Throws<NotSupportedException>(() => ModelConfig.FromJson(json.Replace(from, to)));
        Assert.Contains(field, e.Message);
        Assert.Contains(value, e.Message);
    }

    [Fact]
    public void Every_family_round_trips_through_its_config_json()
    {
        foreach (var json in new[] { V2Lite, V3, DeepSeekLlm7B, R1DistillQwen })
        {
            var config = ModelConfig.FromJson(json);
            var written = config.ToJson(bosTokenId: 1, eosTokenId: 2);
            Assert.Equal(config, ModelConfig.FromJson(written));
        }
        var tied = LlamaConfig.FromJson(DeepSeekLlm7B.Replace("\"tie_word_embeddings\":false", "\"tie_word_embeddings\":true")
            .Replace("\"rope_scaling\":null", "\"rope_scaling\":{\"type\":\"linear\",\"factor\":2.0}"));
        Assert.True(tied.TieWordEmbeddings);
        Assert.Equal(new RopeScaling { Type = RopeScaling.Linear, Factor = 2 }, tied.RopeScaling);
        Assert.Equal(tied, ModelConfig.FromJson(tied.ToJson()));
        Assert.Contains("\"LlamaForCausalLM\"", tied.ToJson());
        Assert.Contains("\"Qwen2ForCausalLM\"", ModelConfig.FromJson(R1DistillQwen).ToJson());
        Assert.Contains("\"DeepseekV3ForCausalLM\"", ModelConfig.FromJson(V3).ToJson());
    }

    [Fact]
    public void Routing_fields_are_checked_against_the_family()
    {
        var v2 = TestModels.TwoLayer() with { TopkMethod = "group_limited_greedy", NGroup = 3 };
        Assert.Contains(nameof(DeepSeekConfig.NGroup), v2.Validate().Keys);
        var v3 = TestModels.TwoLayer() with { ModelType = DeepSeekConfig.V3ModelType };
        Assert.Equal([nameof(DeepSeekConfig.ScoringFunc), nameof(DeepSeekConfig.TopkMethod)], v3.Validate().Keys.Order());
        var freq = TestModels.TwoLayer() with { NumHiddenLayers = 4, FirstKDenseReplace = 1, MoeLayerFreq = 2 };
        Assert.Equal([false, false, true, false], Enumerable.Range(0, 4).Select(freq.IsMoeLayer));
    }
}
