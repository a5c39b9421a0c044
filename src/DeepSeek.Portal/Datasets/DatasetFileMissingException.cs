namespace DeepSeek.Portal.Datasets;

/// <summary>
/// A dataset's row exists but its file is gone from the data directory (deleted by hand, a restored backup without
/// the files). Reported as 410 by the API and as the reason a run failed, in words a reader can act on and without the
/// server's paths.
/// </summary>
public sealed class DatasetFileMissingException(int datasetId, string name, string sha256)
    : Exception(Describe(name, sha256))
{
    public int DatasetId { get; } = datasetId;

    public static string Describe(string name, string sha256) =>
        $"The file of dataset \"{name}\" ({sha256}.jsonl in the data directory's datasets folder) is missing; upload the data again or delete the dataset.";
}
