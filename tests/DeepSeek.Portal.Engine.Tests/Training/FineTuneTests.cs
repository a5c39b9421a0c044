using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Training;

/// <summary>Fine-tuning from a Hugging Face folder (<see cref="TrainingRequest.BaseModel"/>) and exporting a run as one (<see cref="RunExport"/>).</summary>
public class FineTuneTests
{
    private const string TemplateMarker = "{# fine-tune test template #}";

    /// <summary>A tiny Llama folder written with the engine's own writer: seeded weights, its own tokenizer, a tokenizer_config.json with a chat template.</summary>
    private static LlamaConfig WriteBase(string folder, int seed)
    {
        var tokenizer = HuggingFaceTokenizer.Train(DemoCorpus.Generate(120, 5), 300);
        var config = TestModels.TinyLlama(tokenizer.VocabSize);
        using var model = TestModels.NewModel(config, seed);
        HuggingFaceFolder.Save(folder, model, new HuggingFaceSaveOptions { ConfigJson = config.ToJson(tokenizer.BosId, tokenizer.EosId) });
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        File.WriteAllText(Path.Combine(folder, RunExport.TokenizerConfigFile), $$"""{ "chat_template": "{{TemplateMarker}}" }""");
        return config;
    }

    private static TrainingRequest FineTune(string output, string baseModel, int steps, LoraConfig? lora = null)
    {
        var options = TestModels.QuickOptions(steps) with { TokenizerVocabSize = null, LearningRate = 1e-3, WarmupSteps = 1, Lora = lora };
        return new TrainingRequest(options, DemoCorpus.Generate(150, 11), DemoCorpus.Generate(20, 12), output) { BaseModel = baseModel };
    }

    private static Dictionary<string, Tensor> Weights(string folder) => CheckpointLoader.LoadTensors(folder);

    private static Tensor Logits(CausalLM model, Tensor ids)
    {
        model.eval();
        using var noGrad = no_grad();
        return model.Forward(ids, null).Logits;
    }

