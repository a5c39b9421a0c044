using System.IO.Hashing;
using System.Text;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Dedup;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Tests.Reference;

/// <summary>
/// The duplicate detectors' normal form, fingerprint and MinHash signature written the obvious way (a string of
/// the normal form, one scalar loop per permutation): what the optimised, vectorised versions must reproduce exactly.
/// </summary>
internal static class ReferenceDedup
{
    public static string Normalize(string text)
    {
        string nfkc;
        try { nfkc = text.Normalize(NormalizationForm.FormKC); }
        catch (ArgumentException) { nfkc = text; } // unpaired surrogates: no normal form
        var sb = new StringBuilder();
        bool pendingSpace = false;
        foreach (var rune in nfkc.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }
            if (pendingSpace) sb.Append(' ');
            pendingSpace = false;
            sb.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return sb.ToString();
    }

    public static ulong Fingerprint(string text) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(Normalize(text)));

    public static uint[] Signature(string text, MinHashOptions options)
    {
        var codePoints = Normalize(text).EnumerateRunes().Select(r => r.Value).ToArray();
        int size = LanguageGuess.Classify(text) == TextLanguage.Chinese ? options.ChineseShingleSize : options.ShingleSize;
        var keys = new List<uint>();
        if (codePoints.Length > 0)
        {
            int width = Math.Min(size, codePoints.Length);
            for (int start = 0; start + width <= codePoints.Length; start++)
            {
                ulong hash = 0xCBF29CE484222325UL; // FNV-1a over the code points, then MurmurHash3's fmix64
                foreach (int c in codePoints.AsSpan(start, width)) hash = (hash ^ (uint)c) * 0x100000001B3UL;
                hash ^= hash >> 33;
                hash *= 0xFF51AFD7ED558CCDUL;
                hash ^= hash >> 33;
                hash *= 0xC4CEB9FE1A85EC53UL;
                keys.Add((uint)(hash ^ (hash >> 33)));
            }
        }
        var random = new SplitMix64(options.Seed);
        var signature = new uint[options.Permutations];
        for (int i = 0; i < signature.Length; i++)
        {
            ulong a = random.NextUInt64() | 1, b = random.NextUInt64();
            signature[i] = keys.Count == 0 ? uint.MaxValue : keys.Min(x => (uint)((a * x + b) >> 32));
        }
        return signature;
    }
}
