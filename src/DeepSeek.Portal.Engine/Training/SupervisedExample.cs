namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// A chat/SFT training example: the conversation up to the assistant's answer and the answer itself. It is trained
/// on as the document <c>BOS Prompt "\n" Response EOS</c> (the text the data importer stores for pairs and
/// conversations), but only the response's tokens and the closing EOS are loss targets (labels −100 elsewhere), so
/// the model learns to answer, not to produce prompts.
/// </summary>
/// <param name="Prompt">Everything before the answer (instruction, user turns, earlier turns).</param>
/// <param name="Response">The assistant's answer.</param>
public sealed record SupervisedExample(string Prompt, string Response)
{
    /// <summary>The whole document's text, <c>Prompt + "\n" + Response</c>.</summary>
    public string Text => Prompt + "\n" + Response;

    /// <summary>Whether there is an answer to train on.</summary>
    public bool IsUsable => !string.IsNullOrWhiteSpace(Response);
}
