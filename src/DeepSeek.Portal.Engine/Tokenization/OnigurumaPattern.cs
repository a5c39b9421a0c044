using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>
/// Translates a Hugging Face <c>tokenizers</c> split pattern (Oniguruma, Ruby syntax) into a .NET regex that matches
/// the same spans of well-formed text.
/// </summary>
/// <remarks>
/// <para>The engines differ in four places that matter for the DeepSeek and Qwen2 patterns:</para>
/// <list type="number">
/// <item>Oniguruma matches code points, .NET matches UTF-16 code units. In .NET <c>\p{S}</c> never matches an emoji
/// (its two surrogates have category Cs), <c>[^\p{L}]</c> matches each half of one, and a supplementary letter such as
/// U+20000 is not <c>\p{L}</c>. Every class and every <c>\p{..}</c>, <c>\S</c>, <c>.</c> is therefore rewritten as
/// "the BMP part, minus surrogates, or a surrogate pair from the supplementary set", where the supplementary set is
/// computed code point by code point with .NET's Unicode tables.</item>
/// <item>A supplementary literal inside a class (<c>𐐀-𐑏</c> in the DeepSeek-LLM pattern) is two code units in .NET and
/// would even make an invalid reversed range; it goes into the supplementary set.</item>
/// <item>Ruby's <c>$</c> is end of line (before any <c>\n</c>), .NET's is end of text or before a final <c>\n</c>;
/// <c>^</c> likewise. They become look-arounds with Ruby's meaning.</item>
/// <item>Case-insensitive groups: Oniguruma folds U+017F (ſ) to <c>s</c>, .NET does not, so a literal s inside
/// <c>(?i:…)</c> becomes <c>[sSſ]</c>. (The Kelvin sign already matches <c>k</c> in .NET.)</item>
/// </list>
/// <para><c>\s</c> needs no change: in both engines it is exactly Unicode White_Space, and no supplementary code point
/// is white space. Unicode versions differ slightly between .NET and the Oniguruma bundled with <c>tokenizers</c>;
/// code points assigned in between may classify differently. Script properties (<c>\p{Han}</c>), class intersection
/// (<c>&amp;&amp;</c>) and nested classes are refused with <see cref="FormatException"/>.</para>
/// </remarks>
internal static class OnigurumaPattern
{
    private const string SurrogatePair = @"[\uD800-\uDBFF][\uDC00-\uDFFF]";
    private static readonly ConcurrentDictionary<string, Regex> Cache = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, bool[]> CategorySets = new(StringComparer.Ordinal);
    private static readonly Lazy<byte[]> SupplementaryCategories = new(() =>
    {
        var table = new byte[0x110000 - 0x10000];
        for (int cp = 0x10000; cp <= 0x10FFFF; cp++) table[cp - 0x10000] = (byte)CharUnicodeInfo.GetUnicodeCategory(cp);
        return table;
    });

    private static int Category(int cp) => SupplementaryCategories.Value[cp - 0x10000];

    /// <summary>A compiled .NET regex for <paramref name="pattern"/>, shared by every tokenizer that uses it.</summary>
    public static Regex Create(string pattern) =>
        Cache.GetOrAdd(pattern, p => new Regex(Translate(p), RegexOptions.CultureInvariant | RegexOptions.Compiled));

