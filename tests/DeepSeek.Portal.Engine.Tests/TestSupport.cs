using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Training;

// Torch tests share two cores; running them side by side only makes each slower and the suite flakier.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace DeepSeek.Portal.Engine.Tests;

internal static class TestModels
{
    /// <summary>Two layers: layer 0 dense, layer 1 MoE (4 routed experts, top-2, one shared expert).</summary>
    public static DeepSeekConfig TwoLayer(int vocabSize = 97, int? qLoraRank = null) => new()
    {
        VocabSize = vocabSize,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = 2,
        NumAttentionHeads = 2,
        QLoraRank = qLoraRank,
        KvLoraRank = 16,
        QkNopeHeadDim = 8,
        QkRopeHeadDim = 8,
        VHeadDim = 12,
        NRoutedExperts = 4,
        NSharedExperts = 1,
        NumExpertsPerTok = 2,
        MoeIntermediateSize = 16,
        FirstKDenseReplace = 1,
        MaxPositionEmbeddings = 256,
        AuxLossAlpha = 0.01,
    };

    /// <summary>Two Llama layers with grouped-query attention: 4 query heads of width 8 sharing 2 key/value heads.</summary>
    public static LlamaConfig TinyLlama(int vocabSize = 61, bool tie = false) => new()
    {
        ModelType = LlamaConfig.LlamaModelType,
        VocabSize = vocabSize,
        HiddenSize = 32,
        IntermediateSize = 48,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 256,
        TieWordEmbeddings = tie,
    };

    /// <summary>Two Qwen2 layers: q/k/v biases, one key/value head for 4 query heads.</summary>
    public static LlamaConfig TinyQwen2(int vocabSize = 61) => TinyLlama(vocabSize) with { ModelType = LlamaConfig.Qwen2ModelType, NumKeyValueHeads = 1, RopeTheta = 1e6 };

    /// <summary>A V3-shaped pair of layers: low-rank queries, YaRN, sigmoid noaux_tc routing over 2 groups of 2 experts.</summary>
    public static DeepSeekConfig TinyV3(int vocabSize = 61) => TwoLayer(vocabSize, qLoraRank: 12) with
    {
        ModelType = DeepSeekConfig.V3ModelType,
        TopkMethod = "noaux_tc",
        ScoringFunc = "sigmoid",
        NGroup = 2,
        TopkGroup = 1,
        NormTopkProb = true,
        RoutedScalingFactor = 2.5,
        RopeScaling = new RopeScaling { Factor = 4, OriginalMaxPositionEmbeddings = 16, Mscale = 1, MscaleAllDim = 1 },
    };

    /// <summary>One tiny model of every family, by name (for theories).</summary>
    public static ModelConfig Family(string name) => name switch
    {
        "deepseek_v2" => TwoLayer(61),
        "deepseek_v3" => TinyV3(),
        "llama" => TinyLlama(),
        "llama_tied" => TinyLlama(tie: true),
        "qwen2" => TinyQwen2(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>A model of <paramref name="config"/> with seeded HF-style initial weights.</summary>
    public static CausalLM NewModel(ModelConfig config, int seed = 1)
    {
        var model = CausalLM.Create(config);
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        model.InitializeWeights(generator);
        return model;
    }

    /// <summary>A quick training setup: small model, small batches, short sequences.</summary>
    public static TrainingOptions QuickOptions(int steps) => new()
    {
        MicroBatchSize = 4,
        GradientAccumulationSteps = 2,
        LearningRate = 1e-2,
        Steps = steps,
        WarmupSteps = Math.Min(5, steps),
        SequenceLength = 32,
        CheckpointEvery = 25,
        TokenizerVocabSize = 512,
        Seed = 7,
    };

    public static TrainingRequest QuickRequest(string outputDirectory, int steps, int trainTexts = 600) =>
        new(QuickOptions(steps), DemoCorpus.Generate(trainTexts, 11), DemoCorpus.Generate(40, 12), outputDirectory)
        {
            Model = TwoLayer(vocabSize: 0) with { HiddenSize = 48, MoeIntermediateSize = 32, IntermediateSize = 96 },
        };
}

/// <summary>A fresh folder under the system temp directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ds-engine-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
