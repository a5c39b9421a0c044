using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>Numeric precision of the forward and backward passes. Master weights and optimizer state stay fp32.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrainingPrecision>))]
public enum TrainingPrecision
{
    /// <summary>Everything in 32-bit floats.</summary>
    [JsonStringEnumMemberName("fp32")]
    Fp32,

    /// <summary>Activations and matmuls in bfloat16 (fp32 master weights).</summary>
    [JsonStringEnumMemberName("bf16")]
    Bf16,

    /// <summary>
    /// Activations and matmuls in float16 (fp32 master weights) with dynamic loss scaling: fp16's narrow range needs
    /// the loss scaled up before backward, and a step whose gradients overflow is skipped.
    /// </summary>
    [JsonStringEnumMemberName("fp16")]
    Fp16,
}

/// <summary>The names users type and files store ("fp32", "bf16").</summary>
public static class TrainingPrecisions
{
    /// <summary>Every precision with its name, in the order a form lists them.</summary>
    public static IReadOnlyList<TrainingPrecision> All { get; } = Enum.GetValues<TrainingPrecision>();

    /// <summary>The lower-case name ("fp32", "bf16", "fp16").</summary>
    public static string Name(this TrainingPrecision precision) => precision switch
    {
        TrainingPrecision.Fp32 => "fp32",
        TrainingPrecision.Bf16 => "bf16",
        TrainingPrecision.Fp16 => "fp16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, null),
    };

    /// <summary>Parses a name case-insensitively, ignoring surrounding blanks.</summary>
    public static bool TryParse(string? text, out TrainingPrecision precision)
    {
        foreach (var p in All)
        {
            if (string.Equals(p.Name(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                precision = p;
                return true;
            }
        }
        precision = default;
        return false;
    }
}
