using System.Text;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Feeding.Scoring;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Tests.Reference;

/// <summary>
/// TF-IDF analysis and transform written the obvious way (a string per term, sorted dictionaries), over a fitted
/// <see cref="TfIdfVectorizer"/>'s vocabulary and idf: what the optimised span-based path must reproduce.
/// </summary>
internal static class ReferenceTfIdf
{
    private static readonly Regex WordPattern = new(@"\b\w\w+\b", RegexOptions.CultureInvariant);
    private static readonly Regex WhiteSpaces = new(@"\s\s+", RegexOptions.CultureInvariant);

    public static List<string> Analyze(string text, TfIdfAnalyzer analyzer)
    {
        var lower = text.ToLowerInvariant();
        return analyzer switch
        {
            TfIdfAnalyzer.Words => Words(lower),
            TfIdfAnalyzer.CharBigrams => CharBigrams(lower),
            _ => Mixed(lower),
        };
    }

    private static List<string> Words(string lower) => [.. WordPattern.Matches(lower).Select(m => m.Value)];

    private static List<string> CharBigrams(string lower)
    {
        var runes = WhiteSpaces.Replace(lower, " ").EnumerateRunes().Select(r => r.ToString()).ToArray();
        return [.. Enumerable.Range(0, Math.Max(0, runes.Length - 1)).Select(i => runes[i] + runes[i + 1])];
    }

    // Han runs → character bigrams (a lone character stays a unigram; white space between two Han characters is
    // dropped); everything between Han runs → words.
    private static List<string> Mixed(string lower)
    {
        var terms = new List<string>();
        var han = new List<string>();
        var other = new StringBuilder();
        var runes = lower.EnumerateRunes().ToArray();
        void FlushHan()
        {
            if (han.Count == 1) terms.Add(han[0]);
            for (int i = 0; i + 1 < han.Count; i++) terms.Add(han[i] + han[i + 1]);
            han.Clear();
        }
        void FlushOther()
        {
            terms.AddRange(Words(other.ToString()));
            other.Clear();
        }
        for (int i = 0; i < runes.Length; i++)
        {
            if (LanguageGuess.IsHan(runes[i].Value))
            {
                FlushOther();
                han.Add(runes[i].ToString());
                continue;
            }
            if (Rune.IsWhiteSpace(runes[i]) && han.Count > 0)
            {
                int next = i + 1;
                while (next < runes.Length && Rune.IsWhiteSpace(runes[next])) next++;
                if (next < runes.Length && LanguageGuess.IsHan(runes[next].Value))
                {
                    i = next - 1;
                    continue;
                }
            }
            FlushHan();
            other.Append(runes[i].ToString());
        }
        FlushHan();
        FlushOther();
        return terms;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TfIdfVectorizer, Dictionary<string, int>> Vocabularies = new();

    /// <summary>The L2-normalised vector as (index, weight) sorted by index; unknown terms in the norm when asked.</summary>
    public static List<(int Index, double Value)> Transform(TfIdfVectorizer vectorizer, string text, bool countUnknownTermsInNorm = false)
    {
        var vocabulary = Vocabularies.GetValue(vectorizer, v => v.Terms.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal));
        var known = new SortedDictionary<int, int>();
        var unknown = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var term in Analyze(text, vectorizer.Options.Analyzer))
        {
            if (vocabulary.TryGetValue(term, out int index)) known[index] = known.GetValueOrDefault(index) + 1;
            else if (countUnknownTermsInNorm) unknown[term] = unknown.GetValueOrDefault(term) + 1;
        }
        if (known.Count == 0) return [];
        double Tf(int count) => vectorizer.Options.SublinearTf ? 1 + Math.Log(count) : count;
        var weights = known.Select(kv => (kv.Key, Tf(kv.Value) * vectorizer.Idf[kv.Key])).ToList();
        double squares = 0;
        foreach (var (_, w) in weights) squares += w * w;
        foreach (var count in unknown.Values) squares += Tf(count) * vectorizer.UnseenIdf * (Tf(count) * vectorizer.UnseenIdf);
        var norm = Math.Sqrt(squares);
        return [.. weights.Select(p => (p.Item1, p.Item2 / norm))];
    }

    public static double Dot(List<(int Index, double Value)> a, Dictionary<int, double> other)
    {
        double sum = 0;
        foreach (var (index, value) in a)
            if (other.TryGetValue(index, out var w)) sum += w * value;
        return sum;
    }
}
