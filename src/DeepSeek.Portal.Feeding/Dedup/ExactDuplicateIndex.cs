using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace DeepSeek.Portal.Feeding.Dedup;

/// <summary>What <see cref="ExactDuplicateIndex.Add"/> found for one record.</summary>
/// <param name="Fingerprint">XxHash64 (seed 0) of the UTF-8 bytes of the record's <see cref="DuplicateText"/> normal form.</param>
/// <param name="FirstId">The id of the first record added with the same fingerprint: the record itself when it is new.</param>
/// <param name="IsDuplicate">True when an earlier record had the same normal form.</param>
public readonly record struct ExactDuplicateMatch(ulong Fingerprint, string FirstId, bool IsDuplicate);

/// <summary>
/// Finds records whose texts are equal after <see cref="DuplicateText"/> normalisation (NFKC, lower case, white space
/// collapsed), streaming: each record is compared with all earlier ones through a 64-bit fingerprint, and a duplicate
/// reports the first record it repeats.
/// </summary>
/// <remarks>
/// Memory: one dictionary entry per distinct text (a 64-bit fingerprint and an int, about 28 bytes with the
/// dictionary's bucket) plus one reference per record to its id. Two different texts collide with probability about
/// n²/2⁶⁵ (n = distinct texts): for ten million texts, about 3·10⁻⁶. Not thread-safe.
/// </remarks>
public sealed class ExactDuplicateIndex
{
    private readonly Dictionary<ulong, int> firstByFingerprint = [];
    private readonly List<string> ids = [];

    /// <summary>Number of records added.</summary>
    public int Count => ids.Count;

    /// <summary>Number of records that repeated an earlier one.</summary>
    public int DuplicateCount { get; private set; }

    /// <summary>Adds a record and says whether its normalised text was seen before.</summary>
    public ExactDuplicateMatch Add(string id, string text)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(text);
        ulong fingerprint = Fingerprint(text);
        int index = ids.Count;
        ids.Add(id);
        if (firstByFingerprint.TryGetValue(fingerprint, out int first))
        {
            DuplicateCount++;
            return new ExactDuplicateMatch(fingerprint, ids[first], IsDuplicate: true);
        }
        firstByFingerprint.Add(fingerprint, index);
        return new ExactDuplicateMatch(fingerprint, id, IsDuplicate: false);
    }

    /// <summary>XxHash64 (seed 0) of the UTF-8 encoding of <paramref name="text"/>'s <see cref="DuplicateText"/> normal form.</summary>
    public static ulong Fingerprint(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var codePoints = ArrayPool<int>.Shared.Rent(Math.Max(16, text.Length));
        byte[]? utf8 = null;
        try
        {
            int count = DuplicateText.ToCodePoints(text, ref codePoints);
            utf8 = ArrayPool<byte>.Shared.Rent(Math.Max(16, count * 4));
            int length = 0;
            foreach (int value in codePoints.AsSpan(0, count))
            {
                if (value < 0x80) utf8[length++] = (byte)value;
                else length += new Rune(value).EncodeToUtf8(utf8.AsSpan(length));
            }
            return XxHash64.HashToUInt64(utf8.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(codePoints);
            if (utf8 is not null) ArrayPool<byte>.Shared.Return(utf8);
        }
    }
}
