namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>Which way each score passes and where its threshold starts in the filter panel.</summary>
public static class ScoreDefaults
{
    /// <summary>True when a record passes with a score at or above the threshold; false when at or below.</summary>
    public static bool KeepAbove(string score) => score switch
    {
        "noise" => false,          // P(noisy): the seed drops at ≥ 0.9
        "rules" => false,          // heuristic rules fired
        "entropyOutside" => false, // bits/char outside the language's measured range
        _ => true,
    };

    /// <summary>The starting threshold: the seed's defaults where it gives one, else the 5th percentile (or 95th) of the values.</summary>
    public static double Threshold(string score, float[] values) => score switch
    {
        "domain" => 0.75,
        "noise" => 0.9,
        "rules" => 0,
        "entropyOutside" => 0,
        _ => Percentile(values, KeepAbove(score) ? 0.05 : 0.95),
    };

    /// <summary>Whether a filter built in the panel applies this score unless the user unticks it (raw entropy is shown, its range check applied).</summary>
    public static bool AppliedByDefault(string score) => score is not "entropy";

    private static double Percentile(float[] values, double q)
    {
        var present = values.Where(v => !float.IsNaN(v)).Order().ToArray();
        return present.Length == 0 ? 0 : present[(int)Math.Clamp(Math.Round(q * (present.Length - 1)), 0, present.Length - 1)];
    }
}
