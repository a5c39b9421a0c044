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
    // Looks terms up by their characters: no string per term of a transformed text.
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly double[] _idf;
    private readonly double _unseenIdf;

    private TfIdfVectorizer(TfIdfOptions options, Dictionary<string, int> vocabulary, double[] idf, int documentCount)
    {
        Options = options;
        _vocabulary = vocabulary;
        _lookup = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _idf = idf;
        DocumentCount = documentCount;
        Terms = [.. vocabulary.OrderBy(kv => kv.Value).Select(kv => kv.Key)];
        _unseenIdf = options.SmoothIdf ? Math.Log((1.0 + DocumentCount) / 1.0) + 1 : Math.Log(DocumentCount) + 1;
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
    public double UnseenIdf => _unseenIdf;

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
        var scratch = TransformScratch.Rent();
        int count = TransformInto(text, countUnknownTermsInNorm, scratch);
        return count == 0 ? SparseVector.Empty : new SparseVector(scratch.Indices[..count], scratch.Values[..count]);
    }

    /// <summary>
    /// <see cref="Transform"/> into this thread's <paramref name="scratch"/>: the first (returned) count entries of its
    /// indices (increasing) and values. The same arithmetic in the same order as building the vector, so the weights
    /// are bit-identical; no string per term (terms are counted by their characters, looked up by span).
    /// </summary>
    internal int TransformInto(string text, bool countUnknownTermsInNorm, TransformScratch scratch)
    {
        var lower = scratch.Lower(text.Length);
        text.AsSpan().ToLowerInvariant(lower);
        var terms = scratch.Terms;
        terms.Clear();
        Tokenize(lower, Options.Analyzer, terms);

        int known = 0;
        scratch.EnsureCapacity(terms.Count);
        var indices = scratch.Indices;
        var occurrences = scratch.Occurrences;
        var unknownCounts = scratch.UnknownCounts;
        int unknown = 0;
        for (int t = 0; t < terms.Count; t++)
        {
            if (_lookup.TryGetValue(terms.Term(t), out int index))
            {
                indices[known] = index;
                occurrences[known++] = terms.Occurrences(t);
            }
            else if (countUnknownTermsInNorm)
            {
                unknownCounts[unknown++] = terms.Occurrences(t);
            }
        }
        if (known == 0) return 0;

        Array.Sort(indices, occurrences, 0, known);
        var values = scratch.Values;
        double squares = 0;
        for (int k = 0; k < known; k++)
        {
            values[k] = Tf(occurrences[k]) * _idf[indices[k]];
            squares += values[k] * values[k];
        }
        // Unknown terms after the known ones, in the order they first occur: the order the sum was always taken in.
        for (int u = 0; u < unknown; u++)
        {
            var w = Tf(unknownCounts[u]) * _unseenIdf;
            squares += w * w;
        }
        var norm = Math.Sqrt(squares);
        for (int k = 0; k < known; k++) values[k] /= norm;
        return known;
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
        var sink = new TermList();
        Tokenize(text.ToLowerInvariant(), analyzer, sink);
        return sink.Terms;
    }

    private sealed class TermList : ITermSink
    {
        public List<string> Terms { get; } = [];

        public void Add(ReadOnlySpan<char> term) => Terms.Add(new string(term));
    }

    /// <summary>Cuts lower-cased text into terms, in text order, handing each to <paramref name="sink"/> as a span.</summary>
    internal static void Tokenize<TSink>(ReadOnlySpan<char> lower, TfIdfAnalyzer analyzer, TSink sink) where TSink : ITermSink
    {
        switch (analyzer)
        {
            case TfIdfAnalyzer.Words:
                Words(lower, sink);
                break;
            case TfIdfAnalyzer.CharBigrams:
                CharBigrams(lower, sink);
                break;
            default:
                Mixed(lower, sink);
                break;
        }
    }

    private static void Words<TSink>(ReadOnlySpan<char> lower, TSink sink) where TSink : ITermSink
    {
        // A match needs two word characters, and ASCII's only word characters are [0-9A-Za-z_]: the punctuation between
        // Han runs ("，", "：", "? ") cannot match, and skipping the regex there was a large part of Chinese records' cost.
        if (lower.Length < 2 || lower.IndexOfAnyExcept(AsciiNonWord) < 0) return;
        foreach (var match in WordPattern.EnumerateMatches(lower)) sink.Add(lower.Slice(match.Index, match.Length));
    }

    private static readonly System.Buffers.SearchValues<char> AsciiNonWord = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 128).Select(c => (char)c).Where(c => !char.IsAsciiLetterOrDigit(c) && c != '_')]);

    // All overlapping 2-code-point windows after white-space runs are collapsed; an unpaired surrogate reads as U+FFFD.
    private static void CharBigrams<TSink>(ReadOnlySpan<char> lower, TSink sink) where TSink : ITermSink
    {
        var collapsed = WhiteSpaces.Replace(lower.ToString(), " ").AsSpan();
        Span<char> pair = stackalloc char[4];
        int i = 0;
        if (collapsed.IsEmpty) return;
        int previous = CodePoints.Next(collapsed, ref i);
        while (i < collapsed.Length)
        {
            int current = CodePoints.Next(collapsed, ref i);
            int first = new Rune(previous).EncodeToUtf16(pair);
            sink.Add(pair[..(first + new Rune(current).EncodeToUtf16(pair[first..]))]);
            previous = current;
        }
    }

    // Han runs become bigrams as their characters arrive (a run of one stays a unigram); the text between Han runs,
    // always a contiguous slice of the lower-cased text, is cut into words where the run starts. An unpaired surrogate
    // there is a non-word character, as the U+FFFD it reads as would be, so the word matches are the same.
    private static void Mixed<TSink>(ReadOnlySpan<char> lower, TSink sink) where TSink : ITermSink
    {
        Span<char> pair = stackalloc char[4];
        int otherStart = -1, run = 0, previousHan = 0;
        int i = 0;
        while (i < lower.Length)
        {
            int start = i;
            int codePoint = CodePoints.Next(lower, ref i);
            if (LanguageGuess.IsHan(codePoint))
            {
                if (otherStart >= 0)
                {
                    Words(lower[otherStart..start], sink);
                    otherStart = -1;
                }
                if (run > 0)
                {
                    int first = new Rune(previousHan).EncodeToUtf16(pair);
                    sink.Add(pair[..(first + new Rune(codePoint).EncodeToUtf16(pair[first..]))]);
                }
                previousHan = codePoint;
                run++;
                continue;
            }
            if (run > 0 && Rune.IsWhiteSpace(new Rune(codePoint)))
            {
                // White space inside a Han run (PDF extraction, justified text) does not split it.
                int next = i;
                int following = -1;
                while (next < lower.Length)
                {
                    int at = next;
                    following = CodePoints.Next(lower, ref next);
                    if (!Rune.IsWhiteSpace(new Rune(following)))
                    {
                        next = at;
                        break;
                    }
                    following = -1;
                }
                if (following >= 0 && LanguageGuess.IsHan(following))
                {
                    i = next;
                    continue;
                }
            }
            if (run == 1) sink.Add(pair[..new Rune(previousHan).EncodeToUtf16(pair)]);
            run = 0;
            if (otherStart < 0) otherStart = start;
        }
        if (run == 1) sink.Add(pair[..new Rune(previousHan).EncodeToUtf16(pair)]);
        if (otherStart >= 0) Words(lower[otherStart..], sink);
    }
}

/// <summary>Per-thread buffers of <see cref="TfIdfVectorizer.TransformInto"/>: the lower-cased text, the term counts and the vector.</summary>
internal sealed class TransformScratch
{
    [ThreadStatic] private static TransformScratch? current;

    private char[] lower = new char[1024];

    public TermCounts Terms { get; } = new();
    public int[] Indices { get; private set; } = new int[256];
    public int[] Occurrences { get; private set; } = new int[256];
    public double[] Values { get; private set; } = new double[256];
    public int[] UnknownCounts { get; private set; } = new int[256];

    /// <summary>This thread's buffers. Not re-entrant: one transform at a time per thread.</summary>
    public static TransformScratch Rent() => current ??= new TransformScratch();

    public Span<char> Lower(int length)
    {
        if (lower.Length < length || lower.Length > Math.Max(length, 1 << 16)) lower = new char[Math.Max(1024, length)];
        return lower.AsSpan(0, length);
    }

    public void EnsureCapacity(int terms)
    {
        if (Indices.Length >= terms && Indices.Length <= Math.Max(terms, 1 << 14)) return;
        int size = Math.Max(256, terms);
        Indices = new int[size];
        Occurrences = new int[size];
        Values = new double[size];
        UnknownCounts = new int[size];
    }
}

