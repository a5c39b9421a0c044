namespace DeepSeek.Portal.Feeding.Scoring;

/// <summary>Shannon entropy of a text's character distribution.</summary>
public static class CharacterEntropy
{
    /// <summary>
    /// The plug-in estimate H = −Σ p·log2 p over the text's Unicode code points (not UTF-16 units), in bits per
    /// character; every character counts, whitespace and punctuation included. 0 for an empty or one-symbol text.
    /// Bounded by log2 of the length and of the number of distinct characters, so it is biased low on short texts:
    /// compare a text only with texts of similar length (<see cref="EntropyScorer"/> does, by band).
    /// </summary>
    public static double BitsPerCharacter(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var counts = new Dictionary<int, int>();
        int total = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            counts[rune.Value] = counts.GetValueOrDefault(rune.Value) + 1;
            total++;
        }
        if (total == 0) return 0;
        double h = 0;
        foreach (var count in counts.Values)
        {
            double p = (double)count / total;
            h -= p * Math.Log2(p);
        }
        // −0.0 for a one-symbol text would print as "-0".
        return h <= 0 ? 0 : h;
    }

    /// <summary>The number of Unicode code points in <paramref name="text"/>, the length that entropy bands use.</summary>
    public static int CodePointLength(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int n = 0;
        foreach (var _ in text.EnumerateRunes()) n++;
        return n;
    }
}
