using System.Text;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Tests.Reference;

/// <summary>
/// Straightforward versions of the text measures the pipeline optimises (strings, LINQ, dictionaries of strings), kept
/// here so that every optimised function is compared with something obviously right. Slow on purpose.
/// </summary>
internal static class ReferenceText
{
    public static TextLanguage Classify(string text)
    {
        int letters = 0, han = 0, latin = 0, kana = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var v = rune.Value;
            if (LanguageGuess.IsHan(v)) { han++; letters++; }
            else if (v is >= 'a' and <= 'z' or >= 'A' and <= 'Z') { latin++; letters++; }
            else if (v is >= 0x3040 and <= 0x30FF) { kana++; letters++; }
            else if (Rune.IsLetter(rune)) letters++;
        }
        if (letters == 0 || kana > LanguageGuess.KanaShare * letters) return TextLanguage.Other;
        if (han >= LanguageGuess.HanShare * letters) return TextLanguage.Chinese;
        return latin >= LanguageGuess.LatinShare * letters ? TextLanguage.English : TextLanguage.Other;
    }

    /// <summary>Plug-in entropy over code points, summed in the order characters first occur.</summary>
    public static double BitsPerCharacter(string text)
    {
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
        return h <= 0 ? 0 : h;
    }

    public static int CodePointLength(string text) => text.EnumerateRunes().Count();
}
