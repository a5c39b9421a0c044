namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// The speaker names a conversation turn may carry in its <c>role</c> (OpenAI chat) or <c>from</c> (ShareGPT) field.
/// Every turn must carry one, and a turn with any other name is refused, because a typo ("asistant") would
/// otherwise reach training as a silent third speaker once chat templates are applied.
/// </summary>
public static class ConversationRoles
{
    /// <summary>The normalised system role (OpenAI's <c>system</c> and <c>developer</c>).</summary>
    public const string System = "system";

    /// <summary>The normalised user role (OpenAI's <c>user</c>, ShareGPT's <c>human</c>).</summary>
    public const string User = "user";

    /// <summary>The normalised assistant role (OpenAI's <c>assistant</c>, ShareGPT's <c>gpt</c>): the turns chat fine-tuning trains on.</summary>
    public const string Assistant = "assistant";

    /// <summary>A tool's output (OpenAI's <c>tool</c>): read by the model like a user turn, never trained on.</summary>
    public const string Tool = "tool";

    /// <summary>The accepted names: OpenAI's <c>system</c>, <c>developer</c>, <c>user</c>, <c>assistant</c>, <c>tool</c> and ShareGPT's <c>human</c>, <c>gpt</c>.</summary>
    public static IReadOnlyList<string> Accepted { get; } = ["system", "developer", "user", "assistant", "tool", "human", "gpt"];

    /// <summary>Whether <paramref name="role"/> is one of <see cref="Accepted"/>, ignoring case ("User" is "user").</summary>
    public static bool IsAccepted(string? role) =>
        role is not null && Accepted.Contains(role, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The stored name of an accepted role: <see cref="System"/>, <see cref="User"/>, <see cref="Assistant"/> or
    /// <see cref="Tool"/>; <see langword="null"/> for a name that is not accepted.
    /// </summary>
    public static string? Normalise(string? role) => role?.ToLowerInvariant() switch
    {
        "system" or "developer" => System,
        "user" or "human" => User,
        "assistant" or "gpt" => Assistant,
        "tool" => Tool,
        _ => null,
    };
}
