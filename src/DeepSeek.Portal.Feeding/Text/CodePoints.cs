using System.Runtime.CompilerServices;

namespace DeepSeek.Portal.Feeding.Text;

/// <summary>Code points of UTF-16 text without <see cref="System.Text.Rune"/> enumerators, for the per-record hot loops.</summary>
internal static class CodePoints
{
    /// <summary>
    /// The code point at <paramref name="index"/>, advancing it past the code point: a surrogate pair gives one
    /// supplementary code point, an unpaired surrogate gives U+FFFD and one unit, as <c>string.EnumerateRunes</c> does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Next(ReadOnlySpan<char> text, ref int index)
    {
        char c = text[index++];
        if (!char.IsSurrogate(c)) return c;
        if (char.IsHighSurrogate(c) && index < text.Length && char.IsLowSurrogate(text[index]))
            return char.ConvertToUtf32(c, text[index++]);
        return 0xFFFD;
    }

    /// <summary>UTF-16 units a code point takes once written back (U+FFFD for an unpaired surrogate: one, like the surrogate).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Utf16Length(int codePoint) => codePoint > 0xFFFF ? 2 : 1;
}
