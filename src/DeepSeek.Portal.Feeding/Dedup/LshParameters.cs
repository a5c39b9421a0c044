using System.Collections.Concurrent;

namespace DeepSeek.Portal.Feeding.Dedup;

/// <summary>
/// Banding of a MinHash signature for locality-sensitive hashing: two records become candidates when all
/// <see cref="Rows"/> values of at least one of the <see cref="Bands"/> bands agree, which happens with probability
/// 1 − (1 − s^r)^b for Jaccard similarity s.
/// </summary>
/// <param name="Bands">Number of bands (b).</param>
/// <param name="Rows">Signature values per band (r).</param>
public readonly record struct LshParameters(int Bands, int Rows)
{
    private static readonly ConcurrentDictionary<(double, int, double, double), LshParameters> Cache = new();

    /// <summary>Probability that two records of Jaccard similarity <paramref name="similarity"/> share a band.</summary>
    public double CandidateProbability(double similarity) => 1 - Math.Pow(1 - Math.Pow(similarity, Rows), Bands);

    /// <summary>
    /// The (b, r) with b·r ≤ <paramref name="permutations"/> that minimises
    /// <paramref name="falsePositiveWeight"/>·∫₀ᵗ P(s) ds + <paramref name="falseNegativeWeight"/>·∫ₜ¹ (1 − P(s)) ds,
    /// t = <paramref name="threshold"/>: datasketch's and data-juicer's <c>optimal_param</c>, same search order
    /// (b ascending, then r ascending, first minimum kept). 256 permutations at 0.7 give b = 25, r = 10.
    /// </summary>
    public static LshParameters Optimal(double threshold, int permutations, double falsePositiveWeight = 0.5, double falseNegativeWeight = 0.5)
    {
        if (!(threshold is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be strictly between 0 and 1.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(permutations);
        return Cache.GetOrAdd((threshold, permutations, falsePositiveWeight, falseNegativeWeight), key =>
        {
            var (t, n, fpWeight, fnWeight) = key;
            double best = double.PositiveInfinity;
            var chosen = new LshParameters(1, 1);
            for (int b = 1; b <= n; b++)
            {
                for (int r = 1; r <= n / b; r++)
                {
                    var candidate = new LshParameters(b, r);
                    double falsePositive = Integrate(candidate.CandidateProbability, 0, t);
                    double falseNegative = Integrate(s => 1 - candidate.CandidateProbability(s), t, 1);
                    double error = fpWeight * falsePositive + fnWeight * falseNegative;
                    if (error < best)
                    {
                        best = error;
                        chosen = candidate;
                    }
                }
            }
            return chosen;
        });
    }

    /// <summary>Adaptive Simpson quadrature (the integrands are smooth polynomials in s; 1e-10 matches SciPy's quad closely enough to pick the same minimum).</summary>
    private static double Integrate(Func<double, double> f, double a, double b)
    {
        double fa = f(a), fb = f(b), fm = f((a + b) / 2);
        return Adaptive(f, a, b, fa, fm, fb, Simpson(a, b, fa, fm, fb), 1e-10, 40);
    }

    private static double Simpson(double a, double b, double fa, double fm, double fb) => (b - a) / 6 * (fa + 4 * fm + fb);

    private static double Adaptive(Func<double, double> f, double a, double b, double fa, double fm, double fb, double whole, double tolerance, int depth)
    {
        double m = (a + b) / 2, lm = (a + m) / 2, rm = (m + b) / 2;
        double flm = f(lm), frm = f(rm);
        double left = Simpson(a, m, fa, flm, fm), right = Simpson(m, b, fm, frm, fb);
        double delta = left + right - whole;
        // The first levels always split: a coarse Simpson estimate can agree with itself by accident on a steep S-curve.
        if (depth <= 0 || (depth <= 36 && Math.Abs(delta) <= 15 * tolerance))
            return left + right + delta / 15;
        return Adaptive(f, a, m, fa, flm, fm, left, tolerance / 2, depth - 1) + Adaptive(f, m, b, fm, frm, fb, right, tolerance / 2, depth - 1);
    }
}
