using DeepSeek.Portal.Evaluation.Metrics;

namespace DeepSeek.Portal.Evaluation.Tests;

public sealed class BusinessMetricsTests
{
    [Fact]
    public void Nps_of_the_reference_example_is_plus_twenty()
    {
        var nps = BusinessMetrics.Nps([10, 10, 9, 8, 7, 6, 5, 9, 10, 3]);
        Assert.Equal(20, nps.Value, 9);
        Assert.Equal(10, nps.Count);
        // +100 ×5, 0 ×2, −100 ×3: sd = √((5·80² + 2·20² + 3·120²)/9) = 91.89; half width = 1.96·91.89/√10 = 56.95.
        Assert.Equal(20 - 56.955, nps.Lower, 2);
        Assert.Equal(20 + 56.955, nps.Upper, 2);
    }

    [Fact]
    public void Nps_refuses_scores_outside_zero_to_ten()
    {
        var e = Assert.Throws<ArgumentException>(() => BusinessMetrics.Nps([9, 11]));
        Assert.Contains("Score 2 is 11", e.Message);
    }

    [Fact]
    public void Task_completion_uses_the_adjusted_wald_interval()
    {
        var tcr = BusinessMetrics.TaskCompletion(1, 5);
        Assert.Equal(20, tcr.Value, 9);
        Assert.Equal(2, Math.Round(tcr.Lower));
        Assert.Equal(64, Math.Round(tcr.Upper));
    }

    [Fact]
    public void Task_completion_clips_at_the_ends()
    {
        var all = BusinessMetrics.TaskCompletion(10, 10);
        Assert.Equal(100, all.Upper);
        Assert.True(all.Lower is > 60 and < 75);
    }
}
