using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>Checks and transformations shared by both formats.</summary>
internal static class TextRules
{
    public const string NotUtf8Hint = "(GB18030/GBK files import when that encoding is chosen or detected)";

    /// <summary>
    /// Turns <c>\r\n</c> and lone <c>\r</c> into <c>\n</c>. Nothing else is normalised: Unicode
    /// normalisation (NFC/NFKC) would rewrite some CJK compatibility ideographs and full-width forms, and the
    /// product promises to keep the customer's text as uploaded.
    /// </summary>
    public static string NormaliseLineEndings(string text) =>
        text.Contains('\r') ? text.Replace("\r\n", "\n").Replace('\r', '\n') : text;

    /// <summary>Counts code points: a surrogate pair (an emoji, a CJK Extension B character) is one character.</summary>
    public static int CountCharacters(string text)
    {
        var pairs = 0;
        foreach (var c in text)
        {
            if (char.IsLowSurrogate(c))
            {
                pairs++;
            }
        }

        return text.Length - pairs;
    }

    /// <summary>The 0-based index of the first control character other than tab, LF and CR, or -1.</summary>
    public static int IndexOfForbiddenControl(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
            {
                return i;
            }
        }

        return -1;
    }

    public static string DescribeControl(char c) => c switch
    {
        '\0' => "U+0000 (NUL)",
        '\u001B' => "U+001B (ESC)",
        '\u007F' => "U+007F (DEL)",
        _ => $"U+{(int)c:X4}",
    };

    /// <summary>The 0-based offset of the first byte that is not part of valid UTF-8, or -1 when all of it is valid.</summary>
    public static int IndexOfInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return -1;
        }

        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return -1;
    }

    public static string InvalidUtf8Message(int offset) =>
        $"not valid UTF-8 at byte {offset + 1} of the line {NotUtf8Hint}";

    /// <summary>Formats a byte count the way people read file sizes (binary multiples, "20 MB").</summary>
    public static string FormatSize(long bytes)
    {
        string[] units = ["KB", "MB", "GB", "TB"];
        if (bytes < 1024)
        {
            return bytes == 1 ? "1 byte" : $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes";
        }

        var value = (double)bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return $"{value.ToString("0.#", CultureInfo.InvariantCulture)} {units[unit]}";
    }
}
