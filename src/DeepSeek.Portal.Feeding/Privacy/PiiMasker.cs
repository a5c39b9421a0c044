using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepSeek.Portal.Feeding.Privacy;

/// <summary>
/// Finds personal data in text and replaces it with typed placeholders (<c>[EMAIL]</c>, <c>[PHONE]</c>, <c>[ID]</c>,
/// <c>[CARD]</c>, <c>[IP]</c>).
/// </summary>
/// <remarks>
/// <para>Boundaries: a match may not touch an ASCII letter or digit on either side, but may touch anything else, so
/// "我的手机号13812345678谢谢" is masked (a regex <c>\b</c> would not fire between Han characters and digits) while a
/// number inside a longer run of digits or letters is not.</para>
/// <para>What counts: e-mail <c>local@domain.tld</c>; mainland mobile <c>1[3-9]</c> + 9 digits, optionally after +86/0086
/// and grouped 3-4-4 by spaces or dashes; mainland landline 0 + 2–3-digit area code (or in parentheses) and 7–8 digits,
/// with a separator after the area code; international + country code, 8–15 digits in all (E.164), spaces, dots,
/// dashes and one parenthesised group allowed; identity numbers valid under <see cref="ChineseIdNumber.IsValid"/>,
/// contiguous or grouped 6-8-4 (region, birth date, sequence and check) by spaces or dashes;
/// bank cards of 13–19 digits, contiguous or grouped (first group 4–6 digits, then 3–6-digit groups), passing
/// <see cref="Luhn"/> and not shaped like an identity number; IPv4 with octets 0–255 without leading zeros; IPv6 that
/// <see cref="IPAddress"/> parses, with at least two colons and a decimal digit (so <c>dead::beef</c> or
/// <c>std::cout</c> are left alone).</para>
/// <para>Overlaps: e-mail, then identity number, then bank card or phone, then IP. A phone written with an explicit
/// country prefix (+ or 00) beats a card reading of the same digits; otherwise a Luhn-valid card beats a phone.
/// An 18-digit number with a valid check character is an ID, never a card; one with a wrong check character is
/// neither. Any run of 13–19 digits that passes Luhn is masked as a card (one in ten random runs does).</para>
/// <para>Thread-safe. Text without a digit or '@' is returned as is after one vectorised scan; the e-mail and IPv6 patterns run
/// only around each '@' and each run of colons and hex digits; the regexes run
/// allocation-free (<see cref="Regex.EnumerateMatches(ReadOnlySpan{char})"/>); only found spans allocate. Full-width
/// digits (１３８…) are not recognised: run the preprocessor's NFKC step first.</para>
/// </remarks>
public sealed partial class PiiMasker
{
    private const string Edge = "0-9A-Za-z";

    /// <summary>A masker for <paramref name="kinds"/> (default: all).</summary>
    public PiiMasker(PiiKind kinds = PiiKind.All) => Kinds = kinds;

    /// <summary>The kinds this masker looks for.</summary>
    public PiiKind Kinds { get; }

    /// <summary>The placeholder that replaces <paramref name="kind"/>.</summary>
    public static string Placeholder(PiiKind kind) => kind switch
    {
        PiiKind.Email => "[EMAIL]",
        PiiKind.Phone => "[PHONE]",
        PiiKind.IdNumber => "[ID]",
        PiiKind.BankCard => "[CARD]",
        PiiKind.IpAddress => "[IP]",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A placeholder exists for single kinds only."),
    };

    /// <summary>Masks every span <see cref="Find"/> reports.</summary>
    public PiiMaskResult Mask(string text)
    {
        var spans = Find(text);
        if (spans.Count == 0) return new PiiMaskResult(text, spans);
        var builder = new StringBuilder(text.Length);
        int position = 0;
        foreach (var span in spans)
        {
            builder.Append(text, position, span.Start - position).Append(Placeholder(span.Kind));
            position = span.Start + span.Length;
        }
        builder.Append(text, position, text.Length - position);
        return new PiiMaskResult(builder.ToString(), spans);
    }

