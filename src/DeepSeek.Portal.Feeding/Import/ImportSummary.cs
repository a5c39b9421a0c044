namespace DeepSeek.Portal.Feeding.Import;

/// <summary>The record shapes the importer recognises, or <see cref="Mapped"/> when a field mapping made the text.</summary>
public enum RecordShape
{
    /// <summary>Plain text: a <c>text</c> or <c>content</c> field, a text line or paragraph, a string element of a JSON array.</summary>
    Text,

    /// <summary>Alpaca: <c>instruction</c>, optional <c>input</c>, <c>output</c>.</summary>
    Alpaca,

    /// <summary>A conversation: ShareGPT <c>conversations</c> (<c>from</c>/<c>value</c>) or OpenAI <c>messages</c> (<c>role</c>/<c>content</c>).</summary>
    Conversation,

    /// <summary>A pair: <c>prompt</c>+<c>completion</c>, <c>prompt</c>+<c>response</c> or <c>question</c>+<c>answer</c>.</summary>
    PromptResponse,

    /// <summary>The text was made by a <see cref="FieldMapping"/>.</summary>
    Mapped,
}

/// <summary>The outcome of a streaming import. The records themselves went to the sink as they were read.</summary>
/// <param name="Records">How many records reached the sink.</param>
/// <param name="Characters">The Unicode characters (code points) across those records' texts.</param>
/// <param name="SourceBytes">The bytes of the file read.</param>
/// <param name="Errors">The problems found, in file order; at most <see cref="ImportLimits.MaxErrors"/> plus one.</param>
/// <param name="Format">The format read (as requested or detected).</param>
/// <param name="Encoding">The encoding read (<c>utf-8</c>, <c>utf-16le</c>, <c>utf-16be</c>, <c>gb18030</c>; <c>binary</c> for Parquet).</param>
/// <param name="Shape">The shape of the first record (<see cref="RecordShape.Mapped"/> with a mapping).</param>
public sealed record ImportSummary(long Records, long Characters, long SourceBytes, IReadOnlyList<ImportError> Errors, SourceFormat Format, string Encoding, RecordShape Shape)
{
    /// <summary>
    /// True when there are no errors and at least one record: the only case in which a caller may keep what the sink
    /// received. On failure the caller discards it (imports are all-or-nothing).
    /// </summary>
    public bool Succeeded => Errors.Count == 0 && Records > 0;
}

/// <summary>One field seen in the sampled records, for the field-mapping step.</summary>
/// <param name="Path">The path a template names it by: <c>title</c>, <c>meta.author</c>, <c>paragraphs</c>, <c>turns[0].text</c>.</param>
/// <param name="Type">The JSON type: <c>string</c>, <c>number</c>, <c>boolean</c>, <c>null</c>, <c>object</c>, <c>list&lt;string&gt;</c>, …</param>
/// <param name="Example">The first value seen, shortened to 200 characters.</param>
public sealed record SourceField(string Path, string Type, string Example);

/// <summary>What the field-mapping step's live preview shows about a file.</summary>
/// <param name="Format">The detected (or requested) format.</param>
/// <param name="Encoding">The detected (or requested) encoding.</param>
/// <param name="Shape">The first record's recognised shape; <see langword="null"/> when it has none (a mapping is needed) or no record was read.</param>
/// <param name="Fields">The field paths seen in the sampled records, in order of first appearance.</param>
/// <param name="RawRecords">The sampled records as JSON (a text line becomes <c>{"text": …}</c>, a CSV row an object of its columns).</param>
/// <param name="Records">The sampled records as they would be imported (with the request's mapping, if any).</param>
/// <param name="Errors">The errors in the sample: with a mapping, the per-record mapping errors.</param>
public sealed record SourceInspection(
    SourceFormat Format,
    string Encoding,
    RecordShape? Shape,
    IReadOnlyList<SourceField> Fields,
    IReadOnlyList<string> RawRecords,
    IReadOnlyList<ImportedRecord> Records,
    IReadOnlyList<ImportError> Errors);
