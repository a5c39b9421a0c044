using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// One turn of an imported conversation, kept so that chat fine-tuning can train on every assistant turn (not only the
/// last) and a chat template can mark who said what. Stored in dataset version files as <c>{"role":…,"content":…}</c>.
/// </summary>
/// <param name="Role">The normalised speaker: <c>system</c>, <c>user</c>, <c>assistant</c> or <c>tool</c> (<see cref="ConversationRoles.Normalise"/>).</param>
/// <param name="Content">What was said, with line endings normalised to <c>\n</c>.</param>
public sealed record ConversationTurn(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] string Content)
{
    /// <summary>Whether the turn is the model's, which chat fine-tuning trains on.</summary>
    [JsonIgnore]
    public bool IsAssistant => Role == ConversationRoles.Assistant;

    /// <summary>
    /// The training text of a conversation, its turns joined with <c>\n</c>: what the importer stores as the record's
    /// text, so a record whose text no longer equals this was edited after import (its turns no longer describe it).
    /// </summary>
    public static string JoinText(IEnumerable<ConversationTurn> turns) => string.Join('\n', turns.Select(t => t.Content));
}