    /// <summary>The .NET pattern with Oniguruma's meaning on well-formed text (see the type remarks).</summary>
    public static string Translate(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var points = pattern.EnumerateRunes().Select(r => r.Value).ToArray();
        var output = new StringBuilder(pattern.Length * 2);
        // One entry per open group: whether it is case-insensitive.
        var groups = new Stack<bool>();
        bool ignoreCase = false;
        int i = 0;
        while (i < points.Length)
        {
            int c = points[i];
            switch (c)
            {
                case '\\':
                    i = TranslateEscape(points, i, output, ignoreCase);
                    continue;
                case '[':
                    i = TranslateClass(points, i, output);
                    continue;
                case '(':
                    {
                        // (?i:…) and (?i) switch case folding on, (?-i…) off; other groups inherit it.
                        bool inner = ignoreCase;
                        int j = i + 1;
                        if (j < points.Length && points[j] == '?')
                        {
                            j++;
                            bool on = true;
                            while (j < points.Length && (points[j] is >= 'a' and <= 'z' || points[j] == '-'))
                            {
                                if (points[j] == '-') on = false;
                                else if (points[j] == 'i') inner = on;
                                j++;
                            }
                            if (j > i + 2 && j < points.Length && points[j] is ')' or ':')
                            {
                                output.Append(string.Concat(points[i..(j + 1)].Select(char.ConvertFromUtf32)));
                                if (points[j] == ')')
                                {
                                    // A bare (?i) changes the rest of the enclosing group.
                                    ignoreCase = inner;
                                }
                                else
                                {
                                    groups.Push(ignoreCase);
                                    ignoreCase = inner;
                                }
                                i = j + 1;
                                continue;
                            }
                        }
                        groups.Push(ignoreCase);
                        output.Append('(');
                        i++;
                        continue;
                    }
                case ')':
                    if (groups.Count > 0) ignoreCase = groups.Pop();
                    output.Append(')');
                    i++;
                    continue;
                case '.':
                    output.Append(@"(?:[^\n\uD800-\uDFFF]|").Append(SurrogatePair).Append(')');
                    i++;
                    continue;
                case '$':
                    output.Append(@"(?=\n|\z)");
                    i++;
                    continue;
                case '^':
                    output.Append(@"(?<![^\n])");
                    i++;
                    continue;
                default:
                    if (ignoreCase && c is 's' or 'S')
                        output.Append(@"[sS\u017F]");
                    else if (c > 0xFFFF)
                        output.Append("(?:").Append(char.ConvertFromUtf32(c)).Append(')');
                    else
                        output.Append(char.ConvertFromUtf32(c));
                    i++;
                    continue;
            }
        }
        return output.ToString();
    }

    private static int TranslateEscape(int[] points, int i, StringBuilder output, bool ignoreCase)
    {
        if (i + 1 >= points.Length) throw new FormatException("Pattern ends with a lone backslash.");
        int e = points[i + 1];
        if (ClassItem.TryParseSet(points, i, out var set, out int next))
        {
            if (e is 's') output.Append(@"\s");
            else AppendSet([set], negated: false, output);
            return next;
        }
        int literal = ParseEscapedLiteral(points, i, out next);
        if (ignoreCase && literal is 's' or 'S') output.Append(@"[sS\u017F]");
        else output.Append(EscapeLiteral(literal, standalone: true));
        return next;
    }

    private static int TranslateClass(int[] points, int i, StringBuilder output)
    {
        int start = i;
        i++;
        bool negated = i < points.Length && points[i] == '^';
        if (negated) i++;
        var items = new List<ClassItem>();
        bool first = true;
        while (true)
        {
            if (i >= points.Length) throw new FormatException($"Unterminated character class at {start}.");
            int c = points[i];
            if (c == ']' && !first) { i++; break; }
            first = false;
            if (c == '[') throw new FormatException("Nested character classes are not supported.");
            if (c == '&' && i + 1 < points.Length && points[i + 1] == '&') throw new FormatException("Class intersection (&&) is not supported.");
            int low;
            if (c == '\\')
            {
                if (ClassItem.TryParseSet(points, i, out var set, out int afterSet))
                {
                    items.Add(set);
                    i = afterSet;
                    continue;
                }
                low = ParseEscapedLiteral(points, i, out i);
            }
            else
            {
                low = c;
                i++;
            }
            int high = low;
            if (i + 1 < points.Length && points[i] == '-' && points[i + 1] != ']')
            {
                i++;
                if (points[i] == '\\') high = ParseEscapedLiteral(points, i, out i);
                else high = points[i++];
                if (high < low) throw new FormatException($"Reversed range in a character class at {start}.");
            }
            items.Add(ClassItem.Range(low, high));
        }
        AppendSet(items, negated, output);
        return i;
    }

    /// <summary>Emits <c>(?:[BMP part]|supplementary pairs)</c> for the union of <paramref name="items"/> (or its complement).</summary>
    private static void AppendSet(List<ClassItem> items, bool negated, StringBuilder output)
    {
        var bmp = new StringBuilder();
        foreach (var item in items) item.AppendBmp(bmp);
        // Surrogate code units are never matched alone: only as the pairs listed below.
        string bmpClass = negated
            ? $@"[^{bmp}\uD800-\uDFFF]"
            : bmp.Length == 0 ? "" : $@"[{bmp}-[\uD800-\uDFFF]]";

        var pairs = new StringBuilder();
        int rangeStart = -1;
        for (int cp = 0x10000; cp <= 0x110000; cp++)
        {
            bool member = false;
            if (cp <= 0x10FFFF)
            {
                foreach (var item in items)
                {
                    if (item.Contains(cp))
                    {
                        member = true;
                        break;
                    }
                }
                member ^= negated;
            }
            if (member && rangeStart < 0) rangeStart = cp;
            else if (!member && rangeStart >= 0)
            {
                AppendPairRange(rangeStart, cp - 1, pairs);
                rangeStart = -1;
            }
        }
        if (pairs.Length == 0)
        {
            output.Append(bmpClass.Length == 0 ? "(?!)" : bmpClass);
            return;
        }
        output.Append("(?:");
        if (bmpClass.Length > 0) output.Append(bmpClass).Append('|');
        output.Append(pairs).Append(')');
    }

