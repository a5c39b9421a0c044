using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Scoring;

/// <summary>One heuristic rule applied to one text: what was measured, the limit, and whether the rule fired (flags the text as noisy).</summary>
/// <param name="Name">Stable rule name, e.g. <c>duplicate_line_fraction</c> or <c>top_3gram_char_fraction</c>.</param>
/// <param name="Value">The measured value.</param>
/// <param name="Threshold">The limit the value is compared with.</param>
/// <param name="Fired">True when the value is on the wrong side of the threshold.</param>
/// <param name="Direction">Which side passes: <see cref="PassDirection.KeepAtMost"/> (value ≤ threshold) or <see cref="PassDirection.KeepAtLeast"/>.</param>
public sealed record RuleResult(string Name, double Value, double Threshold, bool Fired, PassDirection Direction)
{
    /// <summary>The rule as a user reads it, e.g. <c>special_character_ratio 0.41 &gt; 0.25</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name} {Value:0.###} {(Fired ? (Direction == PassDirection.KeepAtLeast ? "<" : ">") : (Direction == PassDirection.KeepAtLeast ? "≥" : "≤"))} {Threshold:0.###}");
}

/// <summary>The label heuristic rules suggest for a text, to bootstrap the noise classifier's training labels.</summary>
public enum NoiseLabel
{
    /// <summary>No rule fired.</summary>
    Clean,

    /// <summary>One rule fired narrowly, or the text is too short to judge: a person should look.</summary>
    Unsure,

    /// <summary>Two or more rules fired, or one fired clearly, or the text is empty.</summary>
    Noisy,
}

/// <summary>Thresholds of <see cref="HeuristicRules"/>; each default names the toolkit it comes from.</summary>
public sealed record HeuristicOptions
{
    /// <summary>Gopher repetition: at most this fraction of (non-empty) lines may repeat an earlier line. Default 0.30.</summary>
    public double MaxDuplicateLineFraction { get; init; } = 0.30;

    /// <summary>Gopher repetition: at most this fraction of characters may sit in repeated lines. Default 0.20.</summary>
    public double MaxDuplicateLineCharFraction { get; init; } = 0.20;

    /// <summary>Gopher: the most frequent repeated n-gram may cover at most this fraction of characters, for n = 2, 3, 4. Default 0.20, 0.18, 0.16.</summary>
    public IReadOnlyList<double> MaxTopNgramCharFraction { get; init; } = [0.20, 0.18, 0.16];

    /// <summary>Gopher: repeated n-grams may cover at most this fraction of characters, for n = 5 … 10. Default 0.15 … 0.10.</summary>
    public IReadOnlyList<double> MaxDuplicateNgramCharFraction { get; init; } = [0.15, 0.14, 0.13, 0.12, 0.11, 0.10];

    /// <summary>
    /// Chinese has no spaces, so its n-grams count characters (each Han character is a unit) and n is multiplied by this
    /// (a Chinese word is about two characters): the top 2-gram rule looks at 4-character n-grams. Default 2.
    /// </summary>
    public int ChineseNgramScale { get; init; } = 2;

    /// <summary>
    /// Gopher's smallest document (50 words; ×<see cref="ChineseNgramScale"/> characters for Chinese). Shorter records
    /// (one dialogue) echo a phrase once by nature, so there an n-gram counts as repeated only from its third occurrence.
    /// </summary>
    public int GopherMinWords { get; init; } = 50;

    /// <summary>In records shorter than <see cref="GopherMinWords"/>, the occurrence from which an n-gram counts as repeated. Default 4 (measured: with 3, 1.4 % of the clean demo records fired).</summary>
    public int ShortRecordMinOccurrences { get; init; } = 4;

    /// <summary>
    /// data-juicer <c>special_characters_filter</c>: at most this share of ASCII punctuation, digits and whitespace,
    /// symbols and emoji. Default 0.45, not data-juicer's 0.25: whitespace alone is about 18 % of English, and 0.25 fired
    /// on 1005 of the 3000 clean demo records (the clean maximum measured 0.39; docs/QUALITY.md).
    /// </summary>
    public double MaxSpecialCharacterRatio { get; init; } = 0.45;

    /// <summary>data-juicer <c>alphanumeric_filter</c>: at least this share of letters and digits (Han counts as letters). Default 0.25.</summary>
    public double MinAlphanumericRatio { get; init; } = 0.25;

    /// <summary>data-juicer <c>character_repetition_filter</c> (10-character n-grams, top ⌊√distinct⌋ repeated ones): at most this ratio. Default 0.5.</summary>
    public double MaxCharacterRepetitionRatio { get; init; } = 0.5;

