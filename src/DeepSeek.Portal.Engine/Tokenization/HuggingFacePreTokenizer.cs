using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>
/// The <c>pre_tokenizer</c> of a Hugging Face <c>tokenizer.json</c>: splits (normalised) text into the pieces that
/// BPE merges may not cross. Supports what byte-level BPE tokenizers use: <c>Sequence</c>, <c>Split</c> with a
/// regex or string pattern and behaviour <c>Isolated</c> (not inverted), <c>Digits</c>, and <c>ByteLevel</c>
/// (<c>add_prefix_space</c>, <c>use_regex</c>). Each step splits every piece the previous step produced, as
/// <c>tokenizers</c> does; empty pieces are dropped. Anything else is refused with <see cref="FormatException"/>
/// rather than tokenised differently.
/// </summary>
internal sealed class HuggingFacePreTokenizer
{
    /// <summary>GPT-2's split pattern, which <c>ByteLevel</c> applies when <c>use_regex</c> is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly IReadOnlyList<Func<string, IEnumerable<string>>> steps;

    private HuggingFacePreTokenizer(IReadOnlyList<Func<string, IEnumerable<string>>> steps) => this.steps = steps;

    /// <summary>Builds the pre-tokenizer described by <paramref name="node"/> (null: the whole text is one piece).</summary>
    public static HuggingFacePreTokenizer FromJson(JsonNode? node)
    {
        var steps = new List<Func<string, IEnumerable<string>>>();
        if (node is not null) AddSteps(node, steps);
        return new HuggingFacePreTokenizer(steps);
    }

    /// <summary>The pieces of <paramref name="text"/>, in order.</summary>
    public List<string> Split(string text)
    {
        var pieces = new List<string> { text };
        foreach (var step in steps)
        {
            var next = new List<string>(pieces.Count * 2);
            foreach (var piece in pieces)
            {
                foreach (var part in step(piece))
                {
                    if (part.Length > 0) next.Add(part);
                }
            }
            pieces = next;
        }
        pieces.RemoveAll(p => p.Length == 0);
        return pieces;
    }

    private static void AddSteps(JsonNode node, List<Func<string, IEnumerable<string>>> steps)
    {
        var type = node["type"]?.GetValue<string>() ?? throw new FormatException("A pre_tokenizer has no type.");
        switch (type)
        {
            case "Sequence":
                foreach (var inner in node["pretokenizers"]?.AsArray() ?? throw new FormatException("A Sequence pre_tokenizer has no 'pretokenizers'."))
                    AddSteps(inner ?? throw new FormatException("A Sequence pre_tokenizer has a null step."), steps);
                break;
            case "Split":
                {
                    var behavior = node["behavior"]?.GetValue<string>();
                    if (behavior != "Isolated")
                        throw new FormatException($"Split behavior '{behavior}' is not supported (only Isolated).");
                    if (node["invert"]?.GetValue<bool>() == true)
                        throw new FormatException("An inverted Split is not supported.");
                    var pattern = node["pattern"] ?? throw new FormatException("A Split has no pattern.");
                    Regex regex = pattern["Regex"] is { } r ? OnigurumaPattern.Create(r.GetValue<string>())
                        : pattern["String"] is { } s ? new Regex(Regex.Escape(s.GetValue<string>()), RegexOptions.CultureInvariant)
                        : throw new FormatException("A Split pattern is neither Regex nor String.");
                    steps.Add(piece => Isolate(regex, piece));
                    break;
                }
            case "Digits":
                {
                    bool individual = node["individual_digits"]?.GetValue<bool>() ?? false;
                    steps.Add(piece => SplitDigits(piece, individual));
                    break;
                }
            case "ByteLevel":
                {
                    bool prefixSpace = node["add_prefix_space"]?.GetValue<bool>() ?? true;
                    bool useRegex = node["use_regex"]?.GetValue<bool>() ?? true;
                    var regex = useRegex ? OnigurumaPattern.Create(Gpt2Pattern) : null;
                    steps.Add(piece =>
                    {
                        // As in tokenizers: every piece that does not start with a space gets one.
                        if (prefixSpace && !piece.StartsWith(' ')) piece = " " + piece;
                        return regex is null ? [piece] : Isolate(regex, piece);
                    });
                    break;
                }
            default:
                throw new FormatException($"pre_tokenizer type '{type}' is not supported (Sequence, Split, Digits and ByteLevel are).");
        }
    }

    /// <summary><c>Isolated</c>: every match is a piece, and so is the text between matches.</summary>
    private static IEnumerable<string> Isolate(Regex regex, string piece)
    {
        int previous = 0;
        for (var m = regex.Match(piece); m.Success; m = m.NextMatch())
        {
            if (m.Length == 0) continue;
            if (m.Index > previous) yield return piece[previous..m.Index];
            yield return m.Value;
            previous = m.Index + m.Length;
        }
        if (previous < piece.Length) yield return piece[previous..];
    }

    /// <summary>
    /// <c>Digits</c>: numeric characters (Rust's <c>char::is_numeric</c>: general categories Nd, Nl, No) are
    /// isolated one by one, or as runs when <paramref name="individual"/> is false.
    /// </summary>
    private static IEnumerable<string> SplitDigits(string piece, bool individual)
    {
        int runStart = 0, i = 0;
        bool? inDigits = null;
        var parts = new List<string>();
        while (i < piece.Length)
        {
            Rune.DecodeFromUtf16(piece.AsSpan(i), out var rune, out int used);
            bool digit = Rune.GetUnicodeCategory(rune) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
            if (inDigits is { } was && (digit != was || (digit && individual)))
            {
                parts.Add(piece[runStart..i]);
                runStart = i;
            }
            inDigits = digit;
            i += used;
        }
        if (runStart < piece.Length) parts.Add(piece[runStart..]);
        return parts;
    }
}
