namespace DeepSeek.Portal.Feeding.Cleaning;

/// <summary>
/// The tokenizer preprocessing truncates with. The portal plugs in the selected model's trained BPE tokenizer;
/// <see cref="ApproximateTokenizer"/> stands in where there is none.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Number of tokens <paramref name="text"/> encodes to (no BOS/EOS).</summary>
    int CountTokens(string text);

    /// <summary>The longest prefix of <paramref name="text"/> that encodes to at most <paramref name="maxTokens"/> tokens
    /// (<paramref name="text"/> itself when it already fits).</summary>
    string Truncate(string text, int maxTokens);
}
