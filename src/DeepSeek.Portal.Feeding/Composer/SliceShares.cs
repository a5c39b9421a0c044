namespace DeepSeek.Portal.Feeding.Composer;

/// <summary>Percentages of a suite per slice; the seed's 20 / 60 / 20 by default. They must sum to 100.</summary>
/// <param name="General">Percent general items.</param>
/// <param name="Domain">Percent domain items.</param>
/// <param name="Adversarial">Percent adversarial items.</param>
public sealed record SliceShares(int General = 20, int Domain = 60, int Adversarial = 20)
{
    /// <summary>The seed's 20 % general / 60 % domain / 20 % adversarial.</summary>
    public static SliceShares Default { get; } = new();

    /// <summary>Messages for unusable shares; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var (name, value) in new[] { ("General", General), ("Domain", Domain), ("Adversarial", Adversarial) })
            if (value is < 0 or > 100) errors.Add($"The {name.ToLowerInvariant()} share must be between 0 and 100 % (was {value} %).");
        if (General + Domain + Adversarial != 100)
            errors.Add($"The shares must sum to 100 % (they sum to {General + Domain + Adversarial} %).");
        return errors;
    }

    /// <summary>
    /// Item counts for a suite of <paramref name="size"/> items: each share's exact quota rounded down, and the items
    /// left over given to the largest remainders (ties: general, then domain, then adversarial), so the counts sum to
    /// the size and each is within one item of its exact share.
    /// </summary>
    public (int General, int Domain, int Adversarial) Counts(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors));
        int[] percents = [General, Domain, Adversarial];
        var counts = percents.Select(p => (int)((long)size * p / 100)).ToArray();
        var remainders = percents.Select((p, i) => (Remainder: (long)size * p % 100, Index: i))
            .OrderByDescending(r => r.Remainder).ThenBy(r => r.Index).ToArray();
        for (int left = size - counts.Sum(), k = 0; left > 0; left--, k++) counts[remainders[k].Index]++;
        return (counts[0], counts[1], counts[2]);
    }
}
