using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Feeding.Scoring;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Tests.Reference;

/// <summary>
/// <see cref="HeuristicRules.Evaluate"/> written the obvious way: units and n-grams as strings, lines by
/// <c>Split</c>/<c>Trim</c>, a dictionary per n-gram size. The optimised rules must give the same values.
/// </summary>
internal static class ReferenceRules
{
    private static readonly char[] WordEdgePunctuation = [.. "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’«»…"];
    private static readonly Regex Markup = new(@"<[A-Za-z/!][^<>]{0,500}>|&(?:[A-Za-z]{2,8}|#\d{1,6});");
    private const string Cp1252Specials = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";

    public static List<(string Name, double Value, bool Fired)> Evaluate(string text, HeuristicOptions? options = null)
    {
        var o = options ?? new HeuristicOptions();
        var language = ReferenceText.Classify(text);
        var results = new List<(string, double, bool)>();
        double total = Math.Max(1, ReferenceText.CodePointLength(text));
        void AtMost(string name, double value, double threshold) => results.Add((name, value, value > threshold));
        void AtLeast(string name, double value, double threshold) => results.Add((name, value, value < threshold));

        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        var seenLines = new HashSet<string>();
        var repeatedLines = lines.Where(l => !seenLines.Add(l)).ToArray();
        AtMost("duplicate_line_fraction", lines.Length == 0 ? 0 : (double)repeatedLines.Length / lines.Length, o.MaxDuplicateLineFraction);
        AtMost("duplicate_line_char_fraction", repeatedLines.Sum(l => l.Length) / total, o.MaxDuplicateLineCharFraction);

        var units = Units(text);
        int scale = language == TextLanguage.Chinese ? o.ChineseNgramScale : 1;
        int minOccurrences = units.Count >= o.GopherMinWords * scale ? 2 : o.ShortRecordMinOccurrences;
        for (int n = 2; n <= 4; n++)
            AtMost($"top_{n}gram_char_fraction", Math.Min(1, TopRepeatedNgramChars(units, n * scale, minOccurrences) / total), o.MaxTopNgramCharFraction[n - 2]);
        for (int n = 5; n <= 10; n++)
            AtMost($"duplicate_{n}gram_char_fraction", DuplicateNgramChars(units, n * scale, minOccurrences) / total, o.MaxDuplicateNgramCharFraction[n - 5]);

        var runes = text.EnumerateRunes().ToArray();
        AtMost("special_character_ratio", runes.Count(IsSpecial) / total, o.MaxSpecialCharacterRatio);
        AtLeast("alphanumeric_ratio", runes.Count(Rune.IsLetterOrDigit) / total, o.MinAlphanumericRatio);
        AtMost("character_repetition_ratio", CharacterRepetitionRatio(runes.Select(r => r.Value).ToArray(), 10), o.MaxCharacterRepetitionRatio);

        if (language == TextLanguage.English)
        {
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim(WordEdgePunctuation)).Where(w => w.Length > 0).ToArray();
            var mean = words.Length == 0 ? 0 : words.Average(w => (double)w.Length);
            AtLeast("mean_word_length_min", mean, o.MinMeanWordLength);
            AtMost("mean_word_length_max", mean, o.MaxMeanWordLength);
            AtLeast("words_with_letter_fraction", words.Length == 0 ? 0 : (double)words.Count(w => w.Any(char.IsLetter)) / words.Length, o.MinWordsWithLetterFraction);
        }

        var bits = ReferenceText.BitsPerCharacter(text);
        var length = ReferenceText.CodePointLength(text);
        var range = new EntropyScorer(o.Entropy).RangeFor(language, length);
        bool judged = length >= o.Entropy.MinLength;
        results.Add(("entropy_low", bits, judged && bits < range.Low));
        results.Add(("entropy_high", bits, judged && bits > range.High));

