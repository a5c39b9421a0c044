using System.Globalization;
using System.Runtime.InteropServices;
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

    /// <summary>Applies every rule to <paramref name="text"/>, in a fixed order.</summary>
    public IReadOnlyList<RuleResult> Evaluate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var language = LanguageGuess.Classify(text);
        var results = new List<RuleResult>(24);
        var total = Math.Max(1, CharacterEntropy.CodePointLength(text));

        void AtMost(string name, double value, double threshold) => results.Add(new(name, value, threshold, value > threshold, PassDirection.KeepAtMost));
        void AtLeast(string name, double value, double threshold) => results.Add(new(name, value, threshold, value < threshold, PassDirection.KeepAtLeast));

        // Gopher repetition: lines.
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        var (duplicateLines, duplicateLineChars) = Duplicates(lines);
        AtMost("duplicate_line_fraction", lines.Length == 0 ? 0 : (double)duplicateLines / lines.Length, Options.MaxDuplicateLineFraction);
        AtMost("duplicate_line_char_fraction", (double)duplicateLineChars / total, Options.MaxDuplicateLineCharFraction);

        // Gopher repetition: n-grams of units (words; Han characters for Chinese).
        var units = UnitSequence.Of(Units(text));
        int scale = language == TextLanguage.Chinese ? Options.ChineseNgramScale : 1;
        // A short record repeats by nature: the agent restates the question, a key term comes back three times in a
        // 60-character answer. There an n-gram counts as repeated from its ShortRecordMinOccurrences-th occurrence; in
        // a Gopher-sized document, from its second (Gopher's own rule).
        int minOccurrences = units.Count >= Options.GopherMinWords * scale ? 2 : Options.ShortRecordMinOccurrences;
        // One table for all nine n-gram sizes, sized once: growing nine tables from empty was most of the rules' time.
        var ngramCounts = new Dictionary<ulong, int>(units.Count);
        for (int n = 2; n <= 4; n++)
            AtMost($"top_{n}gram_char_fraction", Math.Min(1, (double)TopRepeatedNgramChars(units, n * scale, minOccurrences, ngramCounts) / total), Options.MaxTopNgramCharFraction[n - 2]);
        for (int n = 5; n <= 10; n++)
            AtMost($"duplicate_{n}gram_char_fraction", (double)DuplicateNgramChars(units, n * scale, minOccurrences, ngramCounts) / total, Options.MaxDuplicateNgramCharFraction[n - 5]);

        // data-juicer ratios.
        int special = 0, alphanumeric = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsSpecial(rune)) special++;
            if (Rune.IsLetterOrDigit(rune)) alphanumeric++;
        }
        AtMost("special_character_ratio", (double)special / total, Options.MaxSpecialCharacterRatio);
        AtLeast("alphanumeric_ratio", (double)alphanumeric / total, Options.MinAlphanumericRatio);
        AtMost("character_repetition_ratio", CharacterRepetitionRatio(text, 10), Options.MaxCharacterRepetitionRatio);

        // Gopher quality, for space-separated text.
        if (language == TextLanguage.English)
        {
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim(WordEdgePunctuation)).Where(w => w.Length > 0).ToArray();
            var mean = words.Length == 0 ? 0 : words.Average(w => (double)w.Length);
            AtLeast("mean_word_length_min", mean, Options.MinMeanWordLength);
            AtMost("mean_word_length_max", mean, Options.MaxMeanWordLength);
            AtLeast("words_with_letter_fraction", words.Length == 0 ? 0 : (double)words.Count(w => w.Any(char.IsLetter)) / words.Length, Options.MinWordsWithLetterFraction);
        }

        // Entropy, per language and length band.
        var entropy = _entropy.Evaluate(text);
        results.Add(new("entropy_low", entropy.BitsPerCharacter, entropy.Range.Low, entropy.TooLow, PassDirection.KeepAtLeast));
        results.Add(new("entropy_high", entropy.BitsPerCharacter, entropy.Range.High, entropy.TooHigh, PassDirection.KeepAtMost));

        AtMost("mojibake_fraction", (double)MojibakeChars(text) / total, Options.MaxMojibakeFraction);
        AtMost("markup_fraction", (double)Markup().Matches(text).Sum(m => m.Length) / Math.Max(1, text.Length), Options.MaxMarkupFraction);
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

    private static (int Count, int Chars) Duplicates(IEnumerable<string> items)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int count = 0, chars = 0;
        foreach (var item in items)
        {
            if (!seen.Add(item))
            {
                count++;
                chars += item.Length;
            }
        }
        return (count, chars);
    }

    /// <summary>Units as integer ids with their lengths, so n-grams are hashed, not built as strings.</summary>
    private readonly record struct UnitSequence(int[] Ids, int[] Lengths)
    {
        public static UnitSequence Of(List<string> units)
        {
            var idOf = new Dictionary<string, int>(StringComparer.Ordinal);
            var ids = new int[units.Count];
            var lengths = new int[units.Count];
            for (int i = 0; i < units.Count; i++)
            {
                if (!idOf.TryGetValue(units[i], out ids[i])) idOf[units[i]] = ids[i] = idOf.Count;
                lengths[i] = units[i].Length;
            }
            return new UnitSequence(ids, lengths);
        }

        public int Count => Ids.Length;

        // 64-bit mix of the ids; a collision between two different n-grams of one record is negligible (~n²/2^64).
        public ulong Key(int start, int n)
        {
            ulong h = 0x9E3779B97F4A7C15UL ^ (ulong)n;
            for (int k = 0; k < n; k++)
            {
                h = (h + (ulong)Ids[start + k] + 1) * 0xBF58476D1CE4E5B9UL;
                h ^= h >> 31;
            }
            return h;
        }

        public int Chars(int start, int n)
        {
            int sum = 0;
            for (int k = 0; k < n; k++) sum += Lengths[start + k];
            return sum;
        }
    }

    // datatrove find_top_duplicate (characters of the n-gram joined by spaces × its count), except that an n-gram seen
    // fewer than minOccurrences times is no repetition.
    // counts: scratch, cleared here; it maps an n-gram to its count and its first start (count in the high half).
    private static int TopRepeatedNgramChars(UnitSequence units, int n, int minOccurrences, Dictionary<ulong, int> counts)
    {
        counts.Clear();
        int top = 0;
        for (int i = 0; i + n <= units.Count; i++)
        {
            ref int count = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, units.Key(i, n), out _);
            count++;
        }
        if (counts.Count == Math.Max(0, units.Count - n + 1))
            return 0; // no n-gram repeats
        for (int i = 0; i + n <= units.Count; i++)
        {
            var key = units.Key(i, n);
            if (counts.Remove(key, out int count) && count >= minOccurrences)
                top = Math.Max(top, (units.Chars(i, n) + n - 1) * count); // the first occurrence, as before
        }
        return top;
    }

    // datatrove find_all_duplicate: walk the n-grams; a repeat adds its characters and skips past itself.
    // With minOccurrences 2 this is datatrove's exactly; with more, the first repeats (an echo) are let through.
    private static int DuplicateNgramChars(UnitSequence units, int n, int minOccurrences, Dictionary<ulong, int> seen)
    {
        seen.Clear();
        int chars = 0, i = 0;
        while (i + n <= units.Count)
        {
            var key = units.Key(i, n);
            var occurrences = seen[key] = seen.GetValueOrDefault(key) + 1;
            if (occurrences >= minOccurrences)
            {
                chars += units.Chars(i, n);
                i += n;
            }
            else
            {
                i++;
            }
        }
        return chars;
    }

    // data-juicer character_repetition_filter, over code points; n-grams hashed like the unit n-grams.
    private static double CharacterRepetitionRatio(string text, int n)
    {
        var runes = text.EnumerateRunes().Select(r => r.Value).ToArray();
        if (runes.Length < n) return 0;
        var sequence = new UnitSequence(runes, new int[runes.Length]);
        var counts = new Dictionary<ulong, int>(runes.Length);
        for (int i = 0; i + n <= runes.Length; i++)
        {
            var key = sequence.Key(i, n);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        var frequencies = counts.Values.OrderDescending().ToArray();
        int repeated = frequencies.Count(f => f > 1);
        int take = Math.Min((int)Math.Floor(Math.Sqrt(frequencies.Length)), repeated);
        return (double)frequencies.Take(take).Sum() / (runes.Length - n + 1);
    }

    // data-juicer's SPECIAL_CHARACTERS: ASCII punctuation, digits and whitespace, plus symbols and emoji (its list of
    // about 100 symbols, generalised here to the Unicode symbol categories). CJK punctuation (，。：) is not in it.
    private static bool IsSpecial(Rune rune) =>
        rune.IsAscii ? !char.IsAsciiLetter((char)rune.Value) : Rune.IsWhiteSpace(rune) || Rune.GetUnicodeCategory(rune) is
            UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;

    private const string Cp1252Specials = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";

    // U+FFFD, control characters, and UTF-8 byte pairs shown as Latin-1/CP1252 ("Ã©", "â€", "é“").
    private static int MojibakeChars(string text)
    {
        var runes = text.EnumerateRunes().Select(r => r.Value).ToArray();
        int count = 0;
        for (int i = 0; i < runes.Length; i++)
        {
            int c = runes[i];
            if (c == 0xFFFD || (c < 0x20 && c is not ('\t' or '\n' or '\r')) || c is >= 0x7F and <= 0x9F)
            {
                count++;
            }
            else if (c is >= 0xC2 and <= 0xEF && i + 1 < runes.Length && IsContinuation(runes[i + 1]))
            {
                count += 2;
                i++;
            }
        }
        return count;

        static bool IsContinuation(int c) => c is >= 0x80 and <= 0xBF || (c <= 0xFFFF && Cp1252Specials.Contains((char)c));
    }
}
