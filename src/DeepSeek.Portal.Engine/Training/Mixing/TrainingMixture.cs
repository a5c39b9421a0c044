namespace DeepSeek.Portal.Engine.Training.Mixing;

/// <summary>One named source of training texts in a <see cref="TrainingMixture"/> (the portal maps it to a dataset version).</summary>
/// <param name="Name">Shown in progress reports; unique within the mixture.</param>
/// <param name="Texts">The source's documents; packed into sequences on their own, so a sequence never spans two sources.</param>
/// <param name="Weight">Finite, ≥ 0; 0 leaves the source out (its texts still train the tokenizer).</param>
public sealed record MixtureSource(string Name, IReadOnlyList<string> Texts, double Weight = 1);

/// <summary>Train through a mixture: each sequence of a batch is drawn from a source picked by a <see cref="MixtureSampler"/>.</summary>
/// <param name="Sources">At least one source; at least one with a positive weight and texts.</param>
/// <param name="Policy">How the weights become sampling probabilities.</param>
public sealed record TrainingMixture(IReadOnlyList<MixtureSource> Sources, MixturePolicy Policy = MixturePolicy.Dynamic)
{
    /// <summary>The <see cref="DynamicFeeder"/>'s lr (the seed's 0.01).</summary>
    public double FeederLearningRate { get; init; } = DynamicFeeder.DefaultLearningRate;

    /// <summary>The <see cref="DynamicFeeder"/>'s β over per-step source losses (0: the raw per-step loss, the seed's rule).</summary>
    public double LossSmoothing { get; init; }

    /// <summary>Messages for everything unusable; empty when the mixture can train.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Sources is null || Sources.Count == 0)
            return ["A mixture needs at least one source."];
        if (!Enum.IsDefined(Policy)) errors.Add($"Unknown mixture policy {(int)Policy}.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in Sources)
        {
            if (source is null || string.IsNullOrWhiteSpace(source.Name)) { errors.Add("Every mixture source needs a name."); continue; }
            if (!names.Add(source.Name)) errors.Add($"Source name '{source.Name}' appears twice.");
            if (!(source.Weight >= 0) || double.IsInfinity(source.Weight)) errors.Add($"Source '{source.Name}': weight must be a finite number ≥ 0 (was {source.Weight}).");
            if (source.Texts is null || !source.Texts.Any(t => !string.IsNullOrWhiteSpace(t))) errors.Add($"Source '{source.Name}' has no non-empty text.");
        }
        if (errors.Count == 0 && !Sources.Any(s => s.Weight > 0))
            errors.Add("At least one source needs a positive weight.");
        if (!(FeederLearningRate > 0 && FeederLearningRate < 1)) errors.Add($"FeederLearningRate must be in (0, 1) (was {FeederLearningRate}).");
        if (!(LossSmoothing >= 0 && LossSmoothing < 1)) errors.Add($"LossSmoothing must be in [0, 1) (was {LossSmoothing}).");
        return errors;
    }
}

/// <summary>One source's state after an optimizer step of a mixture run, for live charts.</summary>
/// <param name="Name">The source's name.</param>
/// <param name="Weight">Its weight after this step's update (the weight the next step samples with).</param>
/// <param name="Probability">Its sampling probability for the next step.</param>
/// <param name="Loss">Mean cross-entropy per target token of its sequences in this step; <c>null</c> when none was drawn.</param>
/// <param name="Sequences">How many of this step's sequences came from it.</param>
public sealed record SourceProgress(string Name, double Weight, double Probability, double? Loss, int Sequences);
