namespace DeepSeek.Portal.Engine.Training.Mixing;

/// <summary>
/// The seed's DynamicFeeder (section 2.2): per-source weights updated by
/// <c>wᵢ ← clip(wᵢ + lr·sign(Δlossᵢ)·wᵢ, 0.1, 2.0)</c>, sampling probability <c>wᵢ / Σw</c>.
/// </summary>
/// <remarks>
/// <para><b>Sign convention.</b> <c>Δlossᵢ = Lᵢ(now) − Lᵢ(previous update of source i)</c>: a source whose loss rose
/// gains weight (×(1 + lr)), one whose loss fell loses weight (×(1 − lr)), an unchanged loss leaves it alone. So the
/// feeder feeds more of what the model is not (or no longer) learning and less of what it is already learning. The
/// seed's code comment ("基于损失下降幅度调整权重", adjust by the size of the loss drop) could also be read with
/// <c>loss_diff = previous − now</c>, which would do the opposite (reward sources that improve); the issue writes the
/// rule with Δloss, the change in loss, and the published mixers it is compared with (DoReMi, ODM) also up-weight the
/// sources the model does worst on, so this class implements the change, now minus before.</para>
/// <para><b>What counts as a source's loss.</b> Whatever the caller observes (the trainer passes the mean
/// cross-entropy of that source's sequences in an optimizer step). With <see cref="LossSmoothing"/> β &gt; 0 the
/// feeder tracks an exponential moving average <c>L̄ ← β·L̄ + (1−β)·loss</c> and Δ is the change of L̄, whose sign is
/// that of <c>loss − L̄(before)</c>: per-step losses of a few sequences are noisy, and the raw rule (β = 0, the default,
/// the seed's literal rule) then mostly follows the noise. The first observation of a source only sets its baseline.</para>
/// <para><b>Weights.</b> The initial weights are the user's, rescaled so the included ones average 1 (the probabilities
/// do not change) and then clipped to [<see cref="MinWeight"/>, <see cref="MaxWeight"/>], so a ratio beyond 20:1 is
/// narrowed. A weight of 0 leaves the source out: it is never sampled and never updated. Losses that are not finite are
/// ignored (no update).</para>
/// </remarks>
public sealed class DynamicFeeder
{
    /// <summary>The seed's learning rate.</summary>
    public const double DefaultLearningRate = 0.01;

    /// <summary>Lower clip of a weight.</summary>
    public const double MinWeight = 0.1;

    /// <summary>Upper clip of a weight.</summary>
    public const double MaxWeight = 2.0;

    private readonly double[] weights;
    private readonly double?[] trackedLosses;

    /// <summary>Starts a feeder from the user's weights.</summary>
    /// <param name="initialWeights">One finite weight ≥ 0 per source, at least one of them positive.</param>
    /// <param name="learningRate">The rule's lr, in (0, 1).</param>
    /// <param name="lossSmoothing">β of the loss average, in [0, 1); 0 uses each observed loss as it is.</param>
    public DynamicFeeder(IReadOnlyList<double> initialWeights, double learningRate = DefaultLearningRate, double lossSmoothing = 0)
    {
        ArgumentNullException.ThrowIfNull(initialWeights);
        MixtureWeights.ThrowIfInvalid(initialWeights);
        if (!(learningRate > 0 && learningRate < 1))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The feeder's learning rate must be in (0, 1).");
        if (!(lossSmoothing >= 0 && lossSmoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(lossSmoothing), lossSmoothing, "Loss smoothing must be in [0, 1).");

        LearningRate = learningRate;
        LossSmoothing = lossSmoothing;
        double mean = initialWeights.Where(w => w > 0).Average();
        weights = initialWeights.Select(w => w > 0 ? Math.Clamp(w / mean, MinWeight, MaxWeight) : 0).ToArray();
        trackedLosses = new double?[weights.Length];
    }

    private DynamicFeeder(double[] weights, double?[] trackedLosses, double learningRate, double lossSmoothing)
    {
        this.weights = weights;
        this.trackedLosses = trackedLosses;
        LearningRate = learningRate;
        LossSmoothing = lossSmoothing;
    }

    /// <summary>The rule's lr.</summary>
    public double LearningRate { get; }

    /// <summary>β of the tracked loss average (0: the raw observed loss).</summary>
    public double LossSmoothing { get; }

    /// <summary>Current weight of each source (0 for a left-out source).</summary>
    public IReadOnlyList<double> Weights => weights;

    /// <summary>The loss each source's next Δ is measured against; <c>null</c> before its first observation.</summary>
    public IReadOnlyList<double?> TrackedLosses => trackedLosses;

    /// <summary>Sampling probability of each source, <c>wᵢ / Σw</c>.</summary>
    public double[] Probabilities() => MixtureWeights.Normalise(weights);

    /// <summary>Applies the rule to one source.</summary>
    /// <param name="source">Index of the source.</param>
    /// <param name="loss">Its newly observed loss.</param>
    /// <returns>The source's weight afterwards.</returns>
    public double Observe(int source, double loss)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(source);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(source, weights.Length);
        if (weights[source] == 0 || !double.IsFinite(loss)) return weights[source];

        if (trackedLosses[source] is not double before)
        {
            trackedLosses[source] = loss;
            return weights[source];
        }
        double after = LossSmoothing * before + (1 - LossSmoothing) * loss;
        trackedLosses[source] = after;
        double w = weights[source];
        return weights[source] = Math.Clamp(w + LearningRate * Math.Sign(after - before) * w, MinWeight, MaxWeight);
    }

    /// <summary>Applies the rule to every source with an observation; <c>null</c> entries are left unchanged.</summary>
    public void Observe(IReadOnlyList<double?> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        if (losses.Count != weights.Length)
            throw new ArgumentException($"Expected {weights.Length} losses, one per source (got {losses.Count}).", nameof(losses));
        for (int i = 0; i < losses.Count; i++)
            if (losses[i] is double loss) Observe(i, loss);
    }

    internal static DynamicFeeder Restore(double[] weights, double?[] trackedLosses, double learningRate, double lossSmoothing) =>
        new((double[])weights.Clone(), (double?[])trackedLosses.Clone(), learningRate, lossSmoothing);
}

/// <summary>Checks and normalisation shared by the policies.</summary>
internal static class MixtureWeights
{
    public static void ThrowIfInvalid(IReadOnlyList<double> weights)
    {
        if (weights.Count == 0) throw new ArgumentException("A mixture needs at least one source.", nameof(weights));
        for (int i = 0; i < weights.Count; i++)
            if (!(weights[i] >= 0) || double.IsInfinity(weights[i]))
                throw new ArgumentException($"Weight {i} must be a finite number ≥ 0 (was {weights[i]}).", nameof(weights));
        if (!weights.Any(w => w > 0)) throw new ArgumentException("At least one weight must be positive.", nameof(weights));
    }

    public static double[] Normalise(IReadOnlyList<double> weights)
    {
        double sum = weights.Sum();
        return weights.Select(w => w / sum).ToArray();
    }
}
