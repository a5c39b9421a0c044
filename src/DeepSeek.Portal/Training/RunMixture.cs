using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using DeepSeek.Portal.Engine.Training.Mixing;

namespace DeepSeek.Portal.Training;

/// <summary>A mixture of dataset versions as a launch request names it.</summary>
public sealed record RunMixtureRequest
{
    [Description("static (the weights, normalised), uniform (every source equally likely) or dynamic (DynamicFeeder: weights move with each source's loss, clipped to [0.1, 2.0]).")]
    public string Policy { get; init; } = "dynamic";
    [Description("The dynamic policy's learning rate, in (0, 1); default 0.01.")]
    public double? FeederLearningRate { get; init; }
    [Description("At least two distinct dataset versions with weights ≥ 0, at least one positive.")]
    public IReadOnlyList<RunMixtureSourceRequest> Sources { get; init; } = [];
}

/// <summary>One source of a requested mixture.</summary>
public sealed record RunMixtureSourceRequest
{
    [Description("Dataset version id (GET /api/datasets/{id}/versions).")]
    public int VersionId { get; init; }
    [Description("Starting weight, finite and ≥ 0 (0 leaves the source out of sampling).")]
    public double Weight { get; init; } = 1;
}

/// <summary>A run's mixture as stored with the run and shown: exactly what the engine is given on every attempt.</summary>
/// <param name="Policy">static, uniform or dynamic.</param>
/// <param name="FeederLearningRate">The dynamic policy's learning rate.</param>
/// <param name="Sources">The sources in sampling order (the engine's source index is the position here).</param>
public sealed record RunMixture(string Policy, double FeederLearningRate, IReadOnlyList<RunMixtureSource> Sources);

/// <summary>One stored source: the version (its dataset, the dataset's name then, its number), the name progress reports use
/// ("&lt;dataset&gt; v&lt;N&gt;") and its starting weight.</summary>
public sealed record RunMixtureSource(int VersionId, int DatasetId, string DatasetName, int Number, string Name, double Weight);

/// <summary>A dataset version a run can be launched on, as the launch form lists it.</summary>
public sealed record RunVersionChoice(int VersionId, int DatasetId, string DatasetName, int Number, long RecordCount);

/// <summary>One source of a mixture run after one step: weight, sampling probability, loss and sequences drawn.</summary>
public sealed record RunSourcePoint(int Source, string Name, double Weight, double Probability, double? Loss, int Sequences);

/// <summary>The sources of a mixture run after one optimizer step.</summary>
public sealed record RunSourceStep(int Step, IReadOnlyList<RunSourcePoint> Sources);

/// <summary>The one mapping between a run's stored mixture and the engine's, like <see cref="TrainingRunSettings"/> for options.</summary>
public static class RunMixtures
{
    /// <summary>Format written today. Version 1: <see cref="RunMixture"/> with camelCase names.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Policy names as the API and the form spell them.</summary>
    public static IReadOnlyList<string> Policies { get; } = ["static", "uniform", "dynamic"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
    };

    public static bool TryParsePolicy(string? name, out MixturePolicy policy)
    {
        policy = MixturePolicy.Dynamic;
        var known = Policies.FirstOrDefault(p => string.Equals(p, name?.Trim(), StringComparison.OrdinalIgnoreCase));
        if (known is null)
            return false;
        policy = Enum.Parse<MixturePolicy>(known, ignoreCase: true);
        return true;
    }

    /// <summary>Stores the mixture on the run.</summary>
    public static void ApplyMixture(this TrainingRun run, RunMixture mixture)
    {
        run.Mixture = JsonSerializer.Serialize(mixture, Json);
        run.MixtureVersion = CurrentVersion;
    }

    /// <summary>The mixture the run was launched with, exactly; <see langword="null"/> for a run on one version.</summary>
    public static RunMixture? ReadMixture(this TrainingRun run) => Read(run.Id, run.Mixture, run.MixtureVersion);

    /// <summary>A stored mixture from its columns; <see langword="null"/> when there is none.</summary>
    public static RunMixture? Read(int runId, string? json, int version)
    {
        if (json is null)
            return null;
        if (version != CurrentVersion)
            throw new InvalidOperationException($"Run {runId} stores its mixture in format {version}; this portal reads format {CurrentVersion}.");
        return JsonSerializer.Deserialize<RunMixture>(json, Json)
            ?? throw new InvalidOperationException($"Run {runId} has an empty mixture.");
    }

    /// <summary>The request's own rules (no database): policy, learning rate, source count, weights. Keys are JSON paths.</summary>
    public static Dictionary<string, string[]> Validate(RunMixtureRequest mixture)
    {
        var errors = new Dictionary<string, string[]>();
        if (!TryParsePolicy(mixture.Policy, out _))
            errors["mixture.policy"] = [$"Policy must be one of {string.Join(", ", Policies)} (was '{mixture.Policy}')."];
        if (mixture.FeederLearningRate is { } lr && !(lr > 0 && lr < 1))
            errors["mixture.feederLearningRate"] = [$"FeederLearningRate must be in (0, 1) (was {lr})."];
        var sources = mixture.Sources ?? [];
        if (sources.Count < 2)
            errors["mixture.sources"] = [$"A mixture needs at least two sources (was {sources.Count})."];
        for (var i = 0; i < sources.Count; i++)
        {
            var w = sources[i]?.Weight ?? double.NaN;
            if (!(w >= 0) || double.IsInfinity(w))
                errors[$"mixture.sources[{i}].weight"] = [$"Weight must be a finite number ≥ 0 (was {w})."];
        }
        var duplicates = sources.Where(s => s is not null).GroupBy(s => s.VersionId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
            errors["mixture.sources"] = [.. errors.GetValueOrDefault("mixture.sources") ?? [], $"Version {string.Join(", ", duplicates)} appears more than once."];
        if (sources.Count >= 2 && sources.All(s => s is not null && s.Weight >= 0) && !sources.Any(s => s.Weight > 0))
            errors["mixture.sources"] = [.. errors.GetValueOrDefault("mixture.sources") ?? [], "At least one source needs a positive weight."];
        return errors;
    }

    /// <summary>The engine's mixture for the stored one, given each source's training texts (in source order).</summary>
    public static TrainingMixture ToEngine(RunMixture mixture, IReadOnlyList<IReadOnlyList<string>> texts)
    {
        if (!TryParsePolicy(mixture.Policy, out var policy))
            throw new InvalidOperationException($"Unknown mixture policy '{mixture.Policy}'.");
        return new TrainingMixture(mixture.Sources.Select((s, i) => new MixtureSource(s.Name, texts[i], s.Weight)).ToList(), policy)
        {
            FeederLearningRate = mixture.FeederLearningRate,
        };
    }
}
