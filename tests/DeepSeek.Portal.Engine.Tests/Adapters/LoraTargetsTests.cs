using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Models;

namespace DeepSeek.Portal.Engine.Tests.Adapters;

/// <summary>The LoRA target list of any model, read from a skeleton of it rather than the full model.</summary>
public class LoraTargetsTests
{
    [Theory]
    [InlineData("deepseek_v2")]
    [InlineData("deepseek_v3")]
    [InlineData("llama")]
    [InlineData("llama_tied")]
    [InlineData("qwen2")]
    public void The_skeleton_lists_the_same_names_and_counts_as_the_full_model(string family)
    {
        var config = TestModels.Family(family);
        foreach (var layers in new[] { config.NumHiddenLayers, 5 })
        {
            var deeper = config with { NumHiddenLayers = layers };
            var expected = FromFullModel(deeper);
            var listed = LoraTargets.Of(deeper);
            Assert.Equal(expected.Select(t => (t.Name, t.Count, t.InAttention)), listed.Select(t => (t.Name, t.Count, t.InAttention)));
        }
    }

    [Fact]
    public void Full_size_configs_are_listed_without_building_them()
    {
        // DeepSeek-V3 (671B parameters) and DeepSeek-LLM 7B from their real config.json.
        var v3 = LoraTargets.Of(ModelConfig.FromJson(ModelConfigTests.V3));
        Assert.Equal(["q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj"], LoraTargets.Defaults(v3));
        Assert.Equal(61, v3.Single(t => t.Name == "q_a_proj").Count);
        // 3 dense layers, then 58 MoE layers of 256 routed experts + 1 shared.
        Assert.Equal(3 + 58 * 257, v3.Single(t => t.Name == "gate_proj").Count);

        var llama = LoraTargets.Of(ModelConfig.FromJson(ModelConfigTests.DeepSeekLlm7B));
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], LoraTargets.Defaults(llama));
        Assert.All(llama, t => Assert.Equal(30, t.Count));
    }

    private static List<LoraTarget> FromFullModel(ModelConfig config)
    {
        using var model = CausalLM.Create(config);
        return model.named_modules()
            .Where(m => m.module.GetType().Name.EndsWith("Linear", StringComparison.Ordinal) && !m.name.EndsWith("lm_head", StringComparison.Ordinal))
            .Select(m => (Name: m.name[(m.name.LastIndexOf('.') + 1)..], InAttention: m.name.Contains(".self_attn.", StringComparison.Ordinal)))
            .GroupBy(m => m.Name)
            .Select(g => new LoraTarget(g.Key, g.Count(), g.All(m => m.InAttention)))
            .ToList();
    }
}
