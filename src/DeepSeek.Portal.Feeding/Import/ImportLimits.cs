namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Bounds on what one upload may contain. The defaults suit an upload through the browser; callers
/// importing from trusted storage can raise them.
/// </summary>
public sealed record ImportLimits
{
    /// <summary>
    /// The largest accepted file, in bytes (a UTF-8 byte-order mark counts). Default 4 GB: the streaming importer holds one
    /// record at a time, so the size of the file no longer bounds memory; callers pass their configured upload limit.
    /// </summary>
    public long MaxBytes { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>The most records one file may hold. Default 100,000,000.</summary>
    public long MaxRecords { get; init; } = 100_000_000;

    /// <summary>
    /// The largest single record in bytes as it appears in the file: a JSONL or text line, a JSON array element, a CSV row,
    /// a text paragraph. This is the streaming importer's memory bound (plus a 64 KB read buffer): a longer record is
    /// refused with <see cref="ImportErrorKind.RecordTooLarge"/> after reading just past this many bytes of it. Default 16 MB.
    /// </summary>
    public int MaxRecordBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// The largest Parquet row group, in uncompressed bytes (as the file's metadata states). A row group is read whole, so
    /// this bounds memory for Parquet; a larger one is refused with <see cref="ImportErrorKind.RowGroupTooLarge"/>. Default 256 MB.
    /// </summary>
    public long MaxRowGroupBytes { get; init; } = 256L * 1024 * 1024;

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
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRecordBytes, nameof(MaxRecordBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRowGroupBytes, nameof(MaxRowGroupBytes));
    }
}
