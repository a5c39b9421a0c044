using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Feeding.Splitting;
using DeepSeek.Portal.Options;

namespace DeepSeek.Portal.Training;

/// <summary>
/// Checks a launch request as a whole before anything is queued: settings that are valid field by field but together
/// exceed what this machine can hold, and datasets a run cannot use. Keys are the request's JSON field names.
/// </summary>
public static class RunPreflight
{
    /// <summary>
    /// Memory and tokens per step against <paramref name="limits"/>; empty when the run fits. <paramref name="model"/>:
    /// a DeepSeek base model being fine-tuned (other families are estimated as the demo model).
    /// </summary>
    public static Dictionary<string, string[]> CheckCapacity(TrainingOptions options, RunLimitOptions limits, Engine.Models.ModelConfig? model = null) =>
        TrainingFootprint.Estimate(options, model)
            .Check(options, limits.EffectiveMaxMemoryBytes, limits.MaxTokensPerStep)
            .ToDictionary(kv => RunService.JsonFieldName(kv.Key), kv => kv.Value);

    /// <summary>Why a run cannot train on <paramref name="dataset"/>, or <see langword="null"/> when it can.</summary>
    public static string? CheckDataset(Dataset? dataset, int datasetId, DataPaths paths)
    {
        if (dataset is null)
            return $"Dataset {datasetId} does not exist.";
        if (dataset.ArchivedAt is not null)
            return $"Dataset \"{dataset.Name}\" is archived; new runs cannot use it.";
        if (dataset.RecordCount < HeldOutSplit.MinimumDistinctTexts)
            return HeldOutSplit.TooSmallMessage(dataset.RecordCount);
        if (!File.Exists(Path.Combine(paths.Datasets, dataset.Sha256 + ".jsonl")))
            return DatasetFileMissingException.Describe(dataset.Name, dataset.Sha256);
        return null;
    }

    /// <summary>Why a run cannot train on <paramref name="version"/> of <paramref name="dataset"/>, or <see langword="null"/> when it can.</summary>
    public static string? CheckVersion(DatasetVersion? version, Dataset? dataset, int versionId, DataPaths paths)
    {
        if (version is null || dataset is null)
            return $"Dataset version {versionId} does not exist.";
        var name = $"{dataset.Name} v{version.Number}";
        if (dataset.ArchivedAt is not null)
            return $"Dataset \"{dataset.Name}\" is archived; new runs cannot use it.";
        if (version.RecordCount < HeldOutSplit.MinimumDistinctTexts)
            return $"{name}: {HeldOutSplit.TooSmallMessage((int)version.RecordCount)}";
        if (!File.Exists(Path.Combine(paths.Datasets, version.Sha256 + ".jsonl")))
            return DatasetFileMissingException.Describe(name, version.Sha256);
        return null;
    }
}
