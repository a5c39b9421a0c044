using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Statistics;

/// <summary>Records per language class (<see cref="LanguageGuess"/>).</summary>
/// <param name="Chinese">Records classified as Chinese.</param>
/// <param name="English">Records classified as English (Latin script).</param>
/// <param name="Other">All other records.</param>
public sealed record LanguageMix(
    [property: JsonPropertyName("zh")] long Chinese,
    [property: JsonPropertyName("en")] long English,
    [property: JsonPropertyName("other")] long Other);

/// <summary>One bin of the length histogram: records of at least <paramref name="From"/> and fewer than <paramref name="To"/> characters.</summary>
/// <param name="From">Inclusive lower bound in characters (code points).</param>
/// <param name="To">Exclusive upper bound; null for the open last bin.</param>
/// <param name="Count">Records in the bin.</param>
public sealed record LengthBin(long From, long? To, long Count);

/// <summary>Record lengths in characters (code points).</summary>
/// <param name="Min">Shortest record.</param>
/// <param name="Mean">Mean length.</param>
/// <param name="Median">Median (nearest rank): exact below 1,024 characters, within 1 % above.</param>
/// <param name="P95">95th percentile (nearest rank), same accuracy as the median.</param>
/// <param name="Max">Longest record.</param>
public sealed record LengthSummary(long Min, double Mean, long Median, long P95, long Max);

/// <summary>Tokenizer coverage of the whole dataset.</summary>
/// <param name="Tokens">Tokens over all records.</param>
/// <param name="ByteFallbackTokens">Of those, byte-fallback tokens.</param>
/// <param name="TokensPerCharacter">Tokens ÷ characters.</param>
/// <param name="ByteFallbackRate">Byte-fallback tokens ÷ tokens: high when the tokenizer does not know the text's characters.</param>
public sealed record TokenSummary(long Tokens, long ByteFallbackTokens, double TokensPerCharacter, double ByteFallbackRate);

/// <summary>Statistics of one dataset version, as stored and shown (JSON-serialisable).</summary>
/// <param name="Records">Number of records.</param>
/// <param name="Characters">Characters (Unicode code points) over all records.</param>
/// <param name="Languages">Language mix.</param>
/// <param name="LengthHistogram">Fixed log-spaced bins: 0–16, 16–32, 32–64, … 32,768–65,536 and ≥ 65,536 characters.</param>
/// <param name="DistinctCharacters">Number of distinct code points (exact).</param>
/// <param name="Length">Length summary; null when there are no records.</param>
/// <param name="Tokens">Tokenizer coverage; null when no <see cref="ITokenCoverage"/> was supplied.</param>
public sealed record DatasetStatisticsResult(
    long Records,
    long Characters,
    LanguageMix Languages,
    IReadOnlyList<LengthBin> LengthHistogram,
    int DistinctCharacters,
    LengthSummary? Length,
    TokenSummary? Tokens)
{
    /// <summary>The result as JSON in web style (camelCase names, language codes <c>zh</c>/<c>en</c>/<c>other</c>), as a version stores it.</summary>
    public JsonObject ToJson() => JsonSerializer.SerializeToNode(this, JsonSerializerOptions.Web)!.AsObject();

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static DatasetStatisticsResult FromJson(JsonNode json) =>
        json.Deserialize<DatasetStatisticsResult>(JsonSerializerOptions.Web) ?? throw new JsonException("Statistics JSON is null.");
}

/// <summary>
/// Streaming statistics of a dataset version: <see cref="Add"/> each record, then read <see cref="Result"/>.
/// </summary>
/// <remarks>
/// Memory is fixed, whatever the dataset size: a bitset over the whole code-point space (0x110000 bits, 136 KiB) for
/// distinct characters, exact length counts below 1,024 characters and 1 %-wide logarithmic buckets above (for the
/// median and 95th percentile), and a few counters. <see cref="Add"/> allocates nothing (the optional tokenizer may).
/// Not thread-safe; accumulate per thread and <see cref="Merge"/>.
/// </remarks>
public sealed class DatasetStatistics
{
    /// <summary>Upper bounds of the histogram bins (the last bin is open).</summary>
    public static IReadOnlyList<long> BinEdges { get; } = [.. Enumerable.Range(4, 13).Select(p => 1L << p)]; // 16 … 65,536

