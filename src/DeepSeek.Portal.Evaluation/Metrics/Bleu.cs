using System.Globalization;
using System.Text;

namespace DeepSeek.Portal.Evaluation.Metrics;

/// <summary>BLEU's tokenizers (sacrebleu's names: <c>13a</c>, <c>zh</c>, <c>none</c>, <c>intl</c>).</summary>
public enum BleuTokenizer
{
    /// <summary><c>13a</c> (mteval-v13a, sacrebleu's default): ASCII punctuation split off; . and , kept inside numbers.</summary>
    V13a,

    /// <summary><c>zh</c>: a space on both sides of every character in sacrebleu's CJK ranges, then 13a's regular expressions.</summary>
    Zh,

    /// <summary><c>none</c>: the text as it is, split at white space.</summary>
    None,

    /// <summary><c>intl</c> (mteval-v14 international): Unicode punctuation and symbols split off, except punctuation between digits.</summary>
    Intl,
}

/// <summary>How BLEU treats an n-gram order with no matches (Chen &amp; Cherry 2014; sacrebleu's names).</summary>
public enum BleuSmoothing
{
    /// <summary><c>exp</c> (default; NIST, method 3): the k-th order without matches gets precision 1/(2^k · total).</summary>
    Exp,

    /// <summary><c>floor</c> (method 1): an order without matches gets precision ε/total (ε = 0.1 by default).</summary>
    Floor,

    /// <summary><c>add-k</c> (method 2): k (1 by default) is added to matches and totals of orders 2 and up.</summary>
    AddK,

    /// <summary><c>none</c>: an order without matches makes BLEU (practically) 0.</summary>
    None,
}

/// <summary>BLEU settings; the defaults are sacrebleu's corpus defaults (13a, exp, order 4, no effective order).</summary>
public sealed record BleuOptions
{
    /// <summary>Tokenizer.</summary>
    public BleuTokenizer Tokenizer { get; init; } = BleuTokenizer.V13a;

    /// <summary>Smoothing.</summary>
    public BleuSmoothing Smoothing { get; init; } = BleuSmoothing.Exp;

    /// <summary>ε of <see cref="BleuSmoothing.Floor"/> (0.1) or k of <see cref="BleuSmoothing.AddK"/> (1); null = the default.</summary>
    public double? SmoothValue { get; init; }

    /// <summary>Lowercase hypotheses and references first.</summary>
    public bool Lowercase { get; init; }

    /// <summary>Stop at the highest order the hypothesis has n-grams of (what sentence BLEU needs).</summary>
    public bool EffectiveOrder { get; init; }

    /// <summary>Highest n-gram order.</summary>
    public int MaxOrder { get; init; } = Bleu.MaxNgramOrder;

    /// <summary>sacrebleu's corpus defaults.</summary>
    public static BleuOptions Corpus { get; } = new();

    /// <summary>sacrebleu's <c>sentence_bleu</c> defaults: as <see cref="Corpus"/>, with effective order.</summary>
    public static BleuOptions Sentence { get; } = new() { EffectiveOrder = true };
}

/// <summary>A BLEU score (0–100) with its sufficient statistics, as sacrebleu reports it.</summary>
/// <param name="Score">BLEU, 0–100.</param>
/// <param name="Correct">Matched n-grams per order (clipped by the references), before any add-k.</param>
/// <param name="Total">Hypothesis n-grams per order, before any add-k.</param>
/// <param name="Precisions">Smoothed precisions per order, 0–100.</param>
/// <param name="BrevityPenalty">exp(1 − r/c) when c &lt; r, else 1.</param>
/// <param name="SysLen">Hypothesis tokens (c).</param>
/// <param name="RefLen">Closest-reference tokens (r).</param>
public sealed record BleuScore(double Score, IReadOnlyList<long> Correct, IReadOnlyList<long> Total, IReadOnlyList<double> Precisions, double BrevityPenalty, long SysLen, long RefLen);

