using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Training;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Training;

public class ActivationCheckpointTests
{
    public static TheoryData<string> Families => new() { "deepseek", "deepseek-v3", "llama" };

    private static ModelConfig Config(string family) => family switch
    {
        "llama" => TestModels.TinyLlama(),
        "deepseek-v3" => TestModels.TinyV3(),
        _ => TestModels.TwoLayer(61),
    };

    /// <summary>Loss (with the MoE balance loss), gradients by parameter name, and the last layer's aux tensor before and after backward.</summary>
    private static (double Loss, Dictionary<string, Tensor> Grads) Backward(CausalLM model, bool checkpoint)
    {
        model.ActivationCheckpointing = checkpoint;
        model.zero_grad();
        var x = tensor(Enumerable.Range(0, 24).Select(i => (long)(i * 7 % 61)).ToArray(), [2, 12]);
        var y = tensor(Enumerable.Range(0, 24).Select(i => (long)(i * 13 % 61)).ToArray(), [2, 12]);
        var documents = tensor(Enumerable.Range(0, 24).Select(i => (long)(i / 5)).ToArray(), [2, 12]);
        var result = model.Forward(x, y, new ForwardOptions { DocumentIds = documents });
        var total = result.AuxLoss is null ? result.Loss! : result.Loss! + result.AuxLoss;
        total.backward();
        var grads = model.named_parameters().Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        return (total.item<float>(), grads);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Gradients_with_and_without_checkpointing_are_equal(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.NewModel(Config(family));
        model.train();
        var (plainLoss, plain) = Backward(model, checkpoint: false);
        var (checkpointedLoss, checkpointed) = Backward(model, checkpoint: true);

        Assert.Equal(plainLoss, checkpointedLoss, 6);
        Assert.Equal(plain.Keys.Order(), checkpointed.Keys.Order());
        foreach (var (name, grad) in plain)
        {
            double diff = (grad - checkpointed[name]).abs().max().item<float>();
            Assert.True(diff <= 1e-6, $"{name}: max |Δgrad| = {diff:E2}");
        }
        if (family != "llama") Assert.Contains(plain.Keys, k => k.EndsWith("mlp.gate.weight")); // the balance loss reached the router
    }

    [Fact]
    public void Lora_adapters_get_the_same_gradients_with_checkpointing_though_the_frozen_embeddings_need_none()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.NewModel(TestModels.TwoLayer(61));
        using var generator = new Generator(7);
        Engine.Adapters.LoraAdapter.Apply(model, new Engine.Adapters.LoraConfig { R = 2, TargetModules = ["q_proj", "o_proj"] }, generator);
        // B starts at zero, so A's gradient would be zero too: give B values for a test that can tell gradients apart.
        foreach (var (name, p) in model.named_parameters().Where(p => p.name.Contains("lora_B", StringComparison.Ordinal)))
            using (no_grad()) p.copy_(randn(p.shape, generator: generator) * 0.1);
        model.train();
        var (plainLoss, plain) = Backward(model, checkpoint: false);
        var (checkpointedLoss, checkpointed) = Backward(model, checkpoint: true);

        Assert.Equal(plainLoss, checkpointedLoss, 6);
        Assert.NotEmpty(plain);
        Assert.All(plain.Keys, k => Assert.Contains("lora_", k, StringComparison.Ordinal));
        Assert.Equal(plain.Keys.Order(), checkpointed.Keys.Order());
        foreach (var (name, grad) in plain)
        {
            double diff = (grad - checkpointed[name]).abs().max().item<float>();
            Assert.True(diff <= 1e-6, $"{name}: max |Δgrad| = {diff:E2}");
        }
    }

    [Fact]
    public void Checkpointed_layers_run_again_during_backward()
    {
        using var scope = NewDisposeScope();
        using var model = (DeepSeekForCausalLM)TestModels.NewModel(TestModels.TwoLayer(61));
        model.train();
        var moe = model.Model.Layers[1].Moe!;
        foreach (var checkpoint in new[] { false, true })
        {
            model.ActivationCheckpointing = checkpoint;
            var x = tensor(Enumerable.Range(0, 16).Select(i => (long)(i * 3 % 61)).ToArray(), [2, 8]);
            var result = model.Forward(x, x);
            var afterForward = moe.LastAuxLoss;
            (result.Loss! + result.AuxLoss!).backward();
            // The recomputation in backward runs the MoE again, which records a new balance-loss tensor.
            Assert.Equal(checkpoint, !ReferenceEquals(afterForward, moe.LastAuxLoss));
        }
    }

    [Fact]
    public async Task A_run_with_activation_checkpointing_has_the_losses_of_one_without()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var request = TestModels.QuickRequest(a.Path, 3, trainTexts: 150);
        var losses = new List<double>();
        await Trainer.RunAsync(request, p => losses.Add(p.Loss), CancellationToken.None);
        var checkpointed = new List<double>();
        await Trainer.RunAsync(request with { OutputDirectory = b.Path, Options = request.Options with { ActivationCheckpointing = true } },
            p => checkpointed.Add(p.Loss), CancellationToken.None);
        Assert.Equal(losses.Count, checkpointed.Count);
        for (int i = 0; i < losses.Count; i++) Assert.Equal(losses[i], checkpointed[i], 5);
    }
}
