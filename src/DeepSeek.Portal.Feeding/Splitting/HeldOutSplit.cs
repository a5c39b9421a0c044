using DeepSeek.Portal.Feeding.Demo;

namespace DeepSeek.Portal.Feeding.Splitting;

/// <summary>Deterministic train / held-out split of any dataset's records (the held-out part scores perplexity).</summary>
public static class HeldOutSplit
{
    /// <summary>The fewest distinct texts a training run can use: one held out to measure perplexity, one to train on.</summary>
    public const int MinimumDistinctTexts = 2;

    /// <summary>Why <paramref name="distinctTexts"/> texts are too few to train on, for a person.</summary>
    public static string TooSmallMessage(int distinctTexts) =>
        $"The dataset has {distinctTexts} distinct record{(distinctTexts == 1 ? "" : "s")}; training needs at least {MinimumDistinctTexts}: " +
        "one held out to measure perplexity and one to train on.";

    /// <summary>
    /// <see cref="TooSmallMessage"/> when <paramref name="texts"/> hold fewer than <see cref="MinimumDistinctTexts"/>
    /// distinct texts (equal texts always land on the same side, so duplicates do not help); otherwise <see langword="null"/>.
    /// </summary>
    public static string? CheckSplittable(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var distinct = texts.Distinct(StringComparer.Ordinal).Take(MinimumDistinctTexts).Count();
        return distinct < MinimumDistinctTexts ? TooSmallMessage(distinct) : null;
    }

    /// <summary>
    /// Splits texts into training and held-out parts, deterministically for a given seed. Equal texts
    /// always land on the same side, so the held-out part never contains a text the model trained on.
    /// </summary>
    /// <param name="texts">The texts to split; their order is kept within each part.</param>
    /// <param name="heldOutFraction">
    /// The share of distinct texts to hold out, in [0, 1). When it is above zero and there are at least two
    /// distinct texts, at least one is held out and at least one is kept for training.
    /// </param>
    /// <param name="seed">Chooses which texts are held out.</param>
    public static (IReadOnlyList<string> Train, IReadOnlyList<string> HeldOut) Split(IReadOnlyList<string> texts, double heldOutFraction = 0.05, int seed = 7)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (!(heldOutFraction >= 0 && heldOutFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction, "The held-out fraction must be at least 0 and below 1.");
        }

        var distinct = texts.Distinct(StringComparer.Ordinal).ToArray();
        var heldOutCount = (int)Math.Round(distinct.Length * heldOutFraction, MidpointRounding.AwayFromZero);
        if (heldOutFraction > 0 && distinct.Length >= 2)
        {
            heldOutCount = Math.Clamp(heldOutCount, 1, distinct.Length - 1);
        }

        // A different stream from Generate's for the same seed, so the held-out choice is not tied to generation order.
        var random = new SplitMix64(unchecked((ulong)seed) ^ 0x5EED_5917_0000_0001UL);
        random.Shuffle(distinct);
        var heldOutSet = new HashSet<string>(distinct.Take(heldOutCount), StringComparer.Ordinal);

        var train = new List<string>(texts.Count - heldOutCount);
        var heldOut = new List<string>(heldOutCount);
        foreach (var text in texts)
        {
            (heldOutSet.Contains(text) ? heldOut : train).Add(text);
        }

        return (train, heldOut);
    }
}
