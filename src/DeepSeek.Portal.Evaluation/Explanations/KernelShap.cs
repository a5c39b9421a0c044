namespace DeepSeek.Portal.Evaluation.Explanations;

/// <summary>KernelSHAP settings.</summary>
public sealed record KernelShapOptions
{
    /// <summary>Coalitions evaluated; 0 = shap's "auto" (2M + 2048, all 2^M − 2 when fewer).</summary>
    public int Samples { get; init; }

    /// <summary>Seed of the coalition sampling (used only when not every coalition is enumerated).</summary>
    public int Seed { get; init; } = 42;
}

/// <summary>Attributions: <c>Base</c> = f(baseline), <c>Values[i]</c> = feature i's share; Σ Values = f(x) − Base.</summary>
public sealed record ShapResult(double Base, double Full, IReadOnlyList<double> Values, int Evaluations, bool Exact);

/// <summary>One unit of a text explanation (a character for Chinese, a word otherwise) and its attribution.</summary>
public sealed record TextAttribution(string Unit, int Start, int Length, double Value);

/// <summary>A text explanation: the score with all units, with none (all masked), and each unit's share.</summary>
public sealed record TextExplanation(double Score, double Baseline, IReadOnlyList<TextAttribution> Units, bool Exact, int Evaluations);

/// <summary>
/// KernelSHAP (Lundberg &amp; Lee 2017; reference §5): Shapley values of a function of M binary features (present or
/// replaced by the baseline) by weighted least squares over coalitions with the Shapley kernel, the empty and full
/// coalitions enforced as constraints.
/// </summary>
public static class KernelShap
{
    /// <summary>Attributions of <paramref name="f"/> (called with a mask: true = the feature is present) over <paramref name="features"/> features.</summary>
    public static ShapResult Explain(Func<bool[], double> f, int features, KernelShapOptions? options = null) =>
        throw new NotImplementedException("metrics helper fills this in");

    /// <summary>
    /// Attributions of a text score over its units (characters of CJK runs, words elsewhere); a masked unit is removed
    /// from the text given to <paramref name="score"/>.
    /// </summary>
    public static TextExplanation ExplainText(string text, Func<string, double> score, KernelShapOptions? options = null) =>
        throw new NotImplementedException("metrics helper fills this in");
}
