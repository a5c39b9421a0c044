using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Training;

/// <summary>
/// Which dataset version records train as chat/SFT examples (targets only in the assistant's words) rather than as
/// plain text (every token a target), and how.
/// </summary>
public static class SupervisedRecords
{
    /// <summary>
    /// A conversation's turns when the record has them and its text is still their contents joined with <c>\n</c>
    /// (every assistant turn is then trained on); otherwise a pair whose text is still <c>prompt + "\n" + response</c>
    /// (its answer is trained on); otherwise <see langword="null"/>: the record trains as plain text. A record whose
    /// text an operation rewrote (preprocessing, say) no longer matches its turns or pair, so its span is unknown.
    /// </summary>
    public static SupervisedExample? From(VersionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Turns is { Count: > 0 } turns && record.Text == ConversationTurn.JoinText(turns))
        {
            var messages = new List<ChatMessage>(turns.Count);
            foreach (var turn in turns)
            {
                // A tool's output is read like the user's words, never trained on.
                ChatRole? role = turn.Role switch
                {
                    ConversationRoles.System => ChatRole.System,
                    ConversationRoles.User or ConversationRoles.Tool => ChatRole.User,
                    ConversationRoles.Assistant => ChatRole.Assistant,
                    _ => null,
                };
                if (role is null) return null;
                messages.Add(new ChatMessage(role.Value, turn.Content));
            }
            var example = SupervisedExample.FromConversation(messages);
            return example.IsUsable ? example : null;
        }
        return record is { Prompt: { } prompt, Response: { } response } && record.Text == prompt + "\n" + response
            ? new SupervisedExample(prompt, response)
            : null;
    }
}
