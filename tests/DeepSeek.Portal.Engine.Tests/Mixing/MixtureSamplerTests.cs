using System.Text.Json;
using DeepSeek.Portal.Engine.Training.Mixing;

namespace DeepSeek.Portal.Engine.Tests.Mixing;

public class MixtureSamplerTests
{
    private const int Draws = 100_000;

    /// <summary>Each count within 4.5 binomial standard deviations of n·p (a false alarm about once in 150,000 sources).</summary>
    private static void AssertFrequenciesMatch(MixtureSampler sampler, IReadOnlyList<double> expected)
    {
        var counts = new int[sampler.SourceCount];
        for (int i = 0; i < Draws; i++) counts[sampler.Next()]++;
        for (int i = 0; i < counts.Length; i++)
        {
            double mean = Draws * expected[i], sd = Math.Sqrt(Draws * expected[i] * (1 - expected[i]));
            Assert.True(Math.Abs(counts[i] - mean) <= 4.5 * sd + 1e-9,
                $"source {i}: {counts[i]} draws, expected {mean:F0} ± {sd:F0} (p = {expected[i]:F4})");
        }
    }

    [Fact]
    public void Static_frequencies_match_the_normalised_weights()
    {
        var sampler = new MixtureSampler(MixturePolicy.Static, [3, 1, 0, 6], seed: 1);
        Assert.Equal([0.3, 0.1, 0.0, 0.6], sampler.Probabilities());
        AssertFrequenciesMatch(sampler, [0.3, 0.1, 0.0, 0.6]);
        Assert.Equal(Draws, sampler.Draws);
    }

    [Fact]
    public void Uniform_frequencies_are_equal_whatever_the_weights()
    {
        var sampler = new MixtureSampler(MixturePolicy.Uniform, [5, 1, 1], seed: 2);
        Assert.Equal([1.0, 1.0, 1.0], sampler.Weights);
        AssertFrequenciesMatch(sampler, [1 / 3.0, 1 / 3.0, 1 / 3.0]);
    }

    [Fact]
    public void Dynamic_frequencies_follow_the_updated_weights()
    {
        var sampler = new MixtureSampler(MixturePolicy.Dynamic, [1, 1], seed: 3, feederLearningRate: 0.2);
        sampler.ObserveLosses([1.0, 1.0]);
        for (int i = 0; i < 3; i++) sampler.ObserveLosses([2.0 + i, 0.5 - 0.1 * i]);
        Assert.Equal(Math.Pow(1.2, 3), sampler.Weights[0], 12);
        Assert.Equal(Math.Pow(0.8, 3), sampler.Weights[1], 12);
        AssertFrequenciesMatch(sampler, sampler.Probabilities());
    }

    [Fact]
    public void Fixed_policies_ignore_losses()
    {
        var sampler = new MixtureSampler(MixturePolicy.Static, [1, 3], seed: 4);
        sampler.ObserveLosses([1.0, 1.0]);
        sampler.ObserveLosses([5.0, 0.1]);
        Assert.Equal([1.0, 3.0], sampler.Weights);
    }

    [Fact]
    public void The_same_seed_draws_the_same_sources_and_another_seed_does_not()
    {
        int[] Draw(ulong seed)
        {
            var s = new MixtureSampler(MixturePolicy.Static, [1, 1, 1], seed);
            return Enumerable.Range(0, 200).Select(_ => s.Next()).ToArray();
        }
        Assert.Equal(Draw(9), Draw(9));
        Assert.NotEqual(Draw(9), Draw(10));
    }

    [Theory]
    [InlineData(MixturePolicy.Static)]
    [InlineData(MixturePolicy.Uniform)]
    [InlineData(MixturePolicy.Dynamic)]
    public void A_state_round_trip_through_json_continues_the_identical_sequence(MixturePolicy policy)
    {
        var losses = new Random(5);
        void Run(MixtureSampler s, List<int> drawn, int rounds)
        {
            for (int r = 0; r < rounds; r++)
            {
                for (int i = 0; i < 16; i++) drawn.Add(s.Next());
                s.ObserveLosses([losses.NextDouble(), losses.NextDouble(), null]);
            }
        }

        var straight = new MixtureSampler(policy, [2, 1, 1], seed: 11, feederLearningRate: 0.05, lossSmoothing: 0.5);
        var expected = new List<int>();
        losses = new Random(5);
        Run(straight, expected, 40);

        losses = new Random(5);
        var first = new MixtureSampler(policy, [2, 1, 1], seed: 11, feederLearningRate: 0.05, lossSmoothing: 0.5);
        var actual = new List<int>();
        Run(first, actual, 17);
        var json = JsonSerializer.Serialize(first.CaptureState());
        var resumed = MixtureSampler.Restore(JsonSerializer.Deserialize<MixtureSamplerState>(json)!);
        Assert.Equal(first.Weights, resumed.Weights);
        Run(resumed, actual, 23);

        Assert.Equal(expected, actual);
        Assert.Equal(straight.Weights, resumed.Weights);
        Assert.Equal(straight.Draws, resumed.Draws);
    }
}
