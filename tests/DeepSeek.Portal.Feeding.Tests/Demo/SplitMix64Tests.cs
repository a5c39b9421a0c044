using DeepSeek.Portal.Feeding.Demo;

namespace DeepSeek.Portal.Feeding.Tests.Demo;

public class SplitMix64Tests
{
    [Fact]
    public void SplitMix64_matches_the_reference_outputs_for_seed_zero()
    {
        // Vigna's splitmix64.c (https://prng.di.unimi.it/splitmix64.c), state 0: the sequence that also seeds xoshiro.
        var random = new SplitMix64(0);

        Assert.Equal(
            [0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL, 0xF88BB8A8724C81ECUL],
            [random.NextUInt64(), random.NextUInt64(), random.NextUInt64(), random.NextUInt64()]);
    }

    [Fact]
    public void Next_stays_within_its_bound()
    {
        var random = new SplitMix64(42);

        var values = Enumerable.Range(0, 10_000).Select(_ => random.Next(7)).ToList();

        Assert.All(values, v => Assert.InRange(v, 0, 6));
        Assert.Equal(7, values.Distinct().Count());
    }
}
