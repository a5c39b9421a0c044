namespace DeepSeek.Portal.Evaluation.Metrics;

/// <summary>A proportion-like figure with its 95 % interval.</summary>
/// <param name="Value">The figure (NPS −100..100; TCR 0..100).</param>
/// <param name="Lower">Lower end of the 95 % interval.</param>
/// <param name="Upper">Upper end of the 95 % interval.</param>
/// <param name="Count">Responses or attempts it is computed from.</param>
public sealed record IntervalEstimate(double Value, double Lower, double Upper, int Count);

/// <summary>
/// Tier-3 (business) figures: net promoter score and task completion rate, each with a 95 % interval
/// (reference §4: NPS = % promoters 9–10 − % detractors 0–6; TCR = successes / attempts with the adjusted-Wald interval).
/// </summary>
public static class BusinessMetrics
{
    /// <summary>z for a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// NPS of 0–10 scores with the interval from the standard error of the mean: each response counts +100 (promoter),
    /// 0 (passive) or −100 (detractor); NPS is their mean, its interval mean ± z·sd/√n (sd with n − 1), clipped to
    /// −100..100. One response has no spread: its interval is the whole range.
    /// </summary>
    /// <exception cref="ArgumentException">A score outside 0–10, or no scores.</exception>
    public static IntervalEstimate Nps(IReadOnlyList<int> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0) throw new ArgumentException("NPS needs at least one score.", nameof(scores));
        double sum = 0;
        var values = new double[scores.Count];
        for (int i = 0; i < scores.Count; i++)
        {
            int s = scores[i];
            if (s is < 0 or > 10) throw new ArgumentException($"Score {i + 1} is {s}; NPS scores are whole numbers from 0 to 10.", nameof(scores));
            values[i] = s >= 9 ? 100 : s <= 6 ? -100 : 0;
            sum += values[i];
        }
        int n = scores.Count;
        double mean = sum / n;
        if (n == 1) return new IntervalEstimate(mean, -100, 100, 1);
        double squares = 0;
        foreach (var v in values) squares += (v - mean) * (v - mean);
        double half = Z95 * Math.Sqrt(squares / (n - 1)) / Math.Sqrt(n);
        return new IntervalEstimate(mean, Math.Max(-100, mean - half), Math.Min(100, mean + half), n);
    }

    /// <summary>
    /// Task completion rate (× 100) with the adjusted-Wald interval (Agresti–Coull): p̂ = (x + z²/2)/(n + z²),
    /// p̂ ± z·√(p̂(1 − p̂)/(n + z²)), clipped to 0..100. 1 of 5 → 20 % (2 %–64 %).
    /// </summary>
    /// <exception cref="ArgumentException">No attempts, or successes outside 0..attempts.</exception>
    public static IntervalEstimate TaskCompletion(int successes, int attempts)
    {
        if (attempts < 1) throw new ArgumentException("Task completion needs at least one attempt.", nameof(attempts));
        if (successes < 0 || successes > attempts) throw new ArgumentException($"Successes must be between 0 and {attempts} (was {successes}).", nameof(successes));
        double z2 = Z95 * Z95;
        double adjusted = (successes + z2 / 2) / (attempts + z2);
        double half = Z95 * Math.Sqrt(adjusted * (1 - adjusted) / (attempts + z2));
        return new IntervalEstimate(100.0 * successes / attempts, 100 * Math.Max(0, adjusted - half), 100 * Math.Min(1, adjusted + half), attempts);
    }
}
