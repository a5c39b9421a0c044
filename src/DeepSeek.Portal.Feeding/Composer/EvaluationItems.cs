namespace DeepSeek.Portal.Feeding.Composer;

/// <summary>A candidate item for an evaluation suite: a general or domain record.</summary>
/// <param name="Id">Stable identifier (for example the record's id in its dataset version); kept as the origin of what is derived from it.</param>
/// <param name="Text">The record's text.</param>
public sealed record EvaluationItem(string Id, string Text)
{
    /// <summary>The input given to a model, when the record is a prompt/response pair.</summary>
    public string? Prompt { get; init; }

    /// <summary>The expected answer, when the record has one.</summary>
    public string? Reference { get; init; }
}

/// <summary>The three parts of a suite (seed 3.2: 通用 / 领域 / 对抗测试集).</summary>
public enum EvaluationSlice
{
    /// <summary>General items, unchanged: everyday scenarios.</summary>
    General,

    /// <summary>Domain items, unchanged: the core business.</summary>
    Domain,

    /// <summary>Items derived from domain items by a <see cref="Perturbation"/>: noise and abnormal input.</summary>
    Adversarial,
}

/// <summary>One item of a composed suite, with its origin.</summary>
/// <param name="Id">Identifier within the suite (<c>general-0001</c>, <c>domain-0001</c>, <c>adversarial-0001</c>, …).</param>
/// <param name="Slice">The part it belongs to.</param>
/// <param name="Text">Its text (for an adversarial item whose origin has a prompt: the origin's text with the prompt replaced by the perturbed one).</param>
/// <param name="Prompt">Its prompt, when the origin has one (perturbed for adversarial items).</param>
/// <param name="Reference">The origin's reference answer, unchanged: a robust model still gives it.</param>
/// <param name="SourceItemId">The <see cref="EvaluationItem.Id"/> it comes from.</param>
/// <param name="Perturbation">What was changed; <c>null</c> for general and domain items.</param>
public sealed record ComposedItem(
    string Id,
    EvaluationSlice Slice,
    string Text,
    string? Prompt,
    string? Reference,
    string SourceItemId,
    Perturbation? Perturbation);

/// <summary>How an adversarial item was derived.</summary>
/// <param name="Kind">The kind of perturbation.</param>
/// <param name="Field"><c>"prompt"</c> or <c>"text"</c>: which field of the origin was perturbed.</param>
/// <param name="Description">What changed, for people (for example <c>swapped 'ab' at 4 → 'ba'</c>).</param>
/// <param name="Parameters">What changed, for programs: positions (UTF-16 offsets in the original field), characters before and after, the template and canary of an injection, the appended sentence.</param>
public sealed record Perturbation(PerturbationKind Kind, string Field, string Description, IReadOnlyDictionary<string, string> Parameters);

/// <summary>The kinds of adversarial perturbation (reference §6: PromptBench's character attacks, CheckList/StressTest distractors, prompt injection).</summary>
public enum PerturbationKind
{
    /// <summary>Characters inserted (a random Latin letter, or a common Chinese character in Chinese text).</summary>
    CharacterInsert,

    /// <summary>Characters deleted (never whitespace).</summary>
    CharacterDelete,

    /// <summary>Two different adjacent characters swapped.</summary>
    CharacterSwap,

    /// <summary>Latin letters replaced by their Cyrillic look-alikes (a→а, e→е, o→о …).</summary>
    Homoglyph,

    /// <summary>Chinese characters replaced by visually similar ones (形近字: 贷→货, 未→末 …).</summary>
    ChineseLookalike,

    /// <summary>Chinese characters replaced by ones of the same pinyin syllable and tone (同音字: 账→帐, 利→力 …).</summary>
    ChineseHomophone,

    /// <summary>Characters switched between half-width and full-width forms (A↔Ａ, ,↔，, space↔U+3000).</summary>
    WidthSwap,

    /// <summary>An irrelevant sentence appended, in the item's language.</summary>
    Distractor,

    /// <summary>An injected instruction appended (naive, escape characters, context ignoring, fake completion, combined).</summary>
    PromptInjection,
}

/// <summary>Prompt-injection attack styles (Liu et al. 2024, "Formalizing and Benchmarking Prompt Injection Attacks and Defenses").</summary>
public enum InjectionStyle
{
    /// <summary>The injected instruction appended as it is.</summary>
    Naive,

    /// <summary>Newlines and a tab before the injected instruction, to look like a new section.</summary>
    EscapeCharacters,

    /// <summary>"Ignore all previous instructions and …".</summary>
    ContextIgnoring,

    /// <summary>A fake answer that closes the original task, then the injected one.</summary>
    FakeCompletion,

    /// <summary>Fake completion, escape characters and context ignoring together.</summary>
    Combined,
}
