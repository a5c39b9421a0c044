using System.Text;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Scoring;

/// <summary>How a text is cut into terms before counting.</summary>
public enum TfIdfAnalyzer
{
    /// <summary>
    /// Mixed text: runs of Han characters become overlapping character bigrams (a lone Han character stays a
    /// unigram, as in Lucene's <c>cjk_bigram</c>; whitespace between two Han characters is dropped), and everything
    /// else is cut into words as <see cref="Words"/> does. Pure English gives exactly the <see cref="Words"/> terms;
    /// unpunctuated pure Chinese gives exactly the <see cref="CharBigrams"/> terms.
    /// </summary>
    Auto,

    /// <summary>scikit-learn's default: lower-case, then tokens matching <c>(?u)\b\w\w+\b</c>. For space-separated languages.</summary>
    Words,

    /// <summary>scikit-learn's <c>analyzer='char', ngram_range=(2,2)</c>: lower-case, collapse whitespace runs to one space, all overlapping 2-code-point windows.</summary>
    CharBigrams,
}

/// <summary>Settings of a <see cref="TfIdfVectorizer"/>; the defaults are scikit-learn's <c>TfidfVectorizer</c> defaults.</summary>
public sealed record TfIdfOptions
{
    /// <summary>How texts are cut into terms. Default <see cref="TfIdfAnalyzer.Auto"/> (words for Latin script, bigrams for Han).</summary>
    public TfIdfAnalyzer Analyzer { get; init; } = TfIdfAnalyzer.Auto;

    /// <summary>Smoothed idf, ln((1+n)/(1+df)) + 1, as if one extra document held every term once; otherwise ln(n/df) + 1. Default true.</summary>
    public bool SmoothIdf { get; init; } = true;

    /// <summary>Replace a term count tf by 1 + ln(tf), so a term repeated ten times weighs ~3.3×, not 10×. Default false.</summary>
    public bool SublinearTf { get; init; }
}

/// <summary>A sparse vector: strictly increasing term indices and their weights.</summary>
public sealed class SparseVector
{
    internal SparseVector(int[] indices, double[] values)
    {
        Indices = indices;
        Values = values;
    }

    /// <summary>The empty vector (a text with no known terms).</summary>
    public static SparseVector Empty { get; } = new([], []);

    /// <summary>Term indices in increasing order.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>The weight of each index in <see cref="Indices"/>.</summary>
    public IReadOnlyList<double> Values { get; }

    /// <summary>Euclidean length.</summary>
    public double Norm => Math.Sqrt(Values.Sum(v => v * v));

    /// <summary>The dot product; for two L2-normalised TF-IDF vectors this is their cosine similarity.</summary>
    public double Dot(SparseVector other)
    {
        ArgumentNullException.ThrowIfNull(other);
        double sum = 0;
        int i = 0, j = 0;
        while (i < Indices.Count && j < other.Indices.Count)
        {
            int a = Indices[i], b = other.Indices[j];
            if (a == b) sum += Values[i++] * other.Values[j++];
            else if (a < b) i++;
            else j++;
        }
        return sum;
    }

    /// <summary>The vector as a dense array of <paramref name="length"/> entries.</summary>
    public double[] ToDense(int length)
    {
        var dense = new double[length];
        for (int k = 0; k < Indices.Count; k++) dense[Indices[k]] = Values[k];
        return dense;
    }
}

