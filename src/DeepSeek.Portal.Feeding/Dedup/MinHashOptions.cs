namespace DeepSeek.Portal.Feeding.Dedup;

/// <summary>
/// Settings of MinHash near-duplicate detection. The defaults follow data-juicer's document MinHash deduplicator
/// (256 permutations, Jaccard 0.7, seed 42, 5-grams, lower case) except that shingles are characters, not words,
/// so that Chinese text, which has no spaces, is shingled the same way as English.
/// </summary>
public sealed record MinHashOptions
{
    /// <summary>Number of hash functions (signature length). At least 128; default 256, as data-juicer.</summary>
    public int Permutations { get; init; } = 256;

    /// <summary>Jaccard similarity from which two records count as near duplicates; default 0.7, as data-juicer.</summary>
    public double Threshold { get; init; } = 0.7;

    /// <summary>Characters per shingle for Latin-script and other text; default 5, as data-juicer's 5-gram window.</summary>
    public int ShingleSize { get; init; } = 5;

    /// <summary>
    /// Characters per shingle for text that <see cref="Text.LanguageGuess"/> classifies as Chinese; default 3. A Han
    /// character carries about 2.3 times the information of an English letter (9.6 against 4.1 bits), so three Han
    /// characters (about 1.5–2 words) hold roughly what five letters hold; 5-grams would make a single-character edit
    /// in Chinese destroy as many shingles as a whole-word edit in English.
    /// </summary>
    public int ChineseShingleSize { get; init; } = 3;

    /// <summary>Seed of the hash family (SplitMix64); the same seed gives the same signatures on every machine.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Number of LSH bands; null derives bands and rows from <see cref="Threshold"/> (<see cref="LshParameters.Optimal"/>).</summary>
    public int? Bands { get; init; }

    /// <summary>Rows (signature values) per band; set together with <see cref="Bands"/>.</summary>
    public int? Rows { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Permutations is < 128 or > 4096)
            throw new ArgumentException($"Permutations must be between 128 and 4096, not {Permutations}.", nameof(Permutations));
        if (!(Threshold is > 0 and < 1))
            throw new ArgumentException($"Threshold must be strictly between 0 and 1, not {Threshold}.", nameof(Threshold));
        if (ShingleSize is < 1 or > 64)
            throw new ArgumentException($"ShingleSize must be between 1 and 64, not {ShingleSize}.", nameof(ShingleSize));
        if (ChineseShingleSize is < 1 or > 64)
            throw new ArgumentException($"ChineseShingleSize must be between 1 and 64, not {ChineseShingleSize}.", nameof(ChineseShingleSize));
        if (Bands.HasValue != Rows.HasValue)
            throw new ArgumentException("Bands and Rows are set together or not at all.", nameof(Bands));
        if (Bands is { } b && Rows is { } r && (b < 1 || r < 1 || (long)b * r > Permutations))
            throw new ArgumentException($"Bands × Rows ({Bands} × {Rows}) must be positive and at most Permutations ({Permutations}).", nameof(Bands));
    }
}
