namespace DeepSeek.Portal.Engine.Training.Mixing;

/// <summary>
/// Steele, Lea and Flood's SplitMix64 step (Vigna's splitmix64.c) over a caller-held 64-bit state, so the whole
/// generator state is one <see cref="ulong"/> a checkpoint can store. Not <see cref="Random"/>: its seeded sequence is
/// an implementation detail that may change between .NET versions, and a resumed run must continue bit-identically.
/// Public so that everything the portal derives from a seed (training mixtures, materialised mixes) uses one generator.
/// </summary>
public static class SplitMix64
{
    /// <summary>Advances <paramref name="state"/> and returns the next 64-bit value.</summary>
    public static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A double in [0, 1) from the top 53 bits of the next value.</summary>
    public static double NextUnit(ref ulong state) => (Next(ref state) >> 11) * (1.0 / (1UL << 53));
}
