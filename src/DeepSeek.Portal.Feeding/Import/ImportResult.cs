namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// The outcome of reading one upload. Imports are all-or-nothing: when there is any error,
/// <see cref="Records"/> is empty so that nothing partial can be stored by mistake.
/// </summary>
/// <param name="Records">The records, in file order; empty unless the import succeeded.</param>
/// <param name="Errors">The problems found, in file order; at most <see cref="ImportLimits.MaxErrors"/> plus one.</param>
/// <param name="Bytes">
/// The bytes read. When the file exceeds <see cref="ImportLimits.MaxBytes"/> reading stops just past the
/// limit (or, for a seekable stream, does not start and this is the stream's remaining length).
/// </param>
/// <param name="Characters">The Unicode characters (code points) across all <see cref="Records"/>.</param>
public sealed record ImportResult(IReadOnlyList<ImportedRecord> Records, IReadOnlyList<ImportError> Errors, long Bytes, int Characters)
{
    /// <summary>True when there are no errors and at least one record: the only case in which a caller may store the data.</summary>
    public bool Succeeded => Errors.Count == 0 && Records.Count > 0;

    internal static ImportResult Failed(ImportError error, long bytes) => new([], [error], bytes, 0);
}
