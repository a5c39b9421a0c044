using System.Buffers;
using System.Text;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Cleaning;

/// <summary>The result of preprocessing one record.</summary>
/// <param name="Text">The preprocessed text.</param>
/// <param name="Truncated">True when truncation to <see cref="PreprocessOptions.MaxTokens"/> cut the text.</param>
public readonly record struct PreprocessedText(string Text, bool Truncated);

/// <summary>
/// Seed section 2.1's preprocessing: NFKC, white space, optional ASCII lower-casing and truncation to a token budget,
/// in that order (NFKC first so that the ideographic space is collapsed with the rest).
/// </summary>
/// <remarks>Thread-safe when the tokenizer is. One allocation per changed record (the result string; NFKC adds one when
/// the text is not already in NFKC); a text that needs no change comes back as the same instance.</remarks>
public sealed class Preprocessor
{
    private readonly ITextTokenizer tokenizer;

    /// <summary>A preprocessor with <paramref name="options"/> (defaults when null), truncating with
    /// <paramref name="tokenizer"/> (<see cref="ApproximateTokenizer"/> when null).</summary>
    public Preprocessor(PreprocessOptions? options = null, ITextTokenizer? tokenizer = null)
    {
        Options = options ?? new PreprocessOptions();
        if (Options.MaxTokens is < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.MaxTokens, "MaxTokens must be at least 1, or null for no truncation.");
        this.tokenizer = tokenizer ?? ApproximateTokenizer.Instance;
    }

    /// <summary>The settings in use.</summary>
    public PreprocessOptions Options { get; }

    /// <summary>Preprocesses one record.</summary>
    public PreprocessedText Process(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Options.Nfkc) text = UnicodeForms.Nfkc(text);
        if (Options.Whitespace != WhitespaceHandling.Keep || Options.LowercaseAscii) text = Rewrite(text);
        if (Options.MaxTokens is not { } max) return new PreprocessedText(text, false);
        var truncated = tokenizer.Truncate(text, max);
        return new PreprocessedText(truncated, truncated.Length < text.Length);
    }

    /// <summary>White space and lower-casing in one pass into a pooled buffer; returns <paramref name="text"/> itself when nothing changed.</summary>
    private string Rewrite(string text)
    {
        var buffer = ArrayPool<char>.Shared.Rent(text.Length);
        try
        {
            var span = text.AsSpan();
            int length = 0, i = 0;
            var mode = Options.Whitespace;
            while (i < span.Length)
            {
                char c = span[i];
                if (mode != WhitespaceHandling.Keep && char.IsWhiteSpace(c))
                {
                    int start = i, newlines = 0;
                    while (i < span.Length && char.IsWhiteSpace(span[i]))
                    {
                        if (span[i] == '\n') newlines++;
                        i++;
                    }
                    if (length == 0 || i == span.Length) continue; // trim both ends
                    if (mode == WhitespaceHandling.CollapseAll)
                    {
                        buffer[length++] = ' ';
                    }
                    else if (newlines >= 2)
                    {
                        buffer[length++] = '\n';
                        buffer[length++] = '\n'; // a run with two newlines has at least two characters: the buffer fits
                    }
                    else if (newlines == 0 || !(IsCjkBefore(span, start) && IsCjkAt(span, i)))
                    {
                        buffer[length++] = ' ';
                    }
                    continue;
                }
                buffer[length++] = Options.LowercaseAscii && c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
                i++;
            }
            var result = buffer.AsSpan(0, length);
            return result.SequenceEqual(span) ? text : new string(result);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static bool IsCjkBefore(ReadOnlySpan<char> text, int index) =>
        index > 0 && Rune.DecodeLastFromUtf16(text[..index], out var rune, out _) == OperationStatus.Done && IsCjk(rune.Value);

    private static bool IsCjkAt(ReadOnlySpan<char> text, int index) =>
        Rune.DecodeFromUtf16(text[index..], out var rune, out _) == OperationStatus.Done && IsCjk(rune.Value);

    /// <summary>Han characters and CJK punctuation (U+3000–U+303F, full-width forms U+FF00–U+FFEF).</summary>
    private static bool IsCjk(int value) => LanguageGuess.IsHan(value) || value is >= 0x3000 and <= 0x303F or >= 0xFF00 and <= 0xFFEF;
}
