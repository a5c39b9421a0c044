using DeepSeek.Portal.Feeding.Composer;

namespace DeepSeek.Portal.Evaluation.Suites;

/// <summary>What an item asks of a model, and so how it is scored.</summary>
public enum ItemKind
{
    /// <summary>Free generation against one or more references: BLEU, ROUGE-L, perplexity of the first reference.</summary>
    Generation,

    /// <summary>Extraction / question answering: SQuAD token F1 and exact match against the gold answers (best of them).</summary>
    Extraction,

    /// <summary>Classification or multiple choice: one of <see cref="SuiteItem.Choices"/> is right (<see cref="SuiteItem.Answer"/>).</summary>
    Classification,

    /// <summary>A conversation whose last reply is judged complete or not (<see cref="SuiteItem.CompletionCriteria"/>).</summary>
    Conversation,
}

/// <summary>How a classification item's choice is made.</summary>
public enum ChoiceScoring
{
    /// <summary>The choice whose text has the highest log-likelihood after the prompt (needs log-probabilities).</summary>
    LogLikelihood,

    /// <summary>The model generates; the choice its answer matches (normalised, SQuAD rules) is taken, none if no match.</summary>
    Generation,
}

/// <summary>One turn of a conversation item.</summary>
/// <param name="Role"><c>system</c>, <c>user</c> or <c>assistant</c>.</param>
/// <param name="Content">The turn's text.</param>
public sealed record ChatTurn(string Role, string Content);

/// <summary>
/// One item of an evaluation suite. A suite is a dataset version (composed by the evaluation-set composer or uploaded
/// as a suite file); each record becomes an item.
/// </summary>
/// <param name="Id">Identifier within the suite (stable across re-runs: the output cache and comparisons key on it).</param>
/// <param name="Kind">What is asked, and so how it is scored.</param>
/// <param name="Slice">General, domain or adversarial (seed 3.2: 20 / 60 / 20).</param>
public sealed record SuiteItem(string Id, ItemKind Kind, EvaluationSlice Slice)
{
    /// <summary>The business domain the item belongs to (for example <c>finance</c>); metrics are also broken down by it.</summary>
    public string? Domain { get; init; }

    /// <summary>The model's input for generation, extraction and classification items.</summary>
    public string? Prompt { get; init; }

    /// <summary>The conversation so far, for conversation items (the model writes the next assistant turn).</summary>
    public IReadOnlyList<ChatTurn>? Messages { get; init; }

    /// <summary>References (generation) or gold answers (extraction); the first is also the text whose perplexity is measured.</summary>
    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>The options of a classification item.</summary>
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>Index of the right option in <see cref="Choices"/>.</summary>
    public int? Answer { get; init; }

    /// <summary>How a classification item's choice is made.</summary>
    public ChoiceScoring Scoring { get; init; } = ChoiceScoring.LogLikelihood;

    /// <summary>Conversation items: phrases that must all appear in the reply (case- and width-insensitive) for the task to count as completed.</summary>
    public IReadOnlyList<string>? CompletionCriteria { get; init; }

    /// <summary>The record an adversarial item was derived from, or the record the item was read from.</summary>
    public string? SourceItemId { get; init; }

    /// <summary>The perturbation kind of an adversarial item.</summary>
    public string? Perturbation { get; init; }
}
