namespace DeepSeek.Portal.Feeding.Import;

/// <summary>The file formats the streaming importer reads.</summary>
public enum SourceFormat
{
    /// <summary>JSON Lines: one JSON object per non-blank line (<c>.jsonl</c>, <c>.ndjson</c>).</summary>
    Jsonl,

    /// <summary>One JSON array of records, or a top-level object holding such an array (<c>{"data": [...]}</c>); <c>.json</c>.</summary>
    JsonArray,

    /// <summary>Comma-separated values with a header row; quoted fields may hold commas, quotes and newlines.</summary>
    Csv,

    /// <summary>Tab-separated values with a header row; no quoting (a field cannot hold a tab or a newline).</summary>
    Tsv,

    /// <summary>Plain text: a record per line or per blank-line separated paragraph (see <see cref="TextSplit"/>).</summary>
    Text,

    /// <summary>Apache Parquet: string, number and boolean columns and lists of them.</summary>
    Parquet,
}

/// <summary>How a plain-text file is cut into records.</summary>
public enum TextSplit
{
    /// <summary>Every non-blank line is a record.</summary>
    Line,

    /// <summary>A record is a run of non-blank lines; one or more blank lines end it.</summary>
    Paragraph,
}

/// <summary>What to import and how: the file's name, and optionally its format, encoding, text split and field mapping.</summary>
public sealed record ImportRequest
{
    /// <summary>The file name: shown in every error, and its extension chooses the format when <see cref="Format"/> is not set.</summary>
    public required string FileName { get; init; }

    /// <summary>The format; <see langword="null"/> detects it from the extension, then from the content.</summary>
    public SourceFormat? Format { get; init; }

    /// <summary>
    /// The text encoding: <c>utf-8</c>, <c>utf-16le</c>, <c>utf-16be</c> or <c>gb18030</c> (<c>gbk</c> and <c>gb2312</c>
    /// are read as GB18030, their superset); <see langword="null"/> detects it from a byte-order mark or from the first
    /// 64 KB of the file. Ignored for Parquet.
    /// </summary>
    public string? Encoding { get; init; }

    /// <summary>For plain text: a record per line or per paragraph. Default <see cref="TextSplit.Paragraph"/>.</summary>
    public TextSplit TextSplit { get; init; } = TextSplit.Paragraph;

    /// <summary>How to turn a record's fields into text; <see langword="null"/> recognises the record shape instead.</summary>
    public FieldMapping? Mapping { get; init; }

    /// <summary>Size, record and error limits, and the memory bounds.</summary>
    public ImportLimits Limits { get; init; } = new();
}
