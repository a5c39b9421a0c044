namespace DeepSeek.Portal.Feeding.Import;

/// <summary>One training text read from an upload.</summary>
/// <param name="Line">The 1-based line of the file where the record starts.</param>
/// <param name="Text">
/// The record's text, exactly as uploaded except that line endings are normalised to <c>\n</c>
/// (and, for plain text, trailing whitespace is trimmed from each line).
/// </param>
public sealed record ImportedRecord(int Line, string Text);
