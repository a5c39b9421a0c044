using DeepSeek.Portal.Datasets.Operations;

namespace DeepSeek.Portal.Tests;

/// <summary>The split of a mix's target between its sources (largest remainders) and the most records a mix can take without repeats.</summary>
public sealed class MixPlanTests
{
    [Fact]
    public void The_split_matches_the_largest_remainder_reference_example()
    {
        // Wikipedia, "Largest remainder method" (Hare quota): 100,000 votes for six parties, 10 seats → 5, 2, 1, 1, 1, 0.
        Assert.Equal([5L, 2, 1, 1, 1, 0], MixPlan.Apportion(10, [47_000, 16_000, 15_800, 12_000, 6_100, 3_100]));
    }

    [Fact]
    public void A_tie_goes_to_the_earlier_source_and_the_counts_always_add_up()
    {
        Assert.Equal([2L, 1], MixPlan.Apportion(3, [1, 1]));
        Assert.Equal([1L, 1, 1], MixPlan.Apportion(3, [1, 1, 1]));
        var random = new Random(5);
        for (var trial = 0; trial < 200; trial++)
        {
            var units = Enumerable.Range(0, random.Next(1, 6)).Select(_ => (long)random.Next(1, 2_000_000)).ToArray();
            var total = random.Next(0, 10_000);
            var counts = MixPlan.Apportion(total, units);
            Assert.Equal(total, counts.Sum());
            // Each count is its exact quota rounded down or up.
            for (var i = 0; i < units.Length; i++)
            {
                var quota = (decimal)total * units[i] / units.Sum();
                Assert.InRange(counts[i], Math.Floor(quota), Math.Ceiling(quota));
            }
        }
    }

    [Fact]
    public void Weights_count_to_six_decimals_exactly()
    {
        var plan = MixPlan.Create([100, 100], [0.1, 0.2], uniform: false, target: 30);
        Assert.Equal([10L, 20], plan.Sources.Select(s => s.Taken));
        Assert.Equal([0.333333m, 0.666667m], plan.Sources.Select(s => Math.Round(s.Share, 6)));
    }

    [Fact]
    public void Without_a_target_the_scarcest_source_relative_to_its_weight_decides()
    {
        // 40 and 30 records, weights 3:1: at 54 the 0.5 tie would give the first source 41 of its 40.
        var plan = MixPlan.Create([40, 30], [3, 1], uniform: false, target: null);
        Assert.Equal((53L, 53L), (plan.Target, plan.MaxWithoutRepeats));
        Assert.Equal([40L, 13], plan.Sources.Select(s => s.Taken));
        Assert.False(plan.NeedsRepeats);

        // Above ⌊10 / ⅓⌋ = 30 a larger total can fit again (the Alabama paradox of largest remainders): 31 → 10 + 21.
        var paradox = MixPlan.Create([10, 100], [1, 2], uniform: false, target: null);
        Assert.Equal(31, paradox.MaxWithoutRepeats);
        Assert.Equal([10L, 21], paradox.Sources.Select(s => s.Taken));
    }

    [Fact]
    public void The_most_without_repeats_is_the_largest_total_that_fits_by_brute_force()
    {
        var random = new Random(11);
        for (var trial = 0; trial < 300; trial++)
        {
            var sources = random.Next(1, 5);
            var available = Enumerable.Range(0, sources).Select(_ => (long)random.Next(1, 60)).ToArray();
            var units = Enumerable.Range(0, sources).Select(_ => (long)random.Next(1, 50)).ToArray();
            var expected = Enumerable.Range(0, (int)available.Sum() + 1).Last(total => MixPlan.Apportion(total, units).Select((c, i) => c <= available[i]).All(f => f));
            Assert.Equal(expected, MixPlan.LargestWithoutRepeats(available, units));
        }
    }

    [Fact]
    public void Uniform_ignores_the_weights_and_a_target_beyond_the_records_needs_repeats()
    {
        var plan = MixPlan.Create([40, 30], [3, 1], uniform: true, target: 100);
        Assert.Equal([50L, 50], plan.Sources.Select(s => s.Taken));
        Assert.Equal([true, true], plan.Sources.Select(s => s.Repeats));
        Assert.True(plan.NeedsRepeats);
        // Equal shares: 61 = 31 + 30 still fits (the tie goes to the first source, which has 40).
        Assert.Equal(61, plan.MaxWithoutRepeats);
    }
}
