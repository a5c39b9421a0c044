namespace DeepSeek.Portal.Feeding.Statistics;

/// <summary>
/// How well a tokenizer covers a text: its token count, and how many of those tokens are byte-fallback tokens (single
/// raw UTF-8 bytes the tokenizer emits for a character that is not in its vocabulary). The portal adapts the engine's
/// tokenizer to this interface; Feeding does not reference the engine.
/// </summary>
public interface ITokenCoverage
{
    /// <summary>Tokens of <paramref name="text"/> (no BOS/EOS) and how many of them are byte-fallback tokens.</summary>
    (int Tokens, int ByteFallbackTokens) Measure(string text);
}
