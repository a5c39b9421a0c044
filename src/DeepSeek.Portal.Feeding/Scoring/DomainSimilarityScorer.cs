using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;

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
    // term index → (reference, weight): only references sharing a term with the record are visited.
    private readonly List<(int Reference, double Weight)>[] _postings;

    private DomainSimilarityScorer(DomainSimilarityOptions options, TfIdfVectorizer vectorizer, SparseVector[] references)
    {
        Options = options;
        Vectorizer = vectorizer;
        _references = references;
        _centroid = TfIdfVectorizer.Centroid(references);
        _postings = new List<(int, double)>[vectorizer.Terms.Count];
        for (int r = 0; r < references.Length; r++)
            for (int k = 0; k < references[r].Indices.Count; k++)
                (_postings[references[r].Indices[k]] ??= []).Add((r, references[r].Values[k]));
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
        var v = Vectorizer.Transform(text, Options.CountUnknownTermsInNorm);
        if (Options.Mode == DomainSimilarityMode.Centroid) return v.Dot(_centroid);

        // A dense accumulator over the references: a dictionary here cost more than the vectorising itself. Weights
        // are positive, so references that share no term (left at 0) never beat one that does.
        var dots = ArrayPool<double>.Shared.Rent(_references.Length);
        try
        {
            Array.Clear(dots, 0, _references.Length);
            bool any = false;
            for (int k = 0; k < v.Indices.Count; k++)
            {
                if (_postings[v.Indices[k]] is not { } postings) continue;
                any = true;
                var value = v.Values[k];
                foreach (var (reference, weight) in CollectionsMarshal.AsSpan(postings))
                    dots[reference] += weight * value;
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

    /// <inheritdoc/>
    public bool Passes(string text) => Score(text) >= Options.KeepAtLeast;

    /// <inheritdoc/>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Domain similarity: TF-IDF cosine (smoothed idf, L2 norm; words for Latin script, character bigrams for Chinese) between a record and "
        + $"{(Options.Mode == DomainSimilarityMode.Centroid ? "the centroid of" : "the closest text of")} the {ReferenceCount} reference texts. "
        + $"Keep ≥ {Options.KeepAtLeast:0.##} (seed default 0.75). 1 = same wording as the domain, 0 = no shared term.");
}
