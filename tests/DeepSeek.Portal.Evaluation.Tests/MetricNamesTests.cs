using DeepSeek.Portal.Evaluation.Scoring;

namespace DeepSeek.Portal.Evaluation.Tests;

public sealed class MetricNamesTests
{
    [Theory]
    [InlineData(MetricNames.Perplexity, 1)]
    [InlineData(MetricNames.Bleu, 1)]
    [InlineData(MetricNames.RougeL, 1)]
    [InlineData(MetricNames.F1, 2)]
    [InlineData(MetricNames.Accuracy, 2)]
    [InlineData(MetricNames.RobustnessDrop, 2)]
    [InlineData(MetricNames.TaskCompletion, 3)]
    [InlineData(MetricNames.Nps, 3)]
    public void Each_metric_belongs_to_its_seed_tier(string metric, int tier) => Assert.Equal(tier, MetricNames.TierOf(metric));

    [Fact]
    public void Unknown_metrics_are_refused() => Assert.Throws<ArgumentException>(() => MetricNames.TierOf("bogus"));
}
