using System.Text;
using DeepSeek.Portal.Evaluation.Metrics;

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
/// <remarks>
/// Every coalition is enumerated when 2^M − 2 fits the budget (the regression then gives the exact Shapley values);
/// otherwise coalitions are drawn as shap's KernelExplainer draws them: subset sizes are filled completely, smallest
/// (and their complements) first, while the budget covers them at their kernel weight, and the rest is sampled from
/// the remaining sizes' kernel weight, each draw paired with its complement. The constraint Σφ = f(x) − f(baseline)
/// is enforced by eliminating the last φ (diff − Σ others), as shap does; there is no L1 feature selection (shap's
/// default <c>l1_reg</c> would zero all but 10 features when M &gt; 10).
/// </remarks>
public static class KernelShap
{
    /// <summary>Attributions of <paramref name="f"/> (called with a mask: true = the feature is present) over <paramref name="features"/> features.</summary>
    public static ShapResult Explain(Func<bool[], double> f, int features, KernelShapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentOutOfRangeException.ThrowIfNegative(features);
        options ??= new KernelShapOptions();
        int m = features;
        double fx = f(Filled(m, true));
        if (m == 0) return new ShapResult(fx, fx, [], 1, true);
        double fnull = f(Filled(m, false));
        double diff = fx - fnull;
        if (m == 1) return new ShapResult(fnull, fx, [diff], 2, true);

        int budget = options.Samples > 0 ? options.Samples : 2 * m + 2048;
        bool exact = m <= 30 && (1L << m) - 2 <= budget;
        var (masks, weights) = exact ? AllCoalitions(m) : SampledCoalitions(m, budget, options.Seed);

        var y = new double[masks.Count];
        for (int i = 0; i < masks.Count; i++) y[i] = f(masks[i]) - fnull;
        var values = Solve(masks, weights, y, m, diff);
        return new ShapResult(fnull, fx, values, masks.Count + 2, exact);
    }

    /// <summary>
    /// Attributions of a text score over its units (characters of CJK runs, words elsewhere); a masked unit is removed
    /// from the text given to <paramref name="score"/>.
    /// </summary>
    public static TextExplanation ExplainText(string text, Func<string, double> score, KernelShapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(score);
        var units = Units(text);
        var result = Explain(mask => score(Compose(text, units, mask)), units.Count, options);
        var attributions = new TextAttribution[units.Count];
        for (int i = 0; i < units.Count; i++)
            attributions[i] = new TextAttribution(text.Substring(units[i].Start, units[i].Length), units[i].Start, units[i].Length, result.Values[i]);
        return new TextExplanation(result.Full, result.Base, attributions, result.Exact, result.Evaluations);
    }

