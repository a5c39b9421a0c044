using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Training;

/// <summary>
/// The flat AdamW against TorchSharp's own AdamW (the optimiser the trainer used before): two copies of one model,
/// the same batches, decay on matrices only, clipping as the trainer clips; weights and moments must agree.
/// </summary>
public class FlatAdamWTests
{
    private const double Rate = 3e-3, Decay = 0.1, Clip = 0.5;

    private static (List<(string Name, Parameter P)> Decayed, List<(string Name, Parameter P)> Undecayed) Groups(nn.Module model)
    {
        var named = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        return (named.Where(p => p.parameter.dim() >= 2).ToList(), named.Where(p => p.parameter.dim() < 2).ToList());
    }

    private static void Backward(CausalLM model, int step)
    {
        var x = tensor(Enumerable.Range(0, 24).Select(i => (long)((i * 7 + step * 11) % 61)).ToArray(), [2, 12]);
        var y = tensor(Enumerable.Range(0, 24).Select(i => (long)((i * 13 + step * 5) % 61)).ToArray(), [2, 12]);
        var result = model.Forward(x, y);
        var total = result.AuxLoss is null ? result.Loss! : result.Loss! + result.AuxLoss;
        // Scaled up so the global norm exceeds the clip on some steps and clipping is exercised.
        (total * 3).backward();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Updates_equal_torchsharp_adamw_with_decay_groups_and_clipping(bool lora)
    {
        using var scope = NewDisposeScope();
        using var reference = TestModels.NewModel(TestModels.TwoLayer(61));
        using var flat = TestModels.NewModel(TestModels.TwoLayer(61));
        if (lora)
        {
            var config = new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = ["q_proj", "o_proj", "up_proj", "down_proj"] };
            using (var g = new Generator(5)) LoraAdapter.Apply(reference, config, g);
            using (var g = new Generator(5)) LoraAdapter.Apply(flat, config, g);
            // LoRA's B starts at zero; move it so the adapted path has gradients in both factors from step one.
            using (no_grad())
            {
                foreach (var model in new[] { reference, flat })
                    foreach (var (name, p) in model.named_parameters().Where(p => p.name.Contains("lora_B")))
                        p.fill_(0.01);
            }
        }
        reference.train();
        flat.train();
        var (rd, ru) = Groups(reference);
        var (fd, fu) = Groups(flat);
        Assert.Equal(rd.Select(p => p.Name), fd.Select(p => p.Name));
        if (lora) Assert.True(rd.Count + ru.Count < reference.parameters().Count(), "LoRA should leave the base weights out of the optimiser.");

        using var adamW = optim.AdamW(
            [
                new AdamW.ParamGroup(rd.Select(p => p.P), Rate, 0.9, 0.95, 1e-8, Decay, false, false),
                new AdamW.ParamGroup(ru.Select(p => p.P), Rate, 0.9, 0.95, 1e-8, 0.0, false, false),
            ],
            Rate, 0.9, 0.95, 1e-8, Decay, false, false);
        using var flatAdamW = new FlatAdamW([(fd.Select(p => (p.Name, p.P)).ToList(), Decay), (fu.Select(p => (p.Name, p.P)).ToList(), 0.0)], Rate, 0.9, 0.95, 1e-8);
        var referenceParameters = rd.Concat(ru).Select(p => p.P).ToList();

        bool clipped = false;
        for (int step = 1; step <= 5; step++)
        {
            double rate = Rate * step / 5.0; // a changing rate, as the schedule's warm-up gives
            foreach (var group in adamW.ParamGroups) group.LearningRate = rate;
            flatAdamW.LearningRate = rate;
            Backward(reference, step);
            Backward(flat, step);
            double referenceNorm = nn.utils.clip_grad_norm_(referenceParameters, Clip);
            adamW.step();
            adamW.zero_grad();
            double flatNorm = flatAdamW.ClipAndStep(Clip);
            clipped |= referenceNorm > Clip;
            // One reduction order against another (per-tensor norms, then their norm; one dot over the flat buffer).
            Assert.True(Math.Abs(referenceNorm - flatNorm) <= 1e-5 * referenceNorm, $"step {step}: norm {flatNorm} vs {referenceNorm}");
            Assert.All(flat.parameters().Where(p => p.requires_grad), p => Assert.Null(p.grad));
        }
        Assert.True(clipped, "No step was clipped: the test would not cover clipping.");

        var flatByName = flat.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in reference.named_parameters())
        {
            double difference = (p - flatByName[name]).abs().max().item<float>();
            Assert.True(difference < 1e-6, $"{name} differs by {difference}.");
        }
        var states = adamW.state_dict().State;
        for (int i = 0; i < states.Count; i++)
        {
            var expected = (AdamW.State)states[i];
            var actual = flatAdamW.States[i];
            Assert.Equal(expected.step, actual.Step);
            Assert.True((expected.exp_avg - actual.ExpAvg).abs().max().item<float>() < 1e-7, $"exp_avg of {actual.Name}");
            Assert.True((expected.exp_avg_sq - actual.ExpAvgSq).abs().max().item<float>() < 1e-9, $"exp_avg_sq of {actual.Name}");
        }
    }

    [Fact]
    public void A_parameter_without_a_gradient_is_left_alone_as_torch_does()
    {
        using var scope = NewDisposeScope();
        var a = new Parameter(ones(3, 2));
        var b = new Parameter(full(4, 0.5f));
        using var optimizer = new FlatAdamW([([("a", a)], 0.1), ([("b", b)], 0.0)], 0.01, 0.9, 0.95, 1e-8);
        var c = new Parameter(ones(2, 2));
        var d = new Parameter(ones(3));
        using var mixed = new FlatAdamW([([("d", d), ("c", c)], 0.1)], 0.01, 0.9, 0.95, 1e-8);

        (a * 2).sum().backward();
        optimizer.ClipAndStep(1e9);
        Assert.Equal(1, optimizer.States[0].Step);
        Assert.Equal(0, optimizer.States[1].Step);
        Assert.Equal(0.5f, b.max().item<float>()); // no gradient: no decay, no update
        Assert.True(a.max().item<float>() < 1); // updated

        // In one group, the parameter with a gradient is updated and the one without is not.
        (c * 3).sum().backward();
        mixed.ClipAndStep(1e9);
        Assert.Equal(0, mixed.States[0].Step);
        Assert.Equal(1, mixed.States[1].Step);
        Assert.True(c.max().item<float>() < 1);
        Assert.Equal(1f, d.min().item<float>());
    }
}
