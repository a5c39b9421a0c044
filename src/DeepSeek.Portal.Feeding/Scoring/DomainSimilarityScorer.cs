using System.Buffers;
using System.Globalization;

namespace DeepSeek.Portal.Feeding.Scoring;

/// <summary>How a record is compared with the domain reference set.</summary>
public enum DomainSimilarityMode
{
    /// <summary>
    /// Cosine between the record and the single best-matching reference text. A record is "in the domain" when it
    /// resembles some reference text closely; a reference set that spans many sub-topics (balances, loans, opening
    /// hours) is not averaged into a blur. Cost grows with the reference set (an inverted index keeps it sparse).
    /// </summary>
    MaxOverReferences,

    /// <summary>Cosine between the record and the normalised mean of the reference vectors: one dot product per record, but a broad domain scores every single record low.</summary>
    Centroid,
}

/// <summary>Settings of a <see cref="DomainSimilarityScorer"/>.</summary>
public sealed record DomainSimilarityOptions
{
    /// <summary>The seed's default: keep a record whose similarity to the domain is at least 0.75.</summary>
    public const double DefaultKeepAtLeast = 0.75;

    /// <summary>Keep records scoring at least this (cosine, 0–1). Default 0.75 (seed section 2.1); see docs/QUALITY.md for measured separation.</summary>
    public double KeepAtLeast { get; init; } = DefaultKeepAtLeast;

    /// <summary>Best single reference (default) or the reference centroid; docs/QUALITY.md compares both on the demo data.</summary>
    public DomainSimilarityMode Mode { get; init; } = DomainSimilarityMode.MaxOverReferences;

    /// <summary>Tokenisation and weighting; default words for Latin script, character bigrams for Han, smoothed idf, raw tf.</summary>
    public TfIdfOptions TfIdf { get; init; } = new();

    /// <summary>Let a record's terms that never occur in the reference set lengthen its vector (default true), so off-domain words lower the score.</summary>
    public bool CountUnknownTermsInNorm { get; init; } = true;
}

/// <summary>
/// Domain similarity: TF-IDF (fitted on the reference set the user picks) cosine between a record and that set.
/// Keep ≥ <see cref="DomainSimilarityOptions.KeepAtLeast"/>.
/// </summary>
public sealed class DomainSimilarityScorer : IQualityScorer
{
    private readonly SparseVector[] _references;
    private readonly SparseVector _centroid;
    // Postings in one flat table: term index t → references postingReferences[postingStarts[t] .. postingStarts[t + 1]]
    // with their weights, in reference order. Only references sharing a term with the record are visited.
    private readonly int[] _postingStarts;
    private readonly int[] _postingReferences;
    private readonly double[] _postingWeights;

    private DomainSimilarityScorer(DomainSimilarityOptions options, TfIdfVectorizer vectorizer, SparseVector[] references)
    {
        Options = options;
        Vectorizer = vectorizer;
        _references = references;
        _centroid = TfIdfVectorizer.Centroid(references);
        _postingStarts = new int[vectorizer.Terms.Count + 1];
        foreach (var reference in references)
            foreach (int term in reference.Indices) _postingStarts[term + 1]++;
        for (int t = 0; t < vectorizer.Terms.Count; t++) _postingStarts[t + 1] += _postingStarts[t];
        _postingReferences = new int[_postingStarts[^1]];
        _postingWeights = new double[_postingStarts[^1]];
        var next = _postingStarts[..^1];
        for (int r = 0; r < references.Length; r++)
        {
            for (int k = 0; k < references[r].Indices.Count; k++)
            {
                int at = next[references[r].Indices[k]]++;
                _postingReferences[at] = r;
                _postingWeights[at] = references[r].Values[k];
            }
        }
    }

    /// <summary>The machine name, <c>domain_similarity</c>.</summary>
    public string Name => "domain_similarity";

    /// <inheritdoc/>
    public PassDirection Direction => PassDirection.KeepAtLeast;

    /// <summary>The settings in use.</summary>
    public DomainSimilarityOptions Options { get; }

    /// <summary>The vectorizer fitted on the reference set.</summary>
    public TfIdfVectorizer Vectorizer { get; }

    /// <summary>Number of reference texts.</summary>
    public int ReferenceCount => _references.Length;

    /// <summary>Fits the scorer on the domain reference set (at least one non-empty text).</summary>
    public static DomainSimilarityScorer Fit(IEnumerable<string> references, DomainSimilarityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(references);
        options ??= new DomainSimilarityOptions();
        var texts = references.Where(t => !string.IsNullOrWhiteSpace(t)).ToArray();
        if (texts.Length == 0) throw new ArgumentException("The domain reference set holds no text.", nameof(references));
        var vectorizer = TfIdfVectorizer.Fit(texts, options.TfIdf);
        return new DomainSimilarityScorer(options, vectorizer, [.. texts.Select(t => vectorizer.Transform(t))]);
    }

    /// <summary>Cosine similarity (0–1) between <paramref name="text"/> and the reference set, per <see cref="DomainSimilarityOptions.Mode"/>.</summary>
    public double Score(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var scratch = TransformScratch.Rent();
        int count = Vectorizer.TransformInto(text, Options.CountUnknownTermsInNorm, scratch);
        var indices = scratch.Indices.AsSpan(0, count);
        var values = scratch.Values.AsSpan(0, count);
        if (Options.Mode == DomainSimilarityMode.Centroid) return Dot(indices, values, _centroid);

        // A dense accumulator over the references: a dictionary here cost more than the vectorising itself. Weights
        // are positive, so references that share no term (left at 0) never beat one that does. Each reference's dot
        // product adds the record's terms in index order, as SparseVector.Dot would.
        var dots = ArrayPool<double>.Shared.Rent(_references.Length);
        try
        {
            Array.Clear(dots, 0, _references.Length);
            bool any = false;
            for (int k = 0; k < indices.Length; k++)
            {
                int from = _postingStarts[indices[k]], to = _postingStarts[indices[k] + 1];
                if (from == to) continue;
                any = true;
                var value = values[k];
                for (int p = from; p < to; p++)
                    dots[_postingReferences[p]] += _postingWeights[p] * value;
            }
            if (!any) return 0;
            double best = 0;
            foreach (var dot in dots.AsSpan(0, _references.Length)) best = Math.Max(best, dot);
            // Rounding can push an identical text a hair above 1.
            return Math.Min(1, best);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(dots);
        }
    }

    // SparseVector.Dot's merge, over the scratch vector.
    private static double Dot(ReadOnlySpan<int> indices, ReadOnlySpan<double> values, SparseVector other)
    {
        double sum = 0;
        int i = 0, j = 0;
        while (i < indices.Length && j < other.Indices.Count)
        {
            int a = indices[i], b = other.Indices[j];
            if (a == b) sum += values[i++] * other.Values[j++];
            else if (a < b) i++;
            else j++;
        }
        return sum;
    }

    /// <inheritdoc/>
    public bool Passes(string text) => Score(text) >= Options.KeepAtLeast;

    /// <inheritdoc/>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Domain similarity: TF-IDF cosine (smoothed idf, L2 norm; words for Latin script, character bigrams for Chinese) between a record and "
        + $"{(Options.Mode == DomainSimilarityMode.Centroid ? "the centroid of" : "the closest text of")} the {ReferenceCount} reference texts. "
        + $"Keep ≥ {Options.KeepAtLeast:0.##} (seed default 0.75). 1 = same wording as the domain, 0 = no shared term.");
}
