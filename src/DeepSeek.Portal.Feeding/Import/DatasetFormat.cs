namespace DeepSeek.Portal.Feeding.Import;

/// <summary>The upload formats the importer understands.</summary>
public enum DatasetFormat
{
    /// <summary>
    /// JSON Lines: one JSON object per non-blank line, in one of the shapes <c>{"text"}</c>,
    /// alpaca (<c>instruction</c>/<c>input</c>/<c>output</c>), <c>prompt</c>/<c>completion</c> or
    /// sharegpt-like <c>conversations</c>.
    /// </summary>
    Jsonl,

    /// <summary>Plain text: documents separated by one or more blank lines.</summary>
    Text,
}
