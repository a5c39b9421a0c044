namespace DeepSeek.Portal.Evaluation.Metrics;

/// <summary>One class's figures (0–1) and its support (how many items truly have it).</summary>
public sealed record ClassScore(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>Classification figures, each 0–1, as scikit-learn computes them with <c>zero_division=0</c>.</summary>
/// <param name="Accuracy">Right predictions / items (a missing prediction is wrong).</param>
/// <param name="Classes">Per-class figures, labels in ordinal order.</param>
/// <param name="MacroF1">Unweighted mean of the per-class F1.</param>
/// <param name="MicroF1">F1 of the pooled counts (equals accuracy when every item has a prediction).</param>
/// <param name="WeightedF1">Mean of the per-class F1 weighted by support.</param>
/// <param name="Count">Items.</param>
public sealed record ClassificationReport(double Accuracy, IReadOnlyList<ClassScore> Classes, double MacroF1, double MicroF1, double WeightedF1, int Count);

/// <summary>
/// Accuracy and per-class / macro / micro / weighted F1 (scikit-learn's <c>precision_recall_fscore_support</c>
/// semantics, <c>zero_division=0</c>; reference §4). Labels are strings (a choice's index or text). The classes are
/// every label seen in the truths or the predictions; a missing prediction (null: the model's answer matched no
/// choice) is a miss for the true class and a false positive for none — sklearn with <c>labels=</c> the seen classes.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>The figures of <paramref name="predicted"/> against <paramref name="truth"/>.</summary>
    /// <exception cref="ArgumentException">Lists of different lengths, or none.</exception>
    public static ClassificationReport Compute(IReadOnlyList<string> truth, IReadOnlyList<string?> predicted)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (truth.Count != predicted.Count) throw new ArgumentException($"There are {predicted.Count} predictions for {truth.Count} items.", nameof(predicted));
        if (truth.Count == 0) throw new ArgumentException("Classification figures need at least one item.", nameof(truth));
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var t in truth) labels.Add(t);
        foreach (var p in predicted) if (p is not null) labels.Add(p);
        var tp = labels.ToDictionary(l => l, _ => 0, StringComparer.Ordinal);
        var fp = labels.ToDictionary(l => l, _ => 0, StringComparer.Ordinal);
        var fn = labels.ToDictionary(l => l, _ => 0, StringComparer.Ordinal);
        int right = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            var t = truth[i];
            var p = predicted[i];
            if (p is not null && string.Equals(p, t, StringComparison.Ordinal)) { tp[t]++; right++; }
            else
            {
                fn[t]++;
                if (p is not null) fp[p]++;
            }
        }
        var classes = new List<ClassScore>(labels.Count);
        double macro = 0, weighted = 0;
        foreach (var l in labels)
        {
            double precision = Ratio(tp[l], tp[l] + fp[l]);
            double recall = Ratio(tp[l], tp[l] + fn[l]);
            double f1 = Ratio(2 * tp[l], 2 * tp[l] + fp[l] + fn[l]);
            int support = tp[l] + fn[l];
            classes.Add(new ClassScore(l, precision, recall, f1, support));
            macro += f1;
            weighted += f1 * support;
        }
        int sumTp = tp.Values.Sum(), sumFp = fp.Values.Sum(), sumFn = fn.Values.Sum();
        double micro = Ratio(2 * sumTp, 2 * sumTp + sumFp + sumFn);
        return new ClassificationReport((double)right / truth.Count, classes, macro / labels.Count, micro, weighted / truth.Count, truth.Count);
    }

    private static double Ratio(int numerator, int denominator) => denominator == 0 ? 0 : (double)numerator / denominator;
}
