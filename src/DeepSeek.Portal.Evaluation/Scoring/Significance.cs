using DeepSeek.Portal.Evaluation.Metrics;
namespace DeepSeek.Portal.Evaluation.Scoring;

/// <summary>Which test produced a <see cref="SignificanceResult"/>.</summary>
public enum SignificanceTest
{
    /// <summary>Paired bootstrap over items (same items scored by both evaluations).</summary>
    PairedBootstrap,
    /// <summary>Exact McNemar test on paired right/wrong outcomes.</summary>
    McNemar,
    /// <summary>Two-proportion z-test (different items: nothing to pair).</summary>
    TwoProportionZ,
}

/// <summary>
/// How B differs from A: <c>Delta</c> = B − A in the metric's units, its 95 % interval, and the two-sided p-value of
/// "no difference". <c>Count</c> is the number of pairs (or, unpaired, the items of both sides together).
/// </summary>
public sealed record SignificanceResult(SignificanceTest Test, double Delta, double Lower, double Upper, double PValue, int Count)
{
    /// <summary>Whether the difference is significant at 5 %.</summary>
    public bool Significant => PValue < 0.05;
}

/// <summary>
/// Significance of the difference between two evaluations. When both scored the same suite items the tests are paired,
/// which removes the items' own difficulty from the noise: a paired bootstrap over items for any mean-of-items metric,
/// McNemar's exact test for 0/100 correctness. Otherwise a two-proportion z-test on the pass rates.
/// </summary>
public static class Significance
{
    /// <summary>Resamples of the paired bootstrap (Koehn 2004 uses 1,000).</summary>
    public const int DefaultResamples = 1000;

