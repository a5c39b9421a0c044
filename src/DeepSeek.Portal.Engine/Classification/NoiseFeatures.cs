using System.Globalization;
using System.Text;

namespace DeepSeek.Portal.Engine.Classification;

/// <summary>
/// Turns a text into the noise classifier's input: hashed character n-grams (fastText-style, L2-normalised
/// log-counts) followed by a few scalar features in [0, 1]. Pure .NET, deterministic across runs and machines
/// (FNV-1a over code points, not <see cref="string.GetHashCode()"/>).
/// </summary>
public static class NoiseFeatures
{
    /// <summary>Bumped whenever the features change meaning, so a saved classifier is not fed features it was not trained on.</summary>
    public const int Version = 1;

    /// <summary>Names of the scalar features, in input order after the hashed buckets.</summary>
    public static IReadOnlyList<string> ScalarNames { get; } =
    [
        "log_length", "entropy", "special_ratio", "digit_ratio", "whitespace_ratio", "uppercase_ratio",
        "distinct_ratio", "han_ratio", "ascii_letter_ratio", "mojibake_ratio", "markup_ratio", "top_char_ratio", "repeated_trigram_ratio",
    ];

    /// <summary>
    /// The sparse hashed n-gram part (bucket → weight, L2-normalised) and the dense scalar part of <paramref name="text"/>.
    /// </summary>
    public static (int[] Buckets, float[] Weights, float[] Scalars) Extract(string text, NoiseClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(options);
        var all = text.EnumerateRunes().Select(r => r.Value).ToArray();
        var cps = all.Length > options.MaxCharacters ? all[..options.MaxCharacters] : all;

        var counts = new Dictionary<int, int>();
        for (int n = options.MinNgram; n <= options.MaxNgram; n++)
        {
            for (int i = 0; i + n <= cps.Length; i++)
            {
                uint h = 2166136261u ^ (uint)n;
                for (int k = 0; k < n; k++)
                {
                    h = (h ^ (uint)cps[i + k]) * 16777619u;
                    h = (h ^ ((uint)cps[i + k] >> 16)) * 16777619u;
                }
                int bucket = (int)(h % (uint)options.HashBuckets);
                counts[bucket] = counts.GetValueOrDefault(bucket) + 1;
            }
        }
        var buckets = counts.Keys.Order().ToArray();
        var weights = buckets.Select(b => (float)Math.Log(1 + counts[b])).ToArray();
        var norm = MathF.Sqrt(weights.Sum(w => w * w));
        if (norm > 0) for (int i = 0; i < weights.Length; i++) weights[i] /= norm;
        return (buckets, weights, Scalars(cps, all.Length, options.MaxCharacters));
    }

    private static float[] Scalars(int[] cps, int fullLength, int maxCharacters)
    {
        int n = Math.Max(1, cps.Length);
        int special = 0, digits = 0, spaces = 0, upper = 0, letters = 0, han = 0, ascii = 0, mojibake = 0, markup = 0;
        var frequency = new Dictionary<int, int>();
        foreach (var c in cps)
        {
            frequency[c] = frequency.GetValueOrDefault(c) + 1;
            var rune = new Rune(c);
            bool isSpace = Rune.IsWhiteSpace(rune);
            if (isSpace) spaces++;
            if (Rune.IsDigit(rune)) digits++;
            if (Rune.IsLetter(rune)) letters++;
            if (Rune.IsUpper(rune)) upper++;
            if (c is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x3FFFF) han++;
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z') ascii++;
            if (c is '<' or '>' or '&' or '=' or '"' or '/') markup++;
            if (c == 0xFFFD || c is >= 0x80 and <= 0xFF || (c < 0x20 && c is not ('\t' or '\n' or '\r'))) mojibake++;
            if (rune.IsAscii ? !char.IsAsciiLetter((char)c) : isSpace || Rune.GetUnicodeCategory(rune) is
                    UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol)
                special++;
        }

        double entropy = 0;
        foreach (var count in frequency.Values)
        {
            double p = (double)count / n;
            entropy -= p * Math.Log2(p);
        }

        var trigrams = new HashSet<(int, int, int)>();
        int repeated = 0, trigramCount = Math.Max(0, cps.Length - 2);
        for (int i = 0; i + 3 <= cps.Length; i++)
            if (!trigrams.Add((cps[i], cps[i + 1], cps[i + 2]))) repeated++;

        return
        [
            (float)(Math.Log(1 + fullLength) / Math.Log(1 + maxCharacters)),
            (float)(entropy / 12),
            (float)special / n,
            (float)digits / n,
            (float)spaces / n,
            letters == 0 ? 0 : (float)upper / letters,
            (float)frequency.Count / n,
            (float)han / n,
            (float)ascii / n,
            (float)mojibake / n,
            (float)markup / n,
            frequency.Count == 0 ? 0 : (float)frequency.Values.Max() / n,
            trigramCount == 0 ? 0 : (float)repeated / trigramCount,
        ];
    }
}