    /// <summary>Code points <paramref name="first"/>..<paramref name="last"/> (all supplementary) as UTF-16 alternatives.</summary>
    private static void AppendPairRange(int first, int last, StringBuilder output)
    {
        static (int High, int Low) Split(int cp) => (0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF));
        var (h1, l1) = Split(first);
        var (h2, l2) = Split(last);
        void Add(string s)
        {
            if (output.Length > 0) output.Append('|');
            output.Append(s);
        }
        if (h1 == h2)
        {
            Add($@"\u{h1:X4}[\u{l1:X4}-\u{l2:X4}]");
            return;
        }
        int fullFrom = h1, fullTo = h2;
        if (l1 != 0xDC00)
        {
            Add($@"\u{h1:X4}[\u{l1:X4}-\uDFFF]");
            fullFrom++;
        }
        if (l2 != 0xDFFF)
            fullTo--;
        if (fullFrom <= fullTo)
            Add($@"[\u{fullFrom:X4}-\u{fullTo:X4}][\uDC00-\uDFFF]");
        if (l2 != 0xDFFF)
            Add($@"\u{h2:X4}[\uDC00-\u{l2:X4}]");
    }

    private static int ParseEscapedLiteral(int[] points, int i, out int next)
    {
        int e = points[i + 1];
        next = i + 2;
        switch (e)
        {
            case 'n': return '\n';
            case 'r': return '\r';
            case 't': return '\t';
            case 'f': return '\f';
            case 'v': return '\v';
            case 'a': return '\a';
            case 'e': return 0x1B;
            case 'x':
            case 'u':
                {
                    int digits = e == 'u' ? 4 : 2;
                    int j = i + 2;
                    bool braced = j < points.Length && points[j] == '{';
                    if (braced) j++;
                    int value = 0, count = 0;
                    while (j < points.Length && (braced ? points[j] != '}' : count < digits) && Uri.IsHexDigit((char)points[j]))
                    {
                        value = value * 16 + Convert.ToInt32(((char)points[j]).ToString(), 16);
                        j++;
                        count++;
                    }
                    if (braced)
                    {
                        if (j >= points.Length || points[j] != '}') throw new FormatException("Unterminated \\x{…} escape.");
                        j++;
                    }
                    if (count == 0) throw new FormatException($"Empty \\{(char)e} escape.");
                    next = j;
                    return value;
                }
            default:
                if (char.IsAsciiLetterOrDigit((char)e) && e < 0x80)
                    throw new FormatException($"Unsupported escape \\{(char)e} in a tokenizer pattern.");
                return e;
        }
    }

    private static string EscapeLiteral(int cp, bool standalone)
    {
        if (cp > 0xFFFF)
        {
            var s = char.ConvertFromUtf32(cp);
            return standalone ? $@"(?:\u{(int)s[0]:X4}\u{(int)s[1]:X4})" : s;
        }
        return $@"\u{cp:X4}";
    }

    private static bool[] CategorySet(string name) => CategorySets.GetOrAdd(name, n =>
    {
        var set = new bool[30];
        bool any = false;
        foreach (UnicodeCategory category in Enum.GetValues<UnicodeCategory>())
        {
            string code = CategoryCode(category);
            if (code == n || code[0].ToString() == n)
            {
                set[(int)category] = true;
                any = true;
            }
        }
        if (!any) throw new FormatException($"Unsupported Unicode property \\p{{{n}}} (only general categories are translated).");
        return set;
    });

    private static string CategoryCode(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => "Lu",
        UnicodeCategory.LowercaseLetter => "Ll",
        UnicodeCategory.TitlecaseLetter => "Lt",
        UnicodeCategory.ModifierLetter => "Lm",
        UnicodeCategory.OtherLetter => "Lo",
        UnicodeCategory.NonSpacingMark => "Mn",
        UnicodeCategory.SpacingCombiningMark => "Mc",
        UnicodeCategory.EnclosingMark => "Me",
        UnicodeCategory.DecimalDigitNumber => "Nd",
        UnicodeCategory.LetterNumber => "Nl",
        UnicodeCategory.OtherNumber => "No",
        UnicodeCategory.SpaceSeparator => "Zs",
        UnicodeCategory.LineSeparator => "Zl",
        UnicodeCategory.ParagraphSeparator => "Zp",
        UnicodeCategory.Control => "Cc",
        UnicodeCategory.Format => "Cf",
        UnicodeCategory.Surrogate => "Cs",
        UnicodeCategory.PrivateUse => "Co",
        UnicodeCategory.ConnectorPunctuation => "Pc",
        UnicodeCategory.DashPunctuation => "Pd",
        UnicodeCategory.OpenPunctuation => "Ps",
        UnicodeCategory.ClosePunctuation => "Pe",
        UnicodeCategory.InitialQuotePunctuation => "Pi",
        UnicodeCategory.FinalQuotePunctuation => "Pf",
        UnicodeCategory.OtherPunctuation => "Po",
        UnicodeCategory.MathSymbol => "Sm",
        UnicodeCategory.CurrencySymbol => "Sc",
        UnicodeCategory.ModifierSymbol => "Sk",
        UnicodeCategory.OtherSymbol => "So",
        _ => "Cn",
    };

    /// <summary>One member of a class: a code point range or a property set (<c>\p{L}</c>, <c>\S</c>, …).</summary>
    private sealed class ClassItem
    {
        private int low, high;
        private string? bmpSyntax;
        private Func<int, bool>? supplementary;

        public static ClassItem Range(int low, int high) => new() { low = low, high = high };

        public bool Contains(int cp) => supplementary is { } test ? test(cp) : cp >= low && cp <= high;

        public void AppendBmp(StringBuilder bmp)
        {
            if (bmpSyntax is not null)
            {
                bmp.Append(bmpSyntax);
                return;
            }
            if (low > 0xFFFF) return;
            bmp.Append(EscapeLiteral(low, standalone: false));
            int top = Math.Min(high, 0xFFFF);
            if (top > low) bmp.Append('-').Append(EscapeLiteral(top, standalone: false));
        }

        /// <summary>Parses <c>\p{X}</c>, <c>\P{X}</c>, <c>\pL</c>, <c>\s</c>, <c>\S</c>, <c>\d</c>, <c>\D</c>, <c>\w</c> at <paramref name="i"/>.</summary>
        public static bool TryParseSet(int[] points, int i, out ClassItem item, out int next)
        {
            item = null!;
            next = i;
            int e = points[i + 1];
            switch (e)
            {
                case 'p':
                case 'P':
                    {
                        int j = i + 2;
                        string name;
                        if (j < points.Length && points[j] == '{')
                        {
                            int close = Array.IndexOf(points, '}', j);
                            if (close < 0) throw new FormatException("Unterminated \\p{…}.");
                            name = string.Concat(points[(j + 1)..close].Select(char.ConvertFromUtf32));
                            next = close + 1;
                        }
                        else
                        {
                            name = char.ConvertFromUtf32(points[j]);
                            next = j + 1;
                        }
                        bool negated = e == 'P';
                        if (name.StartsWith('^'))
                        {
                            negated = !negated;
                            name = name[1..];
                        }
                        var set = CategorySet(name);
                        item = new ClassItem
                        {
                            bmpSyntax = $@"\{(negated ? 'P' : 'p')}{{{name}}}",
                            supplementary = cp => set[Category(cp)] != negated,
                        };
                        return true;
                    }
                case 's':
                    next = i + 2;
                    item = new ClassItem { bmpSyntax = @"\s", supplementary = _ => false };
                    return true;
                case 'S':
                    next = i + 2;
                    item = new ClassItem { bmpSyntax = @"\S", supplementary = _ => true };
                    return true;
                case 'd':
                case 'D':
                    {
                        next = i + 2;
                        bool negated = e == 'D';
                        item = new ClassItem
                        {
                            bmpSyntax = negated ? @"\P{Nd}" : @"\p{Nd}",
                            supplementary = cp => (Category(cp) == (int)UnicodeCategory.DecimalDigitNumber) != negated,
                        };
                        return true;
                    }
                case 'w':
                    {
                        // Oniguruma's Unicode \w: letters, marks, decimal numbers, connector punctuation.
                        next = i + 2;
                        var word = new[] { CategorySet("L"), CategorySet("M"), CategorySet("Nd"), CategorySet("Pc") };
                        item = new ClassItem
                        {
                            bmpSyntax = @"\p{L}\p{M}\p{Nd}\p{Pc}",
                            supplementary = cp => word[0][Category(cp)] || word[1][Category(cp)] || word[2][Category(cp)] || word[3][Category(cp)],
                        };
                        return true;
                    }
                default:
                    return false;
            }
        }
    }
}
