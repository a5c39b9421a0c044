using DeepSeek.Portal.Engine.Tokenization;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// A chat/SFT training example: a prompt and its answer, or a whole conversation (<see cref="Turns"/>). Only the
/// assistant's words and the EOS closing each assistant turn are loss targets (labels −100 elsewhere), so the model
/// learns to answer, not to produce prompts. How the example becomes tokens is a <see cref="SupervisedLayout"/>'s
/// business: by default <c>BOS Prompt "\n" Response EOS</c> (the text the data importer stores for pairs).
/// </summary>
/// <param name="Prompt">Everything before the answer (instruction, user turns, earlier turns).</param>
/// <param name="Response">The assistant's answer.</param>
public sealed record SupervisedExample(string Prompt, string Response)
{
    /// <summary>
    /// The whole conversation when the example is one (<see cref="FromConversation"/>): every assistant turn is then a
    /// target, not only the last. <c>null</c>: the example is the pair <see cref="Prompt"/>, <see cref="Response"/>.
    /// </summary>
    public IReadOnlyList<ChatMessage>? Turns { get; init; }

    /// <summary>
    /// The whole document's text: <c>Prompt + "\n" + Response</c>, or a conversation's contents joined with <c>"\n"</c>
    /// (what the importer stores as the record's text, and what the tokenizer is trained on).
    /// </summary>
    public string Text => Turns is null ? Prompt + "\n" + Response : string.Join('\n', Turns.Select(t => t.Content));

    /// <summary>Whether there is an answer to train on.</summary>
    public bool IsUsable => Turns is null
        ? !string.IsNullOrWhiteSpace(Response)
        : Turns.Any(t => t.Role == ChatRole.Assistant && !string.IsNullOrWhiteSpace(t.Content));

    /// <summary>The example as a conversation: its <see cref="Turns"/>, or a pair as one user turn and one assistant turn.</summary>
    public IReadOnlyList<ChatMessage> Messages => Turns ?? [new(ChatRole.User, Prompt), new(ChatRole.Assistant, Response)];

    /// <summary>
    /// A multi-turn example. <see cref="Prompt"/> and <see cref="Response"/> become the turns before the last assistant
    /// turn (joined with <c>"\n"</c>) and that turn, as the importer's reference pair (empty when there is none).
    /// </summary>
    public static SupervisedExample FromConversation(IReadOnlyList<ChatMessage> turns)
    {
        ArgumentNullException.ThrowIfNull(turns);
        foreach (var turn in turns)
        {
            ArgumentNullException.ThrowIfNull(turn, nameof(turns));
            ArgumentNullException.ThrowIfNull(turn.Content, nameof(turns));
            if (!Enum.IsDefined(turn.Role)) throw new ArgumentException($"Unknown chat role {(int)turn.Role}.", nameof(turns));
        }
        var copy = turns.ToArray();
        int last = Array.FindLastIndex(copy, t => t.Role == ChatRole.Assistant);
        return last < 0
            ? new SupervisedExample(string.Join('\n', copy.Select(t => t.Content)), "") { Turns = copy }
            : new SupervisedExample(string.Join('\n', copy.Take(last).Select(t => t.Content)), copy[last].Content) { Turns = copy };
    }
}
