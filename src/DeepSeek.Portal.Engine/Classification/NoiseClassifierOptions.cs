namespace DeepSeek.Portal.Engine.Classification;

/// <summary>Settings of a <see cref="NoiseClassifier"/>: its features, its network and its training.</summary>
public sealed record NoiseClassifierOptions
{
    /// <summary>The seed's default: drop a record when P(noisy) ≥ 0.9.</summary>
    public const double DefaultDropAtOrAbove = 0.9;

    /// <summary>Drop a record when P(noisy) is at least this (keep below). Default 0.9 (seed section 2.1).</summary>
    public double DropAtOrAbove { get; init; } = DefaultDropAtOrAbove;

    /// <summary>Hash buckets for character n-grams; collisions fall as it grows, weights grow with it. Default 2^14.</summary>
    public int HashBuckets { get; init; } = 1 << 14;

    /// <summary>Shortest character n-gram hashed. Default 1.</summary>
    public int MinNgram { get; init; } = 1;

    /// <summary>Longest character n-gram hashed. Default 3 (a Chinese word is one to three characters).</summary>
    public int MaxNgram { get; init; } = 3;

    /// <summary>Only the first this many characters are featurised (the length feature still sees the whole text). Default 2000.</summary>
    public int MaxCharacters { get; init; } = 2000;

    /// <summary>Hidden units of the one-hidden-layer MLP (ReLU); 0 makes it a logistic regression. Default 16.</summary>
    public int HiddenSize { get; init; } = 16;

    /// <summary>Passes over the training examples. Default 8.</summary>
    public int Epochs { get; init; } = 8;

    /// <summary>Examples per optimiser step. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>AdamW learning rate. Default 0.005.</summary>
    public double LearningRate { get; init; } = 0.005;

    /// <summary>AdamW decoupled weight decay on weight matrices (not biases). Default 0.01.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Seeds the initial weights and the example order: the same seed and data give the same weights. Default 17.</summary>
    public int Seed { get; init; } = 17;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(HashBuckets, 16, nameof(HashBuckets));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinNgram, 1, nameof(MinNgram));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNgram, MinNgram, nameof(MaxNgram));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCharacters, 1, nameof(MaxCharacters));
        ArgumentOutOfRangeException.ThrowIfNegative(HiddenSize, nameof(HiddenSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRate, nameof(LearningRate));
        ArgumentOutOfRangeException.ThrowIfNegative(WeightDecay, nameof(WeightDecay));
        if (DropAtOrAbove is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(DropAtOrAbove), DropAtOrAbove, "A probability threshold lies in [0, 1].");
    }
}