        AtMost("mojibake_fraction", MojibakeChars(runes.Select(r => r.Value).ToArray()) / total, o.MaxMojibakeFraction);
        AtMost("markup_fraction", (double)Markup.Matches(text).Sum(m => m.Length) / Math.Max(1, text.Length), o.MaxMarkupFraction);
        return results;
    }

    /// <summary>Words for space-separated text; each Han character is its own unit.</summary>
    public static List<string> Units(string text)
    {
        var units = new List<string>();
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune) || LanguageGuess.IsHan(rune.Value))
            {
                if (word.Length > 0) units.Add(word.ToString());
                word.Clear();
                if (!Rune.IsWhiteSpace(rune)) units.Add(rune.ToString());
            }
            else
            {
                word.Append(rune.ToString());
            }
        }
        if (word.Length > 0) units.Add(word.ToString());
        return units;
    }

    private static string Gram(List<string> units, int start, int n) => string.Join('\u0001', units.GetRange(start, n));

    private static int Chars(List<string> units, int start, int n) => units.GetRange(start, n).Sum(u => u.Length);

    // datatrove find_top_duplicate, counted from the minOccurrences-th occurrence; the first occurrence's characters.
    private static int TopRepeatedNgramChars(List<string> units, int n, int minOccurrences)
    {
        var counts = new Dictionary<string, int>();
        var first = new Dictionary<string, int>();
        for (int i = 0; i + n <= units.Count; i++)
        {
            var gram = Gram(units, i, n);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
            first.TryAdd(gram, i);
        }
        if (counts.Count == Math.Max(0, units.Count - n + 1)) return 0; // nothing repeats
        return counts.Where(kv => kv.Value >= minOccurrences)
            .Select(kv => (Chars(units, first[kv.Key], n) + n - 1) * kv.Value)
            .DefaultIfEmpty(0).Max();
    }

    // datatrove find_all_duplicate: a repeat adds its characters and the walk skips past it.
    private static int DuplicateNgramChars(List<string> units, int n, int minOccurrences)
    {
        var seen = new Dictionary<string, int>();
        int chars = 0, i = 0;
        while (i + n <= units.Count)
        {
            var gram = Gram(units, i, n);
            seen[gram] = seen.GetValueOrDefault(gram) + 1;
            if (seen[gram] >= minOccurrences)
            {
                chars += Chars(units, i, n);
                i += n;
            }
            else
            {
                i++;
            }
        }
        return chars;
    }

    // data-juicer character_repetition_filter: the top ⌊√distinct⌋ repeated n-grams' counts over all n-grams.
    private static double CharacterRepetitionRatio(int[] codePoints, int n)
    {
        if (codePoints.Length < n) return 0;
        var counts = new Dictionary<string, int>();
        for (int i = 0; i + n <= codePoints.Length; i++)
        {
            var gram = string.Join(',', codePoints.Skip(i).Take(n));
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        var frequencies = counts.Values.OrderDescending().ToArray();
        int take = Math.Min((int)Math.Floor(Math.Sqrt(frequencies.Length)), frequencies.Count(f => f > 1));
        return (double)frequencies.Take(take).Sum() / (codePoints.Length - n + 1);
    }

    private static bool IsSpecial(Rune rune) =>
        rune.IsAscii ? !char.IsAsciiLetter((char)rune.Value) : Rune.IsWhiteSpace(rune) || Rune.GetUnicodeCategory(rune) is
            UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;

    private static int MojibakeChars(int[] runes)
    {
        int count = 0;
        for (int i = 0; i < runes.Length; i++)
        {
            int c = runes[i];
            if (c == 0xFFFD || (c < 0x20 && c is not ('\t' or '\n' or '\r')) || c is >= 0x7F and <= 0x9F)
                count++;
            else if (c is >= 0xC2 and <= 0xEF && i + 1 < runes.Length && (runes[i + 1] is >= 0x80 and <= 0xBF || (runes[i + 1] <= 0xFFFF && Cp1252Specials.Contains((char)runes[i + 1]))))
            {
                count += 2;
                i++;
            }
        }
        return count;
    }
}
