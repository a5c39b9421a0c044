using System.Text;
using DeepSeek.Portal.Feeding.Demo;

namespace DeepSeek.Portal.Feeding.Tests.Dedup;

/// <summary>Generated base texts and edited copies; the tests compute each pair's true Jaccard from the shingle sets.</summary>
internal static class NearDuplicateTexts
{
    /// <summary>About 1 KB of English-like text: 180 words drawn from a fixed 2,000-word random vocabulary.</summary>
    public static string[] EnglishWords(SplitMix64 random, IReadOnlyList<string> vocabulary, int count = 180) =>
        [.. Enumerable.Range(0, count).Select(_ => random.Pick(vocabulary))];

    public static string[] Vocabulary(SplitMix64 random, int size = 2000) =>
        [.. Enumerable.Range(0, size).Select(_ => new string([.. Enumerable.Range(0, random.Between(2, 9)).Select(_ => (char)('a' + random.Next(26)))]))];

    /// <summary>Replaces each word with probability <paramref name="fraction"/> by a random vocabulary word.</summary>
    public static string EditWords(SplitMix64 random, string[] words, IReadOnlyList<string> vocabulary, double fraction) =>
        string.Join(' ', words.Select(w => random.Next(1_000_000) < fraction * 1_000_000 ? random.Pick(vocabulary) : w));

    /// <summary>Chinese-like text: Han characters from the 3,000 after U+4E00, with a full stop every 20 or so.</summary>
    public static string Chinese(SplitMix64 random, int length = 340)
    {
        var builder = new StringBuilder(length);
        for (int i = 0; i < length; i++) builder.Append(random.Next(20) == 0 ? '。' : (char)(0x4E00 + random.Next(3000)));
        return builder.ToString();
    }

    /// <summary>Replaces each character with probability <paramref name="fraction"/> by a random Han character.</summary>
    public static string EditChinese(SplitMix64 random, string text, double fraction) =>
        new([.. text.Select(c => random.Next(1_000_000) < fraction * 1_000_000 ? (char)(0x4E00 + random.Next(3000)) : c)]);

    public static double Jaccard(HashSet<uint> a, HashSet<uint> b)
    {
        int common = a.Count(b.Contains);
        return (double)common / (a.Count + b.Count - common);
    }
}
