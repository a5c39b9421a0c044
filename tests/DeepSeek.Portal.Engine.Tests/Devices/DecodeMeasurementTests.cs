using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Engine.Tests.Devices;

/// <summary>
/// Alone in the assembly while it runs: the peak resident set is the process's, and another test class freeing or
/// allocating tensors at the same moment moves it (the peak growth once read below the weights in the full suite).
/// </summary>
[CollectionDefinition(nameof(DecodeMeasurementTests), DisableParallelization = true)]
public sealed class DecodeMeasurementCollection;

[Collection(nameof(DecodeMeasurementTests))]
public class DecodeMeasurementTests
{
    [Fact]
    public async Task Measures_the_demo_model_decoding_a_small_batch()
    {
        var config = DeepSeekConfig.Tiny(vocabSize: 256);
        var result = await DecodeMeasurement.MeasureAsync(config, sequences: 2, promptTokens: 5, newTokens: 4);

        Assert.Equal(TrainingFootprint.CountParameters(config), result.Parameters);
        Assert.Equal(2, result.Sequences);
        Assert.Equal(4, result.NewTokens);
        Assert.True(result.PrefillSeconds > 0);
        Assert.True(result.DecodeSeconds > 0);
        // 2 sequences × 3 steps after the prefill.
        Assert.Equal(6 / result.DecodeSeconds, result.TokensPerSecond, 6);
        Assert.True(result.DecodeProcessorSeconds > 0);
        if (OperatingSystem.IsLinux())
        {
            Assert.NotNull(result.PeakResidentGrowthBytes);
            Assert.True(result.PeakResidentGrowthBytes >= result.WeightsResidentBytes);
        }
    }

    [Fact]
    public async Task Refuses_runs_the_model_cannot_hold()
    {
        var config = DeepSeekConfig.Tiny(vocabSize: 256) with { MaxPositionEmbeddings = 8 };
        await Assert.ThrowsAsync<ArgumentException>(() => DecodeMeasurement.MeasureAsync(config, 1, 5, 4));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => DecodeMeasurement.MeasureAsync(config, 0, 1, 2));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => DecodeMeasurement.MeasureAsync(config, 1, 1, 1));
    }
}
