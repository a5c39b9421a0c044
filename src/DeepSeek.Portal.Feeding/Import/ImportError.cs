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
}

/// <summary>A specific problem with an upload: which file, which line, which field, what is wrong.</summary>
/// <param name="FileName">The file name as the caller passed it.</param>
/// <param name="Line">The 1-based line, or <see langword="null"/> when the problem concerns the whole file.</param>
/// <param name="Field">The JSON field (for example <c>text</c> or <c>conversations[2].value</c>), or <see langword="null"/>.</param>
/// <param name="Message">What is wrong, in English, lower-case, without a trailing full stop.</param>
public sealed record ImportError(string FileName, int? Line, string? Field, string Message)
{
    /// <summary>The kind of problem, stable across wording changes of <see cref="Message"/>.</summary>
    public ImportErrorKind Kind { get; init; }

    /// <summary>
    /// Formats the error for a person, for example
    /// <c>data.jsonl, line 7, field "text": expected a string but found a number</c>.
    /// </summary>
    public override string ToString()
    {
        var where = FileName;
        if (Line is { } line)
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