/// <summary>
/// TF-IDF as scikit-learn's <c>TfidfVectorizer</c> computes it: vocabulary and idf learnt by <see cref="Fit"/>,
/// idf = ln((1+n)/(1+df)) + 1 (smoothed), optional sublinear tf, rows L2-normalised so that the cosine of two texts is
/// the dot product of their vectors. Terms are ordered ordinally (scikit-learn sorts its vocabulary too).
/// </summary>
/// <remarks>Immutable after <see cref="Fit"/>; safe to share between threads.</remarks>
public sealed class TfIdfVectorizer
{
    // scikit-learn's default token_pattern; .NET's \w is Unicode-aware like Python 3's.
    private static readonly Regex WordPattern = new(@"\b\w\w+\b", RegexOptions.Compiled | RegexOptions.CultureInvariant);
    private static readonly Regex WhiteSpaces = new(@"\s\s+", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    private readonly Dictionary<string, int> _vocabulary;
    private readonly double[] _idf;

    private TfIdfVectorizer(TfIdfOptions options, Dictionary<string, int> vocabulary, double[] idf, int documentCount)
    {
        Options = options;
        _vocabulary = vocabulary;
        _idf = idf;
        DocumentCount = documentCount;
        Terms = [.. vocabulary.OrderBy(kv => kv.Value).Select(kv => kv.Key)];
    }

    /// <summary>The settings this vectorizer was fitted with.</summary>
    public TfIdfOptions Options { get; }

    /// <summary>Number of documents seen by <see cref="Fit"/>.</summary>
    public int DocumentCount { get; }

    /// <summary>The vocabulary; a term's position is its index in the vectors.</summary>
    public IReadOnlyList<string> Terms { get; }

    /// <summary>The idf of each term, indexed like <see cref="Terms"/>.</summary>
    public IReadOnlyList<double> Idf => _idf;

    /// <summary>The idf a term that occurs in no fitted document would have (df = 0; only defined with smoothing, else the largest idf).</summary>
    public double UnseenIdf => Options.SmoothIdf ? Math.Log((1.0 + DocumentCount) / 1.0) + 1 : Math.Log(DocumentCount) + 1;

    /// <summary>Learns the vocabulary and document frequencies of <paramref name="documents"/>.</summary>
    public static TfIdfVectorizer Fit(IEnumerable<string> documents, TfIdfOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        options ??= new TfIdfOptions();
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        int n = 0;
        foreach (var document in documents)
        {
            n++;
            foreach (var term in Analyze(document, options.Analyzer).Distinct(StringComparer.Ordinal))
                df[term] = df.GetValueOrDefault(term) + 1;
        }

        var terms = df.Keys.Order(StringComparer.Ordinal).ToArray();
        var vocabulary = new Dictionary<string, int>(terms.Length, StringComparer.Ordinal);
        var idf = new double[terms.Length];
        for (int i = 0; i < terms.Length; i++)
        {
            vocabulary[terms[i]] = i;
            idf[i] = options.SmoothIdf ? Math.Log((1.0 + n) / (1.0 + df[terms[i]])) + 1 : Math.Log((double)n / df[terms[i]]) + 1;
        }
        return new TfIdfVectorizer(options, vocabulary, idf, n);
    }

    /// <summary>
    /// The L2-normalised TF-IDF vector of <paramref name="text"/> over the fitted vocabulary. Terms the vocabulary
    /// lacks are dropped (scikit-learn); with <paramref name="countUnknownTermsInNorm"/> they still enter the norm with
    /// <see cref="UnseenIdf"/>, so a text that shares one word with the vocabulary and has fifty others does not look
    /// like a perfect match.
    /// </summary>
    public SparseVector Transform(string text, bool countUnknownTermsInNorm = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var known = new SortedDictionary<int, int>();
        var unknown = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var term in Analyze(text, Options.Analyzer))
        {
            if (_vocabulary.TryGetValue(term, out int index)) known[index] = known.GetValueOrDefault(index) + 1;
            else if (countUnknownTermsInNorm) unknown[term] = unknown.GetValueOrDefault(term) + 1;
        }
        if (known.Count == 0) return SparseVector.Empty;

        var indices = known.Keys.ToArray();
        var values = new double[indices.Length];
        double squares = 0;
        for (int k = 0; k < indices.Length; k++)
        {
            values[k] = Tf(known[indices[k]]) * _idf[indices[k]];
            squares += values[k] * values[k];
        }
        foreach (var count in unknown.Values)
        {
            var w = Tf(count) * UnseenIdf;
            squares += w * w;
        }
        var norm = Math.Sqrt(squares);
        for (int k = 0; k < values.Length; k++) values[k] /= norm;
        return new SparseVector(indices, values);
    }

