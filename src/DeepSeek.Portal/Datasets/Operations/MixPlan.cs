namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>One source of a mix as planned: its records, weight, share of the output and the records taken from it.</summary>
/// <param name="Available">Records the source version holds.</param>
/// <param name="Weight">The weight the share was computed from (1 for every source under the uniform policy).</param>
/// <param name="Share">Weight / sum of weights.</param>
/// <param name="Taken">Records the mix takes from it (more than <paramref name="Available"/> only with repeats).</param>
public sealed record MixSourcePlan(long Available, decimal Weight, decimal Share, long Taken)
{
    /// <summary>True when the source has to give some of its records more than once.</summary>
    public bool Repeats => Taken > Available;
}

/// <summary>
/// How many records a mix takes from each source. The target is split by the largest-remainder (Hamilton) method: each
/// source first gets the whole part of target × weight / Σweight, and the records left over go one each to the sources
/// with the largest fractional parts (ties to the earlier source). Weights count to six decimal places, so the split is
/// computed in exact integer arithmetic. Without a target the mix takes the most records it can without repeating one.
/// </summary>
public sealed class MixPlan
{
    /// <summary>Weights are read in millionths (six decimal places).</summary>
    public const decimal WeightUnit = 0.000001m;

    /// <summary>The largest weight accepted.</summary>
    public const double MaxWeight = 1_000_000;

    private MixPlan(IReadOnlyList<MixSourcePlan> sources, long target, long maxWithoutRepeats)
    {
        Sources = sources;
        Target = target;
        MaxWithoutRepeats = maxWithoutRepeats;
    }

    /// <summary>Every source, in the order given.</summary>
    public IReadOnlyList<MixSourcePlan> Sources { get; }

    /// <summary>Records the mix writes.</summary>
    public long Target { get; }

    /// <summary>The largest target for which no source gives a record twice.</summary>
    public long MaxWithoutRepeats { get; }

    /// <summary>True when the target can only be reached by repeating records.</summary>
    public bool NeedsRepeats => Sources.Any(s => s.Repeats);

    /// <summary>Plans a mix.</summary>
    /// <param name="available">Records of each source (each at least 1).</param>
    /// <param name="weights">Each source's weight, greater than 0 (ignored when <paramref name="uniform"/>).</param>
    /// <param name="uniform">Equal shares whatever the weights.</param>
    /// <param name="target">Records to write; <see langword="null"/>: <see cref="MaxWithoutRepeats"/>.</param>
    public static MixPlan Create(IReadOnlyList<long> available, IReadOnlyList<double> weights, bool uniform, long? target)
    {
        ArgumentOutOfRangeException.ThrowIfZero(available.Count);
        ArgumentOutOfRangeException.ThrowIfNotEqual(weights.Count, available.Count);
        var units = uniform ? available.Select(_ => 1L).ToArray() : weights.Select(Units).ToArray();
        var max = LargestWithoutRepeats(available, units);
        var total = target ?? max;
        var taken = Apportion(total, units);
        var sum = units.Sum();
        var sources = available.Select((n, i) => new MixSourcePlan(n, uniform ? 1 : units[i] * WeightUnit, (decimal)units[i] / sum, taken[i])).ToList();
        return new MixPlan(sources, total, max);
    }

    /// <summary>A weight in millionths, at least one (the caller checks that weights are greater than 0).</summary>
    public static long Units(double weight) =>
        Math.Max(1, (long)Math.Round((decimal)Math.Clamp(weight, 0, MaxWeight) / WeightUnit, MidpointRounding.ToEven));

    /// <summary>Splits <paramref name="total"/> in proportion to <paramref name="units"/> by largest remainders.</summary>
    public static long[] Apportion(long total, IReadOnlyList<long> units)
    {
        Int128 sum = 0;
        foreach (var u in units)
            sum += u;
        var counts = new long[units.Count];
        var remainders = new Int128[units.Count];
        var left = total;
        for (var i = 0; i < units.Count; i++)
        {
            var product = (Int128)total * units[i];
            counts[i] = (long)(product / sum);
            remainders[i] = product % sum;
            left -= counts[i];
        }
        // Fewer than units.Count records are left: one each, largest remainder first, the earlier source on a tie.
        for (; left > 0; left--)
        {
            var best = -1;
            for (var i = 0; i < units.Count; i++)
            {
                if (remainders[i] >= 0 && (best < 0 || remainders[i] > remainders[best]))
                    best = i;
            }
            counts[best]++;
            remainders[best] = -1;
        }
        return counts;
    }

    /// <summary>
    /// The largest total whose split gives no source more than it has. Below t₀ = ⌊minᵢ nᵢ·Σu/uᵢ⌋ every split fits; above
    /// u = minᵢ ⌈(nᵢ+1)·Σu/uᵢ⌉ − 1 some source's whole part is already too large. In between, largest remainders are not
    /// monotone (the Alabama paradox), so the window is searched from the top.
    /// </summary>
    public static long LargestWithoutRepeats(IReadOnlyList<long> available, IReadOnlyList<long> units)
    {
        Int128 sum = 0;
        long all = 0;
        foreach (var u in units)
            sum += u;
        foreach (var n in available)
            all += n;
        Int128 low = all, high = all;
        for (var i = 0; i < units.Count; i++)
        {
            low = Int128.Min(low, available[i] * sum / units[i]);
            var bound = (available[i] + 1) * sum;
            high = Int128.Min(high, (bound + units[i] - 1) / units[i] - 1);
        }
        for (var total = (long)high; total > (long)low; total--)
        {
            var counts = Apportion(total, units);
            if (counts.Select((c, i) => c <= available[i]).All(fits => fits))
                return total;
        }
        return (long)low;
    }
}