    /// <summary>Gopher quality, English only: mean word length in [3, 10]. Default 3.</summary>
    public double MinMeanWordLength { get; init; } = 3;

    /// <summary>Gopher quality, English only: mean word length in [3, 10]. Default 10.</summary>
    public double MaxMeanWordLength { get; init; } = 10;

    /// <summary>Gopher quality, English only: at least this share of words contain a letter. Default 0.8.</summary>
    public double MinWordsWithLetterFraction { get; init; } = 0.8;

    /// <summary>Ours: at most this share of characters that look like mojibake (U+FFFD, control characters, UTF-8 bytes read as Latin-1/CP1252 such as "Ã©", "â€™"). Default 0.02.</summary>
    public double MaxMojibakeFraction { get; init; } = 0.02;

    /// <summary>Ours: at most this share of characters inside HTML tags or entities. Default 0.2.</summary>
    public double MaxMarkupFraction { get; init; } = 0.2;

    /// <summary>Character entropy, judged per language and length band (<c>entropy_low</c>, <c>entropy_high</c>). Default: the measured ranges.</summary>
    public EntropyOptions Entropy { get; init; } = new();

    /// <summary>Texts with fewer non-space characters than this get <see cref="NoiseLabel.Unsure"/> unless a rule fires clearly. Default 10.</summary>
    public int MinJudgedLength { get; init; } = 10;

    /// <summary>A single fired rule makes a text <see cref="NoiseLabel.Noisy"/> when it misses its threshold by more than this fraction of the threshold; otherwise <see cref="NoiseLabel.Unsure"/>. Default 0.25.</summary>
    public double ClearMargin { get; init; } = 0.25;
}

/// <summary>
/// Named noise rules (Gopher repetition and quality, data-juicer ratios, entropy, mojibake, markup), each reporting its
/// value and threshold so the portal can show which rule fired. They bootstrap the noise classifier's labels and work
/// as a scorer on their own: the score is the number of rules fired, keep ≤ 0.
/// </summary>
/// <remarks>
/// Adaptations for short and Chinese records: Gopher's document-level rules (≥ 50 words, bullet and ellipsis lines,
/// stop words) are left out because the portal's records are single dialogues of one or two lines; a top n-gram only
/// counts when it occurs at least twice (Gopher applies the rule to documents of ≥ 50 words, where a single n-gram never
/// reaches 16 %); Chinese n-grams are over characters with n scaled by <see cref="HeuristicOptions.ChineseNgramScale"/>.
/// </remarks>
public sealed partial class HeuristicRules : IQualityScorer
{
    private readonly EntropyScorer _entropy;

    /// <summary>Creates the rules with <paramref name="options"/> (default thresholds when null).</summary>
    public HeuristicRules(HeuristicOptions? options = null)
    {
        Options = options ?? new HeuristicOptions();
        if (Options.MaxTopNgramCharFraction.Count != 3 || Options.MaxDuplicateNgramCharFraction.Count != 6)
            throw new ArgumentException("Top n-gram thresholds are for n = 2..4 (3 values), duplicate n-gram thresholds for n = 5..10 (6 values).", nameof(options));
        _entropy = new EntropyScorer(Options.Entropy);
    }

    /// <summary>The rules with their default thresholds.</summary>
    public static HeuristicRules Default { get; } = new();

    /// <summary>The thresholds in use.</summary>
    public HeuristicOptions Options { get; }

    /// <summary>The machine name, <c>noise_rules</c>.</summary>
    public string Name => "noise_rules";

    /// <inheritdoc/>
    public PassDirection Direction => PassDirection.KeepAtMost;

    private static readonly string[] TopNgramNames = [.. Enumerable.Range(2, 3).Select(n => $"top_{n}gram_char_fraction")];
    private static readonly string[] DuplicateNgramNames = [.. Enumerable.Range(5, 6).Select(n => $"duplicate_{n}gram_char_fraction")];