/// <summary>
/// Sufficient statistics of BLEU, summed over segments: hypothesis length, closest reference length, matched and total
/// n-grams per order. Corpus BLEU is computed once from their sum (never an average of sentence scores).
/// </summary>
public sealed class BleuStatistics
{
    /// <summary>Empty statistics for n-grams up to <paramref name="maxOrder"/>.</summary>
    public BleuStatistics(int maxOrder = Bleu.MaxNgramOrder)
    {
        if (maxOrder < 1) throw new ArgumentOutOfRangeException(nameof(maxOrder), maxOrder, "The highest n-gram order must be at least 1.");
        Correct = new long[maxOrder];
        Total = new long[maxOrder];
    }

    /// <summary>Hypothesis tokens.</summary>
    public long SysLen { get; private set; }

    /// <summary>Closest-reference tokens.</summary>
    public long RefLen { get; private set; }

    /// <summary>Matched n-grams per order.</summary>
    public long[] Correct { get; }

    /// <summary>Hypothesis n-grams per order.</summary>
    public long[] Total { get; }

    /// <summary>Adds one segment's (or another sum's) statistics.</summary>
    public void Add(BleuStatistics other)
    {
        if (other.Correct.Length != Correct.Length) throw new ArgumentException("Statistics of different n-gram orders cannot be added.", nameof(other));
        SysLen += other.SysLen;
        RefLen += other.RefLen;
        for (int n = 0; n < Correct.Length; n++) { Correct[n] += other.Correct[n]; Total[n] += other.Total[n]; }
    }

    internal void AddSegment(long sysLen, long refLen, long[] correct, long[] total)
    {
        SysLen += sysLen;
        RefLen += refLen;
        for (int n = 0; n < Correct.Length; n++) { Correct[n] += correct[n]; Total[n] += total[n]; }
    }
}

/// <summary>
/// BLEU as sacrebleu computes it (mjpost/sacrebleu; reference §4): the same tokenizers (13a, zh with its character
/// ranges, none, intl), clipped n-gram matches against several references (the maximum count over them), the closest
/// reference length (ties go to the shorter), the brevity penalty over corpus sums, and the four smoothing methods.
/// Written from the algorithm's description and checked against sacrebleu's published test vectors.
/// </summary>
public static class Bleu
{
    /// <summary>sacrebleu's default highest n-gram order.</summary>
    public const int MaxNgramOrder = 4;

    /// <summary>What sacrebleu's <c>my_log</c> returns for log(0): a finite, hugely negative number.</summary>
    private const double LogOfZero = -9999999999;

