using System.Globalization;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Collects the records and errors of one import and applies the rules that do not depend on the
/// format: the error cap, the record limits, line-ending normalisation and the empty-file check.
/// </summary>
internal sealed class ImportSession(string fileName, ImportLimits limits)
{
    private readonly List<ImportedRecord> _records = [];
    private readonly List<ImportError> _errors = [];
    private int _characters;

    /// <summary>The upload was UTF-16 (transcoded to UTF-8 before lines are read), so encoding errors must name UTF-16.</summary>
    public bool SourceIsUtf16 { get; init; }

    /// <summary>Why a line's bytes are not text, in the terms of the file's own encoding.</summary>
    public string InvalidEncodingMessage(int offset) => SourceIsUtf16
        ? "not valid UTF-16: the line has an unpaired surrogate or the file ends in the middle of a character"
        : TextRules.InvalidUtf8Message(offset);

    /// <summary>True once the import must not read further: the error cap or the record limit was hit.</summary>
    public bool Stopped { get; private set; }

    public void Error(ImportErrorKind kind, int? line, string? field, string message)
    {
        if (Stopped)
        {
            return;
        }

        if (_errors.Count == limits.MaxErrors)
        {
            _errors.Add(new ImportError(fileName, null, null, "… further errors not shown") { Kind = ImportErrorKind.TooManyErrors });
            Stopped = true;
            return;
        }

        _errors.Add(new ImportError(fileName, line, field, message) { Kind = kind });
    }

    /// <summary>Checks and keeps one record's text; <paramref name="field"/> names where it came from, if anywhere.</summary>
    public void AddRecord(int line, string? field, string text)
    {
        if (Stopped)
        {
            return;
        }

        text = TextRules.NormaliseLineEndings(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            Error(ImportErrorKind.EmptyText, line, field, "the text is empty after trimming whitespace");
            return;
        }

        var characters = TextRules.CountCharacters(text);
        if (characters > limits.MaxRecordChars)
        {
            Error(ImportErrorKind.RecordTooLong, line, field,
                $"the record is {N(characters)} characters long; the limit is {N(limits.MaxRecordChars)}");
            return;
        }

        if (_records.Count == limits.MaxRecords)
        {
            // Past this point nothing the user fixes line by line will make the file acceptable.
            Error(ImportErrorKind.TooManyRecords, line, null, $"the file has more than {N(limits.MaxRecords)} records, the limit");
            Stopped = true;
            return;
        }

        _records.Add(new ImportedRecord(line, text));
        _characters = checked(_characters + characters); // int by contract; fail loudly rather than wrap on huge limits
    }

    public ImportResult ToResult(long bytes)
    {
        if (_errors.Count == 0 && _records.Count == 0)
        {
            _errors.Add(new ImportError(fileName, null, null, "the file contains no records") { Kind = ImportErrorKind.NoRecords });
        }

        return _errors.Count == 0
            ? new ImportResult(_records, [], bytes, _characters)
            : new ImportResult([], _errors, bytes, 0);
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
