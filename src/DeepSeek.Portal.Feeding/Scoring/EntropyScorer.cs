using System.Globalization;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Scoring;

/// <summary>A range of text lengths in code points, [<see cref="MinLength"/>, <see cref="MaxLength"/>).</summary>
/// <param name="Label">How the band is shown, e.g. <c>50–200</c>.</param>
/// <param name="MinLength">Shortest length in the band.</param>
/// <param name="MaxLength">First length above the band; null for the open top band.</param>
public sealed record EntropyBand(string Label, int MinLength, int? MaxLength)
{
    /// <summary>Whether a text of <paramref name="length"/> code points falls in this band.</summary>
    public bool Contains(int length) => length >= MinLength && (MaxLength is null || length < MaxLength);
}

/// <summary>The length bands entropy thresholds are set for: &lt;50, 50–200, 200–1000, ≥1000 code points.</summary>
public static class EntropyBands
{
    /// <summary>Under 50 characters.</summary>
    public static EntropyBand Short { get; } = new("<50", 0, 50);

    /// <summary>50 to 199 characters.</summary>
    public static EntropyBand Medium { get; } = new("50–200", 50, 200);

    /// <summary>200 to 999 characters.</summary>
    public static EntropyBand Long { get; } = new("200–1000", 200, 1000);

    /// <summary>1000 characters and more.</summary>
    public static EntropyBand VeryLong { get; } = new("≥1000", 1000, null);

    /// <summary>All bands, shortest first.</summary>
    public static IReadOnlyList<EntropyBand> All { get; } = [Short, Medium, Long, VeryLong];

    /// <summary>The band of a text of <paramref name="length"/> code points.</summary>
    public static EntropyBand Of(int length) => All.First(b => b.Contains(length));
}

/// <summary>The kept entropy range for one language class and length band.</summary>
/// <param name="Language">The language class.</param>
/// <param name="Band">The length band.</param>
/// <param name="Low">Keep texts with at least this many bits per character.</param>
/// <param name="High">Keep texts with at most this many bits per character.</param>
public sealed record EntropyRange(TextLanguage Language, EntropyBand Band, double Low, double High);

/// <summary>Settings of an <see cref="EntropyScorer"/>.</summary>
public sealed record EntropyOptions
{
    /// <summary>
    /// The kept range per language and length band. Default <see cref="DefaultRanges"/>: measured on real English prose
    /// and the Chinese seed document (docs/QUALITY.md), not the seed's 3.8–4.2, which holds for English letters only.
    /// </summary>
    public IReadOnlyList<EntropyRange> Ranges { get; init; } = DefaultRanges;

    /// <summary>Texts shorter than this many characters are not judged (always inside): a 10-character text cannot exceed log2 10 = 3.3 bits. Default 20.</summary>
    public int MinLength { get; init; } = 20;

    /// <summary>
    /// Measured defaults: mean ± 3 sd of windows of real text in each band (English: the repository's and the shared
    /// Markdown prose; Chinese: the seed document), rounded outward to 0.1; the Chinese ≥1000 high bound is the published
    /// 9.56 bits/char of a large Chinese corpus (the seed is too short to measure it); <see cref="TextLanguage.Other"/>
    /// takes the wider of the two. docs/QUALITY.md has the table and the command.
    /// </summary>
    public static IReadOnlyList<EntropyRange> DefaultRanges { get; } =
    [
        new(TextLanguage.Chinese, EntropyBands.Short, 2.7, 6.2),
        new(TextLanguage.Chinese, EntropyBands.Medium, 4.6, 7.4),
        new(TextLanguage.Chinese, EntropyBands.Long, 5.7, 7.9),
        new(TextLanguage.Chinese, EntropyBands.VeryLong, 6.6, 9.6),
        new(TextLanguage.English, EntropyBands.Short, 2.5, 4.9),
        new(TextLanguage.English, EntropyBands.Medium, 3.6, 5.3),
        new(TextLanguage.English, EntropyBands.Long, 4.1, 5.4),
        new(TextLanguage.English, EntropyBands.VeryLong, 4.3, 5.3),
        new(TextLanguage.Other, EntropyBands.Short, 2.5, 6.2),
        new(TextLanguage.Other, EntropyBands.Medium, 3.6, 7.4),
        new(TextLanguage.Other, EntropyBands.Long, 4.1, 7.9),
        new(TextLanguage.Other, EntropyBands.VeryLong, 4.3, 9.6),
    ];
}

