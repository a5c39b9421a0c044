using DeepSeek.Portal.Evaluation.Metrics;

namespace DeepSeek.Portal.Evaluation.Tests;

public sealed class ClassificationAndPerplexityTests
{
    [Fact]
    public void Sklearn_docstring_example()
    {
        var r = ClassificationMetrics.Compute(["0", "1", "2", "0", "1", "2"], ["0", "2", "1", "0", "0", "1"]);
        Assert.Equal(["0", "1", "2"], r.Classes.Select(c => c.Label));
        Assert.Equal([0.8, 0, 0], r.Classes.Select(c => Math.Round(c.F1, 12)));
        Assert.Equal(2.0 / 3, r.Classes[0].Precision, 12);
        Assert.Equal(1.0, r.Classes[0].Recall, 12);
        Assert.Equal(0.2667, r.MacroF1, 4);
        Assert.Equal(0.3333, r.MicroF1, 4);
        Assert.Equal(0.2667, r.WeightedF1, 4);
        Assert.Equal(2.0 / 6, r.Accuracy, 12);
    }

    [Fact]
    public void A_missing_prediction_is_a_miss_but_no_class_of_its_own()
    {
        var r = ClassificationMetrics.Compute(["a", "b"], ["a", null]);
        Assert.Equal(0.5, r.Accuracy);
        Assert.Equal(2, r.Classes.Count);
        Assert.Equal(0.5, r.MacroF1, 12);
        Assert.Equal(2.0 / 3, r.MicroF1, 12); // tp 1, fp 0, fn 1
    }

    [Fact]
    public void Text_labels_work_and_lengths_must_match()
    {
        var r = ClassificationMetrics.Compute(["positive", "negative", "positive"], ["positive", "positive", "positive"]);
        Assert.Equal(2.0 / 3, r.Accuracy, 12);
        Assert.Equal(0.8, r.Classes.Single(c => c.Label == "positive").F1, 12);
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute(["a"], ["a", "b"]));
    }

    [Fact]
    public void Perplexity_of_halving_probabilities_is_four()
    {
        Assert.Equal(4.0, Perplexity.FromProbabilities([0.5, 0.25, 0.125]), 12);
    }

    [Fact]
    public void Perplexity_is_weighted_by_tokens_not_averaged_per_text()
    {
        var acc = new PerplexityAccumulator();
        acc.Add(Math.Log(2), 1);          // one token at p = 1/2
        acc.Add(2 * Math.Log(8), 2);      // two tokens at p = 1/8
        Assert.Equal(Math.Pow(2, 7.0 / 3), acc.Value, 9);
        Assert.Equal(3, acc.Tokens);
        Assert.Equal(2, acc.Count);
        Assert.True(double.IsNaN(new PerplexityAccumulator().Value));
        Assert.Throws<ArgumentOutOfRangeException>(() => acc.Add(1, 0));
    }
}
