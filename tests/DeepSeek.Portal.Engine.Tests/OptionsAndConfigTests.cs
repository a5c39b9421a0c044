using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Engine.Tests;

public class OptionsAndConfigTests
{
    [Fact]
    public void Default_options_are_valid_with_an_effective_batch_of_32()
    {
        var options = new TrainingOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(32, options.EffectiveBatchSize);
        Assert.Equal(["fp32", "bf16", "fp16"], TrainingPrecisions.All.Select(p => p.Name()));
    }

    [Fact]
    public void Validate_rejects_zero_batch_negative_learning_rate_and_unknown_precision_naming_each_field()
    {
        var errors = new TrainingOptions { MicroBatchSize = 0, LearningRate = -0.1, Precision = (TrainingPrecision)7 }.Validate();
        Assert.Equal(
            [nameof(TrainingOptions.LearningRate), nameof(TrainingOptions.MicroBatchSize), nameof(TrainingOptions.Precision)],
            errors.Keys.Order());
        Assert.Contains("MicroBatchSize", Assert.Single(errors[nameof(TrainingOptions.MicroBatchSize)]));
        Assert.Contains("LearningRate", Assert.Single(errors[nameof(TrainingOptions.LearningRate)]));
        Assert.Contains("fp32, bf16", Assert.Single(errors[nameof(TrainingOptions.Precision)]));
    }

    [Theory]
    [InlineData(nameof(TrainingOptions.GradientAccumulationSteps))]
    [InlineData(nameof(TrainingOptions.Steps))]
    [InlineData(nameof(TrainingOptions.WarmupSteps))]
    [InlineData(nameof(TrainingOptions.SequenceLength))]
    [InlineData(nameof(TrainingOptions.MaxGradNorm))]
    [InlineData(nameof(TrainingOptions.LearningRate))]
    public void Validate_rejects_out_of_range_values(string field)
    {
        var options = field switch
        {
            nameof(TrainingOptions.GradientAccumulationSteps) => new TrainingOptions { GradientAccumulationSteps = 0 },
            nameof(TrainingOptions.Steps) => new TrainingOptions { Steps = 100_001, WarmupSteps = 0 },
            nameof(TrainingOptions.WarmupSteps) => new TrainingOptions { Steps = 10, WarmupSteps = 11 },
            nameof(TrainingOptions.SequenceLength) => new TrainingOptions { SequenceLength = 4 },
            nameof(TrainingOptions.MaxGradNorm) => new TrainingOptions { MaxGradNorm = 0 },
            _ => new TrainingOptions { LearningRate = 1.5 },
        };
        Assert.Equal([field], options.Validate().Keys);
    }

    [Fact]
    public void RunAsync_refuses_invalid_options_before_starting()
    {
        var request = new TrainingRequest(new TrainingOptions { MicroBatchSize = 0 }, ["text"], [], Path.GetTempPath());
        // Thrown synchronously, not through the returned task.
        var e = Assert.Throws<ArgumentException>(() => { _ = Trainer.RunAsync(request, _ => { }, CancellationToken.None); });
        Assert.Contains("MicroBatchSize", e.Message);
    }

    [Fact]
    public void Learning_rate_warms_up_linearly_then_decays_to_a_tenth()
    {
        var options = new TrainingOptions { LearningRate = 1e-3, Steps = 100, WarmupSteps = 10 };
        Assert.Equal(1e-4, LearningRateSchedule.At(1, options), 12);
        Assert.Equal(1e-3, LearningRateSchedule.At(10, options), 12);
        Assert.Equal(1e-4, LearningRateSchedule.At(100, options), 12);
        Assert.Equal(0.55e-3, LearningRateSchedule.At(55, options), 12);

        // Linear decay: a straight line from the peak at step 10 to a tenth at step 100; cosine lies above it before
        // the middle and below it after.
        var linear = options with { LearningRateDecay = LearningRateDecay.Linear };
        Assert.Equal(1e-3, LearningRateSchedule.At(10, linear), 12);
        Assert.Equal(1e-3 - 0.9e-3 * 20 / 90, LearningRateSchedule.At(30, linear), 12);
        Assert.Equal(0.55e-3, LearningRateSchedule.At(55, linear), 12);
        Assert.Equal(1e-4, LearningRateSchedule.At(100, linear), 12);
        Assert.True(LearningRateSchedule.At(30, options) > LearningRateSchedule.At(30, linear));
        Assert.True(LearningRateSchedule.At(80, options) < LearningRateSchedule.At(80, linear));
        Assert.Contains(nameof(TrainingOptions.LearningRateDecay), (options with { LearningRateDecay = (LearningRateDecay)7 }).Validate().Keys);
    }

    [Fact]
    public void Progress_reports_percent_and_eta_from_the_pace_so_far()
    {
        var progress = new TrainingProgress(25, 100, 2.0, 1e-3, 1000, 0.5, TimeSpan.FromSeconds(10));
        Assert.Equal(25.0, progress.Percent);
        Assert.Equal(TimeSpan.FromSeconds(30), progress.Eta);
        Assert.Null((progress with { Step = 0 }).Eta);
    }

