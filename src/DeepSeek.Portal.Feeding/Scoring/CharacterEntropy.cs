using DeepSeek.Portal.Feeding.Text;

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
        var histogram = CharacterHistogram.Rent();
        var span = text.AsSpan();
        int total = 0;
        for (int i = 0; i < span.Length; total++) histogram.Add(CodePoints.Next(span, ref i));
        return histogram.BitsPerCharacter(total);
    }

    /// <summary>The number of Unicode code points in <paramref name="text"/>, the length that entropy bands use.</summary>
    public static int CodePointLength(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Every UTF-16 unit is a code point except the low half of a valid surrogate pair.
        var span = text.AsSpan();
        int n = span.Length;
        int i = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return n;
        for (; i + 1 < span.Length; i++)
        {
            if (char.IsHighSurrogate(span[i]) && char.IsLowSurrogate(span[i + 1]))
            {
                n--;
                i++;
            }
        }
        return n;
    }
}
