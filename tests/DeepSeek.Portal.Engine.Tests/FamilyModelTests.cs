using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests;

/// <summary>Llama, Qwen2 and DeepSeek-V3 models built from tiny configs: HF names and shapes, forward, training.</summary>
public class FamilyModelTests
{
    public static TheoryData<string> Families => ["deepseek_v2", "deepseek_v3", "llama", "llama_tied", "qwen2"];

    [Fact]
    public void Factory_picks_the_model_class_from_config_json()
    {
        using var llama = CausalLM.FromConfigJson(TestModels.TinyLlama().ToJson());
        using var qwen = CausalLM.FromConfigJson(TestModels.TinyQwen2().ToJson());
        using var v3 = CausalLM.FromConfigJson(TestModels.TinyV3().ToJson());
        Assert.IsType<LlamaForCausalLM>(llama);
        Assert.Equal(ModelFamily.Qwen2, Assert.IsType<LlamaForCausalLM>(qwen).Config.Family);
        Assert.Equal(ModelFamily.DeepSeekV3, Assert.IsType<DeepSeekForCausalLM>(v3).Config.Family);
    }

    [Fact]
    public void Llama_parameters_are_exactly_the_hugging_face_names_and_shapes()
    {
        using var model = TestModels.NewModel(TestModels.TinyLlama());
        var expected = new Dictionary<string, long[]>
        {
            ["model.embed_tokens.weight"] = [61, 32],
            ["model.norm.weight"] = [32],
            ["lm_head.weight"] = [61, 32],
        };
        for (int n = 0; n < 2; n++)
        {
            var p = $"model.layers.{n}.";
            expected[p + "input_layernorm.weight"] = [32];
            expected[p + "self_attn.q_proj.weight"] = [32, 32];  // 4 heads × 8
            expected[p + "self_attn.k_proj.weight"] = [16, 32];  // 2 kv heads × 8
            expected[p + "self_attn.v_proj.weight"] = [16, 32];
            expected[p + "self_attn.o_proj.weight"] = [32, 32];
            expected[p + "post_attention_layernorm.weight"] = [32];
            expected[p + "mlp.gate_proj.weight"] = [48, 32];
            expected[p + "mlp.up_proj.weight"] = [48, 32];
            expected[p + "mlp.down_proj.weight"] = [32, 48];
        }
        var actual = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, shape) in expected) Assert.Equal(shape, actual[name]);
    }

    [Fact]
    public void Qwen2_has_q_k_v_biases_and_no_o_proj_bias_and_tied_llama_has_no_lm_head()
    {
        using var qwen = TestModels.NewModel(TestModels.TinyQwen2());
        var shapes = qwen.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 32 }, shapes["model.layers.0.self_attn.q_proj.bias"]);
        Assert.Equal(new long[] { 8 }, shapes["model.layers.0.self_attn.k_proj.bias"]);
        Assert.Equal(new long[] { 8 }, shapes["model.layers.1.self_attn.v_proj.bias"]);
        Assert.Equal(new long[] { 8, 32 }, shapes["model.layers.1.self_attn.v_proj.weight"]);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", shapes.Keys);
        Assert.DoesNotContain(shapes.Keys, k => k.Contains("mlp") && k.EndsWith(".bias"));
        Assert.Equal(2 * 3 + 2 * 9 + 3, shapes.Count);

        using var biased = TestModels.NewModel(TestModels.TinyLlama() with { AttentionBias = true });
        Assert.Contains("model.layers.0.self_attn.o_proj.bias", biased.named_parameters().Select(p => p.name));

        using var tied = TestModels.NewModel(TestModels.TinyLlama(tie: true));
        Assert.DoesNotContain("lm_head.weight", tied.state_dict().Keys);
        using var _ = no_grad();
        var ids = tensor(new long[] { 3, 7, 11 }).reshape(1, 3);
        var hidden = ((LlamaForCausalLM)tied).Model.call(ids);
        var embedding = ((LlamaForCausalLM)tied).Model.EmbeddingWeight;
        Assert.True(allclose(tied.call(ids), matmul(hidden, embedding.t()), atol: 1e-6));
    }

    [Theory]
    [InlineData("llama", 30, 273)]     // deepseek-llm-7b: embed, norm, lm_head + 9 per layer
    [InlineData("qwen2", 28, 339)]     // R1-Distill-Qwen-1.5B: 3 + 12 × 28 (reference notes)
    public void Tensor_counts_match_the_released_checkpoints(string family, int layers, int tensors)
    {
        var config = TestModels.Family(family) with { NumHiddenLayers = layers, HiddenSize = 8, IntermediateSize = 8, VocabSize = 5 };
        using var model = CausalLM.Create(config);
        Assert.Equal(tensors, model.state_dict().Count);
    }

    [Fact]
    public void V2_lite_layout_has_the_5291_tensors_of_the_released_checkpoint()
    {
        var lite = DeepSeekConfig.FromJson(ModelConfigTests.V2Lite) with
        {
            VocabSize = 5, HiddenSize = 8, IntermediateSize = 8, MoeIntermediateSize = 4, KvLoraRank = 4,
            QkNopeHeadDim = 2, QkRopeHeadDim = 2, VHeadDim = 2, NumAttentionHeads = 2,
        };
        using var model = CausalLM.Create(lite);
        var names = model.state_dict().Keys.ToHashSet();
        Assert.Equal(5291, names.Count);
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", names);
        Assert.Contains("model.layers.26.mlp.experts.63.down_proj.weight", names);
        Assert.Contains("model.layers.26.mlp.shared_experts.up_proj.weight", names);
    }

    [Fact]
    public void V3_layout_has_low_rank_queries_and_the_router_bias()
    {
        using var model = TestModels.NewModel(TestModels.TinyV3());
        var shapes = model.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        Assert.Equal(new long[] { 12, 32 }, shapes["model.layers.0.self_attn.q_a_proj.weight"]);
        Assert.Equal(new long[] { 12 }, shapes["model.layers.0.self_attn.q_a_layernorm.weight"]);
        Assert.Equal(new long[] { 2 * 16, 12 }, shapes["model.layers.0.self_attn.q_b_proj.weight"]);
        Assert.Equal(new long[] { 4 }, shapes["model.layers.1.mlp.gate.e_score_correction_bias"]);
        Assert.Equal(new long[] { 4, 32 }, shapes["model.layers.1.mlp.gate.weight"]);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Forward_returns_fp32_logits_of_batch_seq_vocab(string family)
    {
        using var scope = NewDisposeScope();
        var config = TestModels.Family(family);
        using var model = TestModels.NewModel(config);
        var ids = randint(0, config.VocabSize, [3, 7]);
        var output = model.Forward(ids, ids);
        Assert.Equal(new long[] { 3, 7, config.VocabSize }, output.Logits.shape);
        Assert.Equal(ScalarType.Float32, output.Logits.dtype);
        Assert.True(float.IsFinite(output.Loss!.item<float>()));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void A_few_adamw_steps_on_one_batch_reduce_the_loss(string family)
    {
        using var scope = NewDisposeScope();
        var config = TestModels.Family(family);
        using var model = TestModels.NewModel(config, seed: 3);
        model.train();
        using var generator = new Generator(4);
        var ids = randint(0, config.VocabSize, [2, 12], generator: generator);
        var labels = cat([ids[.., 1..], full(2, 1, CausalLM.IgnoreIndex, dtype: ScalarType.Int64)], 1);
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(trainable, 1e-2);
        double first = 0, last = 0;
        for (int step = 0; step < 25; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var output = model.Forward(ids, labels);
            var total = output.AuxLoss is null ? output.Loss! : output.Loss! + output.AuxLoss;
            total.backward();
            optimizer.step();
            last = output.Loss!.item<float>();
            if (step == 0) first = last;
        }
        Assert.True(last < first * 0.5, $"loss {first} → {last}");
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("deepseek_v3")]
    public void Active_matrix_parameters_equal_the_model_matrices(string family)
    {
        var config = TestModels.Family(family);
        if (config is DeepSeekConfig d) config = d with { NumExpertsPerTok = d.NRoutedExperts, TopkGroup = d.NGroup };
        using var model = CausalLM.Create(config);
        long matrices = model.named_parameters()
            .Where(p => p.parameter.dim() == 2 && p.name != "model.embed_tokens.weight")
            .Sum(p => p.parameter.numel());
        Assert.Equal(matrices, ModelFlops.ActiveMatrixParameters(config));
    }

    [Fact]
    public async Task Trainer_trains_a_qwen2_model_and_writes_a_checkpoint_that_loads_as_qwen2()
    {
        using var dir = new TempDirectory();
        var request = TestModels.QuickRequest(dir.Path, 6, trainTexts: 200) with { Model = TestModels.TinyQwen2(vocabSize: 0) };
        var progress = new List<TrainingProgress>();
        var outcome = await Trainer.RunAsync(request, progress.Add, CancellationToken.None);
        Assert.Equal(6, outcome.StepsCompleted);
        Assert.All(progress, p => Assert.True(double.IsFinite(p.Loss)));
        Assert.Equal(0, progress[^1].AuxLoss);

        var config = ModelConfig.FromJson(File.ReadAllText(Path.Combine(outcome.CheckpointDirectory!, "config.json")));
        Assert.Equal(ModelFamily.Qwen2, config.Family);
        using var model = CausalLM.Create(config);
        SafeTensors.LoadModule(model, Path.Combine(outcome.CheckpointDirectory!, "model.safetensors"), strict: true);
        Assert.Equal(outcome.ParameterCount, model.ParameterCount());
    }

    [Fact]
    public async Task Trainer_trains_a_v3_model_with_its_balance_loss_and_keeps_the_router_bias_in_the_checkpoint()
    {
        using var dir = new TempDirectory();
        var request = TestModels.QuickRequest(dir.Path, 4, trainTexts: 200) with { Model = TestModels.TinyV3(vocabSize: 0) };
        var progress = new List<TrainingProgress>();
        var outcome = await Trainer.RunAsync(request, progress.Add, CancellationToken.None);
        Assert.Equal(4, outcome.StepsCompleted);
        Assert.All(progress, p => Assert.True(p.AuxLoss > 0, "the MoE balance loss is part of the training loss"));

        var config = ModelConfig.FromJson(File.ReadAllText(Path.Combine(outcome.CheckpointDirectory!, "config.json")));
        Assert.Equal(ModelFamily.DeepSeekV3, config.Family);
        var tensors = SafeTensors.Load(Path.Combine(outcome.CheckpointDirectory!, "model.safetensors"));
        try
        {
            Assert.Contains("model.layers.1.mlp.gate.e_score_correction_bias", tensors.Keys);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
