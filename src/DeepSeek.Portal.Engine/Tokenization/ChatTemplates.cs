using System.Text;

namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>Who wrote a chat message.</summary>
public enum ChatRole
{
    /// <summary>Instructions that frame the conversation.</summary>
    System,

    /// <summary>The person.</summary>
    User,

    /// <summary>The model.</summary>
    Assistant,
}

/// <summary>One message of a conversation.</summary>
/// <param name="Role">Who wrote it.</param>
/// <param name="Content">Its text.</param>
public sealed record ChatMessage(ChatRole Role, string Content);

/// <summary>The DeepSeek chat formats.</summary>
public enum ChatTemplate
{
    /// <summary>deepseek-llm-7b/67b-chat and DeepSeek-V2(-Lite)-Chat: <c>User: …\n\nAssistant: …</c>.</summary>
    DeepSeekLlm,

    /// <summary>DeepSeek-V3: <c>&lt;｜User｜&gt;…&lt;｜Assistant｜&gt;…&lt;｜end▁of▁sentence｜&gt;</c>.</summary>
    DeepSeekV3,

    /// <summary>DeepSeek-R1: as V3, but an assistant turn keeps only the text after its last <c>&lt;/think&gt;</c>.</summary>
    DeepSeekR1,

    /// <summary>DeepSeek-R1-Distill (Qwen, Llama): the R1 text, over the distilled model's own ids.</summary>
    DeepSeekR1Distill,
}

/// <summary>
/// Renders a conversation the way each DeepSeek model's chat template does, to text and to ids. Written as code for
/// the four formats, not as a Jinja engine; tool calls are not rendered.
/// </summary>
public static class ChatTemplates
{
    /// <summary>V3/R1 user-turn marker.</summary>
    public const string UserTag = "<｜User｜>";

    /// <summary>V3/R1 assistant-turn marker.</summary>
    public const string AssistantTag = "<｜Assistant｜>";

    /// <summary>Start of R1's reasoning.</summary>
    public const string ThinkStart = "<think>";

    /// <summary>End of R1's reasoning.</summary>
    public const string ThinkEnd = "</think>";

    /// <summary>
    /// The template's text for <paramref name="messages"/>, starting with <see cref="Tokenizer.BeginOfSentence"/>.
    /// </summary>
    /// <param name="template">Which model's format.</param>
    /// <param name="messages">The conversation, in order.</param>
    /// <param name="addGenerationPrompt">End with the prompt for the model's next turn: <c>Assistant:</c> (no trailing
    /// space) for deepseek-llm/V2, <c>&lt;｜Assistant｜&gt;</c> for V3.</param>
    /// <param name="openThinking">R1 and R1-Distill only: the templates' newer revision opens the reasoning in the
    /// generation prompt (<c>&lt;｜Assistant｜&gt;&lt;think&gt;\n</c>); false gives the original
    /// <c>&lt;｜Assistant｜&gt;</c>.</param>
    public static string Render(ChatTemplate template, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = false, bool openThinking = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            ArgumentNullException.ThrowIfNull(message.Content, nameof(messages));
            if (!Enum.IsDefined(message.Role)) throw new ArgumentException($"Unknown chat role {(int)message.Role}.", nameof(messages));
        }
        return template switch
        {
            ChatTemplate.DeepSeekLlm => RenderLlm(messages, addGenerationPrompt),
            ChatTemplate.DeepSeekV3 => RenderV3(messages, addGenerationPrompt, reasoning: false, openThinking),
            ChatTemplate.DeepSeekR1 or ChatTemplate.DeepSeekR1Distill => RenderV3(messages, addGenerationPrompt, reasoning: true, openThinking),
            _ => throw new ArgumentOutOfRangeException(nameof(template), template, null),
        };
    }

    /// <summary>
    /// <see cref="Render"/> encoded with <paramref name="tokenizer"/>, its special-token text matched as tokens (as
    /// <c>apply_chat_template(tokenize=True)</c> does; the BOS comes from the text, not added again).
    /// </summary>
    public static int[] RenderIds(HuggingFaceTokenizer tokenizer, ChatTemplate template, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = false, bool openThinking = true)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return tokenizer.EncodeWithAddedTokens(Render(template, messages, addGenerationPrompt, openThinking));
    }

    /// <summary>The text of an R1 assistant turn kept in the history: what follows the last <c>&lt;/think&gt;</c>, or all of it.</summary>
    public static string AnswerAfterReasoning(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        int end = content.LastIndexOf(ThinkEnd, StringComparison.Ordinal);
        return end < 0 ? content : content[(end + ThinkEnd.Length)..];
    }

    private static string RenderLlm(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder(Tokenizer.BeginOfSentence);
        foreach (var message in messages)
        {
            switch (message.Role)
            {
                case ChatRole.System:
                    text.Append(message.Content).Append("\n\n");
                    break;
                case ChatRole.User:
                    text.Append("User: ").Append(message.Content).Append("\n\n");
                    break;
                default:
                    text.Append("Assistant: ").Append(message.Content).Append(Tokenizer.EndOfSentence);
                    break;
            }
        }
        if (addGenerationPrompt) text.Append("Assistant:");
        return text.ToString();
    }

    private static string RenderV3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, bool reasoning, bool openThinking)
    {
        // System messages, wherever they are, form one prompt right after the BOS (joined by a blank line).
        var system = string.Join("\n\n", messages.Where(m => m.Role == ChatRole.System).Select(m => m.Content));
        var text = new StringBuilder(Tokenizer.BeginOfSentence).Append(system);
        foreach (var message in messages)
        {
            if (message.Role == ChatRole.User)
                text.Append(UserTag).Append(message.Content);
            else if (message.Role == ChatRole.Assistant)
                text.Append(AssistantTag).Append(reasoning ? AnswerAfterReasoning(message.Content) : message.Content).Append(Tokenizer.EndOfSentence);
        }
        if (addGenerationPrompt)
        {
            text.Append(AssistantTag);
            if (reasoning && openThinking) text.Append(ThinkStart).Append('\n');
        }
        return text.ToString();
    }
}
