using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>How the learning rate falls from its peak (after warm-up) to <see cref="LearningRateSchedule.FinalFraction"/> of it at the last step.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LearningRateDecay>))]
public enum LearningRateDecay
{
    /// <summary>Half a cosine: slow at first, fastest mid-run, slow at the end (the seed's and most recipes' default).</summary>
    [JsonStringEnumMemberName("cosine")]
    Cosine,

    /// <summary>A straight line from the peak to the final rate.</summary>
    [JsonStringEnumMemberName("linear")]
    Linear,
}