    [Fact]
    public async Task A_full_fine_tune_starts_from_the_base_weights_and_tokenizer_and_exports_a_folder_with_the_same_logits()
    {
        using var dir = new TempDirectory();
        var baseFolder = Path.Combine(dir.Path, "base");
        var config = WriteBase(baseFolder, seed: 3);
        var output = Path.Combine(dir.Path, "run");
        var outcome = await Trainer.RunAsync(FineTune(output, baseFolder, 2), _ => { }, CancellationToken.None);
        Assert.Equal(2, outcome.StepsCompleted);

        // Architecture and tokenizer are the base's: no tokenizer was trained.
        var checkpoint = outcome.CheckpointDirectory!;
        Assert.Equal(ModelFamily.Llama, ModelConfig.FromJson(File.ReadAllText(Path.Combine(checkpoint, "config.json"))).Family);
        Assert.Equal(File.ReadAllText(Path.Combine(baseFolder, "tokenizer.json")), File.ReadAllText(Path.Combine(checkpoint, "tokenizer.json")));

        // Two AdamW steps at lr ≤ 1e-3 move every weight by at most ~2e-3: the run started from the base, not from a
        // fresh initialisation (which differs from it by ~0.02 per weight).
        using var scope = NewDisposeScope();
        var before = Weights(baseFolder);
        var after = Weights(Path.Combine(checkpoint, "model.safetensors"));
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        double largest = before.Max(kv => kv.Value.sub(after[kv.Key]).abs().max().item<float>());
        Assert.InRange(largest, 1e-6, 5e-3);

        // Export: an HF folder the normal loader reads into a fresh model, with the trained model's logits.
        var exported = RunExport.Export(output, Path.Combine(dir.Path, "exported"));
        Assert.False(exported.MergedLora);
        Assert.Equal(2, exported.Step);
        foreach (var file in new[] { "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(exported.Folder, file)), file);
        Assert.Contains(TemplateMarker, File.ReadAllText(Path.Combine(exported.Folder, "tokenizer_config.json")));
        Assert.DoesNotContain(Directory.EnumerateDirectories(dir.Path), d => d.Contains(".tmp-", StringComparison.Ordinal));

        using var trained = CausalLM.Create(config);
        CheckpointLoader.LoadInto(trained, Path.Combine(checkpoint, "model.safetensors"));
        using var reloaded = CausalLM.FromConfigJson(File.ReadAllText(Path.Combine(exported.Folder, "config.json")));
        CheckpointLoader.LoadInto(reloaded, exported.Folder);
        var ids = tensor(new long[] { 1, 5, 9, 40, 7, 3, 22, 11 }).unsqueeze(0);
        Assert.True(Logits(trained, ids).equal(Logits(reloaded, ids)).all().item<bool>());

        // An export never overwrites.
        Assert.Throws<InvalidOperationException>(() => RunExport.Export(output, exported.Folder));
    }

    [Fact]
    public async Task A_lora_fine_tune_keeps_the_base_frozen_and_exports_base_plus_scaled_BA_under_plain_hf_names()
    {
        using var dir = new TempDirectory();
        var baseFolder = Path.Combine(dir.Path, "base");
        var config = WriteBase(baseFolder, seed: 4);
        var output = Path.Combine(dir.Path, "run");
        var lora = new LoraConfig { R = 2, LoraAlpha = 6, TargetModules = ["q_proj", "v_proj", "down_proj"] };
        var request = FineTune(output, baseFolder, 3, lora);
        request = request with { Options = request.Options with { LearningRate = 5e-2 } };
        var outcome = await Trainer.RunAsync(request, _ => { }, CancellationToken.None);

        using var scope = NewDisposeScope();
        var baseWeights = Weights(baseFolder);
        var checkpoint = Weights(Path.Combine(outcome.CheckpointDirectory!, "model.safetensors"));
        // The frozen base weights are the base model's, exactly.
        foreach (var (name, weight) in baseWeights)
            Assert.True(weight.equal(checkpoint[name]).all().item<bool>(), name);
        var adapted = checkpoint.Keys.Where(k => k.EndsWith(".lora_A.weight", StringComparison.Ordinal)).Select(k => k[..^".lora_A.weight".Length]).ToList();
        Assert.Equal(3 * config.NumHiddenLayers, adapted.Count);

        var exported = RunExport.Export(output, Path.Combine(dir.Path, "merged"));
        Assert.True(exported.MergedLora);
        var merged = Weights(exported.Folder);
        // Plain HF names: exactly those of the base model (no lora_A/lora_B, no base_layer).
        Assert.Equal(baseWeights.Keys.Order(), merged.Keys.Order());
        double scaling = lora.LoraAlpha / lora.R;
        foreach (var path in adapted)
        {
            var expected = checkpoint[path + ".weight"] + scaling * checkpoint[path + ".lora_B.weight"].matmul(checkpoint[path + ".lora_A.weight"]);
            Assert.True(merged[path + ".weight"].allclose(expected, rtol: 1e-5, atol: 1e-6), path);
            Assert.False(merged[path + ".weight"].equal(baseWeights[path + ".weight"]).all().item<bool>(), $"{path} was trained");
        }
        foreach (var name in baseWeights.Keys.Where(k => !adapted.Any(p => k == p + ".weight")))
            Assert.True(merged[name].equal(baseWeights[name]).all().item<bool>(), name);

        // The merged folder's logits are the adapted model's.
        using var adaptedModel = CausalLM.Create(config);
        LoraAdapter.Apply(adaptedModel, lora);
        CheckpointLoader.LoadInto(adaptedModel, Path.Combine(outcome.CheckpointDirectory!, "model.safetensors"));
        using var reloaded = CausalLM.Create(config);
        CheckpointLoader.LoadInto(reloaded, exported.Folder);
        var ids = tensor(new long[] { 2, 8, 30, 4, 17, 6 }).unsqueeze(0);
        Assert.True(Logits(adaptedModel, ids).allclose(Logits(reloaded, ids), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public async Task A_checkpoint_resumes_only_with_the_same_base_model_wherever_its_folder_is()
    {
        using var dir = new TempDirectory();
        var baseA = Path.Combine(dir.Path, "a");
        var baseB = Path.Combine(dir.Path, "b");
        WriteBase(baseA, seed: 5);
        WriteBase(baseB, seed: 6);
        var output = Path.Combine(dir.Path, "run");
        await Trainer.RunAsync(FineTune(output, baseA, 1), _ => { }, CancellationToken.None);

        // Same options and texts, another base: refused rather than resumed or overwritten.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Trainer.RunAsync(FineTune(output, baseB, 1), _ => { }, CancellationToken.None));
        Assert.Contains("different run", refused.Message);

        // The same base under another path is the same base: the finished run is resumed (nothing left to do).
        var moved = Path.Combine(dir.Path, "a-moved");
        Directory.Move(baseA, moved);
        var resumed = await Trainer.RunAsync(FineTune(output, moved, 1), _ => { }, CancellationToken.None);
        Assert.Equal(1, resumed.StepsCompleted);
    }

    [Fact]
    public async Task Fine_tune_requests_that_cannot_work_are_refused_before_any_work()
    {
        using var dir = new TempDirectory();
        var baseFolder = Path.Combine(dir.Path, "base");
        var config = WriteBase(baseFolder, seed: 7);
        var request = FineTune(Path.Combine(dir.Path, "run"), baseFolder, 1);

        var vocab = await Assert.ThrowsAsync<ArgumentException>(() => Trainer.RunAsync(request with { Options = request.Options with { TokenizerVocabSize = 512 } }, _ => { }, CancellationToken.None));
        Assert.Contains("TokenizerVocabSize", vocab.Message);
        var model = await Assert.ThrowsAsync<ArgumentException>(() => Trainer.RunAsync(request with { Model = config }, _ => { }, CancellationToken.None));
        Assert.Contains("Model must be null", model.Message);
        File.Delete(Path.Combine(baseFolder, "tokenizer.json"));
        var tokenizer = await Assert.ThrowsAsync<ArgumentException>(() => Trainer.RunAsync(request, _ => { }, CancellationToken.None));
        Assert.Contains("tokenizer.json", tokenizer.Message);
    }

    [Fact]
    public async Task A_demo_run_from_scratch_exports_a_folder_with_its_trained_tokenizer_and_a_minimal_tokenizer_config()
    {
        using var dir = new TempDirectory();
        var output = Path.Combine(dir.Path, "run");
        var request = TestModels.QuickRequest(output, 2, trainTexts: 100);
        var outcome = await Trainer.RunAsync(request, _ => { }, CancellationToken.None);

        var exported = RunExport.Export(output, Path.Combine(dir.Path, "demo"));
        var tokenizer = Tokenizer.Load(Path.Combine(exported.Folder, "tokenizer.json"));
        var tokenizerConfig = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(exported.Folder, "tokenizer_config.json")))!;
        Assert.Equal(tokenizer.TokenText(tokenizer.EosId), tokenizerConfig["eos_token"]!.GetValue<string>());
        Assert.Equal(request.Model!.MaxPositionEmbeddings, tokenizerConfig["model_max_length"]!.GetValue<int>());
        var generation = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(exported.Folder, "generation_config.json")))!;
        Assert.Equal(tokenizer.EosId, generation["eos_token_id"]!.GetValue<int>());

        var config = ModelConfig.FromJson(File.ReadAllText(Path.Combine(exported.Folder, "config.json")));
        using var trained = CausalLM.Create(config);
        CheckpointLoader.LoadInto(trained, Path.Combine(outcome.CheckpointDirectory!, "model.safetensors"));
        using var reloaded = CausalLM.Create(config);
        CheckpointLoader.LoadInto(reloaded, exported.Folder);
        var ids = tensor(tokenizer.Encode("Hello", addBos: true).Select(i => (long)i).ToArray()).unsqueeze(0);
        Assert.True(Logits(trained, ids).equal(Logits(reloaded, ids)).all().item<bool>());
    }
}
