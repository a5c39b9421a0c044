using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Tests.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Adapters;

public class LoraTests
{
    private static readonly LoraConfig QV = new() { R = 4, LoraAlpha = 8, TargetModules = ["q_proj", "v_proj"] };

    private static void Randomise(LoraAdapter adapter, int seed)
    {
        using var g = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var layer in adapter.Layers.Values)
        {
            layer.LoraA.copy_(randn(layer.LoraA.shape, generator: g));
            layer.LoraB.copy_(randn(layer.LoraB.shape, generator: g));
        }
    }

    private static Tensor Ids() => tensor(new long[,] { { 1, 4, 2, 9 }, { 3, 3, 0, 10 } });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Merged_linear_is_W_plus_scaling_times_B_A_exactly(bool rsLora)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var linear = nn.Linear(6, 5, hasBias: true);
        var w0 = linear.weight!.detach().clone();
        var lora = new LoraLinear(linear, rank: 4, alpha: 12, useRsLora: rsLora);
        using (no_grad())
        {
            lora.LoraA.copy_(randn(4, 6));
            lora.LoraB.copy_(randn(5, 4));
        }
        double scaling = rsLora ? 12 / Math.Sqrt(4) : 12 / 4.0;
        Assert.Equal(scaling, lora.Scaling);

        var merged = lora.ToMergedLinear();

        var expected = w0 + lora.LoraB.detach().matmul(lora.LoraA.detach()).mul(scaling);
        TensorAssert.Equal(expected, merged.weight!.detach());
        TensorAssert.Equal(linear.bias!.detach(), merged.bias!.detach());
        var x = randn(3, 6);
        Assert.True(merged.call(x).allclose(lora.call(x), rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void A_fresh_adapter_has_kaiming_A_zero_B_and_leaves_the_output_unchanged()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var linear = nn.Linear(16, 3, hasBias: true);
        using var g = new Generator(9);
        var lora = new LoraLinear(linear, rank: 2, alpha: 4, generator: g);

        Assert.True(lora.LoraB.eq(0).all().item<bool>());
        double bound = 1 / Math.Sqrt(16);
        Assert.True(lora.LoraA.abs().max().item<float>() <= bound);
        Assert.True(lora.LoraA.abs().max().item<float>() > bound / 2); // spread over the range, not all near zero
        var x = randn(4, 16);
        TensorAssert.Equal(linear.call(x), lora.call(x));
    }

    [Fact]
    public void Applying_replaces_the_fields_so_the_parents_forward_uses_the_wrapper()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyCausalLM(seed: 1);
        var before = model.call(Ids());
        var adapter = LoraAdapter.Apply(model, QV);

        var attention = (TinyAttention)model.named_modules().First(m => m.name == "model.layers.0.self_attn").module;
        Assert.IsType<LoraLinear>(attention.QProj);
        TensorAssert.Equal(before, model.call(Ids())); // B = 0: still the base model
        Randomise(adapter, 5);
        var adapted = model.call(Ids());
        Assert.False(adapted.allclose(before));

        adapter.MergeAndUnload();
        Assert.IsType<Linear>(attention.QProj);
        Assert.True(model.call(Ids()).allclose(adapted, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void Sealed_fields_get_the_adapter_through_a_forward_hook_with_the_same_names()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyCausalLM(seed: 1, sealedFields: true);
        var before = model.call(Ids());
        var baseNames = model.state_dict().Keys.ToHashSet();
        var adapter = LoraAdapter.Apply(model, QV);
        Randomise(adapter, 6);
        var adapted = model.call(Ids());
        Assert.False(adapted.allclose(before));

        var names = model.state_dict().Keys.ToHashSet();
        Assert.Contains("model.layers.1.self_attn.v_proj.lora_B.weight", names);
        Assert.True(baseNames.IsSubsetOf(names)); // base keys unchanged: no base_layer in between
        Assert.Equal(8, names.Count - baseNames.Count);

        adapter.MergeAndUnload();
        Assert.Equal(baseNames, model.state_dict().Keys.ToHashSet());
        Assert.True(model.call(Ids()).allclose(adapted, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void Gradients_reach_only_A_and_B()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyCausalLM(seed: 2);
        var adapter = LoraAdapter.Apply(model, QV);
        Randomise(adapter, 7);

        var trainable = adapter.TrainableParameters();
        Assert.Equal(8, trainable.Count);
        Assert.All(trainable, p => Assert.Matches(@"\.lora_[AB]\.weight$", p.Name));

        model.call(Ids()).pow(2).mean().backward();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.Contains(".lora_"))
            {
                Assert.NotNull(parameter.grad);
                Assert.True(parameter.grad!.abs().sum().item<float>() > 0, name);
            }
            else
            {
                Assert.Null(parameter.grad);
            }
        }
        adapter.Unload();
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Unmerge_restores_the_base_weight()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        var linear = nn.Linear(5, 5);
        var w0 = linear.weight!.detach().clone();
        var lora = new LoraLinear(linear, 2, 2);
        using (no_grad()) lora.LoraB.copy_(randn(5, 2));
        var x = randn(2, 5);
        var adapted = lora.call(x);
        lora.Merge();
        Assert.True(lora.IsMerged);
        Assert.True(lora.call(x).allclose(adapted, rtol: 1e-5, atol: 1e-5));
        Assert.False(linear.weight!.allclose(w0));
        lora.Unmerge();
        Assert.True(linear.weight!.allclose(w0, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void Saved_adapter_has_peft_keys_shapes_and_config()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var model = new TinyCausalLM(hidden: 8, seed: 1);
        var adapter = LoraAdapter.Apply(model, QV with { UseRsLora = true });
        adapter.Save(temp.Path, baseModelNameOrPath: "tiny-base");

        var bytes = File.ReadAllBytes(Path.Combine(temp.Path, "adapter_model.safetensors"));
        var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadInt64LittleEndian(bytes))).RootElement;
        var shapes = header.EnumerateObject().Where(p => p.Name != "__metadata__")
            .ToDictionary(p => p.Name, p => string.Join(",", p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())));
        var expected = new Dictionary<string, string>();
        foreach (var layer in new[] { 0, 1 })
            foreach (var proj in new[] { "q_proj", "v_proj" })
            {
                expected[$"base_model.model.model.layers.{layer}.self_attn.{proj}.lora_A.weight"] = "4,8";
                expected[$"base_model.model.model.layers.{layer}.self_attn.{proj}.lora_B.weight"] = "8,4";
            }
        Assert.Equal(expected.OrderBy(kv => kv.Key), shapes.OrderBy(kv => kv.Key));

        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.Path, "adapter_config.json"))).RootElement;
        Assert.Equal("LORA", config.GetProperty("peft_type").GetString());
        Assert.Equal("CAUSAL_LM", config.GetProperty("task_type").GetString());
        Assert.Equal(4, config.GetProperty("r").GetInt32());
        Assert.Equal(8, config.GetProperty("lora_alpha").GetDouble());
        Assert.Equal(["q_proj", "v_proj"], config.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
        Assert.True(config.GetProperty("use_rslora").GetBoolean());
        Assert.Equal("none", config.GetProperty("bias").GetString());
        Assert.False(config.GetProperty("fan_in_fan_out").GetBoolean());
        Assert.Equal("tiny-base", config.GetProperty("base_model_name_or_path").GetString());
    }

    [Fact]
    public void Adapter_round_trips_through_peft_files_with_rank_and_alpha_patterns()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var config = QV with
        {
            RankPattern = new Dictionary<string, int> { ["v_proj"] = 2 },
            AlphaPattern = new Dictionary<string, double> { ["layers.1.self_attn.q_proj"] = 32 },
        };
        using var trained = new TinyCausalLM(seed: 1);
        var adapter = LoraAdapter.Apply(trained, config);
        Randomise(adapter, 11);
        Assert.Equal(2, adapter.Layers["model.layers.0.self_attn.v_proj"].Rank);
        Assert.Equal(4, adapter.Layers["model.layers.0.self_attn.q_proj"].Rank);
        Assert.Equal(32 / 4.0, adapter.Layers["model.layers.1.self_attn.q_proj"].Scaling);
        Assert.Equal(8 / 4.0, adapter.Layers["model.layers.0.self_attn.q_proj"].Scaling);
        adapter.Save(temp.Path);
        var expected = trained.call(Ids());

        using var fresh = new TinyCausalLM(seed: 1); // the same base weights
        var loaded = LoraAdapter.Load(fresh, temp.Path);

        Assert.Equal(adapter.Layers.Keys.Order(), loaded.Layers.Keys.Order());
        foreach (var (path, layer) in adapter.Layers)
        {
            TensorAssert.Equal(layer.LoraA.detach(), loaded.Layers[path].LoraA.detach(), path);
            TensorAssert.Equal(layer.LoraB.detach(), loaded.Layers[path].LoraB.detach(), path);
            Assert.Equal(layer.Scaling, loaded.Layers[path].Scaling);
        }
        TensorAssert.Equal(expected, fresh.call(Ids()));
    }

    [Fact]
    public void Loading_an_adapter_whose_ranks_disagree_with_its_config_names_the_tensor()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var model = new TinyCausalLM(seed: 1);
        LoraAdapter.Apply(model, QV).Save(temp.Path);
        File.WriteAllText(Path.Combine(temp.Path, "adapter_config.json"), (QV with { R = 2 }).ToJson());

        using var fresh = new TinyCausalLM(seed: 1);
        var names = fresh.state_dict().Keys.ToHashSet();
        var e = Assert.Throws<SafeTensorsException>(() => LoraAdapter.Load(fresh, temp.Path));
        Assert.Contains("lora_A.weight' is [4, 8]", e.Message);
        Assert.Equal(names, fresh.state_dict().Keys.ToHashSet()); // the failed load took its wrappers away again
    }

    [Fact]
    public void A_regex_target_selects_whole_module_paths()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyCausalLM(seed: 1);
        var adapter = LoraAdapter.Apply(model, new LoraConfig { TargetModulesRegex = @".*layers\.1\.self_attn\.(q|v)_proj" });
        Assert.Equal(["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"], adapter.Layers.Keys.Order());
        using var other = new TinyCausalLM();
        Assert.Throws<ArgumentException>(() => LoraAdapter.Apply(other, new LoraConfig { TargetModules = ["embed_tokens"] }));
    }
}