    /// <summary>The personal data in <paramref name="text"/>, ordered by position, without overlaps.</summary>
    public IReadOnlyList<PiiSpan> Find(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chars = text.AsSpan();
        bool hasDigit = chars.IndexOfAnyInRange('0', '9') >= 0;
        bool hasAt = chars.Contains('@');
        if (!hasDigit && !hasAt) return [];

        var candidates = new List<Candidate>();
        if (hasAt && Kinds.HasFlag(PiiKind.Email))
        {
            AddEmails(candidates, chars);
        }
        if (hasDigit)
        {
            if (Kinds.HasFlag(PiiKind.IdNumber))
            {
                Span<char> compact = stackalloc char[18];
                foreach (var m in IdPattern().EnumerateMatches(chars))
                {
                    if (ChineseIdNumber.IsValid(Compact(chars.Slice(m.Index, m.Length), compact))) candidates.Add(new(PiiKind.IdNumber, m.Index, m.Length, 1));
                }
            }
            if (Kinds.HasFlag(PiiKind.BankCard))
            {
                foreach (var m in CardPattern().EnumerateMatches(chars))
                {
                    if (IsCard(chars.Slice(m.Index, m.Length))) candidates.Add(new(PiiKind.BankCard, m.Index, m.Length, 3));
                }
            }
            if (Kinds.HasFlag(PiiKind.Phone))
            {
                AddPhones(candidates, MobilePattern().EnumerateMatches(chars), chars, minDigits: 11, maxDigits: 15);
                AddPhones(candidates, LandlinePattern().EnumerateMatches(chars), chars, minDigits: 9, maxDigits: 15);
                AddPhones(candidates, InternationalPattern().EnumerateMatches(chars), chars, minDigits: 8, maxDigits: 15);
            }
            if (Kinds.HasFlag(PiiKind.IpAddress))
            {
                foreach (var m in Ipv4Pattern().EnumerateMatches(chars))
                {
                    if (IsIpv4(chars.Slice(m.Index, m.Length))) candidates.Add(new(PiiKind.IpAddress, m.Index, m.Length, 5));
                }
                AddIpv6(candidates, chars);
            }
        }
        return candidates.Count == 0 ? [] : Resolve(candidates);
    }

    /// <summary>
    /// E-mail matches, found from each '@': the pattern runs only over the run of address characters around it (its
    /// start set, letters and digits, would otherwise make it try every word of the text).
    /// </summary>
    private static void AddEmails(List<Candidate> candidates, ReadOnlySpan<char> chars)
    {
        int from = 0;
        while (from < chars.Length)
        {
            int at = chars[from..].IndexOf('@');
            if (at < 0) return;
            at += from;
            int start = at, end = at + 1;
            while (start > 0 && IsAddressCharacter(chars[start - 1])) start--;
            while (end < chars.Length && (char.IsAsciiLetterOrDigit(chars[end]) || chars[end] is '.' or '-')) end++;
            from = at + 1;
            if (start == at) continue;
            // One character past the run, so that the pattern's lookahead sees what follows the address.
            foreach (var m in EmailPattern().EnumerateMatches(chars[..Math.Min(chars.Length, end + 1)], start))
            {
                if (m.Index <= at && at < m.Index + m.Length)
                {
                    candidates.Add(new(PiiKind.Email, m.Index, m.Length, 0));
                    from = Math.Max(from, m.Index + m.Length);
                }
                break;
            }
        }
    }

    private static bool IsAddressCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '%' or '+' or '-';

    /// <summary>IPv6 matches, looked for only in runs of hex digits, colons and dots that hold at least two colons.</summary>
    private static void AddIpv6(List<Candidate> candidates, ReadOnlySpan<char> chars)
    {
        int from = 0;
        while (from < chars.Length)
        {
            int colon = chars[from..].IndexOf(':');
            if (colon < 0) return;
            colon += from;
            int start = colon, end = colon + 1;
            while (start > 0 && IsIpv6Character(chars[start - 1])) start--;
            while (end < chars.Length && IsIpv6Character(chars[end])) end++;
            from = end;
            if (chars[start..end].Count(':') < 2) continue;
            foreach (var m in Ipv6Pattern().EnumerateMatches(chars[..Math.Min(chars.Length, end + 1)], start))
            {
                if (IsIpv6(chars.Slice(m.Index, m.Length))) candidates.Add(new(PiiKind.IpAddress, m.Index, m.Length, 5));
            }
        }
    }

    private static bool IsIpv6Character(char c) => char.IsAsciiHexDigit(c) || c is ':' or '.';

    private static void AddPhones(List<Candidate> candidates, Regex.ValueMatchEnumerator matches, ReadOnlySpan<char> chars, int minDigits, int maxDigits)
    {
        foreach (var m in matches)
        {
            var match = chars.Slice(m.Index, m.Length);
            int digits = 0;
            foreach (char c in match)
            {
                if (char.IsAsciiDigit(c)) digits++;
            }
            if (digits < minDigits || digits > maxDigits) continue;
            bool prefixed = match[0] == '+' || match.StartsWith("00");
            // A phone with an explicit country prefix outranks a card reading of the same digits; a bare one does not.
            candidates.Add(new(PiiKind.Phone, m.Index, m.Length, prefixed ? 2 : 4));
        }
    }

