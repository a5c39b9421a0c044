using System.Globalization;
using System.Text;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Evaluation.Metrics;

/// <summary>
/// What the metrics treat as Chinese. One definition for ROUGE-L, SQuAD, KernelSHAP's text units and the choice of
/// BLEU's <c>zh</c> tokenizer, so that a figure and its explanation agree on what a "character" is. (BLEU's own
/// tokenizer keeps sacrebleu's character ranges, quirks included: see <see cref="Bleu"/>.)
/// </summary>
public static class ChineseText
{
    /// <summary>Whether a code point is a Han ideograph: the data pipeline's definition (<see cref="LanguageGuess.IsHan"/>).</summary>
    public static bool IsHan(int codePoint) => LanguageGuess.IsHan(codePoint);

    /// <summary>Whether the text has at least one Han ideograph.</summary>
    public static bool ContainsHan(string? text)
    {
        if (string.IsNullOrEmpty(text)) return false;
        foreach (var rune in text.EnumerateRunes())
            if (IsHan(rune.Value)) return true;
        return false;
    }

    /// <summary>
    /// Whether a text reads as Chinese: Han ideographs make up at least 30 % of its letters (a Chinese sentence with a
    /// few English terms stays Chinese; an English sentence quoting one Chinese word does not).
    /// </summary>
    public static bool IsChinese(string? text)
    {
        if (string.IsNullOrEmpty(text)) return false;
        int han = 0, letters = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsHan(rune.Value)) { han++; letters++; }
            else if (Rune.IsLetter(rune)) letters++;
        }
        return han > 0 && han * 10 >= letters * 3;
    }

    /// <summary>Whether most (more than half) of the non-blank texts read as Chinese (<see cref="IsChinese"/>).</summary>
    public static bool MostlyChinese(IEnumerable<string?> texts)
    {
        int chinese = 0, total = 0;
        foreach (var t in texts)
        {
            if (string.IsNullOrWhiteSpace(t)) continue;
            total++;
            if (IsChinese(t)) chinese++;
        }
        return total > 0 && chinese * 2 > total;
    }

    /// <summary>Whether a code point is punctuation (any Unicode P* category: ，。！？、；：“”‘’（）《》【】… and ASCII alike).</summary>
    public static bool IsPunctuation(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
        or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
        or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    /// <summary>Python's <c>str.isspace</c>: .NET's white space plus the four separators U+001C–U+001F.</summary>
    internal static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    /// <summary>Python's <c>str.split()</c> (no argument): runs of white space separate, empty pieces dropped.</summary>
    internal static List<string> PythonSplit(string text)
    {
        var parts = new List<string>();
        int i = 0, n = text.Length;
        while (i < n)
        {
            while (i < n && IsPythonSpace(text[i])) i++;
            int start = i;
            while (i < n && !IsPythonSpace(text[i])) i++;
            if (i > start) parts.Add(text.Substring(start, i - start));
        }
        return parts;
    }
}