    /// <summary>
    /// A text's units: each Han character on its own; elsewhere a run of characters that are neither white space nor
    /// Han (a word, with any punctuation attached to it).
    /// </summary>
    internal static List<(int Start, int Length)> Units(string text)
    {
        var units = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i])) { i++; continue; }
            // A lone surrogate decodes as U+FFFD (width 1): part of a word, never a reason to throw.
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out int width);
            if (ChineseText.IsHan(rune.Value)) { units.Add((i, width)); i += width; continue; }
            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                Rune.DecodeFromUtf16(text.AsSpan(i), out var next, out int w);
                if (ChineseText.IsHan(next.Value)) break;
                i += w;
            }
            units.Add((start, i - start));
        }
        return units;
    }

    /// <summary>The text with masked units removed: kept units keep the separator that preceded them in the original.</summary>
    internal static string Compose(string text, List<(int Start, int Length)> units, bool[] mask)
    {
        if (Array.TrueForAll(mask, b => b)) return text;
        var sb = new System.Text.StringBuilder(text.Length);
        for (int i = 0; i < units.Count; i++)
        {
            if (!mask[i]) continue;
            if (sb.Length > 0)
            {
                int previousEnd = units[i - 1].Start + units[i - 1].Length;
                sb.Append(text, previousEnd, units[i].Start - previousEnd);
            }
            sb.Append(text, units[i].Start, units[i].Length);
        }
        return sb.ToString();
    }

    /// <summary>The Shapley kernel π(z) = (M − 1) / (C(M, |z|) · |z| · (M − |z|)).</summary>
    public static double KernelWeight(int m, int size) => (m - 1) / (Binomial(m, size) * size * (m - size));

    private static bool[] Filled(int m, bool value)
    {
        var mask = new bool[m];
        if (value) Array.Fill(mask, true);
        return mask;
    }

    private static (List<bool[]> Masks, List<double> Weights) AllCoalitions(int m)
    {
        var masks = new List<bool[]>();
        var weights = new List<double>();
        long count = 1L << m;
        for (long bits = 1; bits < count - 1; bits++)
        {
            var mask = new bool[m];
            int size = 0;
            for (int j = 0; j < m; j++)
                if ((bits >> j & 1) != 0) { mask[j] = true; size++; }
            masks.Add(mask);
            weights.Add(KernelWeight(m, size));
        }
        return (masks, weights);
    }

    /// <summary>shap's coalition scheme (see the type's remarks), seeded.</summary>
    private static (List<bool[]> Masks, List<double> Weights) SampledCoalitions(int m, int budget, int seed)
    {
        if (m <= 30) budget = (int)Math.Min(budget, (1L << m) - 2);
        int sizes = (m - 1 + 1) / 2;          // ceil((M − 1) / 2)
        int pairedSizes = (m - 1) / 2;        // floor((M − 1) / 2)
        var weightVector = new double[sizes];
        for (int s = 1; s <= sizes; s++) weightVector[s - 1] = (m - 1.0) / (s * (m - s)) * (s <= pairedSizes ? 2 : 1);
        double total = weightVector.Sum();
        for (int s = 0; s < sizes; s++) weightVector[s] /= total;

        var masks = new List<bool[]>();
        var weights = new List<double>();
        var remaining = (double[])weightVector.Clone();
        int fullSizes = 0;
        double samplesLeft = budget;
        for (int s = 1; s <= sizes; s++)
        {
            double subsets = Binomial(m, s) * (s <= pairedSizes ? 2 : 1);
            if (samplesLeft * remaining[s - 1] / subsets < 1.0 - 1e-8) break;
            fullSizes++;
            samplesLeft -= subsets;
            if (remaining[s - 1] < 1.0)
            {
                double scale = 1 - remaining[s - 1];
                for (int k = 0; k < sizes; k++) remaining[k] /= scale;
            }
            double w = weightVector[s - 1] / Binomial(m, s) / (s <= pairedSizes ? 2 : 1);
            foreach (var combination in Combinations(m, s))
            {
                masks.Add(combination);
                weights.Add(w);
                if (s <= pairedSizes)
                {
                    masks.Add(Complement(combination));
                    weights.Add(w);
                }
            }
        }

        int fixedCount = masks.Count;
        int left = budget - fixedCount;
        if (fullSizes != sizes && left > 0)
        {
            var draw = new double[sizes - fullSizes];
            for (int k = 0; k < draw.Length; k++)
            {
                int s = k + fullSizes + 1;
                draw[k] = weightVector[s - 1] / (s <= pairedSizes ? 2 : 1); // a paired draw adds two coalitions
            }
            double drawTotal = draw.Sum();
            var cumulative = new double[draw.Length];
            double run = 0;
            for (int k = 0; k < draw.Length; k++) { run += draw[k] / drawTotal; cumulative[k] = run; }

            var random = new Random(seed);
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            var order = new int[m];
            int attempts = 4 * left;
            for (int attempt = 0; attempt < attempts && left > 0; attempt++)
            {
                double u = random.NextDouble();
                int k = Array.FindIndex(cumulative, c => u < c);
                if (k < 0) k = draw.Length - 1;
                int size = k + fullSizes + 1;
                for (int j = 0; j < m; j++) order[j] = j;
                var mask = new bool[m];
                for (int j = 0; j < size; j++)
                {
                    int pick = j + random.Next(m - j);
                    (order[j], order[pick]) = (order[pick], order[j]);
                    mask[order[j]] = true;
                }
                AddOrCount(mask);
                if (left > 0 && size <= pairedSizes) AddOrCount(Complement(mask));
            }

            void AddOrCount(bool[] mask)
            {
                var key = new string(Array.ConvertAll(mask, b => b ? '1' : '0'));
                if (seen.TryGetValue(key, out var index)) { weights[index] += 1; return; }
                if (left <= 0) return;
                seen[key] = masks.Count;
                masks.Add(mask);
                weights.Add(1);
                left--;
            }

            // The drawn coalitions share the kernel weight of the sizes not enumerated, in proportion to their draws.
            double weightLeft = 0;
            for (int s = fullSizes + 1; s <= sizes; s++) weightLeft += weightVector[s - 1];
            double drawnSum = 0;
            for (int i = fixedCount; i < weights.Count; i++) drawnSum += weights[i];
            if (drawnSum > 0)
                for (int i = fixedCount; i < weights.Count; i++) weights[i] *= weightLeft / drawnSum;
        }
        return (masks, weights);
    }

    private static bool[] Complement(bool[] mask) => Array.ConvertAll(mask, b => !b);

    private static IEnumerable<bool[]> Combinations(int m, int size)
    {
        var index = new int[size];
        for (int i = 0; i < size; i++) index[i] = i;
        while (true)
        {
            var mask = new bool[m];
            foreach (var i in index) mask[i] = true;
            yield return mask;
            int p = size - 1;
            while (p >= 0 && index[p] == m - size + p) p--;
            if (p < 0) yield break;
            index[p]++;
            for (int q = p + 1; q < size; q++) index[q] = index[q - 1] + 1;
        }
    }

    private static double Binomial(int n, int k)
    {
        double r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return Math.Round(r);
    }

    /// <summary>
    /// Weighted least squares with Σφ = diff: φ_last = diff − Σ φ_others, so each row becomes
    /// (z_j − z_last) for j &lt; M − 1 against y − z_last · diff; the normal equations are solved by elimination.
    /// </summary>
    private static double[] Solve(List<bool[]> masks, List<double> weights, double[] y, int m, double diff)
    {
        int k = m - 1;
        var a = new double[k, k];
        var b = new double[k];
        var nonzero = new int[k];
        for (int r = 0; r < masks.Count; r++)
        {
            var z = masks[r];
            // Row entries are z_j − z_last ∈ {−1, 0, 1}: with z_last = 0 the present features are +1, with z_last = 1
            // the absent ones are −1; only those enter the normal equations.
            bool last = z[m - 1];
            double sign = last ? -1 : 1;
            int count = 0;
            for (int j = 0; j < k; j++) if (z[j] != last) nonzero[count++] = j;
            double target = y[r] - (last ? diff : 0);
            double w = weights[r];
            for (int p = 0; p < count; p++)
            {
                int i = nonzero[p];
                b[i] += w * sign * target;
                for (int q = 0; q < count; q++) a[i, nonzero[q]] += w; // sign · sign = 1
            }
        }
        var beta = SolveLinear(a, b, k);
        var values = new double[m];
        double sum = 0;
        for (int j = 0; j < k; j++) { values[j] = beta[j]; sum += beta[j]; }
        values[m - 1] = diff - sum;
        return values;
    }

    /// <summary>Gaussian elimination with partial pivoting; a tiny ridge is added when the system is singular (too few coalitions).</summary>
    private static double[] SolveLinear(double[,] a, double[] b, int n)
    {
        double trace = 0;
        for (int i = 0; i < n; i++) trace += a[i, i];
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var m = (double[,])a.Clone();
            var v = (double[])b.Clone();
            if (attempt == 1)
                for (int i = 0; i < n; i++) m[i, i] += 1e-9 * Math.Max(trace / n, 1e-12);
            bool singular = false;
            for (int col = 0; col < n && !singular; col++)
            {
                int pivot = col;
                for (int r = col + 1; r < n; r++) if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col])) pivot = r;
                if (Math.Abs(m[pivot, col]) < 1e-14 * Math.Max(trace, 1e-300)) { singular = true; break; }
                if (pivot != col)
                {
                    for (int c = 0; c < n; c++) (m[col, c], m[pivot, c]) = (m[pivot, c], m[col, c]);
                    (v[col], v[pivot]) = (v[pivot], v[col]);
                }
                for (int r = col + 1; r < n; r++)
                {
                    double factor = m[r, col] / m[col, col];
                    if (factor == 0) continue;
                    for (int c = col; c < n; c++) m[r, c] -= factor * m[col, c];
                    v[r] -= factor * v[col];
                }
            }
            if (singular && attempt == 0) continue;
            var x = new double[n];
            for (int r = n - 1; r >= 0; r--)
            {
                double s = v[r];
                for (int c = r + 1; c < n; c++) s -= m[r, c] * x[c];
                x[r] = m[r, r] == 0 ? 0 : s / m[r, r];
            }
            return x;
        }
        throw new InvalidOperationException("unreachable");
    }
}
