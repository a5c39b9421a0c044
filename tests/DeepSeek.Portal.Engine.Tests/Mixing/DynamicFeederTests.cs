using DeepSeek.Portal.Engine.Training.Mixing;

namespace DeepSeek.Portal.Engine.Tests.Mixing;

public class DynamicFeederTests
{
    [Fact]
    public void Weights_follow_the_rule_step_by_step()
    {
        var feeder = new DynamicFeeder([1.0, 1.0, 1.0], learningRate: 0.1);
        // First observations only set each source's baseline.
        feeder.Observe([2.0, 2.0, 2.0]);
        Assert.Equal([1.0, 1.0, 1.0], feeder.Weights);

        // Δ = now − before: rising → ×1.1, falling → ×0.9, unchanged → ×1.
        feeder.Observe([2.5, 1.5, 2.0]);
        Assert.Equal(1.1, feeder.Weights[0], 12);
        Assert.Equal(0.9, feeder.Weights[1], 12);
        Assert.Equal(1.0, feeder.Weights[2], 12);

        // Δ is measured against the previous observation, not the first one; a null leaves a source alone.
        feeder.Observe([2.4, 1.6, null]);
        Assert.Equal(1.1 * 0.9, feeder.Weights[0], 12);
        Assert.Equal(0.9 * 1.1, feeder.Weights[1], 12);
        Assert.Equal(1.0, feeder.Weights[2], 12);
        Assert.Equal([2.4, 1.6, 2.0], feeder.TrackedLosses);

        var p = feeder.Probabilities();
        double sum = 0.99 + 0.99 + 1.0;
        Assert.Equal(0.99 / sum, p[0], 12);
        Assert.Equal(1.0 / sum, p[2], 12);
    }

    [Fact]
    public void Weights_stay_clipped_to_a_tenth_and_two()
    {
        var feeder = new DynamicFeeder([1.0, 1.0], learningRate: 0.5);
        double loss = 1;
        for (int i = 0; i < 50; i++)
        {
            loss += 1;
            feeder.Observe([loss, -loss]);
            Assert.InRange(feeder.Weights[0], DynamicFeeder.MinWeight, DynamicFeeder.MaxWeight);
            Assert.InRange(feeder.Weights[1], DynamicFeeder.MinWeight, DynamicFeeder.MaxWeight);
        }
        Assert.Equal(2.0, feeder.Weights[0]);
        Assert.Equal(0.1, feeder.Weights[1]);
        Assert.Equal(20.0 / 21.0, feeder.Probabilities()[0], 12);
    }

    [Fact]
    public void Random_losses_never_leave_the_clip_range()
    {
        var random = new Random(3);
        var feeder = new DynamicFeeder([0.5, 1, 4, 2]);
        for (int i = 0; i < 5000; i++)
        {
            feeder.Observe([random.NextDouble(), random.NextDouble() * 10, random.NextDouble() < 0.5 ? null : random.NextDouble(), 1.0]);
            Assert.All(feeder.Weights, w => Assert.InRange(w, DynamicFeeder.MinWeight, DynamicFeeder.MaxWeight));
        }
    }

    [Fact]
    public void Initial_weights_are_scaled_to_mean_one_then_clipped_and_zero_leaves_a_source_out()
    {
        var feeder = new DynamicFeeder([6.0, 2.0, 0.0, 4.0]);
        Assert.Equal([1.5, 0.5, 0.0, 1.0], feeder.Weights);

        feeder.Observe([1.0, 1.0, 1.0, 1.0]);
        feeder.Observe([2.0, 2.0, 2.0, 2.0]);
        Assert.Equal(0.0, feeder.Weights[2]);
        Assert.Null(feeder.TrackedLosses[2]);
        Assert.Equal(0.0, feeder.Probabilities()[2]);

        // 1000:1:1 is narrowed to the clip range's 20:1.
        Assert.Equal([DynamicFeeder.MaxWeight, DynamicFeeder.MinWeight, DynamicFeeder.MinWeight], new DynamicFeeder([1000.0, 1.0, 1.0]).Weights);
    }

    [Fact]
    public void Smoothing_moves_by_the_sign_of_loss_minus_its_running_average()
    {
        var feeder = new DynamicFeeder([1.0], learningRate: 0.1, lossSmoothing: 0.9);
        feeder.Observe(0, 2.0);
        // 1.9 < 2.0 → average falls → weight falls, even though 1.9 after 1.8 would be a rise for the raw rule.
        feeder.Observe(0, 1.8);
        Assert.Equal(0.9, feeder.Weights[0], 12);
        Assert.Equal(1.98, feeder.TrackedLosses[0]!.Value, 12);
        feeder.Observe(0, 1.9);
        Assert.Equal(0.81, feeder.Weights[0], 12);
        feeder.Observe(0, 3.0);
        Assert.Equal(0.891, feeder.Weights[0], 12);
    }

    [Fact]
    public void Non_finite_losses_are_ignored()
    {
        var feeder = new DynamicFeeder([1.0], learningRate: 0.1);
        feeder.Observe(0, 1.0);
        feeder.Observe(0, double.NaN);
        feeder.Observe(0, double.PositiveInfinity);
        Assert.Equal(1.0, feeder.Weights[0]);
        Assert.Equal(1.0, feeder.TrackedLosses[0]);
    }

    [Theory]
    [InlineData(new double[0])]
    [InlineData(new[] { 0.0, 0.0 })]
    [InlineData(new[] { 1.0, -1.0 })]
    [InlineData(new[] { 1.0, double.NaN })]
    [InlineData(new[] { 1.0, double.PositiveInfinity })]
    public void Unusable_weights_are_refused(double[] weights) =>
        Assert.Throws<ArgumentException>(() => new DynamicFeeder(weights));
}