    /// <summary>
    /// Corpus BLEU over hypotheses and reference streams (sacrebleu's <c>corpus_bleu(hyps, [refs1, refs2, …])</c>):
    /// stream k holds every segment's k-th reference. A null or empty reference is skipped (fewer references for that segment).
    /// </summary>
    /// <exception cref="ArgumentException">No streams, or a stream whose length differs from the hypotheses'.</exception>
    public static BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string?>> referenceStreams, BleuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(referenceStreams);
        if (referenceStreams.Count == 0) throw new ArgumentException("BLEU needs at least one reference stream.", nameof(referenceStreams));
        for (int k = 0; k < referenceStreams.Count; k++)
            if (referenceStreams[k].Count != hypotheses.Count)
                throw new ArgumentException($"Reference stream {k + 1} has {referenceStreams[k].Count} segments; the hypotheses have {hypotheses.Count}.", nameof(referenceStreams));
        var segments = new IReadOnlyList<string?>[hypotheses.Count];
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var refs = new string?[referenceStreams.Count];
            for (int k = 0; k < refs.Length; k++) refs[k] = referenceStreams[k][i];
            segments[i] = refs;
        }
        return CorpusOfSegments(hypotheses, segments, options);
    }

    /// <summary>Corpus BLEU where each segment lists its own references (any number, at least one).</summary>
    public static BleuScore CorpusOfSegments(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string?>> references, BleuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count != hypotheses.Count)
            throw new ArgumentException($"There are {references.Count} reference lists for {hypotheses.Count} hypotheses.", nameof(references));
        options ??= BleuOptions.Corpus;
        var sum = new BleuStatistics(options.MaxOrder);
        for (int i = 0; i < hypotheses.Count; i++) sum.Add(Statistics(hypotheses[i], references[i], options));
        return Score(sum, options);
    }

    /// <summary>Sentence BLEU (sacrebleu's <c>sentence_bleu</c>: effective order on unless <paramref name="options"/> say otherwise).</summary>
    public static BleuScore Sentence(string hypothesis, IReadOnlyList<string?> references, BleuOptions? options = null)
    {
        options ??= BleuOptions.Sentence;
        return Score(Statistics(hypothesis, references, options), options);
    }

    /// <summary>BLEU of summed statistics with the options' smoothing and order.</summary>
    public static BleuScore Score(BleuStatistics statistics, BleuOptions? options = null)
    {
        options ??= BleuOptions.Corpus;
        return Compute(statistics.Correct, statistics.Total, statistics.SysLen, statistics.RefLen, options.Smoothing, options.SmoothValue, options.EffectiveOrder);
    }

    /// <summary>
    /// BLEU from sufficient statistics (sacrebleu's <c>BLEU.compute_bleu</c>; its default smoothing here is
    /// <see cref="BleuSmoothing.None"/>, as there). The order is the length of <paramref name="correct"/>.
    /// </summary>
    public static BleuScore Compute(IReadOnlyList<long> correct, IReadOnlyList<long> total, long sysLen, long refLen,
        BleuSmoothing smoothing = BleuSmoothing.None, double? smoothValue = null, bool effectiveOrder = false)
    {
        ArgumentNullException.ThrowIfNull(correct);
        ArgumentNullException.ThrowIfNull(total);
        if (correct.Count != total.Count || correct.Count == 0)
            throw new ArgumentException("Matched and total n-gram counts must have the same, non-zero number of orders.", nameof(total));
        int maxOrder = correct.Count;
        double value = smoothValue ?? smoothing switch { BleuSmoothing.Floor => 0.1, BleuSmoothing.AddK => 1, _ => 0 };
        double bp = sysLen < refLen ? (sysLen > 0 ? Math.Exp(1 - (double)refLen / sysLen) : 0.0) : 1.0;
        var precisions = new double[maxOrder];
        var correctCopy = correct.ToArray();
        var totalCopy = total.ToArray();
        bool anyMatch = false;
        foreach (var c in correct) if (c != 0) { anyMatch = true; break; }
        if (!anyMatch) return new BleuScore(0, correctCopy, totalCopy, precisions, bp, sysLen, refLen);

        double smoothMteval = 1;
        int effOrder = maxOrder;
        for (int n = 1; n <= maxOrder; n++)
        {
            double c = correct[n - 1], t = total[n - 1];
            if (smoothing == BleuSmoothing.AddK && n > 1) { c += value; t += value; }
            if (t == 0) break;
            if (effectiveOrder) effOrder = n;
            if (c == 0)
            {
                if (smoothing == BleuSmoothing.Exp)
                {
                    smoothMteval *= 2;
                    precisions[n - 1] = 100.0 / (smoothMteval * t);
                }
                else if (smoothing == BleuSmoothing.Floor)
                    precisions[n - 1] = 100.0 * value / t;
            }
            else precisions[n - 1] = 100.0 * c / t;
        }
        double logSum = 0;
        for (int n = 0; n < effOrder; n++) logSum += precisions[n] == 0 ? LogOfZero : Math.Log(precisions[n]);
        double score = bp * Math.Exp(logSum / effOrder);
        return new BleuScore(score, correctCopy, totalCopy, precisions, bp, sysLen, refLen);
    }

    /// <summary>
    /// The tokenizer for a set of references: <c>zh</c> when they are mostly Chinese (<see cref="ChineseText.MostlyChinese"/>),
    /// else <c>13a</c>. sacrebleu's own rule is the target language (<c>-l xx-zh</c> picks zh); here the language is read
    /// off the references themselves, since suites carry no language code.
    /// </summary>
    public static BleuTokenizer TokenizerFor(IEnumerable<string?> references) =>
        ChineseText.MostlyChinese(references) ? BleuTokenizer.Zh : BleuTokenizer.V13a;

    /// <summary>One segment's statistics against its references (clipped matches, closest reference length); null and empty references are skipped, as sacrebleu skips them.</summary>
    /// <exception cref="ArgumentException">No non-empty reference.</exception>
    public static BleuStatistics Statistics(string hypothesis, IReadOnlyList<string?> references, BleuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(references);
        options ??= BleuOptions.Corpus;
        int maxOrder = options.MaxOrder;
        Dictionary<string, int>? refNgrams = null;
        var refLens = new List<int>(references.Count);
        foreach (var reference in references)
        {
            if (string.IsNullOrEmpty(reference)) continue; // sacrebleu drops None and "" references (fewer for this segment)
            var line = Segment(reference, options, out var starts);
            refLens.Add(starts.Count);
            if (refNgrams is null)
            {
                refNgrams = new Dictionary<string, int>(starts.Count * maxOrder, StringComparer.Ordinal);
                var lookup = refNgrams.GetAlternateLookup<ReadOnlySpan<char>>();
                ForEachNgram(line, starts, maxOrder, (ngram, _) =>
                    lookup[ngram] = lookup.TryGetValue(ngram, out var c) ? c + 1 : 1);
            }
            else
            {
                // Several references: each n-gram's count is its highest in any one reference.
                var counts = new Dictionary<string, int>(starts.Count * maxOrder, StringComparer.Ordinal);
                var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
                ForEachNgram(line, starts, maxOrder, (ngram, _) =>
                    lookup[ngram] = lookup.TryGetValue(ngram, out var c) ? c + 1 : 1);
                foreach (var (ngram, count) in counts)
                    if (!refNgrams.TryGetValue(ngram, out var had) || had < count) refNgrams[ngram] = count;
            }
        }
        if (refNgrams is null) throw new ArgumentException("BLEU needs at least one non-empty reference for every segment.", nameof(references));

        var hypLine = Segment(hypothesis ?? "", options, out var hypStarts);
        int hypLen = hypStarts.Count;
        int closestDiff = -1, closestLen = -1;
        foreach (var len in refLens)
        {
            int diff = Math.Abs(hypLen - len);
            if (closestDiff == -1 || diff < closestDiff) { closestDiff = diff; closestLen = len; }
            else if (diff == closestDiff && len < closestLen) closestLen = len;
        }
        var correct = new long[maxOrder];
        var total = new long[maxOrder];
        for (int n = 1; n <= maxOrder; n++) total[n - 1] = Math.Max(0, hypLen - n + 1);
        // Clipping: Σ over distinct n-grams of min(hypothesis count, reference count) equals counting each hypothesis
        // occurrence while the reference still has one left (the merged counts belong to this segment alone).
        var remaining = refNgrams.GetAlternateLookup<ReadOnlySpan<char>>();
        ForEachNgram(hypLine, hypStarts, maxOrder, (ngram, n) =>
        {
            if (remaining.TryGetValue(ngram, out var left) && left > 0)
            {
                correct[n - 1]++;
                remaining[ngram] = left - 1;
            }
        });
        var stats = new BleuStatistics(maxOrder);
        stats.AddSegment(hypLen, closestLen, correct, total);
        return stats;
    }

    private delegate void NgramAction(ReadOnlySpan<char> ngram, int order);

    /// <summary>
    /// The tokenized line with single spaces between tokens, and where each token starts; an n-gram is then the span
    /// from its first token's start to its last token's end (tokens hold no white space, so the span is unambiguous).
    /// </summary>
    private static string Segment(string text, BleuOptions options, out List<int> starts)
    {
        var line = Tokenize(text, options.Tokenizer, options.Lowercase);
        if (options.Tokenizer == BleuTokenizer.None) line = JoinSplit(line);
        starts = new List<int>(line.Length / 4 + 1);
        for (int i = 0; i < line.Length; i++)
            if (line[i] != ' ' && (i == 0 || line[i - 1] == ' ')) starts.Add(i);
        return line;
    }

    private static void ForEachNgram(string line, List<int> starts, int maxOrder, NgramAction action)
    {
        int count = starts.Count;
        for (int n = 1; n <= maxOrder; n++)
            for (int i = 0; i + n <= count; i++)
            {
                int last = i + n - 1;
                int end = last + 1 < count ? starts[last + 1] - 1 : line.Length;
                action(line.AsSpan(starts[i], end - starts[i]), n);
            }
    }

    /// <summary>
    /// A line as sacrebleu preprocesses it: optionally lowercased, trailing white space removed, then tokenized; the
    /// result's tokens are separated by single spaces (for <see cref="BleuTokenizer.None"/>, the line is returned as is).
    /// </summary>
    public static string Tokenize(string line, BleuTokenizer tokenizer = BleuTokenizer.V13a, bool lowercase = false)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (lowercase) line = line.ToLowerInvariant();
        line = RStrip(line);
        return tokenizer switch
        {
            BleuTokenizer.V13a => Tokenize13a(line),
            BleuTokenizer.Zh => TokenizeZh(line),
            BleuTokenizer.None => line,
            BleuTokenizer.Intl => TokenizeIntl(line),
            _ => throw new ArgumentOutOfRangeException(nameof(tokenizer), tokenizer, "Unknown BLEU tokenizer."),
        };
    }

    /// <summary>
    /// Whether sacrebleu's zh tokenizer treats a code point as Chinese. Its table compares one character with range
    /// ends written as <c>'\u20000'</c> and <c>'\u2f800'</c>: in Python those are two characters (U+2000 then "0"), so
    /// those "ranges" are in fact U+2001–U+2A6D (general punctuation — “ ” — … — arrows, maths, and more) and
    /// U+2F81–U+2FA1 (Kangxi radicals), and no code point beyond the BMP counts. Replicated on purpose: it is what
    /// sacrebleu scores.
    /// </summary>
    public static bool IsSacrebleuChinese(int cp) =>
        cp is >= 0x3400 and <= 0x4DB5
            or >= 0x4E00 and <= 0x9FA5
            or >= 0x9FA6 and <= 0x9FBB
            or >= 0xF900 and <= 0xFA2D
            or >= 0xFA30 and <= 0xFA6A
            or >= 0xFA70 and <= 0xFAD9
            or >= 0x2001 and <= 0x2A6D // ('\u20000', '\u2a6d6'): the quirk
            or >= 0x2F81 and <= 0x2FA1 // ('\u2f800', '\u2fa1d'): the quirk
            or >= 0xFF00 and <= 0xFFEF
            or >= 0x2E80 and <= 0x2EFF
            or >= 0x3000 and <= 0x303F
            or >= 0x31C0 and <= 0x31EF
            or >= 0x2F00 and <= 0x2FDF
            or >= 0x2FF0 and <= 0x2FFF
            or >= 0x3100 and <= 0x312F
            or >= 0x31A0 and <= 0x31BF
            or >= 0xFE10 and <= 0xFE1F
            or >= 0xFE30 and <= 0xFE4F
            or >= 0x2600 and <= 0x26FF
            or >= 0x2700 and <= 0x27BF
            or >= 0x3200 and <= 0x32FF
            or >= 0x3300 and <= 0x33FF;

    private static string Tokenize13a(string line)
    {
        if (line.Contains('<')) line = line.Replace("<skipped>", "", StringComparison.Ordinal);
        if (line.Contains('\n')) line = line.Replace("-\n", "", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        if (line.Contains('&'))
            line = line.Replace("&quot;", "\"", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal)
                .Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal);
        return PostTokenize(" " + line + " ");
    }

    private static string TokenizeZh(string line)
    {
        line = Strip(line);
        var sb = new StringBuilder(line.Length * 2);
        foreach (var rune in line.EnumerateRunes())
        {
            if (IsSacrebleuChinese(rune.Value)) sb.Append(' ').Append(rune.ToString()).Append(' ');
            else sb.Append(rune.ToString());
        }
        return PostTokenize(sb.ToString());
    }

    private static bool IsAsciiDigit(char c) => c is >= '0' and <= '9';

    /// <summary>13a's first expression's class: { to ~, [ to `, space to &amp;, ( to +, : to @, and /.</summary>
    private static bool IsSplitPunctuation(char c) =>
        c is >= '{' and <= '~' or >= '[' and <= '`' or >= ' ' and <= '&' or >= '(' and <= '+' or >= ':' and <= '@' or '/';

    /// <summary>
    /// The regular expressions shared by 13a and zh, applied one after the other as Python's <c>re.sub</c> does (left
    /// to right, matches not overlapping); each pattern is two fixed characters, so a scan is exactly equivalent.
    /// The expressions look only at ASCII, so scanning UTF-16 units gives the same result as scanning code points.
    /// </summary>
    private static string PostTokenize(string line)
    {
        var sb = new StringBuilder(line.Length * 2);
        // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) → " \1 "
        foreach (var c in line)
        {
            if (IsSplitPunctuation(c)) sb.Append(' ').Append(c).Append(' ');
            else sb.Append(c);
        }
        line = sb.ToString();
        // ([^0-9])([\.,]) → "\1 \2 "
        line = Substitute(line, sb, static (a, b) => !IsAsciiDigit(a) && b is '.' or ',', SpaceAfterBoth);
        // ([\.,])([^0-9]) → " \1 \2"
        line = Substitute(line, sb, static (a, b) => a is '.' or ',' && !IsAsciiDigit(b), SpaceAroundFirst);
        // ([0-9])(-) → "\1 \2 "
        line = Substitute(line, sb, static (a, b) => IsAsciiDigit(a) && b == '-', SpaceAfterBoth);
        return JoinSplit(line);
    }

    private const int SpaceAfterBoth = 0;
    private const int SpaceAroundFirst = 1;

    private static string Substitute(string line, StringBuilder sb, Func<char, char, bool> match, int format)
    {
        sb.Clear();
        int i = 0, n = line.Length;
        bool any = false;
        while (i < n)
        {
            if (i + 1 < n && match(line[i], line[i + 1]))
            {
                any = true;
                if (format == SpaceAfterBoth) sb.Append(line[i]).Append(' ').Append(line[i + 1]).Append(' ');
                else sb.Append(' ').Append(line[i]).Append(' ').Append(line[i + 1]);
                i += 2;
            }
            else sb.Append(line[i++]);
        }
        return any ? sb.ToString() : line;
    }

    /// <summary>intl: the three expressions on code points (\P{N}\p{P}, \p{P}\P{N}, \p{S}), then white space collapsed.</summary>
    private static string TokenizeIntl(string line)
    {
        var runes = line.EnumerateRunes().ToList();
        runes = SubstituteRunes(runes, static (a, b) => !IsNumber(a) && IsPunct(b), SpaceAfterBoth);
        runes = SubstituteRunes(runes, static (a, b) => IsPunct(a) && !IsNumber(b), SpaceAroundFirst);
        var sb = new StringBuilder(runes.Count * 2);
        foreach (var r in runes)
        {
            if (IsSymbol(r)) sb.Append(' ').Append(r.ToString()).Append(' ');
            else sb.Append(r.ToString());
        }
        return JoinSplit(sb.ToString());
    }

    private static bool IsNumber(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    private static bool IsPunct(Rune r) => ChineseText.IsPunctuation(r);
    private static bool IsSymbol(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;

    private static List<Rune> SubstituteRunes(List<Rune> runes, Func<Rune, Rune, bool> match, int format)
    {
        var space = new Rune(' ');
        var result = new List<Rune>(runes.Count + 16);
        int i = 0, n = runes.Count;
        while (i < n)
        {
            if (i + 1 < n && match(runes[i], runes[i + 1]))
            {
                if (format == SpaceAfterBoth) { result.Add(runes[i]); result.Add(space); result.Add(runes[i + 1]); result.Add(space); }
                else { result.Add(space); result.Add(runes[i]); result.Add(space); result.Add(runes[i + 1]); }
                i += 2;
            }
            else result.Add(runes[i++]);
        }
        return result;
    }

    /// <summary><c>' '.join(line.split())</c>.</summary>
    private static string JoinSplit(string line) => string.Join(' ', ChineseText.PythonSplit(line));

    private static string RStrip(string line)
    {
        int end = line.Length;
        while (end > 0 && ChineseText.IsPythonSpace(line[end - 1])) end--;
        return end == line.Length ? line : line[..end];
    }

    private static string Strip(string line)
    {
        int start = 0;
        while (start < line.Length && ChineseText.IsPythonSpace(line[start])) start++;
        return RStrip(line[start..]);
    }
}
