using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Training;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Training;

public class LoraTrainingTests
{
    [Fact]
    public async Task A_lora_run_trains_only_the_adapter_and_saves_it_in_peft_format()
    {
        using var dir = new TempDirectory();
        var request = TestModels.QuickRequest(dir.Path, 6, trainTexts: 200);
        var lora = new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = ["q_proj", "o_proj"], UseRsLora = true };
        request = request with { Options = request.Options with { Lora = lora, LearningRate = 5e-2 } };
        var losses = new List<double>();
        var outcome = await Trainer.RunAsync(request, p => losses.Add(p.Loss), CancellationToken.None);

        Assert.Equal(6, outcome.StepsCompleted);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^1] < losses[0], string.Join(", ", losses));

        // Only the adapters were optimised: every AdamW state belongs to a lora_A / lora_B weight.
        using var scope = NewDisposeScope();
        var optimizerState = SafeTensors.Load(Path.Combine(outcome.CheckpointDirectory!, "optimizer.safetensors"));
        Assert.NotEmpty(optimizerState);
        Assert.All(optimizerState.Keys, k => Assert.Matches(@"\.lora_[AB]\.weight\.(step|exp_avg|exp_avg_sq)$", k));

        // The frozen base weights are exactly the seeded initialisation.
        var model = SafeTensors.Load(Path.Combine(outcome.CheckpointDirectory!, "model.safetensors"));
        using var fresh = TestModels.NewModel(request.Model! with { VocabSize = (int)model["lm_head.weight"].shape[0] }, seed: request.Options.Seed);
        Assert.True(fresh.named_parameters().First(p => p.name == "lm_head.weight").parameter.equal(model["lm_head.weight"]).all().item<bool>());

        // PEFT layout: adapter_config.json + adapter_model.safetensors with base_model.model.<path>.lora_{A,B}.weight.
        Assert.Equal(Path.Combine(dir.Path, Trainer.AdapterFolder), outcome.AdapterDirectory);
        var config = LoraConfig.FromJson(File.ReadAllText(Path.Combine(outcome.AdapterDirectory!, LoraAdapter.ConfigFile)));
        Assert.Equal((4, 8.0, true), (config.R, config.LoraAlpha, config.UseRsLora));
        var adapter = SafeTensors.Load(Path.Combine(outcome.AdapterDirectory!, LoraAdapter.WeightsFile));
        Assert.Contains("base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight", adapter.Keys);
        Assert.Equal([4L, 24L], adapter["base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight"].shape);
        Assert.All(adapter.Keys, k => Assert.Matches(@"^base_model\.model\..*\.(q_proj|q_a_proj|q_b_proj|o_proj)\.lora_[AB]\.weight$", k));
        // B starts at zero; training moved it.
        Assert.Contains(adapter, kv => kv.Key.EndsWith("lora_B.weight") && kv.Value.abs().sum().item<float>() > 0);
    }

    [Fact]
    public async Task An_interrupted_lora_run_resumes_with_the_losses_of_an_uninterrupted_one()
    {
        using var interrupted = new TempDirectory();
        using var straight = new TempDirectory();
        var request = TestModels.QuickRequest(interrupted.Path, 6, trainTexts: 150);
        request = request with { Options = request.Options with { Lora = new LoraConfig { R = 2, TargetModules = ["o_proj"] }, CheckpointEvery = 2 } };

        using (var cts = new CancellationTokenSource())
        {
            var first = await Trainer.RunAsync(request, p => { if (p.Step == 3) cts.Cancel(); }, cts.Token);
            Assert.True(first.Cancelled);
            Assert.Null(first.AdapterDirectory);
        }
        var resumed = new List<double>();
        var outcome = await Trainer.RunAsync(request, p => resumed.Add(p.Loss), CancellationToken.None);
        Assert.Equal(6, outcome.StepsCompleted);
        var reference = new List<double>();
        await Trainer.RunAsync(request with { OutputDirectory = straight.Path }, p => reference.Add(p.Loss), CancellationToken.None);
        Assert.Equal(3, resumed.Count);
        for (int i = 0; i < 3; i++) Assert.Equal(reference[3 + i], resumed[i], 5);
    }

    [Fact]
    public void Lora_dropout_with_activation_checkpointing_is_refused()
    {
        var options = new TrainingOptions { ActivationCheckpointing = true, Lora = new LoraConfig { LoraDropout = 0.1 } };
        Assert.Contains(nameof(TrainingOptions.Lora), options.Validate().Keys);
    }
}
