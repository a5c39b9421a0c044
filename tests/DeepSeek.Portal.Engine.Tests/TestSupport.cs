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
