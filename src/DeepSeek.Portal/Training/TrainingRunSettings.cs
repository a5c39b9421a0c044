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
    /// <summary>Format written today. Version 1: <see cref="TrainingOptions"/> with camelCase names.</summary>
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
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
                        property.IsRequired = true;
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
        if (run.SettingsVersion != CurrentVersion)
            throw new InvalidOperationException($"Run {run.Id} stores settings in format {run.SettingsVersion}; this portal reads format {CurrentVersion}.");
        return JsonSerializer.Deserialize<TrainingOptions>(run.Settings, Json)
            ?? throw new InvalidOperationException($"Run {run.Id} has no settings.");
    }
}
