using System.Globalization;
using System.Text;

namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>
/// Splits text into the chunks that BPE merges may not cross. Loosely follows the DeepSeek pre-tokenizer:
/// runs of Han characters, words of other letters with one optional leading space, single digits, runs of
/// punctuation/symbols with one optional leading space, and whitespace runs (a single space before a word stays
/// with the word). Concatenating the chunks always gives back the input.
/// </summary>
internal static class PortalPreTokenizer
{
    private enum Kind { Han, Letter, Digit, Space, Other }

    public static List<string> Split(string text)
    {
        var chunks = new List<string>();
        var runes = new List<(Rune Rune, Kind Kind, int Index, int Length)>();
        int pos = 0;
        while (pos < text.Length)
        {
            // Lone surrogates are not Unicode scalar values; they decode to U+FFFD so they are classed as symbols.
            Rune.DecodeFromUtf16(text.AsSpan(pos), out var rune, out int used);
            runes.Add((rune, Classify(rune), pos, used));
            pos += used;
        }

        int i = 0;
        while (i < runes.Count)
        {
            var kind = runes[i].Kind;
            if (kind == Kind.Space)
            {
                int end = ConsumeRun(runes, i, kind);
                bool spaceJoinsNext = end < runes.Count && runes[end - 1].Rune.Value == ' '
                    && runes[end].Kind is Kind.Letter or Kind.Other;
                if (!spaceJoinsNext)
                {
                    chunks.Add(Slice(text, runes, i, end));
                    i = end;
                    continue;
                }
                // One plain space prefixes the following word or symbol run (" the", " ¥"), as in GPT-style BPE.
                if (end - 1 > i) chunks.Add(Slice(text, runes, i, end - 1));
                int next = ConsumeRun(runes, end, runes[end].Kind);
                chunks.Add(Slice(text, runes, end - 1, next));
                i = next;
            }
            else if (kind == Kind.Digit)
            {
                // Single digits: amounts and account numbers then share a tiny, well-trained sub-vocabulary.
                chunks.Add(Slice(text, runes, i, i + 1));
                i++;
            }
            else
            {
                int end = ConsumeRun(runes, i, kind);
                chunks.Add(Slice(text, runes, i, end));
                i = end;
            }
        }
        return chunks;
    }

    private static int ConsumeRun(List<(Rune Rune, Kind Kind, int Index, int Length)> runes, int i, Kind kind)
    {
        while (i < runes.Count && runes[i].Kind == kind) i++;
        return i;
    }

    private static string Slice(string text, List<(Rune Rune, Kind Kind, int Index, int Length)> runes, int from, int to)
    {
        int begin = runes[from].Index;
        int end = runes[to - 1].Index + runes[to - 1].Length;
        return text.Substring(begin, end - begin);
    }

    private static Kind Classify(Rune rune)
    {
        int v = rune.Value;
        if (IsHan(v)) return Kind.Han;
        if (Rune.IsWhiteSpace(rune)) return Kind.Space;
        if (Rune.IsDigit(rune)) return Kind.Digit;
        var category = Rune.GetUnicodeCategory(rune);
        if (Rune.IsLetter(rune) || category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
            return Kind.Letter;
        return Kind.Other;
    }

    /// <summary>CJK unified ideographs (incl. extension A, compatibility, and the supplementary planes).</summary>
    public static bool IsHan(int v) =>
        v is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0xF900 and <= 0xFAFF or >= 0x20000 and <= 0x3FFFF;
}
