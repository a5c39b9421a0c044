using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;

namespace DeepSeek.Portal.Tests;

/// <summary>Tiny random-weight Hugging Face folders (config.json, safetensors, tokenizer.json) written with the engine's own writer.</summary>
internal static class TinyModelFolders
{
    private static readonly Lazy<HuggingFaceTokenizer> Tokenizer = new(() => HuggingFaceTokenizer.Train(
        Enumerable.Range(0, 40).Select(i => $"The model reads line {i}. 模型读取第 {i} 行。 Hello world, hello portal."), 300));

    /// <summary>The tokenizer every folder gets (V3 rules, trained on a few lines).</summary>
    public static HuggingFaceTokenizer SharedTokenizer => Tokenizer.Value;

    /// <summary>DeepSeek-V2 MoE: 1 dense layer then 3 MoE layers, each 1 shared + top-2 of 4 routed experts (hidden 128, expert width 64).</summary>
    public static DeepSeekConfig TinyV2Moe() => DeepSeekConfig.Tiny(SharedTokenizer.VocabSize) with { NumHiddenLayers = 2 };

    /// <summary>Two Qwen2 layers with q/k/v biases.</summary>
    public static LlamaConfig TinyQwen2() => new()
    {
        ModelType = LlamaConfig.Qwen2ModelType,
        VocabSize = SharedTokenizer.VocabSize,
        HiddenSize = 32,
        IntermediateSize = 48,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 1,
        MaxPositionEmbeddings = 256,
        RopeTheta = 1e6,
    };

    /// <summary>Writes <paramref name="config"/>'s model with seeded weights to <paramref name="folder"/>; returns the state_dict's element count.</summary>
    /// <param name="extra">Tensors written beside the model's own (e.g. a layer the engine does not build).</param>
    public static long Write(string folder, ModelConfig config, bool tokenizer = true, long maxShardBytes = 5_000_000_000, int seed = 1,
        IReadOnlyDictionary<string, TorchSharp.torch.Tensor>? extra = null)
    {
        using var model = CausalLM.Create(config);
        using (var generator = new TorchSharp.torch.Generator((ulong)seed))
            model.InitializeWeights(generator);
        HuggingFaceFolder.Save(folder, model.state_dict().Concat(extra ?? new Dictionary<string, TorchSharp.torch.Tensor>()), new HuggingFaceSaveOptions
        {
            ConfigJson = config.ToJson(SharedTokenizer.BosId, SharedTokenizer.EosId),
            MaxShardBytes = maxShardBytes,
        });
        if (tokenizer) SharedTokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        return model.state_dict().Values.Sum(t => t.numel());
    }
}

/// <summary>The engine called directly, as the generation API should behave.</summary>
internal static class DirectGeneration
{
    /// <summary>Loads <paramref name="folder"/> and generates for <paramref name="promptIds"/> with <see cref="Engine.Generation.SequenceGenerator"/>.</summary>
    public static async Task<Engine.Generation.GenerationResult> RunAsync(string folder, IReadOnlyList<long> promptIds, Engine.Generation.SamplingOptions options)
    {
        var config = ModelConfig.FromJson(File.ReadAllText(Path.Combine(folder, "config.json")));
        using var model = CausalLM.Create(config);
        CheckpointLoader.LoadInto(model, folder);
        var tokenizer = HuggingFaceTokenizer.FromJson(File.ReadAllText(Path.Combine(folder, "tokenizer.json")));
        var generator = new Engine.Generation.SequenceGenerator(model, ids => tokenizer.Decode(ids.Select(i => (int)i)), Math.Max(tokenizer.PadId, 0));
        var results = await generator.GenerateAsync([promptIds], options with { StopTokenIds = [tokenizer.EosId] });
        return results[0];
    }
}
