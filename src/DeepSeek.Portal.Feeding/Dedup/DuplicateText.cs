using System.Buffers;
using System.Text;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Dedup;

/// <summary>
/// The normal form in which both duplicate detectors compare texts: Unicode NFKC (full-width ＡＢＣ１２３ and the
/// ideographic space become ASCII), lower case (invariant culture, per code point), every run of white space
/// (spaces, tabs, newlines, U+3000) collapsed to one ASCII space, and no leading or trailing space.
/// Punctuation is kept: "Hello, world" and "Hello world" are different texts.
/// </summary>
/// <remarks>Text with unpaired UTF-16 surrogates cannot be NFKC-normalised; it is compared with the surrogates as U+FFFD.</remarks>
public static class DuplicateText
{
    /// <summary>The normal form of <paramref name="text"/> as a string (for display and tests; the detectors avoid the allocation).</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = ArrayPool<int>.Shared.Rent(Math.Max(16, text.Length));
        try
        {
            int count = ToCodePoints(text, ref buffer);
            var builder = new StringBuilder(count);
            foreach (int value in buffer.AsSpan(0, count)) builder.Append(new Rune(value).ToString());
            return builder.ToString();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Writes the normal form's code points to <paramref name="buffer"/> (a pooled array, replaced by a larger pooled
    /// one when too small) and returns how many there are.
    /// </summary>
    internal static int ToCodePoints(string text, ref int[] buffer)
    {
        var source = UnicodeForms.Nfkc(text);
        if (buffer.Length < source.Length)
        {
            ArrayPool<int>.Shared.Return(buffer);
            buffer = ArrayPool<int>.Shared.Rent(source.Length);
        }

        int count = 0;
        bool pendingSpace = false;
        foreach (var rune in source.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                pendingSpace = count > 0;
                continue;
            }
            // At most one code point per UTF-16 unit, and a space only where a white-space run was: the buffer fits.
            if (pendingSpace)
            {
                buffer[count++] = ' ';
                pendingSpace = false;
            }
            buffer[count++] = Rune.ToLowerInvariant(rune).Value;
        }
        return count;
    }
}