    /// <summary>The cosine similarity of two texts under this vectorizer's vocabulary and idf.</summary>
    public double Cosine(string a, string b) => Transform(a).Dot(Transform(b));

    /// <summary>L2-normalised mean of vectors (the centroid direction); empty when the sum is zero.</summary>
    public static SparseVector Centroid(IEnumerable<SparseVector> vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        var sum = new SortedDictionary<int, double>();
        foreach (var v in vectors)
            for (int k = 0; k < v.Indices.Count; k++)
                sum[v.Indices[k]] = sum.GetValueOrDefault(v.Indices[k]) + v.Values[k];
        var norm = Math.Sqrt(sum.Values.Sum(x => x * x));
        if (norm == 0) return SparseVector.Empty;
        return new SparseVector([.. sum.Keys], [.. sum.Values.Select(x => x / norm)]);
    }

    private double Tf(int count) => Options.SublinearTf ? 1 + Math.Log(count) : count;

    /// <summary>The terms of <paramref name="text"/> under <paramref name="analyzer"/>, in order, with repeats.</summary>
    public static IEnumerable<string> Analyze(string text, TfIdfAnalyzer analyzer)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lower = text.ToLowerInvariant();
        return analyzer switch
        {
            TfIdfAnalyzer.Words => Words(lower),
            TfIdfAnalyzer.CharBigrams => CharBigrams(lower),
            _ => Mixed(lower),
        };
    }

    private static IEnumerable<string> Words(string lower) => WordPattern.Matches(lower).Select(m => m.Value);

    private static List<string> CharBigrams(string lower)
    {
        var runes = WhiteSpaces.Replace(lower, " ").EnumerateRunes().Select(r => r.ToString()).ToArray();
        var grams = new List<string>(Math.Max(0, runes.Length - 1));
        for (int i = 0; i + 1 < runes.Length; i++) grams.Add(runes[i] + runes[i + 1]);
        return grams;
    }

    private static List<string> Mixed(string lower)
    {
        var terms = new List<string>();
        var han = new List<Rune>();
        var other = new StringBuilder();
        var runes = lower.EnumerateRunes().ToArray();

        // Terms are built from the runes directly: a string per character, then a string per bigram, was this
        // analyzer's main cost.
        void FlushHan()
        {
            Span<char> chars = stackalloc char[4];
            if (han.Count == 1) terms.Add(new string(chars[..han[0].EncodeToUtf16(chars)]));
            for (int i = 0; i + 1 < han.Count; i++)
            {
                int first = han[i].EncodeToUtf16(chars);
                terms.Add(new string(chars[..(first + han[i + 1].EncodeToUtf16(chars[first..]))]));
            }
            han.Clear();
        }

        void FlushOther()
        {
            if (other.Length == 0) return;
            terms.AddRange(Words(other.ToString()));
            other.Clear();
        }

        for (int i = 0; i < runes.Length; i++)
        {
            var rune = runes[i];
            if (LanguageGuess.IsHan(rune.Value))
            {
                FlushOther();
                han.Add(rune);
                continue;
            }
            if (Rune.IsWhiteSpace(rune) && han.Count > 0)
            {
                // Whitespace inside a Han run (PDF extraction, justified text) does not split it.
                int next = i + 1;
                while (next < runes.Length && Rune.IsWhiteSpace(runes[next])) next++;
                if (next < runes.Length && LanguageGuess.IsHan(runes[next].Value))
                {
                    i = next - 1;
                    continue;
                }
            }
            FlushHan();
            HeuristicRules.AppendRune(other, rune);
        }
        FlushHan();
        FlushOther();
        return terms;
    }
}
