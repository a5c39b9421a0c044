namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Bounds on what one upload may contain. The defaults suit an upload through the browser; callers
/// importing from trusted storage can raise them.
/// </summary>
public sealed record ImportLimits
{
    /// <summary>The largest accepted file, in bytes (a UTF-8 byte-order mark counts). Default 20 MB.</summary>
    public long MaxBytes { get; init; } = 20 * 1024 * 1024;

    /// <summary>The most records one file may hold. Default 200,000.</summary>
    public int MaxRecords { get; init; } = 200_000;

    /// <summary>
    /// The longest accepted record, in Unicode characters (code points, so a CJK character or an emoji
    /// counts once). Default 100,000.
    /// </summary>
    public int MaxRecordChars { get; init; } = 100_000;

    /// <summary>
    /// How many errors are reported before the importer gives up on the file and adds a final
    /// "further errors not shown" error. Default 20.
    /// </summary>
    public int MaxErrors { get; init; } = 20;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBytes, nameof(MaxBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRecords, nameof(MaxRecords));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRecordChars, nameof(MaxRecordChars));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxErrors, nameof(MaxErrors));
    }
}