/// <summary>One text's entropy and the range it was judged against.</summary>
/// <param name="BitsPerCharacter">The plug-in Shannon entropy over code points.</param>
/// <param name="Length">The text's length in code points.</param>
/// <param name="Range">The range for the text's language class and length band.</param>
/// <param name="Judged">False for texts shorter than <see cref="EntropyOptions.MinLength"/>, which always count as inside.</param>
public sealed record EntropyResult(double BitsPerCharacter, int Length, EntropyRange Range, bool Judged = true)
{
    /// <summary>Whether the record is kept: inside the range, or too short to judge.</summary>
    public bool Inside => !TooLow && !TooHigh;

    /// <summary>Below the range: repetitive text ("aaaa", one phrase over and over).</summary>
    public bool TooLow => Judged && BitsPerCharacter < Range.Low;

    /// <summary>Above the range: random characters, symbol soup, mojibake in a Latin-script text.</summary>
    public bool TooHigh => Judged && BitsPerCharacter > Range.High;
}

/// <summary>
/// Shannon character entropy (bits/char, code points) judged against a range that depends on the text's language
/// class (<see cref="LanguageGuess"/>) and length band, because the plug-in estimate grows with the alphabet (Han
/// text has thousands of symbols) and with length (it cannot exceed log2 of the length). Keep inside [low, high].
/// </summary>
public sealed class EntropyScorer : IQualityScorer
{
    // [language, band]: the first configured range of each pair, looked up once per record.
    private readonly EntropyRange[,] ranges;

    /// <summary>Creates the scorer with <paramref name="options"/> (default: measured ranges).</summary>
    public EntropyScorer(EntropyOptions? options = null)
    {
        Options = options ?? new EntropyOptions();
        var languages = Enum.GetValues<TextLanguage>();
        ranges = new EntropyRange[languages.Length, EntropyBands.All.Count];
        foreach (var language in languages)
            for (int band = 0; band < EntropyBands.All.Count; band++)
                ranges[(int)language, band] = Options.Ranges.FirstOrDefault(r => r.Language == language && r.Band == EntropyBands.All[band])
                    ?? throw new ArgumentException($"No entropy range for {language} texts of {EntropyBands.All[band].Label} characters.", nameof(options));
    }

    /// <summary>The machine name, <c>entropy</c>.</summary>
    public string Name => "entropy";

    /// <inheritdoc/>
    public PassDirection Direction => PassDirection.KeepInside;

    /// <summary>The settings in use.</summary>
    public EntropyOptions Options { get; }

    /// <summary>Bits per character of <paramref name="text"/>.</summary>
    public double Score(string text) => CharacterEntropy.BitsPerCharacter(text);

    /// <summary>The entropy with the range for the text's language and length.</summary>
    public EntropyResult Evaluate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // One walk over the code points for the length, the language class and the histogram.
        var histogram = CharacterHistogram.Rent();
        var language = new LanguageCounts();
        var span = text.AsSpan();
        int length = 0;
        for (int i = 0; i < span.Length; length++)
        {
            int codePoint = CodePoints.Next(span, ref i);
            histogram.Add(codePoint);
            language.Add(codePoint);
        }
        return Judge(histogram.BitsPerCharacter(length), length, language.Classify());
    }

    /// <summary>The result for a text whose entropy, length and language class a caller has already measured.</summary>
    internal EntropyResult Judge(double bitsPerCharacter, int length, TextLanguage language) =>
        new(bitsPerCharacter, length, RangeFor(language, length), length >= Options.MinLength);

    /// <summary>The configured range for a language class and a length in code points.</summary>
    public EntropyRange RangeFor(TextLanguage language, int length) => ranges[(int)language, BandIndex(length)];

    private static int BandIndex(int length)
    {
        var bands = EntropyBands.All;
        for (int i = 0; i < bands.Count; i++)
            if (bands[i].Contains(length)) return i;
        throw new ArgumentOutOfRangeException(nameof(length), length, "No entropy band holds this length.");
    }

    /// <inheritdoc/>
    public bool Passes(string text) => Evaluate(text).Inside;

    /// <inheritdoc/>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Character entropy: Shannon entropy of the record's characters in bits per character. Keep inside a range set per language "
        + $"(zh/en/other) and length band ({string.Join(", ", EntropyBands.All.Select(b => b.Label))} characters), measured on real text; "
        + $"for example English 50–200: {RangeFor(TextLanguage.English, 100).Low:0.0}–{RangeFor(TextLanguage.English, 100).High:0.0}, "
        + $"Chinese 50–200: {RangeFor(TextLanguage.Chinese, 100).Low:0.0}–{RangeFor(TextLanguage.Chinese, 100).High:0.0}. "
        + $"Too low means repetition, too high means random characters.");
}
