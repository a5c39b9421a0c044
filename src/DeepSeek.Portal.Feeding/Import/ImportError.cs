namespace DeepSeek.Portal.Feeding.Import;

/// <summary>What kind of problem an <see cref="ImportError"/> reports, for callers that localise or count them.</summary>
public enum ImportErrorKind
{
    /// <summary>The file name has an extension the importer does not read.</summary>
    UnsupportedFormat,

    /// <summary>The file is larger than <see cref="ImportLimits.MaxBytes"/>.</summary>
    FileTooLarge,

    /// <summary>A line is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>A JSONL line is not well-formed JSON.</summary>
    MalformedJson,

    /// <summary>A JSONL line holds JSON that is not an object.</summary>
    NotAnObject,

    /// <summary>A JSONL object lacks the fields of every accepted shape, or a field that its shape needs.</summary>
    MissingField,

    /// <summary>A field has the wrong JSON type (or a string that is not valid Unicode).</summary>
    WrongType,

    /// <summary>A record, or a part of it that must have content, is empty after trimming whitespace.</summary>
    EmptyText,

    /// <summary>Text contains a control character other than tab, line feed and carriage return.</summary>
    ControlCharacter,

    /// <summary>A record is longer than <see cref="ImportLimits.MaxRecordChars"/>.</summary>
    RecordTooLong,

    /// <summary>The file holds more than <see cref="ImportLimits.MaxRecords"/> records.</summary>
    TooManyRecords,

    /// <summary>The file holds no records at all.</summary>
    NoRecords,

    /// <summary>The error limit was reached; the rest of the file was not checked.</summary>
    TooManyErrors,

    /// <summary>A JSON object on a JSONL line has the same key twice (JSON parsers disagree on which one wins).</summary>
    DuplicateKey,

    /// <summary>A conversation turn names a role the importer does not know.</summary>
    UnknownRole,

    /// <summary>The file starts with a byte-order mark of an encoding the importer does not read (UTF-32).</summary>
    UnsupportedEncoding,

    /// <summary>The dataset name is unusable: too long or containing control characters (reported by the caller that stores datasets).</summary>
    InvalidName,

    /// <summary>A dataset with the same name already exists (reported by the caller that stores datasets).</summary>
    DuplicateName,

    /// <summary>A dataset with exactly the same content already exists (reported by the caller that stores datasets).</summary>
    DuplicateContent,

    /// <summary>The upload request itself is unreadable: not multipart, malformed, compressed, no file or two files.</summary>
    InvalidUpload,

    /// <summary>The records have none of the recognised shapes; the message lists the fields found and a <see cref="FieldMapping"/> is needed.</summary>
    NeedsMapping,

    /// <summary>The field mapping itself is unusable (a template with an unclosed brace, an empty field path, …).</summary>
    InvalidMapping,

    /// <summary>Bytes that are not valid in the file's chosen or detected encoding (UTF-16, GB18030).</summary>
    InvalidEncoding,

    /// <summary>The start of the file was detected as one encoding and a later line is in another.</summary>
    MixedEncoding,

    /// <summary>A byte-order mark (U+FEFF) appears after the start of the file, typically where two files were joined.</summary>
    MisplacedByteOrderMark,

    /// <summary>A CSV/TSV row has more or fewer columns than the header row.</summary>
    WrongColumnCount,

    /// <summary>A CSV/TSV row is not well-formed (a stray quote, an unterminated quoted field).</summary>
    MalformedCsv,

    /// <summary>JSON nested deeper than 64 levels.</summary>
    NestingTooDeep,

    /// <summary>The file ends in the middle of a record (a JSON value or quoted field that never closes).</summary>
    TruncatedRecord,

    /// <summary>One record (a line, a JSON element, a CSV row, a paragraph) is larger than <see cref="ImportLimits.MaxRecordBytes"/>; reading stops there.</summary>
    RecordTooLarge,

    /// <summary>A Parquet row group is larger than <see cref="ImportLimits.MaxRowGroupBytes"/> uncompressed.</summary>
    RowGroupTooLarge,

    /// <summary>The file is not readable in its format at all (a corrupt or non-Parquet file named .parquet).</summary>
    UnreadableFile,
}

/// <summary>A specific problem with an upload: which file, which line or record, which field, what is wrong.</summary>
/// <param name="FileName">The file name as the caller passed it.</param>
/// <param name="Line">
/// The 1-based line, or <see langword="null"/> when the problem concerns the whole file or the format has no lines (Parquet).
/// </param>
/// <param name="Field">The JSON field (for example <c>text</c> or <c>conversations[2].value</c>), or <see langword="null"/>.</param>
/// <param name="Message">What is wrong, in English, lower-case, without a trailing full stop.</param>
public sealed record ImportError(string FileName, long? Line, string? Field, string Message)
{
    /// <summary>The kind of problem, stable across wording changes of <see cref="Message"/>.</summary>
    public ImportErrorKind Kind { get; init; }

    /// <summary>
    /// The 1-based record (element of a JSON array, row of a Parquet file) where line numbers alone would not say enough,
    /// or <see langword="null"/>.
    /// </summary>
    public long? Record { get; init; }

    /// <summary>
    /// Formats the error for a person, for example
    /// <c>data.jsonl, line 7, field "text": expected a string but found a number</c> or
    /// <c>poems.json, record 3 (line 17), field "author": …</c>.
    /// </summary>
    public override string ToString()
    {
        var where = FileName;
        if (Record is { } record)
        {
            where += Line is { } at ? $", record {record} (line {at})" : $", record {record}";
        }
        else if (Line is { } line)
        {
            where += $", line {line}";
        }

        if (Field is not null)
        {
            where += $", field \"{Field}\"";
        }

        return $"{where}: {Message}";
    }
}
