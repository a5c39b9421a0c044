namespace DeepSeek.Portal.Engine.Training.Mixing;

/// <summary>
/// Picks the source of each training sequence: a SplitMix64 draw in [0, 1) against the cumulative probabilities of
/// the policy (<see cref="MixturePolicy"/>). Deterministic for a seed; <see cref="CaptureState"/> and
/// <see cref="Restore"/> carry the whole state (weights, tracked losses, generator), so a resumed run draws exactly
/// the sequence an uninterrupted one would.
/// </summary>
public sealed class MixtureSampler
{
    private readonly double[] fixedWeights;
    private readonly DynamicFeeder? feeder;
    private double[] cumulative = [];
    private ulong randomState;
    private int lastPositive;

    /// <summary>Starts a sampler.</summary>
    /// <param name="policy">How weights become probabilities.</param>
    /// <param name="weights">One finite weight ≥ 0 per source, at least one positive (ignored by <see cref="MixturePolicy.Uniform"/>).</param>
    /// <param name="seed">Seed of the generator.</param>
    /// <param name="feederLearningRate">The <see cref="DynamicFeeder"/>'s lr (used by <see cref="MixturePolicy.Dynamic"/> only).</param>
    /// <param name="lossSmoothing">The <see cref="DynamicFeeder"/>'s β (used by <see cref="MixturePolicy.Dynamic"/> only).</param>
    public MixtureSampler(MixturePolicy policy, IReadOnlyList<double> weights, ulong seed,
        double feederLearningRate = DynamicFeeder.DefaultLearningRate, double lossSmoothing = 0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!Enum.IsDefined(policy)) throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown mixture policy.");
        MixtureWeights.ThrowIfInvalid(weights);
        Policy = policy;
        fixedWeights = policy == MixturePolicy.Uniform ? Enumerable.Repeat(1.0, weights.Count).ToArray() : [.. weights];
        if (policy == MixturePolicy.Dynamic) feeder = new DynamicFeeder(weights, feederLearningRate, lossSmoothing);
        randomState = seed;
        Refresh();
    }

    private MixtureSampler(MixtureSamplerState state)
    {
        Policy = state.Policy;
        fixedWeights = [.. state.Weights];
        if (Policy == MixturePolicy.Dynamic)
        {
            if (state.TrackedLosses.Length != state.Weights.Length)
                throw new ArgumentException("A dynamic mixture state needs one tracked loss per weight.", nameof(state));
            feeder = DynamicFeeder.Restore(state.Weights, state.TrackedLosses, state.FeederLearningRate, state.LossSmoothing);
        }
        randomState = state.RandomState;
        Draws = state.Draws;
        Refresh();
    }

    /// <summary>The policy.</summary>
    public MixturePolicy Policy { get; }

    /// <summary>Number of sources.</summary>
    public int SourceCount => fixedWeights.Length;

    /// <summary>Sources drawn so far.</summary>
    public long Draws { get; private set; }

    /// <summary>Current weight of each source (all 1 under <see cref="MixturePolicy.Uniform"/>).</summary>
    public IReadOnlyList<double> Weights => feeder?.Weights ?? fixedWeights;

    /// <summary>Current sampling probability of each source.</summary>
    public double[] Probabilities() => MixtureWeights.Normalise(Weights);

    /// <summary>The index of the next sequence's source.</summary>
    public int Next()
    {
        Draws++;
        double target = SplitMix64.NextUnit(ref randomState) * cumulative[^1];
        for (int i = 0; i < cumulative.Length; i++)
            if (target < cumulative[i]) return i;
        return lastPositive; // only rounding gets here
    }

    /// <summary>
    /// Feeds each source's newly observed loss to the <see cref="DynamicFeeder"/> (<c>null</c>: not observed this time);
    /// does nothing under <see cref="MixturePolicy.Static"/> and <see cref="MixturePolicy.Uniform"/>.
    /// </summary>
    public void ObserveLosses(IReadOnlyList<double?> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        if (losses.Count != SourceCount)
            throw new ArgumentException($"Expected {SourceCount} losses, one per source (got {losses.Count}).", nameof(losses));
        if (feeder is null) return;
        feeder.Observe(losses);
        Refresh();
    }

    /// <summary>A copy of the whole state, serialisable as JSON.</summary>
    public MixtureSamplerState CaptureState() => new(
        Policy,
        [.. Weights],
        feeder is null ? new double?[SourceCount] : [.. feeder.TrackedLosses],
        randomState,
        Draws,
        feeder?.LearningRate ?? DynamicFeeder.DefaultLearningRate,
        feeder?.LossSmoothing ?? 0);

    /// <summary>A sampler that continues exactly where the captured one stood.</summary>
    public static MixtureSampler Restore(MixtureSamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.Weights);
        ArgumentNullException.ThrowIfNull(state.TrackedLosses);
        MixtureWeights.ThrowIfInvalid(state.Weights);
        return new MixtureSampler(state);
    }

    private void Refresh()
    {
        var weights = Weights;
        cumulative = new double[weights.Count];
        double sum = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            cumulative[i] = sum += weights[i];
            if (weights[i] > 0) lastPositive = i;
        }
    }
}

/// <summary>Everything a <see cref="MixtureSampler"/> needs to continue; round-trips through System.Text.Json exactly.</summary>
/// <param name="Policy">The policy.</param>
/// <param name="Weights">Current weight of each source.</param>
/// <param name="TrackedLosses">The dynamic feeder's baseline loss per source (<c>null</c>: none yet; all <c>null</c> for the fixed policies).</param>
/// <param name="RandomState">SplitMix64 state.</param>
/// <param name="Draws">Sources drawn so far.</param>
/// <param name="FeederLearningRate">The dynamic feeder's lr.</param>
/// <param name="LossSmoothing">The dynamic feeder's β.</param>
public sealed record MixtureSamplerState(
    MixturePolicy Policy,
    double[] Weights,
    double?[] TrackedLosses,
    ulong RandomState,
    long Draws,
    double FeederLearningRate,
    double LossSmoothing);
