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

    /// <summary>Edits each word with probability <paramref name="fraction"/>: replaced, deleted, or followed by an inserted word, alike.</summary>
    public static string EditWords(SplitMix64 random, string[] words, IReadOnlyList<string> vocabulary, double fraction)
    {
        var edited = new List<string>(words.Length + 8);
        foreach (var word in words)
        {
            if (random.Next(1_000_000) >= fraction * 1_000_000)
            {
                edited.Add(word);
                continue;
            }
            switch (random.Next(3))
            {
                case 0: edited.Add(random.Pick(vocabulary)); break;
                case 1: break;
                default: edited.Add(word); edited.Add(random.Pick(vocabulary)); break;
            }
        }
        return string.Join(' ', edited);
    }

    /// <summary>Chinese-like text: Han characters from the 3,000 after U+4E00, with a full stop every 20 or so.</summary>
    public static string Chinese(SplitMix64 random, int length = 340)
    {
        var builder = new StringBuilder(length);
        for (int i = 0; i < length; i++) builder.Append(random.Next(20) == 0 ? '。' : (char)(0x4E00 + random.Next(3000)));
        return builder.ToString();
    }

    /// <summary>Edits each character with probability <paramref name="fraction"/>: replaced, deleted, or followed by an inserted Han character, alike.</summary>
    public static string EditChinese(SplitMix64 random, string text, double fraction)
    {
        var edited = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (random.Next(1_000_000) >= fraction * 1_000_000)
            {
                edited.Append(c);
                continue;
            }
            switch (random.Next(3))
            {
                case 0: edited.Append((char)(0x4E00 + random.Next(3000))); break;
                case 1: break;
                default: edited.Append(c).Append((char)(0x4E00 + random.Next(3000))); break;
            }
        }
        return edited.ToString();
    }

    public static double Jaccard(HashSet<uint> a, HashSet<uint> b)
    {
        int common = a.Count(b.Contains);
        return (double)common / (a.Count + b.Count - common);
    }
}
