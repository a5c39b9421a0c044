namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// The speaker names a conversation turn may carry in its <c>role</c> (OpenAI chat) or <c>from</c> (ShareGPT) field.
/// A turn without either is accepted; a turn with any other name is refused, because a typo ("asistant") would
/// otherwise reach training as a silent third speaker once chat templates are applied.
/// </summary>
public static class ConversationRoles
{
    /// <summary>The accepted names: OpenAI's <c>system</c>, <c>developer</c>, <c>user</c>, <c>assistant</c>, <c>tool</c> and ShareGPT's <c>human</c>, <c>gpt</c>.</summary>
    public static IReadOnlyList<string> Accepted { get; } = ["system", "developer", "user", "assistant", "tool", "human", "gpt"];

    /// <summary>Whether <paramref name="role"/> is one of <see cref="Accepted"/>, ignoring case ("User" is "user").</summary>
    public static bool IsAccepted(string? role) =>
        role is not null && Accepted.Contains(role, StringComparer.OrdinalIgnoreCase);
}
