using DeepSeek.Portal.Evaluation.Explanations;
using DeepSeek.Portal.Feeding.Scoring;

namespace DeepSeek.Portal.Evaluations.Reports;

/// <summary>A request to explain a text's score.</summary>
/// <param name="Text">The text (at most <see cref="TextExplainer.MaxLength"/> characters).</param>
/// <param name="Scorer">One of <see cref="TextExplainer.Scorers"/>.</param>
public sealed record ExplainRequest(string? Text, string? Scorer);

/// <summary>What an explanation request got wrong: the field and what was expected.</summary>
public sealed record ExplainProblem(string Field, string Message);

/// <summary>
/// KernelSHAP over a text's units (characters of Chinese, words otherwise) for scorers that run in-process: the data
/// pipeline's noise rules (the number of rules a text fires, the score the noise classifier is bootstrapped from) and
/// its character entropy. The trained noise classifier and evaluation targets are not offered: the classifier exists
/// only inside a scoring operation, and a target may be a remote endpoint whose every call costs money and seconds.
/// </summary>
public static class TextExplainer
{
    /// <summary>Longest text accepted: each unit multiplies the coalitions KernelSHAP evaluates.</summary>
    public const int MaxLength = 400;

    /// <summary>The scorers by name.</summary>
    public static IReadOnlyDictionary<string, Func<string, double>> Scorers { get; } = new Dictionary<string, Func<string, double>>
    {
        [HeuristicRules.Default.Name] = HeuristicRules.Default.Score,
        ["entropy"] = CharacterEntropy.BitsPerCharacter,
    };

    /// <summary>Checks the request and explains the text; a problem names the field when the request is unusable.</summary>
    public static (TextExplanation? Explanation, ExplainProblem? Problem) Explain(ExplainRequest? request)
    {
        if (request?.Text is not { } text || string.IsNullOrWhiteSpace(text))
            return (null, new ExplainProblem("text", "Expected a non-empty text."));
        if (text.Length > MaxLength)
            return (null, new ExplainProblem("text", $"Expected at most {MaxLength} characters (got {text.Length})."));
        if (request.Scorer is not { } name || !Scorers.TryGetValue(name, out var score))
            return (null, new ExplainProblem("scorer", $"Expected one of {string.Join(", ", Scorers.Keys)}."));
        return (KernelShap.ExplainText(text, score, new KernelShapOptions { Seed = 42 }), null);
    }
}
