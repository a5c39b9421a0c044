using System.Text;

namespace DeepSeek.Portal.Evaluation.Metrics;

/// <summary>ROUGE-L of one prediction: LCS-based precision, recall and F-measure, each 0–1.</summary>
public sealed record RougeScore(double Precision, double Recall, double FMeasure);

/// <summary>
/// ROUGE-L as Google's rouge-score computes it (<c>rouge_scorer.RougeScorer(["rougeL"])</c>, no stemmer): the longest
/// common subsequence of the token lists, precision = LCS / |prediction|, recall = LCS / |reference|,
/// F = 2PR / (P + R) (β = 1), all 0 when either side has no tokens; the best F over several references; a corpus
/// figure is the mean of the sentence F-measures (what rouge-score's aggregator reports as its mid value).
/// Tokens: rouge-score's default for Latin text (lowercase, every run of characters other than a–z and 0–9 is a
/// separator), extended so that each Han character is a token of its own (rouge-score drops them all, which would
/// make every Chinese score 0): "2023年营收" → [2023, 年, 营, 收].
/// </summary>
public static class RougeL
{
    /// <summary>The tokens ROUGE-L compares.</summary>
    public static List<string> Tokenize(string? text)
    {
        var tokens = new List<string>();
        if (string.IsNullOrEmpty(text)) return tokens;
        var word = new StringBuilder();
        void Flush()
        {
            if (word.Length > 0) { tokens.Add(word.ToString()); word.Clear(); }
        }
        foreach (var rune in text.EnumerateRunes())
        {
            if (ChineseText.IsHan(rune.Value)) { Flush(); tokens.Add(rune.ToString()); continue; }
            // Python's str.lower() then [a-z0-9]: only ASCII letters and digits survive (K → k; 'İ' does not become 'i' here).
            int c = rune.Value;
            if (c is >= 'A' and <= 'Z') word.Append((char)(c + 32));
            else if (c is >= 'a' and <= 'z' or >= '0' and <= '9') word.Append((char)c);
            else Flush();
        }
        Flush();
        return tokens;
    }

    /// <summary>ROUGE-L of a prediction against one reference.</summary>
    public static RougeScore Score(string? prediction, string? reference) => Score(Tokenize(prediction), Tokenize(reference));

    /// <summary>ROUGE-L against several references: the one with the best F-measure (rouge-score's <c>score_multi</c>).</summary>
    /// <exception cref="ArgumentException">No reference.</exception>
    public static RougeScore Best(string? prediction, IReadOnlyList<string> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0) throw new ArgumentException("ROUGE-L needs at least one reference.", nameof(references));
        var tokens = Tokenize(prediction);
        RougeScore? best = null;
        foreach (var r in references)
        {
            var s = Score(tokens, Tokenize(r));
            if (best is null || s.FMeasure > best.FMeasure) best = s;
        }
        return best!;
    }

    /// <summary>The corpus figure: the mean of the sentence F-measures (0–1); 0 for no pairs.</summary>
    public static double CorpusF(IReadOnlyList<string?> predictions, IReadOnlyList<IReadOnlyList<string>> references)
    {
        if (predictions.Count != references.Count) throw new ArgumentException($"There are {references.Count} reference lists for {predictions.Count} predictions.", nameof(references));
        if (predictions.Count == 0) return 0;
        double sum = 0;
        for (int i = 0; i < predictions.Count; i++) sum += Best(predictions[i], references[i]).FMeasure;
        return sum / predictions.Count;
    }

    private static RougeScore Score(List<string> prediction, List<string> reference)
    {
        if (prediction.Count == 0 || reference.Count == 0) return new RougeScore(0, 0, 0);
        int lcs = Lcs(reference, prediction);
        double precision = (double)lcs / prediction.Count, recall = (double)lcs / reference.Count;
        double f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
        return new RougeScore(precision, recall, f);
    }

    /// <summary>Length of the longest common subsequence (two rows of the dynamic-programming table).</summary>
    internal static int Lcs(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                current[j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal)
                    ? previous[j - 1] + 1
                    : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }
}
