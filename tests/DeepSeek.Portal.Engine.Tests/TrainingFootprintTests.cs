using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Engine.Tests;

public class TrainingFootprintTests
{
    public static TheoryData<string> Configs => ["tiny", "two-layer", "q-lora", "no-shared-expert", "dense-only"];

    private static DeepSeekConfig Config(string name) => name switch
    {
        "tiny" => DeepSeekConfig.Tiny(2048),
        "two-layer" => TestModels.TwoLayer(),
        "q-lora" => TestModels.TwoLayer(qLoraRank: 12),
        "no-shared-expert" => TestModels.TwoLayer() with { NSharedExperts = 0 },
        "dense-only" => TestModels.TwoLayer() with { FirstKDenseReplace = 2 },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Parameter_count_matches_the_model_the_engine_builds(string name)
    {
        var config = Config(name);
        using var model = new DeepSeekForCausalLM(config);
        Assert.Equal(model.ParameterCount(), TrainingFootprint.CountParameters(config));
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("llama_tied")]
    [InlineData("qwen2")]
    public void Llama_and_qwen2_parameter_counts_match_the_models_the_engine_builds(string family)
    {
        var config = TestModels.Family(family);
        using var model = CausalLM.Create(config);
        Assert.Equal(model.ParameterCount(), TrainingFootprint.CountParameters(config));

        var footprint = TrainingFootprint.Estimate(new TrainingOptions(), config);
        Assert.Equal(model.ParameterCount(), footprint.Parameters);
        Assert.True(footprint.ActivationBytes > 0);
        // A longer sequence costs more activation memory per token (the attention matrix).
        var longer = TrainingFootprint.Estimate(new TrainingOptions { SequenceLength = 128 }, config with { MaxPositionEmbeddings = 256 });
        Assert.True(longer.ActivationBytes > 2 * footprint.ActivationBytes);
    }

    [Fact]
    public void Demo_defaults_fit_in_well_under_a_gigabyte()
    {
        // The default vocabulary is sized from the data, so the estimate takes the largest size that rule picks.
        var footprint = TrainingFootprint.Estimate(new TrainingOptions());
        int vocabulary = Engine.Tokenization.ByteLevelBpeTraining.MaxDefaultVocabSize;

        Assert.Equal(8L * 4 * 64, footprint.TokensPerStep);
        Assert.Equal(TrainingFootprint.CountParameters(DeepSeekConfig.Tiny(vocabulary)), footprint.Parameters);
        Assert.Equal(footprint.Parameters * 4, footprint.GradientBytes);
        Assert.Equal(footprint.Parameters * 8, footprint.OptimizerStateBytes);
        Assert.Equal(3L * 8 * 64 * vocabulary * 4, footprint.LogitsBytes);
        Assert.Equal(TrainingFootprint.Estimate(new TrainingOptions { TokenizerVocabSize = 2048 }).Parameters, TrainingFootprint.CountParameters(DeepSeekConfig.Tiny(2048)));
        Assert.InRange(footprint.TotalBytes, 1L << 20, 1L << 30);
        Assert.Empty(footprint.Check(new TrainingOptions(), 1L << 30));
    }

    [Fact]
    public void Memory_grows_with_micro_batch_and_sequence_but_not_with_accumulation()
    {
        var baseline = TrainingFootprint.Estimate(new TrainingOptions());
        var twiceTheBatch = TrainingFootprint.Estimate(new TrainingOptions { MicroBatchSize = 16 });
        var moreAccumulation = TrainingFootprint.Estimate(new TrainingOptions { GradientAccumulationSteps = 64 });
        var longer = TrainingFootprint.Estimate(new TrainingOptions { SequenceLength = 128 });

        Assert.Equal(2 * baseline.ActivationBytes, twiceTheBatch.ActivationBytes, tolerance: 2);
        Assert.Equal(baseline.TotalBytes, moreAccumulation.TotalBytes);
        Assert.Equal(16 * baseline.TokensPerStep, moreAccumulation.TokensPerStep);
        // The attention matrix makes activations grow faster than the sequence.
        Assert.True(longer.ActivationBytes > 2 * baseline.ActivationBytes);
        Assert.True(TrainingFootprint.Estimate(new TrainingOptions { Precision = TrainingPrecision.Bf16 }).ActivationBytes < baseline.ActivationBytes);
    }

    [Fact]
    public void The_settings_from_the_issue_are_refused_with_the_estimate_and_the_limit()
    {
        var options = new TrainingOptions { MicroBatchSize = 4096, GradientAccumulationSteps = 1024, SequenceLength = 4096 };
        Assert.Empty(options.Validate()); // every field is valid on its own

        var footprint = TrainingFootprint.Estimate(options);
        var errors = footprint.Check(options, memoryLimitBytes: 24L << 30);

        Assert.True(footprint.TotalBytes > 1L << 40, $"{footprint.TotalBytes}");
        var memory = Assert.Single(errors[nameof(TrainingOptions.MicroBatchSize)]);
        Assert.StartsWith($"Estimated training memory is {TrainingFootprint.FormatBytes(footprint.TotalBytes)} (", memory, StringComparison.Ordinal);
        Assert.Contains("micro-batch 4096 × 4096 tokens); this machine can hold 24 GB.", memory, StringComparison.Ordinal);
        var tokens = Assert.Single(errors[nameof(TrainingOptions.GradientAccumulationSteps)]);
        Assert.StartsWith("One optimizer step would process 17,179,869,184 tokens (4096 × 1024 × 4096); the limit is 4,194,304.", tokens, StringComparison.Ordinal);
    }

    [Fact]
    public void Available_memory_is_known()
    {
        Assert.True(TrainingFootprint.AvailableMemoryBytes() > 64L << 20);
    }

    [Theory]
    [InlineData(512, "512 bytes")]
    [InlineData(1536, "1.5 KB")]
    [InlineData(24L << 30, "24 GB")]
    public void Sizes_read_in_binary_units(long bytes, string expected) => Assert.Equal(expected, TrainingFootprint.FormatBytes(bytes));
}