    /// <summary>z for a two-sided 95 % interval.</summary>
    /// <summary>
    /// Paired bootstrap: the delta is mean(b) − mean(a) over the pairs; each resample draws n pairs with replacement
    /// (seeded, so a page shows the same p-value every time). The interval is the 2.5th–97.5th percentile of the
    /// resampled deltas; the p-value is that of the centred bootstrap, (1 + #{|δ* − δ| ≥ |δ|}) / (1 + resamples):
    /// how often resampling alone moves the delta as far as the delta itself.
    /// </summary>
    /// <exception cref="ArgumentException">Lists of different lengths, no pairs, fewer than 1 resample or a non-finite score.</exception>
    public static SignificanceResult PairedBootstrap(IReadOnlyList<double> a, IReadOnlyList<double> b, int resamples = DefaultResamples, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ArgumentException($"Paired scores need equal counts (A has {a.Count}, B has {b.Count}).", nameof(b));
        if (a.Count == 0) throw new ArgumentException("The paired bootstrap needs at least one pair.", nameof(a));
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "At least one resample.");
        int n = a.Count;
        var d = new double[n];
        for (int i = 0; i < n; i++)
        {
            d[i] = b[i] - a[i];
            if (!double.IsFinite(d[i])) throw new ArgumentException($"Pair {i + 1} has a score that is not a finite number.", nameof(a));
        }
        double delta = d.Average();
        var random = new Random(seed);
        var deltas = new double[resamples];
        int extreme = 0;
        // A tolerance for "as far as": resampling identical differences reproduces δ up to rounding.
        double tolerance = 1e-12 * Math.Max(1, Math.Abs(delta));
        for (int k = 0; k < resamples; k++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
                sum += d[random.Next(n)];
            deltas[k] = sum / n;
            if (Math.Abs(deltas[k] - delta) >= Math.Abs(delta) - tolerance)
                extreme++;
        }
        Array.Sort(deltas);
        double p = (1.0 + extreme) / (1.0 + resamples);
        return new SignificanceResult(SignificanceTest.PairedBootstrap, delta, Percentile(deltas, 0.025), Percentile(deltas, 0.975), Math.Min(1, p), n);
    }

    /// <summary>
    /// Exact McNemar test on paired outcomes (true = right). Only discordant pairs count: <c>b</c> = A right and B wrong,
    /// <c>c</c> = A wrong and B right; under "no difference" c ~ Binomial(b + c, ½), and the p-value is
    /// min(1, 2·P(X ≤ min(b, c))). The delta and its interval are those of the accuracy (× 100): (c − b)/n with the
    /// Wald interval of a paired difference of proportions.
    /// </summary>
    /// <exception cref="ArgumentException">Lists of different lengths or no pairs.</exception>
    public static SignificanceResult McNemar(IReadOnlyList<bool> a, IReadOnlyList<bool> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ArgumentException($"Paired outcomes need equal counts (A has {a.Count}, B has {b.Count}).", nameof(b));
        if (a.Count == 0) throw new ArgumentException("McNemar's test needs at least one pair.", nameof(a));
        int onlyA = 0, onlyB = 0, n = a.Count;
        for (int i = 0; i < n; i++)
        {
            if (a[i] && !b[i]) onlyA++;
            else if (!a[i] && b[i]) onlyB++;
        }
        double p = ExactMcNemarP(onlyA, onlyB);
        double delta = (double)(onlyB - onlyA) / n;
        // Var of the paired difference: ((b + c) − (c − b)²/n) / n².
        double variance = ((onlyA + onlyB) - (double)(onlyB - onlyA) * (onlyB - onlyA) / n) / ((double)n * n);
        double half = BusinessMetrics.Z95 * Math.Sqrt(Math.Max(0, variance));
        return new SignificanceResult(SignificanceTest.McNemar, 100 * delta, 100 * (delta - half), 100 * (delta + half), p, n);
    }

    /// <summary>The exact two-sided McNemar p-value for <paramref name="onlyA"/> and <paramref name="onlyB"/> discordant pairs.</summary>
    public static double ExactMcNemarP(int onlyA, int onlyB)
    {
        if (onlyA < 0 || onlyB < 0) throw new ArgumentOutOfRangeException(nameof(onlyA), "Counts are not negative.");
        int n = onlyA + onlyB;
        if (n == 0) return 1;
        int k = Math.Min(onlyA, onlyB);
        // Σ_{i ≤ k} C(n, i) / 2^n, in logs so large n does not overflow.
        double tail = 0;
        double logHalfN = -n * Math.Log(2);
        double logC = 0; // log C(n, 0)
        for (int i = 0; i <= k; i++)
        {
            if (i > 0) logC += Math.Log(n - i + 1) - Math.Log(i);
            tail += Math.Exp(logC + logHalfN);
        }
        return Math.Min(1, 2 * tail);
    }

    /// <summary>
    /// Two-proportion z-test for unpaired evaluations: x₁ of n₁ against x₂ of n₂, pooled standard error for the test,
    /// unpooled (Wald) for the interval of p₂ − p₁. Delta and interval × 100 (percentage points).
    /// </summary>
    /// <exception cref="ArgumentException">No trials on a side, or successes outside 0..trials.</exception>
    public static SignificanceResult TwoProportionZ(int successesA, int trialsA, int successesB, int trialsB)
    {
        if (trialsA < 1 || trialsB < 1) throw new ArgumentException("Each side needs at least one trial.", trialsA < 1 ? nameof(trialsA) : nameof(trialsB));
        if (successesA < 0 || successesA > trialsA) throw new ArgumentException($"Successes of A must be between 0 and {trialsA} (was {successesA}).", nameof(successesA));
        if (successesB < 0 || successesB > trialsB) throw new ArgumentException($"Successes of B must be between 0 and {trialsB} (was {successesB}).", nameof(successesB));
        double p1 = (double)successesA / trialsA, p2 = (double)successesB / trialsB;
        double pooled = (double)(successesA + successesB) / (trialsA + trialsB);
        double se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / trialsA + 1.0 / trialsB));
        double p = se == 0 ? (p1 == p2 ? 1 : 0) : 2 * NormalUpperTail(Math.Abs(p2 - p1) / se);
        double seWald = Math.Sqrt(p1 * (1 - p1) / trialsA + p2 * (1 - p2) / trialsB);
        double delta = p2 - p1;
        return new SignificanceResult(SignificanceTest.TwoProportionZ, 100 * delta, 100 * (delta - BusinessMetrics.Z95 * seWald), 100 * (delta + BusinessMetrics.Z95 * seWald), Math.Min(1, p), trialsA + trialsB);
    }

    /// <summary>P(Z ≥ z) of a standard normal, via erfc (within 1.2e-7, ample for a p-value shown to three places).</summary>
    public static double NormalUpperTail(double z) => 0.5 * Erfc(z / Math.Sqrt(2));

    // Complementary error function, Chebyshev fit from Numerical Recipes (fractional error < 1.2e-7 everywhere).
    private static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
            t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    // Linear interpolation between closest ranks (numpy's default) on sorted values.
    private static double Percentile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int low = (int)Math.Floor(position);
        int high = Math.Min(sorted.Length - 1, low + 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }
}
