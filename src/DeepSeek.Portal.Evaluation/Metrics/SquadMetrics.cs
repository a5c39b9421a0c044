using System.Text;
using System.Text.RegularExpressions;

namespace DeepSeek.Portal.Evaluation.Metrics;

/// <summary>
/// SQuAD exact match and token F1 (huggingface/evaluate <c>metrics/squad/compute_score.py</c>; reference §4), × 100.
/// Normalisation: lowercase, remove ASCII punctuation (Python's <c>string.punctuation</c>), remove the articles
/// a/an/the as whole words, collapse white space. Chinese (either side has a Han character): every Unicode
/// punctuation mark (，。“”…) is removed too and each Han character is a token of its own, so that F1 counts shared
/// characters (Chinese has no spaces between words; the official script would see one long token). The v2 rule:
/// when either side has no tokens, F1 is 100 if both are empty, else 0. The best value over the gold answers is taken.
/// </summary>
public static partial class SquadMetrics
{
    [GeneratedRegex(@"\b(a|an|the)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Articles();

    private const string AsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>SQuAD's <c>normalize_answer</c> (Latin text; <paramref name="chinese"/> adds the Chinese rules).</summary>
    public static string Normalize(string? text, bool chinese = false) => string.Join(' ', Tokens(text, chinese));

    /// <summary>The tokens F1 compares (SQuAD's normalised text split at white space; Han characters apart when Chinese).</summary>
    public static List<string> Tokens(string? text, bool chinese)
    {
        var result = new List<string>();
        if (string.IsNullOrEmpty(text)) return result;
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.ToLowerInvariant().EnumerateRunes())
        {
            if (rune.IsAscii && AsciiPunctuation.Contains((char)rune.Value)) continue;
            if (chinese && ChineseText.IsPunctuation(rune)) { sb.Append(' '); continue; }
            if (chinese && ChineseText.IsHan(rune.Value)) { sb.Append(' ').Append(rune.ToString()).Append(' '); continue; }
            sb.Append(rune.ToString());
        }
        result.AddRange(ChineseText.PythonSplit(Articles().Replace(sb.ToString(), " ")));
        return result;
    }

    /// <summary>Whether the pair is scored with the Chinese rules: either side has a Han character.</summary>
    public static bool IsChinesePair(string? prediction, string? gold) => ChineseText.ContainsHan(prediction) || ChineseText.ContainsHan(gold);

    /// <summary>Exact match (0 or 100) against one gold answer.</summary>
    public static double ExactMatch(string? prediction, string? gold)
    {
        bool zh = IsChinesePair(prediction, gold);
        return Tokens(prediction, zh).SequenceEqual(Tokens(gold, zh), StringComparer.Ordinal) ? 100 : 0;
    }

    /// <summary>Token F1 (0–100) against one gold answer: multiset overlap, with the v2 rule for empty sides.</summary>
    public static double F1(string? prediction, string? gold)
    {
        bool zh = IsChinesePair(prediction, gold);
        var p = Tokens(prediction, zh);
        var g = Tokens(gold, zh);
        if (p.Count == 0 || g.Count == 0) return p.Count == g.Count ? 100 : 0;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in g) counts[t] = counts.TryGetValue(t, out var c) ? c + 1 : 1;
        int common = 0;
        foreach (var t in p)
            if (counts.TryGetValue(t, out var c) && c > 0) { common++; counts[t] = c - 1; }
        if (common == 0) return 0;
        double precision = (double)common / p.Count, recall = (double)common / g.Count;
        return 100 * 2 * precision * recall / (precision + recall);
    }

    /// <summary>The best exact match over the gold answers (0 with none).</summary>
    public static double BestExactMatch(string? prediction, IReadOnlyList<string> golds) => golds.Count == 0 ? 0 : golds.Max(g => ExactMatch(prediction, g));

    /// <summary>The best F1 over the gold answers (0 with none).</summary>
    public static double BestF1(string? prediction, IReadOnlyList<string> golds) => golds.Count == 0 ? 0 : golds.Max(g => F1(prediction, g));
}