    [Fact]
    public void Config_round_trips_through_hugging_face_config_json()
    {
        var config = TestModels.TwoLayer(qLoraRank: 24);
        var json = config.ToJson(bosTokenId: 0, eosTokenId: 1);
        Assert.Contains("\"model_type\": \"deepseek_v2\"", json);
        Assert.Contains("\"DeepseekV2ForCausalLM\"", json);
        Assert.Contains("\"kv_lora_rank\": 16", json);
        Assert.Contains("\"q_lora_rank\": 24", json);
        Assert.Contains("\"n_routed_experts\": 4", json);
        Assert.Contains("\"first_k_dense_replace\": 1", json);
        Assert.Equal(config, DeepSeekConfig.FromJson(json));
    }

    [Fact]
    public void Config_reader_accepts_a_v2_lite_style_file_and_refuses_unsupported_variants()
    {
        const string lite = """
            {"architectures":["DeepseekV2ForCausalLM"],"model_type":"deepseek_v2","vocab_size":102400,"hidden_size":2048,
             "intermediate_size":10944,"num_hidden_layers":27,"num_attention_heads":16,"num_key_value_heads":16,"q_lora_rank":null,
             "kv_lora_rank":512,"qk_nope_head_dim":128,"qk_rope_head_dim":64,"v_head_dim":128,"n_routed_experts":64,
             "n_shared_experts":2,"num_experts_per_tok":6,"moe_intermediate_size":1408,"first_k_dense_replace":1,
             "rms_norm_eps":1e-6,"rope_theta":10000,"max_position_embeddings":163840,"routed_scaling_factor":1.0,
             "norm_topk_prob":false,"aux_loss_alpha":0.001,"topk_method":"greedy","scoring_func":"softmax","n_group":1,"topk_group":1}
            """;
        var config = DeepSeekConfig.FromJson(lite);
        Assert.Null(config.QLoraRank);
        Assert.Equal(192, config.QkHeadDim);
        Assert.Empty(config.Validate());

        var yarn = lite.Replace("\"rope_theta\":10000", "\"rope_theta\":10000,\"rope_scaling\":{\"type\":\"yarn\",\"factor\":40}");
        Assert.Equal(40, DeepSeekConfig.FromJson(yarn).RopeScaling!.Factor);
        var dynamic = lite.Replace("\"rope_theta\":10000", "\"rope_theta\":10000,\"rope_scaling\":{\"type\":\"dynamic\",\"factor\":4}");
        Assert.Contains("rope_scaling", Assert.Throws<NotSupportedException>(() => DeepSeekConfig.FromJson(dynamic)).Message);
        // A V3 file keeps V2's greedy softmax router here, which V3's own code does not have.
        var v3 = lite.Replace("\"deepseek_v2\"", "\"deepseek_v3\"");
        Assert.Contains("topk_method", Assert.Throws<NotSupportedException>(() => DeepSeekConfig.FromJson(v3)).Message);
        var llama = lite.Replace("\"deepseek_v2\"", "\"llama\"");
        Assert.Contains("llama", Assert.Throws<NotSupportedException>(() => DeepSeekConfig.FromJson(llama)).Message);
    }

    [Fact]
    public void Config_validation_names_inconsistent_fields()
    {
        var errors = (TestModels.TwoLayer() with { NumExpertsPerTok = 5, QkRopeHeadDim = 7 }).Validate();
        Assert.Contains(nameof(DeepSeekConfig.NumExpertsPerTok), errors.Keys);
        Assert.Contains(nameof(DeepSeekConfig.QkRopeHeadDim), errors.Keys);
        Assert.Throws<ArgumentException>(() => new DeepSeekForCausalLM(TestModels.TwoLayer() with { NumExpertsPerTok = 5 }));
    }

    [Fact]
    public void Tiny_config_is_valid_and_has_dense_first_layer_then_moe()
    {
        var tiny = DeepSeekConfig.Tiny(2048);
        Assert.Empty(tiny.Validate());
        Assert.False(tiny.IsMoeLayer(0));
        Assert.True(tiny.IsMoeLayer(1));
    }

    [Fact]
    public void Active_matrix_parameters_equal_the_model_matrices_when_every_expert_is_active()
    {
        var config = TestModels.TwoLayer(qLoraRank: 8) with { NumExpertsPerTok = 4 };
        using var model = new DeepSeekForCausalLM(config);
        long matrices = model.named_parameters()
            .Where(p => p.parameter.dim() == 2 && p.name != "model.embed_tokens.weight")
            .Sum(p => p.parameter.numel());
        Assert.Equal(matrices, ModelFlops.ActiveMatrixParameters(config));
        double attention = 6.0 * config.NumHiddenLayers * config.NumAttentionHeads * 64 * (config.QkHeadDim + config.VHeadDim);
        Assert.Equal(6.0 * matrices + attention, ModelFlops.TrainingFlopsPerToken(config, 64));
    }
}