    /// <summary>Applies every rule to <paramref name="text"/>, in a fixed order.</summary>
    /// <remarks>
    /// One walk over the text's code points gathers what the rules share (units, language, character classes,
    /// histogram) into per-thread buffers; the n-gram rules hash windows over prefix hashes, so each is linear in the
    /// text. Allocates the results and little else. Thread-safe.
    /// </remarks>
    public IReadOnlyList<RuleResult> Evaluate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var scan = Scan.Of(text);
        try
        {
            return EvaluateScanned(text, scan);
        }
        finally
        {
            scan.Trim();
        }
    }

    private List<RuleResult> EvaluateScanned(string text, Scan scan)
    {
        var language = scan.Language;
        var results = new List<RuleResult>(24);
        var total = Math.Max(1, scan.Length);

        void AtMost(string name, double value, double threshold) => results.Add(new(name, value, threshold, value > threshold, PassDirection.KeepAtMost));
        void AtLeast(string name, double value, double threshold) => results.Add(new(name, value, threshold, value < threshold, PassDirection.KeepAtLeast));

        // Gopher repetition: lines.
        var (lines, duplicateLines, duplicateLineChars) = scan.DuplicateLines(text);
        AtMost("duplicate_line_fraction", lines == 0 ? 0 : (double)duplicateLines / lines, Options.MaxDuplicateLineFraction);
        AtMost("duplicate_line_char_fraction", (double)duplicateLineChars / total, Options.MaxDuplicateLineCharFraction);

        // Gopher repetition: n-grams of units (words; Han characters for Chinese).
        int scale = language == TextLanguage.Chinese ? Options.ChineseNgramScale : 1;
        // A short record repeats by nature: the agent restates the question, a key term comes back three times in a
        // 60-character answer. There an n-gram counts as repeated from its ShortRecordMinOccurrences-th occurrence; in
        // a Gopher-sized document, from its second (Gopher's own rule).
        int minOccurrences = scan.Units >= Options.GopherMinWords * scale ? 2 : Options.ShortRecordMinOccurrences;
        scan.BeginNgrams(skipUnique: minOccurrences >= 2 && scale >= 1);
        for (int n = 2; n <= 4; n++)
            AtMost(TopNgramNames[n - 2], Math.Min(1, (double)scan.TopRepeatedNgramChars(n * scale, minOccurrences) / total), Options.MaxTopNgramCharFraction[n - 2]);
        for (int n = 5; n <= 10; n++)
            AtMost(DuplicateNgramNames[n - 5], (double)scan.DuplicateNgramChars(n * scale, minOccurrences) / total, Options.MaxDuplicateNgramCharFraction[n - 5]);

        // data-juicer ratios.
        AtMost("special_character_ratio", (double)scan.Special / total, Options.MaxSpecialCharacterRatio);
        AtLeast("alphanumeric_ratio", (double)scan.Alphanumeric / total, Options.MinAlphanumericRatio);
        AtMost("character_repetition_ratio", scan.CharacterRepetitionRatio(10), Options.MaxCharacterRepetitionRatio);

        // Gopher quality, for space-separated text.
        if (language == TextLanguage.English)
        {
            var (words, wordChars, withLetter) = Words(text);
            var mean = words == 0 ? 0 : (double)wordChars / words;
            AtLeast("mean_word_length_min", mean, Options.MinMeanWordLength);
            AtMost("mean_word_length_max", mean, Options.MaxMeanWordLength);
            AtLeast("words_with_letter_fraction", words == 0 ? 0 : (double)withLetter / words, Options.MinWordsWithLetterFraction);
        }

        // Entropy, per language and length band.
        var entropy = _entropy.Judge(scan.BitsPerCharacter, scan.Length, language);
        results.Add(new("entropy_low", entropy.BitsPerCharacter, entropy.Range.Low, entropy.TooLow, PassDirection.KeepAtLeast));
        results.Add(new("entropy_high", entropy.BitsPerCharacter, entropy.Range.High, entropy.TooHigh, PassDirection.KeepAtMost));

        AtMost("mojibake_fraction", (double)scan.MojibakeChars() / total, Options.MaxMojibakeFraction);
        AtMost("markup_fraction", (double)MarkupChars(text) / Math.Max(1, text.Length), Options.MaxMarkupFraction);
        return results;
    }

    /// <summary>
    /// A bootstrap label: <see cref="NoiseLabel.Noisy"/> for an empty text, two or more fired rules, or one rule missed
    /// by more than <see cref="HeuristicOptions.ClearMargin"/>; <see cref="NoiseLabel.Clean"/> when nothing fired and the
    /// text is long enough to judge; otherwise <see cref="NoiseLabel.Unsure"/>.
    /// </summary>
    public NoiseLabel SuggestLabel(string text) => SuggestLabel(text, Evaluate(text));

    /// <summary>The label of <see cref="SuggestLabel(string)"/> from results already computed by <see cref="Evaluate"/> for <paramref name="text"/>.</summary>
    public NoiseLabel SuggestLabel(string text, IReadOnlyList<RuleResult> results)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(results);
        if (string.IsNullOrWhiteSpace(text)) return NoiseLabel.Noisy;
        var fired = results.Where(r => r.Fired).ToList();
        if (fired.Count >= 2 || fired.Any(IsClear)) return NoiseLabel.Noisy;
        var judged = text.EnumerateRunes().Count(r => !Rune.IsWhiteSpace(r)) >= Options.MinJudgedLength;
        return fired.Count == 0 && judged ? NoiseLabel.Clean : NoiseLabel.Unsure;
    }

    /// <summary>The number of rules that fire on <paramref name="text"/>.</summary>
    public double Score(string text) => Evaluate(text).Count(r => r.Fired);

    /// <summary>True when no rule fires.</summary>
    public bool Passes(string text) => Score(text) == 0;

    /// <inheritdoc/>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Noise rules: Gopher repetition (duplicate lines ≤ {Options.MaxDuplicateLineFraction:0.##}, top 2/3/4-gram ≤ {string.Join("/", Options.MaxTopNgramCharFraction)}, duplicate 5–10-grams ≤ {Options.MaxDuplicateNgramCharFraction[0]:0.##}–{Options.MaxDuplicateNgramCharFraction[^1]:0.##} of characters; character n-grams ×{Options.ChineseNgramScale} for Chinese), "
        + $"special characters ≤ {Options.MaxSpecialCharacterRatio:0.##} and alphanumerics ≥ {Options.MinAlphanumericRatio:0.##} (data-juicer), character repetition ≤ {Options.MaxCharacterRepetitionRatio:0.##}, "
        + $"English mean word length {Options.MinMeanWordLength:0}–{Options.MaxMeanWordLength:0}, entropy inside its language/length range, mojibake ≤ {Options.MaxMojibakeFraction:0.##}, HTML markup ≤ {Options.MaxMarkupFraction:0.##}. "
        + $"The score is the number of rules that fire; keep 0.");

    private bool IsClear(RuleResult r) =>
        r.Threshold == 0 ? r.Value > 0 : Math.Abs(r.Value - r.Threshold) > Options.ClearMargin * Math.Abs(r.Threshold);

    private static readonly char[] WordEdgePunctuation = [.. "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’«»…"];

    [GeneratedRegex(@"<[A-Za-z/!][^<>]{0,500}>|&(?:[A-Za-z]{2,8}|#\d{1,6});")]
    private static partial Regex Markup();

    /// <summary>Words for space-separated text; each Han character is its own unit, so Chinese n-grams are character n-grams.</summary>
    /// <remarks>For tests and display: the rules hash the units in one walk over the text and build no strings.</remarks>
    internal static List<string> Units(string text)
    {
        var units = new List<string>();
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune) || LanguageGuess.IsHan(rune.Value))
            {
                if (word.Length > 0) units.Add(word.ToString());
                word.Clear();
                if (!Rune.IsWhiteSpace(rune)) units.Add(rune.ToString());
            }
            else
            {
                AppendRune(word, rune);
            }
        }
        if (word.Length > 0) units.Add(word.ToString());
        return units;
    }

    // Without Rune.ToString(): one string per character was the rules' largest cost (a benchmark of 200 MB).
    internal static void AppendRune(StringBuilder builder, Rune rune)
    {
        if (rune.IsBmp)
        {
            builder.Append((char)rune.Value);
            return;
        }
        Span<char> pair = stackalloc char[2];
        builder.Append(pair[..rune.EncodeToUtf16(pair)]);
    }

    /// <summary>Gopher's words: white-space-separated tokens with edge punctuation trimmed, the empty ones dropped.</summary>
    private static (int Words, int Chars, int WithLetter) Words(ReadOnlySpan<char> text)
    {
        int words = 0, chars = 0, withLetter = 0;
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && IsWhiteSpace(text[i])) i++;
            int start = i;
            while (i < text.Length && !IsWhiteSpace(text[i])) i++;
            var word = text[start..i];
            int first = word.IndexOfAnyExcept(EdgePunctuation);
            if (first < 0) continue;
            word = word[first..(word.LastIndexOfAnyExcept(EdgePunctuation) + 1)];
            words++;
            chars += word.Length;
            foreach (char c in word)
            {
                if (char.IsAsciiLetter(c) || (c >= 0x80 && char.IsLetter(c)))
                {
                    withLetter++;
                    break;
                }
            }
        }
        return (words, chars, withLetter);

        static bool IsWhiteSpace(char c) => c < 0x80 ? c == ' ' || (uint)(c - '\t') <= '\r' - '\t' : char.IsWhiteSpace(c);
    }

    private static readonly System.Buffers.SearchValues<char> EdgePunctuation = System.Buffers.SearchValues.Create(WordEdgePunctuation);

    private static readonly System.Buffers.SearchValues<char> MarkupStarts = System.Buffers.SearchValues.Create("<&");

    private static int MarkupChars(string text)
    {
        if (!text.AsSpan().ContainsAny(MarkupStarts)) return 0;
        int chars = 0;
        foreach (var match in Markup().EnumerateMatches(text)) chars += match.Length;
        return chars;
    }

    private const string Cp1252Specials = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
}
