namespace DeepSeek.Portal.Feeding.Privacy;

/// <summary>Kinds of personal data <see cref="PiiMasker"/> finds; flags, so that a masker can be limited to some.</summary>
[Flags]
public enum PiiKind
{
    /// <summary>No kind.</summary>
    None = 0,

    /// <summary>E-mail address; placeholder <c>[EMAIL]</c>.</summary>
    Email = 1,

    /// <summary>Phone number: mainland China mobile or landline, or international with a + (E.164); placeholder <c>[PHONE]</c>.</summary>
    Phone = 2,

    /// <summary>Chinese resident identity card number (GB 11643, checksum-validated); placeholder <c>[ID]</c>.</summary>
    IdNumber = 4,

    /// <summary>Bank card number (13–19 digits, Luhn-valid); placeholder <c>[CARD]</c>.</summary>
    BankCard = 8,

    /// <summary>IPv4 or IPv6 address; placeholder <c>[IP]</c>.</summary>
    IpAddress = 16,

    /// <summary>Every kind.</summary>
    All = Email | Phone | IdNumber | BankCard | IpAddress,
}

/// <summary>One piece of personal data found in a text.</summary>
/// <param name="Kind">What it is (a single flag).</param>
/// <param name="Start">UTF-16 offset in the original text.</param>
/// <param name="Length">UTF-16 length in the original text.</param>
public readonly record struct PiiSpan(PiiKind Kind, int Start, int Length);

/// <summary>A masked text and what was masked.</summary>
/// <param name="Text">The text with each span replaced by its kind's placeholder (the input itself when nothing was found).</param>
/// <param name="Spans">The spans, in the original text's coordinates, ordered by position and never overlapping.</param>
public sealed record PiiMaskResult(string Text, IReadOnlyList<PiiSpan> Spans)
{
    /// <summary>How many spans of <paramref name="kind"/> were masked.</summary>
    public int Count(PiiKind kind) => Spans.Count(s => s.Kind == kind);

    /// <summary>Counts per kind, for every kind that occurred.</summary>
    public IReadOnlyDictionary<PiiKind, int> Counts => Spans.GroupBy(s => s.Kind).ToDictionary(g => g.Key, g => g.Count());
}
