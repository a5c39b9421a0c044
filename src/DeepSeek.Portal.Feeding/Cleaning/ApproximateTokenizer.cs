using System.Text;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Cleaning;

/// <summary>
/// A model-free token count by script: each Han, kana or Hangul character is a token, each run of other letters and
/// digits (a word) is a token, each other non-space character (punctuation, symbols, emoji) is a token, and white
/// space is free.
/// </summary>
/// <remarks>
/// An approximation, not a tokenizer: BPE vocabularies split rare and long English words, so real counts run about
/// 1.2–1.5 tokens per English word, and a Chinese BPE merges frequent character pairs, so real counts run below one
/// per Han character. Use it only when no trained tokenizer is selected.
/// </remarks>
public sealed class ApproximateTokenizer : ITextTokenizer
{
    /// <summary>The shared instance (stateless).</summary>
    public static ApproximateTokenizer Instance { get; } = new();

    /// <inheritdoc/>
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int tokens = 0;
        Scan(text, int.MaxValue, ref tokens);
        return tokens;
    }

    /// <inheritdoc/>
    public string Truncate(string text, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        int tokens = 0;
        int end = Scan(text, maxTokens, ref tokens);
        return end == text.Length ? text : text[..end];
    }

    /// <summary>Counts tokens until <paramref name="limit"/> is reached; returns the UTF-16 end of the last token that fits.</summary>
    private static int Scan(string text, int limit, ref int tokens)
    {
        int index = 0, end = 0;
        bool inWord = false;
        while (index < text.Length)
        {
            Rune.DecodeFromUtf16(text.AsSpan(index), out var rune, out int width);
            if (Rune.IsWhiteSpace(rune))
            {
                inWord = false;
            }
            else if (IsCjk(rune.Value) || !Rune.IsLetterOrDigit(rune))
            {
                inWord = false;
                if (tokens == limit) return end;
                tokens++;
                end = index + width;
            }
            else
            {
                if (!inWord)
                {
                    if (tokens == limit) return end;
                    tokens++;
                    inWord = true;
                }
                end = index + width;
            }
            index += width;
        }
        return text.Length;
    }

    private static bool IsCjk(int value) =>
        LanguageGuess.IsHan(value) || value is >= 0x3040 and <= 0x30FF or >= 0xAC00 and <= 0xD7AF;
}
