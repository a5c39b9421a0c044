namespace DeepSeek.Portal.Datasets;

/// <summary>What <see cref="DatasetService.DeleteAsync"/> did.</summary>
public enum DatasetRemoval
{
    /// <summary>No dataset has that id.</summary>
    NotFound,

    /// <summary>The row and its file are gone.</summary>
    Deleted,

    /// <summary>Runs refer to it, so it was archived instead: hidden from lists and launches, kept for those runs.</summary>
    Archived,
}

/// <summary>The answer to <c>DELETE /api/datasets/{id}</c>: which dataset, and whether it was deleted or archived.</summary>
public sealed record DatasetRemovalResult(int DatasetId, DatasetRemoval Result);
