using DeepSeek.Portal.Evaluation.Scoring;

namespace DeepSeek.Portal.Evaluation.Tests;

public sealed class SignificanceTests
{
    [Fact]
    public void Bootstrap_of_identical_differences_has_no_spread_and_the_smallest_p_value()
    {
        // Every item gains exactly 5: every resample's delta is 5, none moves as far as 5 from it → p = 1/1001.
        double[] a = [10, 20, 30, 40], b = [15, 25, 35, 45];
        var r = Significance.PairedBootstrap(a, b);
        Assert.Equal(SignificanceTest.PairedBootstrap, r.Test);
        Assert.Equal(5, r.Delta, 12);
        Assert.Equal(5, r.Lower, 9);
        Assert.Equal(5, r.Upper, 9);
        Assert.Equal(1.0 / 1001, r.PValue, 12);
        Assert.Equal(4, r.Count);
        Assert.True(r.Significant);
    }

    [Fact]
    public void Bootstrap_of_equal_scores_is_not_significant()
    {
        double[] a = [0, 100, 50, 25];
        var r = Significance.PairedBootstrap(a, a);
        Assert.Equal(0, r.Delta);
        Assert.Equal(1, r.PValue);
        Assert.False(r.Significant);
    }

    [Fact]
    public void Bootstrap_of_two_pairs_matches_the_hand_computed_distribution()
    {
        // Differences 0 and 2, delta 1. A resample of two draws has mean 0 (¼), 1 (½) or 2 (¼); |δ* − 1| ≥ 1 for 0 and 2,
        // so p ≈ (1 + 500)/1001 ≈ 0.5 and the interval is [0, 2].
        var r = Significance.PairedBootstrap([0, 0], [0, 2]);
        Assert.Equal(1, r.Delta, 12);
        Assert.InRange(r.PValue, 0.44, 0.56);
        Assert.Equal(0, r.Lower);
        Assert.Equal(2, r.Upper);
    }

    [Fact]
    public void Bootstrap_is_seeded_and_a_clear_shift_is_significant()
    {
        var a = Enumerable.Range(0, 60).Select(i => (double)(i % 7) * 10).ToArray();
        var b = a.Select((x, i) => x + 8 + (i % 3 - 1) * 4.0).ToArray(); // +8 on average, ±4 noise
        var first = Significance.PairedBootstrap(a, b);
        var again = Significance.PairedBootstrap(a, b);
        Assert.Equal(first, again);
        Assert.Equal(8, first.Delta, 9);
        Assert.True(first.Lower > 0 && first.Upper > first.Lower);
        Assert.True(first.Significant);
    }

    [Fact]
    public void Bootstrap_refuses_unequal_lists()
    {
        var e = Assert.Throws<ArgumentException>(() => Significance.PairedBootstrap([1, 2], [1]));
        Assert.Contains("A has 2, B has 1", e.Message);
    }

    [Fact]
    public void Exact_mcnemar_of_one_against_nine_discordant_pairs()
    {
        // 2 · (C(10,0) + C(10,1)) / 2^10 = 22 / 1024.
        Assert.Equal(0.021484375, Significance.ExactMcNemarP(1, 9), 12);
        Assert.Equal(0.021484375, Significance.ExactMcNemarP(9, 1), 12);
        Assert.Equal(1, Significance.ExactMcNemarP(0, 0));
        Assert.Equal(1, Significance.ExactMcNemarP(3, 3)); // 2·P(X ≤ 3 | n = 6) = 2·42/64 > 1 → 1
    }

    [Fact]
    public void Mcnemar_counts_only_discordant_pairs()
    {
        // 10 concordant pairs, 1 where only A is right, 9 where only B is right: n = 20, delta = 8/20 = 40 points.
        var a = new List<bool>(); var b = new List<bool>();
        for (int i = 0; i < 5; i++) { a.Add(true); b.Add(true); a.Add(false); b.Add(false); }
        a.Add(true); b.Add(false);
        for (int i = 0; i < 9; i++) { a.Add(false); b.Add(true); }
        var r = Significance.McNemar(a, b);
        Assert.Equal(SignificanceTest.McNemar, r.Test);
        Assert.Equal(0.021484375, r.PValue, 12);
        Assert.Equal(40, r.Delta, 9);
        // var = (10 − 8²/20)/20² = 0.017; half = 1.95996·0.130384 = 0.255548.
        Assert.Equal(40 - 25.5548, r.Lower, 3);
        Assert.Equal(40 + 25.5548, r.Upper, 3);
    }

    [Fact]
    public void Two_proportion_z_test_of_45_against_60_percent()
    {
        // pooled 0.525, se = √(0.525·0.475·0.02) = 0.070622, z = 2.12398, p = erfc(z/√2) = 0.033672.
        var r = Significance.TwoProportionZ(45, 100, 60, 100);
        Assert.Equal(SignificanceTest.TwoProportionZ, r.Test);
        Assert.Equal(15, r.Delta, 9);
        Assert.Equal(0.033672, r.PValue, 5);
        Assert.Equal(1.3153, r.Lower, 3);
        Assert.Equal(28.6847, r.Upper, 3);
        Assert.Equal(200, r.Count);
    }

    [Fact]
    public void Two_proportion_z_test_refuses_impossible_counts()
    {
        var e = Assert.Throws<ArgumentException>(() => Significance.TwoProportionZ(5, 4, 1, 2));
        Assert.Contains("between 0 and 4", e.Message);
        Assert.Equal(1, Significance.TwoProportionZ(0, 3, 0, 5).PValue);
    }

    [Fact]
    public void Normal_tail_matches_known_values()
    {
        Assert.Equal(0.5, Significance.NormalUpperTail(0), 7);
        Assert.Equal(0.025, Significance.NormalUpperTail(1.959963984540054), 6);
        Assert.Equal(0.975, Significance.NormalUpperTail(-1.959963984540054), 6);
    }
}