    private const int ExactLimit = 1024;
    private const double Gamma = 1.02; // bucket width ratio: the bucket midpoint is within 1 % of every length in it
    private static readonly double LogGamma = Math.Log(Gamma);

    private readonly ITokenCoverage? coverage;
    private readonly ulong[] seen = new ulong[0x110000 / 64];
    private readonly long[] histogram = new long[BinEdges.Count + 1];
    private readonly long[] quantileBuckets = new long[ExactLimit + 1100]; // 1.02^1100 × 1,024 exceeds any string length
    private long chinese, english, other, tokens, byteFallback, characters, min = long.MaxValue, max;

    /// <summary>Statistics without (<paramref name="coverage"/> null) or with tokenizer coverage.</summary>
    public DatasetStatistics(ITokenCoverage? coverage = null) => this.coverage = coverage;

    /// <summary>Number of records added.</summary>
    public long Records { get; private set; }

    /// <summary>Adds one record.</summary>
    public void Add(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        long length = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            length++;
            int v = rune.Value;
            seen[v >> 6] |= 1UL << (v & 63);
        }

        Records++;
        characters += length;
        min = Math.Min(min, length);
        max = Math.Max(max, length);
        histogram[HistogramBin(length)]++;
        quantileBuckets[QuantileBucket(length)]++;
        switch (LanguageGuess.Classify(text))
        {
            case TextLanguage.Chinese: chinese++; break;
            case TextLanguage.English: english++; break;
            default: other++; break;
        }
        if (coverage is not null)
        {
            var (t, fallback) = coverage.Measure(text);
            tokens += t;
            byteFallback += fallback;
        }
    }

    /// <summary>Adds the counts of <paramref name="other"/> (statistics accumulated in parallel).</summary>
    public void Merge(DatasetStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < seen.Length; i++) seen[i] |= other.seen[i];
        for (int i = 0; i < histogram.Length; i++) histogram[i] += other.histogram[i];
        for (int i = 0; i < quantileBuckets.Length; i++) quantileBuckets[i] += other.quantileBuckets[i];
        Records += other.Records;
        characters += other.characters;
        chinese += other.chinese;
        english += other.english;
        this.other += other.other;
        tokens += other.tokens;
        byteFallback += other.byteFallback;
        min = Math.Min(min, other.min);
        max = Math.Max(max, other.max);
    }

    /// <summary>The statistics so far.</summary>
    public DatasetStatisticsResult Result()
    {
        var bins = new LengthBin[histogram.Length];
        for (int i = 0; i < bins.Length; i++)
            bins[i] = new LengthBin(i == 0 ? 0 : BinEdges[i - 1], i < BinEdges.Count ? BinEdges[i] : null, histogram[i]);

        int distinct = 0;
        foreach (ulong word in seen) distinct += BitOperations.PopCount(word);

        LengthSummary? lengths = Records == 0 ? null : new LengthSummary(
            min, (double)characters / Records, Math.Clamp(Quantile(0.5), min, max), Math.Clamp(Quantile(0.95), min, max), max);
        TokenSummary? tokenSummary = coverage is null ? null : new TokenSummary(
            tokens, byteFallback,
            characters == 0 ? 0 : (double)tokens / characters,
            tokens == 0 ? 0 : (double)byteFallback / tokens);
        return new DatasetStatisticsResult(Records, characters, new LanguageMix(chinese, english, other), bins, distinct, lengths, tokenSummary);
    }

    private static int HistogramBin(long length)
    {
        if (length < 16) return 0;
        int bin = BitOperations.Log2((ulong)length) - 3; // 16–31 → 1, 32–63 → 2, …
        return Math.Min(bin, BinEdges.Count);
    }

    private static int QuantileBucket(long length) =>
        length < ExactLimit ? (int)length : ExactLimit + (int)(Math.Log((double)length / ExactLimit) / LogGamma);

    /// <summary>Nearest-rank quantile: the smallest length whose cumulative count reaches ⌈q·N⌉.</summary>
    private long Quantile(double q)
    {
        long rank = Math.Max(1, (long)Math.Ceiling(q * Records)), cumulative = 0;
        for (int i = 0; i < quantileBuckets.Length; i++)
        {
            cumulative += quantileBuckets[i];
            if (cumulative >= rank)
                return i < ExactLimit ? i : (long)Math.Round(ExactLimit * Math.Pow(Gamma, i - ExactLimit + 0.5));
        }
        return max;
    }
}
