using System.Text;
using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Streaming;

namespace DeepSeek.Portal.Feeding.Tests.Import;

/// <summary>
/// The issue's generated corpus of bad input: every format has malformed cases, and each must give one specific
/// error (file, record or line, field, what was expected) and no records a caller could keep.
/// </summary>
public class BadInputCorpusTests
{
    public sealed record BadInput(string Name, string FileName, byte[] Content, ImportErrorKind Kind, string Error, Func<ImportRequest, ImportRequest>? Configure = null)
    {
        public override string ToString() => Name;
    }

    private static BadInput Case(string name, string fileName, string content, ImportErrorKind kind, string error, Func<ImportRequest, ImportRequest>? configure = null) =>
        new(name, fileName, Encoding.UTF8.GetBytes(content), kind, error, configure);

    private static readonly string Deep = new string('[', 100) + new string(']', 100);

    public static readonly BadInput[] Cases =
    [
        // Truncated records.
        Case("jsonl-truncated", "data.jsonl", "{\"text\": \"a\"}\n{\"text\": \"cu", ImportErrorKind.TruncatedRecord,
            "data.jsonl, line 2: the line ends before its JSON value does (a truncated record; or pretty-printed JSON, which is not JSON Lines: name the file .json)"),
        Case("json-array-truncated", "data.json", "[{\"text\": \"a\"},\n {\"text\": \"b\"", ImportErrorKind.TruncatedRecord,
            "data.json, record 2 (line 2): the file ends inside this record: expected the rest of the record and the closing ]"),
        Case("json-array-unclosed", "data.json", "[{\"text\": \"a\"},", ImportErrorKind.TruncatedRecord,
            "data.json, record 2 (line 1): the file ends inside this record: expected the rest of the record and the closing ]"),
        Case("csv-unterminated-quote", "data.csv", "text,label\nok,1\n\"never closed,2\n", ImportErrorKind.TruncatedRecord,
            "data.csv, line 3: a quoted field is never closed: the file ends inside it (expected a closing \")"),
        // Malformed syntax.
        Case("json-missing-comma", "data.json", "[{\"text\": \"a\"} {\"text\": \"b\"}]", ImportErrorKind.MalformedJson,
            "data.json, line 1: malformed JSON at byte 16 of the line: '{' is invalid after a value. Expected either ',', '}', or ']'"),
        Case("json-trailing-garbage", "data.json", "[{\"text\": \"a\"}]\nx", ImportErrorKind.MalformedJson,
            "data.json, line 2: malformed JSON at byte 1 of the line: 'x' is invalid after a single JSON value. Expected end of data"),
        Case("csv-stray-quote", "data.csv", "text,label\nab\"c,1\n", ImportErrorKind.MalformedCsv,
            "data.csv, line 2: a quote inside an unquoted field; expected a field quoted throughout (\"…\", inner quotes doubled) or without quotes"),
        // Invalid bytes.
        new("jsonl-binary", "blob.jsonl", [0x80, 0x81, 0x00, 0x7B], ImportErrorKind.InvalidUtf8,
            "blob.jsonl, line 1: not valid UTF-8 at byte 1 of the line (GB18030/GBK files import when that encoding is chosen or detected)"),
        new("txt-bom-mid-file", "a.txt", [.. "one\n\ntwo\n"u8, 0xEF, 0xBB, 0xBF, .. "three\n"u8], ImportErrorKind.MisplacedByteOrderMark,
            "a.txt, line 4: a byte-order mark (U+FEFF) at byte 1 of the line, after the start of the file; files were probably joined — remove it"),
        new("csv-bom-mid-file", "a.csv", [.. "text\nx\n"u8, 0xEF, 0xBB, 0xBF, .. "text\ny\n"u8], ImportErrorKind.MisplacedByteOrderMark,
            "a.csv, line 3: a byte-order mark (U+FEFF) at byte 1 of the line, after the start of the file; files were probably joined — remove it"),
        // The element cut off where decoding stopped is an echo of the bad line, not a truncated record of its own.
        new("json-array-invalid-utf8", "a.json", [.. "[{\"text\": \"a\"},\n{\"text\": \""u8, 0xC3, 0x28, .. "\"}]"u8], ImportErrorKind.InvalidUtf8,
            "a.json, line 2: not valid UTF-8 at byte 11 of the line (GB18030/GBK files import when that encoding is chosen or detected)"),
        new("json-array-bom-mid-file", "a.json", [.. "[{\"text\": \"a\"},\n"u8, 0xEF, 0xBB, 0xBF, .. "{\"text\": \"b\"}]"u8], ImportErrorKind.MisplacedByteOrderMark,
            "a.json, line 2: a byte-order mark (U+FEFF) at byte 1 of the line, after the start of the file; files were probably joined — remove it"),
        new("utf32", "u32.jsonl", [0xFF, 0xFE, 0x00, 0x00, .. Encoding.UTF32.GetBytes("{\"text\": \"x\"}")], ImportErrorKind.UnsupportedEncoding,
            "u32.jsonl: the file is UTF-32 (it starts with a UTF-32 byte-order mark); save it as UTF-8 or UTF-16"),
        // Wrong or missing columns.
        Case("csv-too-many-columns", "data.csv", "text,label\na,1\nb,2,extra\n", ImportErrorKind.WrongColumnCount,
            "data.csv, line 3: expected 2 columns (text, label) as in the header row but found 3"),
        Case("tsv-too-few-columns", "data.tsv", "prompt\tresponse\nq\ta\nonly one\n", ImportErrorKind.WrongColumnCount,
            "data.tsv, line 3: expected 2 columns (prompt, response) as in the header row but found 1"),
        Case("csv-unknown-columns", "data.csv", "body,label\nx,1\n", ImportErrorKind.NeedsMapping,
            "data.csv, line 2: no known record shape in the fields body, label; expected one of: text or content, instruction+output (alpaca), prompt+completion, prompt+response, question+answer, conversations or messages; or give a field mapping (for example {body})"),
        Case("csv-empty-header-cell", "data.csv", "text,,label\na,b,c\n", ImportErrorKind.MissingField,
            "data.csv, line 1: the header row has no name for column 2; expected a name in every header cell"),
        Case("csv-duplicate-header", "data.csv", "text,Text\na,b\n", ImportErrorKind.DuplicateKey,
            "data.csv, line 1, field \"text\": the header row names the column \"text\" twice"),
        Case("csv-missing-half", "data.csv", "instruction,input\ndo it,now\n", ImportErrorKind.MissingField,
            "data.csv, line 2, field \"output\": missing; alpaca records need both instruction and output"),
        Case("csv-mapping-missing-column", "data.csv", "body\nx\n", ImportErrorKind.MissingField,
            "data.csv, line 2, field \"title\": the mapping names this field but the record has no such field",
            r => r with { Mapping = new FieldMapping { Template = "{title}: {body}" } }),
        Case("json-mapping-missing-field", "poems.json", "[{\"title\": \"a\", \"paragraphs\": [\"x\"]},\n {\"title\": \"b\"}]", ImportErrorKind.MissingField,
            "poems.json, record 2 (line 2), field \"paragraphs\": the mapping names this field but the record has no such field",
            r => r with { Mapping = new FieldMapping { Template = "{title}\n{paragraphs}" } }),
        Case("json-object-without-array", "data.json", "{\n  \"name\": \"x\",\n  \"count\": 2\n}", ImportErrorKind.MissingField,
            "data.json: the top-level object holds no array of records; expected an array, or an object with an array-valued property"),
        Case("json-records-path-missing", "data.json", "{\"data\": [{\"text\": \"a\"}]}", ImportErrorKind.MissingField,
            "data.json, field \"rows\": the top-level object has no array at this path (the mapping's recordsPath)",
            r => r with { Mapping = new FieldMapping { Template = "{text}", RecordsPath = "rows" } }),
        Case("json-scalar", "data.json", "42", ImportErrorKind.NotAnObject,
            "data.json, line 1: expected a JSON array of records, or an object holding one, but the file holds a single value"),
        // Deeply nested JSON and huge numbers.
        Case("jsonl-deep", "data.jsonl", "{\"text\": " + Deep + "}", ImportErrorKind.NestingTooDeep,
            "data.jsonl, line 1: JSON nested deeper than 64 levels in the line; flatten the record"),
        Case("json-array-deep", "data.json", "[{\"text\": \"ok\"},\n{\"text\": " + Deep + "}]", ImportErrorKind.NestingTooDeep,
            "data.json, record 2 (line 2): JSON nested deeper than 64 levels in the record; flatten the record"),
        Case("json-array-deep-65", "data.json", "[{\"a\": " + new string('[', 64) + new string(']', 64) + "}]", ImportErrorKind.NestingTooDeep,
            "data.json, record 1 (line 1): JSON nested deeper than 64 levels in the record; flatten the record"),
        Case("huge-number-as-text", "data.jsonl", "{\"text\": 1e999999}", ImportErrorKind.WrongType,
            "data.jsonl, line 1, field \"text\": expected a string but found a number"),
        // Empty files, per format.
        Case("empty-jsonl", "e.jsonl", "", ImportErrorKind.NoRecords, "e.jsonl: the file contains no records"),
        Case("empty-json", "e.json", "  \n", ImportErrorKind.NoRecords, "e.json: the file contains no records"),
        Case("empty-json-array", "e.json", "[]", ImportErrorKind.NoRecords, "e.json: the file contains no records"),
        Case("empty-csv", "e.csv", "", ImportErrorKind.NoRecords, "e.csv: the file contains no records"),
        Case("header-only-csv", "e.csv", "text,label\n", ImportErrorKind.NoRecords, "e.csv: the file contains no records"),
        Case("empty-txt", "e.txt", "\n \n", ImportErrorKind.NoRecords, "e.txt: the file contains no records"),
        Case("empty-parquet", "e.parquet", "", ImportErrorKind.NoRecords, "e.parquet: the file is empty; expected a Parquet file"),
        Case("not-parquet", "x.parquet", "text\nhello\n", ImportErrorKind.UnreadableFile, "x.parquet: not a Parquet file: it does not start with the Parquet signature PAR1"),
        // Text that is not acceptable.
        Case("txt-control", "c.txt", "fine\nbad \u0007 bell\n", ImportErrorKind.ControlCharacter, "c.txt, line 2: contains the control character U+0007 at column 5"),
        Case("json-duplicate-key", "d.json", "[{\"text\": \"a\", \"text\": \"b\"}]", ImportErrorKind.DuplicateKey,
            "d.json, record 1 (line 1), field \"text\": the key \"text\" appears more than once in the same object"),
        Case("json-empty-text", "d.json", "[{\"text\": \"  \"}]", ImportErrorKind.EmptyText, "d.json, record 1 (line 1), field \"text\": the text is empty after trimming whitespace"),
        Case("jsonl-surrogate-key", "k.jsonl", "{\"\\ud800\": \"x\"}", ImportErrorKind.WrongType,
            "k.jsonl, line 1: a key or string contains an unpaired \\u surrogate escape, which is not text"),
        Case("json-surrogate-property", "k.json", "{\"\\ud800\": [{\"text\": \"a\"}]}", ImportErrorKind.MalformedJson,
            "k.json, line 1: a property name contains an unpaired \\u surrogate escape, which is not text"),
        Case("unknown-role", "c.jsonl", "{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", ImportErrorKind.UnknownRole,
            "c.jsonl, line 1, field \"messages[0].role\": unknown role \"robot\"; accepted roles are system, developer, user, assistant, tool, human, gpt"),
        // Records over the memory bound (the 100 MB line is in StreamingMemoryTests).
        Case("txt-paragraph-too-large", "p.txt", "short\n\n" + string.Concat(Enumerable.Repeat("a long line of the same paragraph\n", 40)), ImportErrorKind.RecordTooLarge,
            "p.txt, line 3: the paragraph is larger than the 1 KB record limit; reading stopped there (separate paragraphs with a blank line, or import a record per line)",
            r => r with { Limits = new ImportLimits { MaxRecordBytes = 1024 } }),
        Case("json-element-too-large", "big.json", "[{\"text\": \"ok\"},\n{\"text\": \"" + new string('x', 2000) + "\"}]", ImportErrorKind.RecordTooLarge,
            "big.json, record 2 (line 2): the record is larger than the 1 KB record limit; reading stopped there",
            r => r with { Limits = new ImportLimits { MaxRecordBytes = 1024 } }),
        Case("csv-row-too-large", "big.csv", "text\n\"" + new string('x', 300_000) + "\"\n", ImportErrorKind.RecordTooLarge,
            "big.csv, line 2: the row is larger than the 1 KB record limit; reading stopped there (is a quote left open?)",
            r => r with { Limits = new ImportLimits { MaxRecordBytes = 1024 } }),
        Case("file-too-large", "big.jsonl", string.Concat(Enumerable.Repeat("{\"text\": \"a\"}\n", 100)), ImportErrorKind.FileTooLarge,
            "big.jsonl: file is larger than the 100 bytes limit", r => r with { Limits = new ImportLimits { MaxBytes = 100 } }),
    ];

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases)
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Bad_input_gives_one_specific_error(string name)
    {
        var input = Cases.Single(c => c.Name == name);

        var outcome = await ImportAsync(input.Content, input.FileName, input.Configure, bytesPerRead: 1000);

        Assert.False(outcome.Summary.Succeeded);
        var error = Assert.Single(outcome.Summary.Errors);
        Assert.Equal((input.Kind, input.Error), (error.Kind, error.ToString()));
    }

    [Fact]
    public void The_corpus_covers_every_format_and_is_distinct()
    {
        Assert.Equal(Cases.Length, Cases.Select(c => c.Name).Distinct().Count());
        Assert.All(new[] { ".jsonl", ".json", ".csv", ".tsv", ".txt", ".parquet" }, ext => Assert.Contains(Cases, c => c.FileName.EndsWith(ext, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_corrupt_parquet_file_is_an_unreadable_file_error_not_an_exception()
    {
        var bytes = "PAR1"u8.ToArray().Concat(Enumerable.Range(0, 200).Select(i => (byte)(i * 31))).Concat("PAR1"u8.ToArray()).ToArray();

        var error = (await ImportAsync(bytes, "broken.parquet")).SingleError();

        Assert.Equal(ImportErrorKind.UnreadableFile, error.Kind);
        Assert.StartsWith("broken.parquet: not a readable Parquet file: ", error.ToString());
    }

    [Fact]
    public async Task A_huge_number_named_by_a_mapping_keeps_its_text_exactly()
    {
        var digits = "9" + new string('0', 400);

        var outcome = await ImportAsync($"[{{\"n\": {digits}, \"x\": -0.000000000000000000001e-300}}]", "n.json", r => r with { Mapping = new FieldMapping { Template = "{n} {x}" } });

        Assert.Equal($"{digits} -0.000000000000000000001e-300", Assert.Single(outcome.Records).Text);
    }

    [Fact]
    public async Task Errors_stop_at_the_cap_with_a_notice()
    {
        var content = string.Join("\n", Enumerable.Range(1, 30).Select(_ => "{\"text\": 1}"));

        var outcome = await ImportAsync(content, "many.jsonl");

        Assert.Equal(21, outcome.Summary.Errors.Count);
        Assert.Equal("many.jsonl: … further errors not shown", outcome.Summary.Errors[^1].ToString());
    }
}
