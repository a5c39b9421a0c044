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
        // Both detectors normalise the same record one after the other: the last text's normal form is kept per
        // thread and copied on a second call for the same string instance (strings are immutable, so it is the same text).
        var last = lastNormalized;
        if (last is not null && ReferenceEquals(last.Text, text))
        {
            Ensure(ref buffer, last.Count);
            last.CodePoints.AsSpan(0, last.Count).CopyTo(buffer);
            return last.Count;
        }

        int count = Normalize(text, ref buffer);
        if (count <= MaxRemembered)
        {
            last = lastNormalized ??= new Remembered();
            if (last.CodePoints.Length < count) last.CodePoints = new int[Math.Max(count, 2 * last.CodePoints.Length)];
            buffer.AsSpan(0, count).CopyTo(last.CodePoints);
            last.Count = count;
            last.Text = text;
        }
        else if (last is not null)
        {
            last.Text = null;
        }
        return count;
    }

    private const int MaxRemembered = 1 << 16;

    [ThreadStatic] private static Remembered? lastNormalized;

    private sealed class Remembered
    {
        public string? Text;
        public int[] CodePoints = new int[1024];
        public int Count;
    }

    private static void Ensure(ref int[] buffer, int length)
    {
        if (buffer.Length >= length) return;
        ArrayPool<int>.Shared.Return(buffer);
        buffer = ArrayPool<int>.Shared.Rent(length);
    }

    private static int Normalize(string text, ref int[] buffer)
    {
        var source = UnicodeForms.Nfkc(text);
        Ensure(ref buffer, source.Length);

        int count = 0;
        bool pendingSpace = false;
        var span = source.AsSpan();
        for (int i = 0; i < span.Length;)
        {
            int c = CodePoints.Next(span, ref i);
            if (c < 0x80)
            {
                if (c == ' ' || (uint)(c - '\t') <= '\r' - '\t')
                {
                    pendingSpace = count > 0;
                    continue;
                }
                if ((uint)(c - 'A') <= 'Z' - 'A') c |= 0x20;
            }
            else
            {
                var rune = new Rune(c);
                if (Rune.IsWhiteSpace(rune))
                {
                    pendingSpace = count > 0;
                    continue;
                }
                c = Rune.ToLowerInvariant(rune).Value;
            }
            // At most one code point per UTF-16 unit, and a space only where a white-space run was: the buffer fits.
            if (pendingSpace)
            {
                buffer[count++] = ' ';
                pendingSpace = false;
            }
            buffer[count++] = c;
        }
        return count;
    }
}
