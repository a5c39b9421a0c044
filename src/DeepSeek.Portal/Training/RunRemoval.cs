namespace DeepSeek.Portal.Training;

/// <summary>What <see cref="RunService.DeleteAsync"/> did.</summary>
public enum RunRemoval
{
    /// <summary>No run has that id.</summary>
    NotFound,

    /// <summary>The run is queued or running; cancel it first.</summary>
    Active,

    /// <summary>Its metrics, row and folder (checkpoints, tokenizer) are gone.</summary>
    Deleted,
}
