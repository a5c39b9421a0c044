namespace DeepSeek.Portal.Platform;

/// <summary>What happened when a user asked to delete a dataset or a run.</summary>
public enum RemovalOutcome
{
    /// <summary>No such item.</summary>
    NotFound,
    /// <summary>Removed with its files.</summary>
    Deleted,
    /// <summary>Kept for the runs that used it but hidden from lists.</summary>
    Archived,
    /// <summary>Not removed: a run is still queued or running.</summary>
    Refused,
}
