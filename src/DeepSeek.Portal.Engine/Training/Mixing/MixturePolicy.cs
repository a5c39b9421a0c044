namespace DeepSeek.Portal.Engine.Training.Mixing;

/// <summary>How a mixture turns its sources' weights into sampling probabilities.</summary>
public enum MixturePolicy
{
    /// <summary>The user's weights, normalised: probability <c>wᵢ / Σw</c>, fixed for the whole run.</summary>
    Static,

    /// <summary>Every source equally likely, whatever its weight (the stratified baseline).</summary>
    Uniform,

    /// <summary>
    /// The <see cref="DynamicFeeder"/> rule: weights start from the user's and move with each source's loss;
    /// probability <c>wᵢ / Σw</c>.
    /// </summary>
    Dynamic,
}
