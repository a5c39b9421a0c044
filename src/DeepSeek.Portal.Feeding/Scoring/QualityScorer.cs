namespace DeepSeek.Portal.Feeding.Scoring;

/// <summary>Which side of a threshold a record must fall on to be kept.</summary>
public enum PassDirection
{
    /// <summary>Keep the record when its score is at least the threshold (domain similarity).</summary>
    KeepAtLeast,

    /// <summary>Keep the record when its score is at most the threshold (noise probability, repetition ratios).</summary>
    KeepAtMost,

    /// <summary>Keep the record when its score lies inside a band [low, high] (character entropy).</summary>
    KeepInside,
}

/// <summary>
/// A per-record quality score that the portal plots as a histogram with a movable threshold. Each scorer states
/// its direction and default so the histogram can shade the kept side and show how many records pass.
/// </summary>
public interface IQualityScorer
{
    /// <summary>A stable machine name (<c>domain_similarity</c>, <c>entropy</c> …) used in the API and in lineage.</summary>
    string Name { get; }

    /// <summary>Which side of the threshold is kept.</summary>
    PassDirection Direction { get; }

    /// <summary>The record's score (units are the scorer's: cosine, bits per character …).</summary>
    double Score(string text);

    /// <summary>Whether the record passes with the scorer's configured threshold(s).</summary>
    bool Passes(string text);

    /// <summary>A short explanation for users: what the score measures, its default and where the default comes from.</summary>
    string Describe();
}
