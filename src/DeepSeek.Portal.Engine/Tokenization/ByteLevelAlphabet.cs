namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>
/// GPT-2's byte-to-character table, which byte-level BPE vocabularies are written in: the printable bytes
/// <c>!</c>–<c>~</c>, U+00A1–U+00AC and U+00AE–U+00FF stand for themselves; the other 68 bytes (controls, space,
/// DEL, U+00A0, U+00AD…) take U+0100 upwards in byte order, so a space is <c>Ġ</c> (U+0120) and a newline <c>Ċ</c>.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The character that stands for each byte.</summary>
    public static readonly char[] ByteToChar = Build();

    private static readonly Dictionary<char, byte> CharToByteMap =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    /// <summary>The byte a vocabulary character stands for; false for a character outside the alphabet.</summary>
    public static bool TryGetByte(char c, out byte value) => CharToByteMap.TryGetValue(c, out value);

    /// <summary>The vocabulary spelling of <paramref name="bytes"/>.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a vocabulary token stands for, or null when a character is outside the alphabet.</summary>
    public static byte[]? Decode(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!CharToByteMap.TryGetValue(token[i], out bytes[i])) return null;
        }
        return bytes;
    }

    private static char[] Build()
    {
        static bool StandsForItself(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        var table = new char[256];
        int next = 0x100;
        for (int b = 0; b < 256; b++) table[b] = StandsForItself(b) ? (char)b : (char)next++;
        return table;
    }
}
