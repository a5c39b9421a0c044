using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Training;

/// <summary>
/// The one mapping between a run's stored settings and the engine's options: the whole options record as JSON.
/// Every field is written, and on reading every field is required, so a resumed run never picks up a default that
/// changed since it started. Adding an option touches the options record, the launch form and the settings view.
/// </summary>
public static class TrainingRunSettings
{
    /// <summary>
    /// Format written today. Version 1: <see cref="TrainingOptions"/> with camelCase names. Version 2 adds fp16 loss
    /// scaling (<c>initialLossScale</c>, <c>lossScaleGrowthInterval</c>), <c>activationCheckpointing</c> and <c>lora</c>.
    /// Version 3 adds <c>learningRateDecay</c>.
    /// </summary>
    public const int CurrentVersion = 3;

    /// <summary>Fields a version-1 record lacks; such a run trained as these defaults describe (no scaling, no checkpointing).</summary>
    private static readonly HashSet<string> AddedInVersion2 = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(TrainingOptions.InitialLossScale),
        nameof(TrainingOptions.LossScaleGrowthInterval),
        nameof(TrainingOptions.ActivationCheckpointing),
        nameof(TrainingOptions.Lora),
    };

    /// <summary>Fields a version-2 record lacks; such a run decayed its rate as a cosine (the default).</summary>
    private static readonly HashSet<string> AddedInVersion3 = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(TrainingOptions.LearningRateDecay),
    };

    /// <summary>The format version that introduced a field (1 for the original fields).</summary>
    private static int Since(string field) =>
        AddedInVersion3.Contains(field) ? 3 : AddedInVersion2.Contains(field) ? 2 : 1;

    private static readonly JsonSerializerOptions Json = Strict(version: CurrentVersion);

    private static readonly JsonSerializerOptions JsonVersion2 = Strict(version: 2);

    private static readonly JsonSerializerOptions JsonVersion1 = Strict(version: 1);

    private static JsonSerializerOptions Strict(int version) => new(JsonSerializerDefaults.Web)
    {
        // Unknown fields mean a newer format (or a typo in a hand edit): refuse rather than guess.
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    foreach (var property in info.Properties.Where(p => p.Set is not null))
                        property.IsRequired = Since(property.Name) <= version;
                },
            },
        },
    };

    public static string Serialize(TrainingOptions options) => JsonSerializer.Serialize(options, Json);

    /// <summary>Stores the options on the run (and the step count, which progress queries read as a column).</summary>
    public static void Apply(this TrainingRun run, TrainingOptions options)
    {
        run.Settings = Serialize(options);
        run.SettingsVersion = CurrentVersion;
        run.Steps = options.Steps;
    }

    /// <summary>The options the run was launched with, exactly.</summary>
    public static TrainingOptions ToOptions(this TrainingRun run)
    {
        var json = run.SettingsVersion switch
        {
            CurrentVersion => Json,
            2 => JsonVersion2,
            1 => JsonVersion1,
            _ => throw new InvalidOperationException($"Run {run.Id} stores settings in format {run.SettingsVersion}; this portal reads formats 1 to {CurrentVersion}."),
        };
        return JsonSerializer.Deserialize<TrainingOptions>(run.Settings, json)
            ?? throw new InvalidOperationException($"Run {run.Id} has no settings.");
    }
}
