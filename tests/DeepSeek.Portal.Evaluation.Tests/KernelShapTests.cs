using DeepSeek.Portal.Evaluation.Explanations;

namespace DeepSeek.Portal.Evaluation.Tests;

public sealed class KernelShapTests
{
    private static Func<bool[], double> AtPoint(Func<double[], double> f, double[] x, double[] baseline) =>
        mask => f(mask.Select((present, i) => present ? x[i] : baseline[i]).ToArray());

    [Fact]
    public void Interaction_example_gives_the_exact_shapley_values()
    {
        // Reference §5: f = 2x0 + x1·x2 + 0.5x3 at (1,2,3,4), baseline 0 → [2, 3, 3, 2].
        var f = AtPoint(v => 2 * v[0] + v[1] * v[2] + 0.5 * v[3], [1, 2, 3, 4], [0, 0, 0, 0]);
        var r = KernelShap.Explain(f, 4);
        Assert.True(r.Exact);
        Assert.Equal(16, r.Evaluations); // 14 coalitions + empty + full
        Assert.Equal(0, r.Base);
        Assert.Equal(10, r.Full, 12);
        Assert.Equal([2.0, 3, 3, 2], r.Values.Select(v => Math.Round(v, 10)));
        Assert.Equal(0.25, KernelShap.KernelWeight(4, 1), 12);
        Assert.Equal(0.125, KernelShap.KernelWeight(4, 2), 12);
        Assert.Equal(0.25, KernelShap.KernelWeight(4, 3), 12);
    }

    [Fact]
    public void Linear_functions_get_coefficient_times_distance_from_the_baseline()
    {
        double[] coefficients = [1, 2, 0, -3, 0.5];
        double[] x = [3, -1, 7, 2, 4];
        double[] baseline = [1, 1, 1, 1, 1];
        var r = KernelShap.Explain(AtPoint(v => v.Select((vi, i) => coefficients[i] * vi).Sum() + 10, x, baseline), 5);
        for (int i = 0; i < 5; i++) Assert.Equal(coefficients[i] * (x[i] - baseline[i]), r.Values[i], 9);
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(5, 2)]
    [InlineData(8, 3)]
    public void Exact_enumeration_equals_the_shapley_formula_on_random_functions(int m, int seed)
    {
        var random = new Random(seed);
        var table = Enumerable.Range(0, 1 << m).Select(_ => random.NextDouble() * 10 - 5).ToArray();
        double F(bool[] mask) => table[mask.Select((b, i) => b ? 1 << i : 0).Sum()];
        var r = KernelShap.Explain(F, m);
        Assert.True(r.Exact);
        Assert.Equal(F(Enumerable.Repeat(true, m).ToArray()) - F(new bool[m]), r.Values.Sum(), 9);
        // Shapley's own formula: φ_i = Σ_S |S|!(M−|S|−1)!/M! · (f(S ∪ i) − f(S)).
        double Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);
        for (int i = 0; i < m; i++)
        {
            double phi = 0;
            for (int s = 0; s < 1 << m; s++)
            {
                if ((s >> i & 1) != 0) continue;
                int size = System.Numerics.BitOperations.PopCount((uint)s);
                phi += Factorial(size) * Factorial(m - size - 1) / Factorial(m) * (table[s | 1 << i] - table[s]);
            }
            Assert.Equal(phi, r.Values[i], 9);
        }
    }

    [Fact]
    public void Sampled_coalitions_keep_efficiency_and_recover_an_additive_function()
    {
        int m = 14; // 2^14 − 2 = 16382 > 200
        var random = new Random(7);
        var weights = Enumerable.Range(0, m).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        var r = KernelShap.Explain(mask => mask.Select((b, i) => b ? weights[i] : 0).Sum() + 1, m, new KernelShapOptions { Samples = 200, Seed = 3 });
        Assert.False(r.Exact);
        Assert.Equal(202, r.Evaluations);
        Assert.Equal(weights.Sum(), r.Values.Sum(), 9);
        for (int i = 0; i < m; i++) Assert.Equal(weights[i], r.Values[i], 6);
    }

    [Fact]
    public void Sampled_coalitions_keep_efficiency_on_a_random_function_and_are_repeatable()
    {
        int m = 16;
        double F(bool[] mask)
        {
            int h = 17;
            for (int i = 0; i < mask.Length; i++) h = unchecked(h * 31 + (mask[i] ? i + 1 : 0));
            return new Random(h).NextDouble();
        }
        var options = new KernelShapOptions { Samples = 300, Seed = 11 };
        var a = KernelShap.Explain(F, m, options);
        var b = KernelShap.Explain(F, m, options);
        Assert.Equal(a.Full - a.Base, a.Values.Sum(), 9);
        Assert.Equal(a.Values, b.Values);
    }

    [Fact]
    public void Text_keywords_get_the_weight_in_english_and_chinese()
    {
        double Count(string t, string[] keys) => keys.Sum(k => t.Split(k).Length - 1);
        var en = KernelShap.ExplainText("the service was excellent and fast", t => Count(t, ["excellent", "fast"]));
        Assert.Equal(6, en.Units.Count);
        Assert.True(en.Exact);
        Assert.Equal(2, en.Score);
        Assert.Equal(0, en.Baseline);
        foreach (var u in en.Units)
            Assert.Equal(u.Unit is "excellent" or "fast" ? 1.0 : 0.0, u.Value, 9);
        Assert.Equal(16, en.Units[3].Start);

        var zh = KernelShap.ExplainText("服务很好，速度快", t => Count(t, ["好", "快"]));
        Assert.Equal(["服", "务", "很", "好", "，", "速", "度", "快"], zh.Units.Select(u => u.Unit));
        foreach (var u in zh.Units)
            Assert.Equal(u.Unit is "好" or "快" ? 1.0 : 0.0, u.Value, 9);
    }

    [Fact]
    public void Masked_units_are_removed_from_the_text()
    {
        var seen = new List<string>();
        KernelShap.ExplainText("使用 Python 编程", t => { seen.Add(t); return t.Length; });
        Assert.Contains("使用 Python 编程", seen);
        Assert.Contains("", seen);
        Assert.Contains("使用 编程", seen); // Python masked: the separator before 编 stays
    }

    [Fact]
    public void A_long_text_is_sampled_and_still_puts_the_weight_on_the_keywords()
    {
        var words = Enumerable.Range(0, 120).Select(i => i % 37 == 5 ? "refund" : "w" + i).ToArray();
        var r = KernelShap.ExplainText(string.Join(' ', words), t => t.Split(' ').Count(w => w == "refund"));
        Assert.False(r.Exact);
        Assert.Equal(2 * 120 + 2048 + 2, r.Evaluations);
        Assert.Equal(r.Score - r.Baseline, r.Units.Sum(u => u.Value), 9);
        foreach (var u in r.Units) Assert.Equal(u.Unit == "refund" ? 1.0 : 0.0, u.Value, 6);
    }
}