    private static List<PiiSpan> Resolve(List<Candidate> candidates)
    {
        // Highest priority first, then longest, then leftmost; keep each candidate that overlaps nothing kept so far.
        candidates.Sort((a, b) => a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority)
            : a.Length != b.Length ? b.Length.CompareTo(a.Length)
            : a.Start.CompareTo(b.Start));
        var kept = new List<PiiSpan>(candidates.Count);
        foreach (var c in candidates)
        {
            bool overlaps = false;
            foreach (var k in kept)
            {
                if (c.Start < k.Start + k.Length && k.Start < c.Start + c.Length)
                {
                    overlaps = true;
                    break;
                }
            }
            if (!overlaps) kept.Add(new PiiSpan(c.Kind, c.Start, c.Length));
        }
        kept.Sort((a, b) => a.Start.CompareTo(b.Start));
        return kept;
    }

    /// <summary>The match without its group separators (an ID match has exactly 18 other characters).</summary>
    private static ReadOnlySpan<char> Compact(ReadOnlySpan<char> match, Span<char> destination)
    {
        int length = 0;
        foreach (char c in match)
        {
            if (c is not (' ' or '-')) destination[length++] = c;
        }
        return destination[..length];
    }

    private static bool IsCard(ReadOnlySpan<char> match)
    {
        int digits = 0;
        foreach (char c in match)
        {
            if (char.IsAsciiDigit(c)) digits++;
        }
        return digits is >= 13 and <= 19 && Luhn.IsValid(match) && !ChineseIdNumber.HasIdShape(match);
    }

    private static bool IsIpv4(ReadOnlySpan<char> match)
    {
        foreach (var range in match.Split('.'))
        {
            var octet = match[range];
            if (octet.Length > 1 && octet[0] == '0') return false;
            if (!int.TryParse(octet, out int value) || value > 255) return false;
        }
        return true;
    }

    private static bool IsIpv6(ReadOnlySpan<char> match) =>
        match.Count(':') >= 2 && match.IndexOfAnyInRange('0', '9') >= 0
        && IPAddress.TryParse(match, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;

    // Priority: lower wins — e-mail 0, ID 1, phone with a country prefix 2, card 3, other phone 4, IP 5.
    private readonly record struct Candidate(PiiKind Kind, int Start, int Length, int Priority);

    [GeneratedRegex($@"(?<![{Edge}._%+\-])[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{{0,61}}[A-Za-z0-9])?\.)+[A-Za-z]{{2,24}}(?![{Edge}\-])", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    [GeneratedRegex($@"(?<![{Edge}])[1-8][0-9]{{5}}[ \-]?[0-9]{{8}}[ \-]?[0-9]{{3}}[0-9Xx](?![{Edge}])", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex($@"(?<![{Edge}+])(?:[0-9]{{13,19}}|[0-9]{{4,6}}(?:[ \-][0-9]{{3,6}}){{2,4}})(?![{Edge}])", RegexOptions.CultureInvariant)]
    private static partial Regex CardPattern();

    [GeneratedRegex($@"(?<![{Edge}+])(?:(?:\+|00)86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{{4}}){{2}}(?![{Edge}])", RegexOptions.CultureInvariant)]
    private static partial Regex MobilePattern();

    [GeneratedRegex($@"(?<![{Edge}+])(?:(?:\(0[0-9]{{2,3}}\)[ \-]?)|(?:0[0-9]{{2,3}}[ \-]))[0-9]{{7,8}}(?![{Edge}])", RegexOptions.CultureInvariant)]
    private static partial Regex LandlinePattern();

    // Atomic digit groups: without them a long digit run after + is re-split every way before the match fails.
    [GeneratedRegex($@"(?<![{Edge}+])\+[1-9][0-9]{{0,3}}(?:[ .\-]?(?>\([0-9]{{1,4}}\)|[0-9]{{1,5}})){{1,6}}(?![{Edge}])", RegexOptions.CultureInvariant)]
    private static partial Regex InternationalPattern();

    [GeneratedRegex($@"(?<![{Edge}.])(?:[0-9]{{1,3}}\.){{3}}[0-9]{{1,3}}(?![{Edge}]|\.[0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv4Pattern();

    [GeneratedRegex($@"(?<![{Edge}:])(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:[0-9]{{1,3}}(?:\.[0-9]{{1,3}}){{3}}|[0-9A-Fa-f]{{0,4}})(?![{Edge}:])", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv6Pattern();
}
