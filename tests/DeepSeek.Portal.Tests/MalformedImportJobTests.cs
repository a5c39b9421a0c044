using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Feeding.Import;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Parquet;
using Parquet.Schema;

namespace DeepSeek.Portal.Tests;

/// <summary>One portal on real Kestrel for the whole corpus (one per case would take minutes).</summary>
public sealed class MalformedImportPortal : IAsyncLifetime
{
    public PortalFactory Portal { get; } = new();
    internal RealHttp Http { get; private set; } = default!;
    public HttpClient Client { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Http = RealHttp.Start(Portal);
        Client = await Http.EngineerAsync();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Portal.DisposeAsync();
    }
}

/// <summary>
/// The issue's generated corpus of bad input on the job path, through real HTTP: staged upload → import request (format,
/// encoding, text split, mapping as the case needs) → the job polled to its end. Every format (JSONL, JSON array, an
/// object holding the array, CSV, TSV, TXT, Parquet), every encoding problem, and the structural ones. Each case is
/// either refused at the request with a 4xx problem whose error names the field, or its job fails with an error that
/// names the file, the line or record (and the field where one is at fault) and says what was expected. Nothing
/// is left: no dataset or version row, no file in datasets/ or temp/, and never a 5xx.
/// </summary>
public sealed class MalformedImportJobTests(MalformedImportPortal fixture) : IClassFixture<MalformedImportPortal>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>What the portal must answer: a refusal of the import request, or a failed job.</summary>
    public abstract record Outcome;

    /// <param name="Status">400, 404, 409 (or 415 for a body that is not JSON).</param>
    /// <param name="Field">The field the first error names (null: the body as a whole).</param>
    /// <param name="Mentions">Words the error's message must contain.</param>
    public sealed record Refused(HttpStatusCode Status, string? Field, string Mentions) : Outcome;

    /// <param name="Kind">The first error's kind.</param>
    /// <param name="Mentions">Words the error's message must contain: what was expected or what is wrong.</param>
    /// <param name="Line">The line it names, when the format has lines and the error is about one.</param>
    /// <param name="Record">The record it names (JSON array elements, Parquet rows).</param>
    /// <param name="Field">The field it names, where one is at fault.</param>
    public sealed record Fails(ImportErrorKind Kind, string Mentions, long? Line = null, long? Record = null, string? Field = null) : Outcome;

    /// <param name="Content">The uploaded file's bytes, made when the case runs (the 100 MB line is generated as it is sent).</param>
    /// <param name="Request">Properties of the import request besides uploadId and name (format, encoding, textSplit, mapping).</param>
    /// <param name="Body">Replaces the import request's body entirely (given the staged upload's id).</param>
    public sealed record BadImport(string Name, string FileName, Func<Task<HttpContent>> Content, Outcome Expected,
        JsonObject? Request = null, Func<string, HttpContent>? Body = null)
    {
        public override string ToString() => Name;
    }

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);
    private static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];
    private static readonly byte[] Gbk = [0xD6, 0xD0, 0xCE, 0xC4]; // 中文 in GBK
    private static byte[] Utf16(string s) => Cat([0xFF, 0xFE], Encoding.Unicode.GetBytes(s));
    private static readonly string Deep = new string('[', 100) + new string(']', 100);
    private const string Ok = "{\"text\": \"fine 好\"}\n";

    /// <summary>More than the 64 KB the encoding is detected from, valid UTF-8, so a later GBK line contradicts the decision.</summary>
    private static readonly string[] LongUtf8Lines = Enumerable.Range(0, 1200).Select(i => $"第{i}行：this line is plain UTF-8 text, 中文和English混排。").ToArray();

    private static Func<Task<HttpContent>> Bytes(byte[] content) => () => Task.FromResult<HttpContent>(new ByteArrayContent(content));
    private static Func<Task<HttpContent>> Bytes(Func<Task<byte[]>> content) => async () => new ByteArrayContent(await content());

    private static BadImport File(string name, string fileName, byte[] content, Outcome expected, JsonObject? request = null) =>
        new(name, fileName, Bytes(content), expected, request);

    private static BadImport Text(string name, string fileName, string content, Outcome expected, JsonObject? request = null) =>
        File(name, fileName, U(content), expected, request);

    private static BadImport Parquet(string name, Func<Task<byte[]>> content, Outcome expected, JsonObject? request = null) =>
        new(name, name + ".parquet", Bytes(content), expected, request);

    /// <summary>A well-formed file with a bad import request.</summary>
    private static BadImport Request(string name, JsonObject request, Outcome expected) =>
        new(name, "ok.jsonl", Bytes(U(Ok)), expected, request);

    private static BadImport RawBody(string name, Func<string, HttpContent> body, Outcome expected) =>
        new(name, "ok.jsonl", Bytes(U(Ok)), expected, Body: body);

    private static JsonObject Mapping(string template, string? recordsPath = null)
    {
        var mapping = new JsonObject { ["template"] = template };
        if (recordsPath is not null)
            mapping["recordsPath"] = recordsPath;
        return new JsonObject { ["mapping"] = mapping };
    }

    private static JsonObject With(string property, JsonNode? value) => new() { [property] = value };

    private static Fails Fail(ImportErrorKind kind, string mentions, long? line = null, long? record = null, string? field = null) => new(kind, mentions, line, record, field);
    private static Refused Refuse(string? field, string mentions, HttpStatusCode status = HttpStatusCode.BadRequest) => new(status, field, mentions);

    private const string NotUtf8 = "not valid UTF-8";
    private const string Mixed = "looks like GB18030/GBK";
    private const string Bom16 = "byte-order mark (U+FEFF)";

    public static readonly BadImport[] Cases =
    [
        // ── JSON Lines ──────────────────────────────────────────────────────────────────────────────────────────
        Text("jsonl-truncated-record", "t.jsonl", Ok + "{\"text\": \"cu", Fail(ImportErrorKind.TruncatedRecord, "the line ends before its JSON value does", line: 2)),
        Text("jsonl-trailing-comma", "t.jsonl", "{\"text\": \"a\",}", Fail(ImportErrorKind.MalformedJson, "malformed JSON", line: 1)),
        Text("jsonl-array-line", "t.jsonl", Ok + "[1, 2]", Fail(ImportErrorKind.NotAnObject, "expected a JSON object", line: 2)),
        Text("jsonl-text-number", "t.jsonl", "{\"text\": 5}", Fail(ImportErrorKind.WrongType, "expected a string but found a number", line: 1, field: "text")),
        Text("jsonl-alpaca-without-output", "t.jsonl", "{\"instruction\": \"x\"}", Fail(ImportErrorKind.MissingField, "need both instruction and output", line: 1, field: "output")),
        Text("jsonl-unknown-shape", "t.jsonl", "{\"body\": \"x\"}", Fail(ImportErrorKind.NeedsMapping, "expected one of", line: 1)),
        Text("jsonl-deeply-nested", "t.jsonl", Ok + "{\"text\": " + Deep + "}", Fail(ImportErrorKind.NestingTooDeep, "nested deeper than 64 levels", line: 2)),
        Text("jsonl-huge-exponent", "t.jsonl", "{\"text\": 1e999999}", Fail(ImportErrorKind.WrongType, "expected a string but found a number", line: 1, field: "text")),
        Text("jsonl-huge-integer", "t.jsonl", "{\"text\": " + new string('9', 500) + "}", Fail(ImportErrorKind.WrongType, "expected a string but found a number", line: 1, field: "text")),
        Text("jsonl-control-character", "t.jsonl", "{\"text\": \"a\\u0007b\"}", Fail(ImportErrorKind.ControlCharacter, "U+0007", line: 1, field: "text")),
        Text("jsonl-empty-text", "t.jsonl", "{\"text\": \"   \"}", Fail(ImportErrorKind.EmptyText, "empty after trimming", line: 1, field: "text")),
        Text("jsonl-duplicate-key", "t.jsonl", Ok + "{\"text\": \"a\", \"text\": \"b\"}", Fail(ImportErrorKind.DuplicateKey, "appears more than once", line: 2, field: "text")),
        Text("jsonl-unknown-role", "t.jsonl", "{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", Fail(ImportErrorKind.UnknownRole, "accepted roles are", line: 1, field: "messages[0].role")),
        Text("jsonl-mapping-missing-field", "t.jsonl", Ok, Fail(ImportErrorKind.MissingField, "the mapping names this field but the record has no such field", line: 1, field: "title"), Mapping("{title}: {text}")),
        Text("jsonl-empty", "t.jsonl", "", Fail(ImportErrorKind.NoRecords, "contains no records")),
        Text("jsonl-blank-lines", "t.jsonl", "\n  \n\t\n", Fail(ImportErrorKind.NoRecords, "contains no records")),
        File("jsonl-invalid-utf8", "t.jsonl", Cat(U(Ok + "{\"text\": \"a"), [0x80, 0xFF], U("\"}\n")), Fail(ImportErrorKind.InvalidUtf8, NotUtf8, line: 2)),
        File("jsonl-mixed-encodings", "t.jsonl", Cat(U(string.Concat(LongUtf8Lines.Select(l => JsonSerializer.Serialize(new { text = l }) + "\n"))), U("{\"text\": \""), Gbk, U("\"}\n")),
            Fail(ImportErrorKind.MixedEncoding, Mixed, line: LongUtf8Lines.Length + 1)),
        File("jsonl-bom-in-the-middle", "t.jsonl", Cat(U(Ok), Bom, U(Ok)), Fail(ImportErrorKind.MisplacedByteOrderMark, Bom16, line: 2)),
        File("jsonl-utf16-odd-length", "t.jsonl", Cat(Utf16(Ok + Ok), [0x41]), Fail(ImportErrorKind.InvalidEncoding, "UTF-16", line: 3)),
        File("jsonl-utf16-lone-surrogate", "t.jsonl", Cat(Utf16(Ok + "{\"text\": \"x"), [0x00, 0xD8], Encoding.Unicode.GetBytes("\"}\n")), Fail(ImportErrorKind.InvalidEncoding, "UTF-16", line: 2)),
        File("jsonl-utf32", "t.jsonl", Cat([0xFF, 0xFE, 0, 0], Encoding.UTF32.GetBytes(Ok)), Fail(ImportErrorKind.UnsupportedEncoding, "UTF-32")),
        File("jsonl-gbk-read-as-chosen-utf8", "t.jsonl", Cat(U("{\"text\": \""), Gbk, U("\"}\n")), Fail(ImportErrorKind.InvalidUtf8, NotUtf8, line: 1), With("encoding", "utf-8")),
        File("jsonl-invalid-gb18030", "t.jsonl", Cat(U("{\"text\": \"ascii\"}\n{\"text\": \""), [0x81, 0x20, 0xFF], U("\"}\n")), Fail(ImportErrorKind.InvalidEncoding, "GB18030", line: 2), With("encoding", "gb18030")),
        File("jsonl-bom-contradicts-chosen-encoding", "t.jsonl", Cat(Bom, U(Ok)), Fail(ImportErrorKind.UnsupportedEncoding, "byte-order mark", field: "encoding"), With("encoding", "utf-16le")),
        Text("jsonl-unknown-encoding-name", "t.jsonl", Ok, Fail(ImportErrorKind.UnsupportedEncoding, "expected utf-8, utf-16le, utf-16be or gb18030", field: "encoding"), With("encoding", "latin-9")),
        new("jsonl-100-mb-single-line", "huge.jsonl", () => Task.FromResult<HttpContent>(new StreamContent(new GeneratedLine(100L << 20))),
            Fail(ImportErrorKind.RecordTooLarge, "longer than the 16 MB record limit", line: 1)),

        // ── JSON array ──────────────────────────────────────────────────────────────────────────────────────────
        Text("json-truncated-record", "a.json", "[{\"text\": \"a\"},\n {\"text\": \"b\"", Fail(ImportErrorKind.TruncatedRecord, "expected the rest of the record and the closing ]", line: 2, record: 2)),
        Text("json-unclosed-array", "a.json", "[{\"text\": \"a\"},", Fail(ImportErrorKind.TruncatedRecord, "expected the rest of the record", line: 1, record: 2)),
        Text("json-missing-comma", "a.json", "[{\"text\": \"a\"} {\"text\": \"b\"}]", Fail(ImportErrorKind.MalformedJson, "Expected either ',', '}', or ']'", line: 1)),
        Text("json-trailing-garbage", "a.json", "[{\"text\": \"a\"}]\nx", Fail(ImportErrorKind.MalformedJson, "Expected end of data", line: 2)),
        Text("json-deeply-nested", "a.json", "[{\"text\": \"ok\"},\n{\"text\": " + Deep + "}]", Fail(ImportErrorKind.NestingTooDeep, "nested deeper than 64 levels", line: 2, record: 2)),
        Text("json-single-value", "a.json", "42", Fail(ImportErrorKind.NotAnObject, "expected a JSON array of records", line: 1)),
        Text("json-empty-array", "a.json", "[]", Fail(ImportErrorKind.NoRecords, "contains no records")),
        Text("json-empty-file", "a.json", "", Fail(ImportErrorKind.NoRecords, "contains no records")),
        Text("json-huge-number", "a.json", "[{\"text\": 1e400}]", Fail(ImportErrorKind.WrongType, "expected a string but found a number", line: 1, record: 1, field: "text")),
        Text("json-duplicate-key", "a.json", "[{\"text\": \"a\", \"text\": \"b\"}]", Fail(ImportErrorKind.DuplicateKey, "appears more than once", line: 1, record: 1, field: "text")),
        Text("json-number-elements", "a.json", "[1, 2]", Fail(ImportErrorKind.NotAnObject, "expected", line: 1, record: 1)),
        Text("json-needs-mapping", "a.json", "[{\"title\": \"静夜思\", \"paragraphs\": [\"床前明月光\"]}]", Fail(ImportErrorKind.NeedsMapping, "give a field mapping", line: 1, record: 1)),
        Text("json-mapping-missing-field", "poems.json", "[{\"title\": \"a\", \"paragraphs\": [\"x\"]},\n {\"title\": \"b\"}]",
            Fail(ImportErrorKind.MissingField, "the mapping names this field but the record has no such field", line: 2, record: 2, field: "paragraphs"), Mapping("{title}\n{paragraphs}")),
        Text("json-mapping-names-an-object", "a.json", "[{\"title\": \"a\", \"meta\": {\"author\": \"x\"}}]", Fail(ImportErrorKind.WrongType, "expected", line: 1, record: 1, field: "meta"), Mapping("{title} {meta}")),
        File("json-invalid-utf8", "a.json", Cat(U("[{\"text\": \"a\"},\n{\"text\": \""), [0xC3, 0x28], U("\"}]")), Fail(ImportErrorKind.InvalidUtf8, NotUtf8, line: 2)),
        File("json-bom-in-the-middle", "a.json", Cat(U("[{\"text\": \"a\"},\n"), Bom, U("{\"text\": \"b\"}]")), Fail(ImportErrorKind.MisplacedByteOrderMark, Bom16, line: 2)),
        File("json-utf16-odd-length", "a.json", Cat(Utf16("[{\"text\": \"a\"}]"), [0x41]), Fail(ImportErrorKind.InvalidEncoding, "UTF-16", line: 1)),

        // ── A top-level object holding the array ────────────────────────────────────────────────────────────────
        Text("object-without-array", "o.json", "{\n  \"name\": \"x\",\n  \"count\": 2\n}", Fail(ImportErrorKind.MissingField, "holds no array of records; expected an array")),
        Text("object-records-path-missing", "o.json", "{\"data\": [{\"text\": \"a\"}]}", Fail(ImportErrorKind.MissingField, "no array at this path", field: "rows"), Mapping("{text}", recordsPath: "rows")),
        Text("object-records-path-not-an-array", "o.json", "{\n  \"data\": {\"text\": \"a\"}\n}", Fail(ImportErrorKind.MissingField, "no array at this path", field: "data"), Mapping("{text}", recordsPath: "data")),
        Text("object-truncated-record", "o.json", "{\"data\": [{\"text\": \"a\"},\n{\"text\": \"b\"", Fail(ImportErrorKind.TruncatedRecord, "the file ends inside this record", line: 2, record: 2)),
        Text("object-deeply-nested", "o.json", "{\"data\": [{\"text\": " + Deep + "}]}", Fail(ImportErrorKind.NestingTooDeep, "nested deeper than 64 levels", line: 1, record: 1)),
        Text("object-wrong-type", "o.json", "{\"data\": [{\"text\": \"a\"}, {\"text\": true}]}", Fail(ImportErrorKind.WrongType, "expected a string but found a boolean", line: 1, record: 2, field: "text")),
        Text("object-empty-array", "o.json", "{\"data\": []}", Fail(ImportErrorKind.NoRecords, "contains no records")),

        // ── CSV ─────────────────────────────────────────────────────────────────────────────────────────────────
        Text("csv-unterminated-quote", "c.csv", "text,label\nok,1\n\"never closed,2\n", Fail(ImportErrorKind.TruncatedRecord, "expected a closing \"", line: 3)),
        Text("csv-stray-quote", "c.csv", "text,label\nab\"c,1\n", Fail(ImportErrorKind.MalformedCsv, "expected a field quoted throughout", line: 2)),
        Text("csv-too-many-columns", "c.csv", "text,label\na,1\nb,2,extra\n", Fail(ImportErrorKind.WrongColumnCount, "expected 2 columns (text, label) as in the header row but found 3", line: 3)),
        Text("csv-unknown-columns", "c.csv", "body,label\nx,1\n", Fail(ImportErrorKind.NeedsMapping, "give a field mapping", line: 2)),
        Text("csv-empty-header-cell", "c.csv", "text,,label\na,b,c\n", Fail(ImportErrorKind.MissingField, "expected a name in every header cell", line: 1)),
        Text("csv-duplicate-header", "c.csv", "text,Text\na,b\n", Fail(ImportErrorKind.DuplicateKey, "names the column \"text\" twice", line: 1, field: "text")),
        Text("csv-missing-output-column", "c.csv", "instruction,input\ndo it,now\n", Fail(ImportErrorKind.MissingField, "need both instruction and output", line: 2, field: "output")),
        Text("csv-mapping-missing-column", "c.csv", "body\nx\n", Fail(ImportErrorKind.MissingField, "the mapping names this field but the record has no such field", line: 2, field: "title"), Mapping("{title}: {body}")),
        Text("csv-empty", "c.csv", "", Fail(ImportErrorKind.NoRecords, "contains no records")),
        Text("csv-header-only", "c.csv", "text,label\n", Fail(ImportErrorKind.NoRecords, "contains no records")),
        Text("csv-control-character", "c.csv", "text\nfine\nbad \u0001 text\n", Fail(ImportErrorKind.ControlCharacter, "U+0001", line: 3, field: "text")),
        File("csv-invalid-utf8", "c.csv", Cat(U("text\nok\nbad "), [0xFE], U("\n")), Fail(ImportErrorKind.InvalidUtf8, NotUtf8, line: 3)),
        File("csv-bom-in-the-middle", "c.csv", Cat(U("text\nx\n"), Bom, U("text\ny\n")), Fail(ImportErrorKind.MisplacedByteOrderMark, Bom16, line: 3)),
        File("csv-mixed-encodings", "c.csv", Cat(U("text\n" + string.Join("\n", LongUtf8Lines.Select(l => l.Replace(",", " ", StringComparison.Ordinal))) + "\n"), Gbk, U("\n")),
            Fail(ImportErrorKind.MixedEncoding, Mixed, line: LongUtf8Lines.Length + 2)),
        File("csv-utf16-odd-length", "c.csv", Cat(Utf16("text\nx\n"), [0x41]), Fail(ImportErrorKind.InvalidEncoding, "UTF-16", line: 3)),
        Text("csv-read-as-json-array", "c.csv", "text\nx\n", Fail(ImportErrorKind.MalformedJson, "malformed JSON", line: 1), With("format", "JsonArray")),

        // ── TSV ─────────────────────────────────────────────────────────────────────────────────────────────────
        Text("tsv-too-few-columns", "t.tsv", "prompt\tresponse\nq\ta\nonly one\n", Fail(ImportErrorKind.WrongColumnCount, "expected 2 columns (prompt, response) as in the header row but found 1", line: 3)),
        Text("tsv-too-many-columns", "t.tsv", "text\nx\ty\n", Fail(ImportErrorKind.WrongColumnCount, "expected 1 columns (text) as in the header row but found 2", line: 2)),
        Text("tsv-unknown-columns", "t.tsv", "title\tbody\na\tb\n", Fail(ImportErrorKind.NeedsMapping, "give a field mapping", line: 2)),
        Text("tsv-empty-text", "t.tsv", "text\tlabel\n  \t1\n", Fail(ImportErrorKind.EmptyText, "empty after trimming", line: 2, field: "text")),
        Text("tsv-empty", "t.tsv", "", Fail(ImportErrorKind.NoRecords, "contains no records")),
        File("tsv-invalid-utf8", "t.tsv", Cat(U("text\tlabel\n中文"), [0xFF], U("\t1\n")), Fail(ImportErrorKind.InvalidUtf8, NotUtf8, line: 2)),
        File("tsv-bom-in-the-middle", "t.tsv", Cat(U("text\na\n"), Bom, U("b\n")), Fail(ImportErrorKind.MisplacedByteOrderMark, Bom16, line: 3)),

        // ── Plain text ──────────────────────────────────────────────────────────────────────────────────────────
        Text("txt-empty", "p.txt", "", Fail(ImportErrorKind.NoRecords, "contains no records")),
        Text("txt-blank", "p.txt", "\n \n\t\n", Fail(ImportErrorKind.NoRecords, "contains no records")),
        Text("txt-control-character", "p.txt", "fine\nbad \u0007 bell\n", Fail(ImportErrorKind.ControlCharacter, "U+0007", line: 2), With("textSplit", "Line")),
        File("txt-invalid-utf8", "p.txt", Cat(U("第一段\n\n"), [0xF0, 0x28, 0x8C, 0x28], U("\n")), Fail(ImportErrorKind.InvalidUtf8, NotUtf8, line: 3)),
        File("txt-bom-in-the-middle", "p.txt", Cat(U("one\n\ntwo\n"), Bom, U("three\n")), Fail(ImportErrorKind.MisplacedByteOrderMark, Bom16, line: 4)),
        File("txt-mixed-encodings", "p.txt", Cat(U(string.Join("\n\n", LongUtf8Lines) + "\n\n"), Gbk, U("\n")), Fail(ImportErrorKind.MixedEncoding, Mixed, line: 2 * LongUtf8Lines.Length + 1)),
        File("txt-utf16-odd-length", "p.txt", Cat(Utf16("one\n\ntwo\n"), [0x41]), Fail(ImportErrorKind.InvalidEncoding, "UTF-16", line: 4)),
        File("txt-utf16be-lone-surrogate", "p.txt", Cat([0xFE, 0xFF], new UnicodeEncoding(true, false).GetBytes("one\n"), [0xDC, 0x00], new UnicodeEncoding(true, false).GetBytes("\n")), Fail(ImportErrorKind.InvalidEncoding, "UTF-16", line: 2)),
        File("txt-invalid-gb18030", "p.txt", Cat(Gbk, U("\n\n"), [0x81, 0x30, 0xFF], U("\n")), Fail(ImportErrorKind.InvalidEncoding, "GB18030", line: 3), With("encoding", "gbk")),

        // ── Parquet ─────────────────────────────────────────────────────────────────────────────────────────────
        File("parquet-empty", "e.parquet", [], Fail(ImportErrorKind.NoRecords, "expected a Parquet file")),
        Text("parquet-not-parquet", "x.parquet", "text\nhello\n", Fail(ImportErrorKind.UnreadableFile, "does not start with the Parquet signature PAR1")),
        File("parquet-corrupt", "x.parquet", Cat(U("PAR1"), Enumerable.Range(0, 200).Select(i => (byte)(i * 31)).ToArray(), U("PAR1")), Fail(ImportErrorKind.UnreadableFile, "not a readable Parquet file")),
        Parquet("parquet-truncated", async () => (await ParquetTextAsync(["one", "two", "three"]))[..^30], Fail(ImportErrorKind.UnreadableFile, "Parquet")),
        Parquet("parquet-needs-mapping", () => ParquetPoemsAsync(), Fail(ImportErrorKind.NeedsMapping, "give a field mapping", record: 1)),
        Parquet("parquet-mapping-missing-column", () => ParquetPoemsAsync(), Fail(ImportErrorKind.MissingField, "the mapping names this field but the record has no such field", record: 1, field: "author"), Mapping("{title}\n{author}")),
        Parquet("parquet-empty-text", () => ParquetTextAsync(["fine", "  "]), Fail(ImportErrorKind.EmptyText, "empty after trimming", record: 2, field: "text")),
        Parquet("parquet-control-character", () => ParquetTextAsync(["bad \u0002 text"]), Fail(ImportErrorKind.ControlCharacter, "U+0002", record: 1, field: "text")),
        Text("jsonl-read-as-parquet", "t.jsonl", Ok, Fail(ImportErrorKind.UnreadableFile, "PAR1"), With("format", "Parquet")),

        // ── The import request ──────────────────────────────────────────────────────────────────────────────────
        Request("unknown-format-name", With("format", "Excel"), Refuse("format", "unknown value \"Excel\"; expected one of Jsonl, JsonArray, Csv, Tsv, Text, Parquet")),
        Request("format-as-number", With("format", 99), Refuse("format", "expected a name but found 99")),
        Request("format-as-numeric-string", With("format", "3"), Refuse("format", "unknown value \"3\"")),
        Request("format-huge-number", new JsonObject { ["format"] = JsonNode.Parse("1e400") }, Refuse("format", "expected a name")),
        Request("unknown-text-split", With("textSplit", "Sentence"), Refuse("textSplit", "expected one of Line, Paragraph")),
        Request("encoding-as-number", With("encoding", 65001), Refuse("encoding", "wrong type")),
        Request("name-as-array", With("name", new JsonArray(1, 2)), Refuse("name", "wrong type")),
        Request("mapping-unclosed-brace", Mapping("{title"), Refuse("mapping.template", "unclosed \"{\"")),
        Request("mapping-unmatched-brace", Mapping("{title}}"), Refuse("mapping.template", "unmatched \"}\"")),
        Request("mapping-without-placeholders", Mapping("just text"), Refuse("mapping.template", "names no field")),
        Request("mapping-empty-placeholder", Mapping("{} and {title}"), Refuse("mapping.template", "an empty field name")),
        Request("mapping-bad-records-path", Mapping("{text}", recordsPath: "data..items"), Refuse("mapping.recordsPath", "has an empty segment")),
        Request("mapping-bad-prompt-template", new JsonObject { ["mapping"] = new JsonObject { ["template"] = "{text}", ["promptTemplate"] = "{q" } }, Refuse("mapping.promptTemplate", "unclosed")),
        Request("mapping-without-template", With("mapping", new JsonObject { ["listSeparator"] = " " }), Refuse("mapping", "template")),
        Request("mapping-as-string", With("mapping", "{title}"), Refuse("mapping", "wrong type")),
        Request("name-too-long", With("name", new string('名', 201)), Refuse("name", "201 characters long; the limit is 200")),
        Request("name-with-control-character", With("name", "bad\u0001name"), Refuse("name", "control character")),
        RawBody("unknown-upload-id", _ => JsonContent.Create(new { uploadId = new string('0', 32), name = "x" }), Refuse("uploadId", "no staged upload has this id", HttpStatusCode.NotFound)),
        RawBody("missing-upload-id", _ => JsonContent.Create(new { name = "x" }), Refuse("uploadId", "no staged upload has this id", HttpStatusCode.NotFound)),
        RawBody("body-not-json", _ => new StringContent("uploadId=x", Encoding.UTF8, "application/json"), Refuse(null, "the body is not valid JSON")),
        RawBody("body-truncated-json", id => new StringContent($"{{\"uploadId\": \"{id}\", \"format\": \"Js", Encoding.UTF8, "application/json"), Refuse(null, "the body is not valid JSON")),
        RawBody("body-an-array", id => new StringContent($"[\"{id}\"]", Encoding.UTF8, "application/json"), Refuse(null, "expected a JSON object")),
        RawBody("body-not-json-content-type", id => new StringContent($"{{\"uploadId\": \"{id}\"}}", Encoding.UTF8, "text/plain"), Refuse(null, "expected Content-Type application/json", HttpStatusCode.UnsupportedMediaType)),
    ];

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases)
            data.Add(c.Name);
        return data;
    }

    [Fact]
    public void The_corpus_holds_at_least_60_distinct_cases_across_every_format()
    {
        Assert.True(Cases.Length >= 60, $"{Cases.Length} cases");
        Assert.Equal(Cases.Length, Cases.Select(c => c.Name).Distinct().Count());
        Assert.All(new[] { "jsonl-", "json-", "object-", "csv-", "tsv-", "txt-", "parquet-" }, prefix => Assert.True(Cases.Count(c => c.Name.StartsWith(prefix, StringComparison.Ordinal)) >= 5, prefix));
    }

    [Fact]
    public async Task The_import_request_body_is_still_described_for_OpenAPI()
    {
        using var doc = JsonDocument.Parse(await fixture.Client.GetStringAsync("openapi/v1.json"));
        var body = doc.RootElement.GetProperty("paths").GetProperty("/api/datasets/imports").GetProperty("post").GetProperty("requestBody");
        Assert.True(body.GetProperty("content").TryGetProperty("application/json", out _), body.ToString());
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task A_malformed_import_is_refused_or_fails_specifically_and_leaves_nothing(string name)
    {
        var input = Cases.Single(c => c.Name == name);
        var client = fixture.Client;
        var before = await SnapshotAsync();

        using var form = new MultipartFormDataContent();
        var file = await input.Content();
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", input.FileName);
        using var staging = await client.PostAsync("api/datasets/uploads", form);
        Assert.True(staging.StatusCode == HttpStatusCode.Created, $"{name}: staging answered {(int)staging.StatusCode} {await staging.Content.ReadAsStringAsync()}");
        var staged = (await staging.Content.ReadFromJsonAsync<StagedUploadView>(Json))!;

        var request = new JsonObject { ["uploadId"] = staged.Id, ["name"] = name };
        foreach (var (key, value) in input.Request ?? [])
            request[key] = value?.DeepClone();
        using var start = await client.PostAsync("api/datasets/imports", input.Body?.Invoke(staged.Id) ?? new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));
        var startBody = await start.Content.ReadAsStringAsync();
        Assert.True((int)start.StatusCode < 500, $"{name}: {(int)start.StatusCode} {startBody}");

        switch (input.Expected)
        {
            case Refused refused:
                Assert.True(refused.Status == start.StatusCode, $"{name}: expected {(int)refused.Status} but got {(int)start.StatusCode} {startBody}");
                Assert.Equal("application/problem+json", start.Content.Headers.ContentType?.MediaType);
                var first = JsonDocument.Parse(startBody).RootElement.GetProperty("errors")[0];
                var error = first.Deserialize<ImportError>(Json)!;
                Assert.True(refused.Field == error.Field, $"{name}: expected field {refused.Field ?? "(none)"}: {error}");
                Assert.True(error.Message.Contains(refused.Mentions, StringComparison.Ordinal), $"{name}: expected \"{refused.Mentions}\" in: {error}");
                break;
            case Fails fails:
                Assert.True(start.StatusCode == HttpStatusCode.Accepted, $"{name}: the import was not queued: {(int)start.StatusCode} {startBody}");
                var job = await WaitAsync(client, JsonSerializer.Deserialize<DataJobView>(startBody, Json)!.Id, name);
                Assert.True(job.Status == DataJobStatus.Failed, $"{name}: the job ended {job.Status}");
                Assert.NotEmpty(job.Errors);
                var e = job.Errors[0];
                var all = string.Join(" | ", job.Errors);
                Assert.True(fails.Kind == e.Kind, $"{name}: expected {fails.Kind}, got {e.Kind}: {all}");
                Assert.True(e.FileName == input.FileName, $"{name}: the error names {e.FileName}: {all}");
                Assert.True(fails.Line == e.Line, $"{name}: expected line {fails.Line?.ToString() ?? "(none)"}: {all}");
                Assert.True(fails.Record == e.Record, $"{name}: expected record {fails.Record?.ToString() ?? "(none)"}: {all}");
                Assert.True(fails.Field == e.Field, $"{name}: expected field {fails.Field ?? "(none)"}: {all}");
                Assert.True(e.Message.Contains(fails.Mentions, StringComparison.Ordinal), $"{name}: expected \"{fails.Mentions}\" in: {all}");
                break;
        }

        // Compared with what was there before, so one case that wrongly succeeds does not fail every later one.
        var after = await SnapshotAsync();
        Assert.Equal(before.Datasets, after.Datasets);
        Assert.Equal(before.Versions, after.Versions);
        Assert.Equal(before.DatasetFiles, after.DatasetFiles);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!after.TempFiles.SequenceEqual(before.TempFiles) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            after = await SnapshotAsync();
        }
        Assert.Equal(before.TempFiles, after.TempFiles);
    }

    private sealed record Snapshot(string[] Datasets, int[] Versions, string[] DatasetFiles, string[] TempFiles);

    private async Task<Snapshot> SnapshotAsync()
    {
        await using var scope = fixture.Portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        return new Snapshot(
            await db.Datasets.AsNoTracking().OrderBy(d => d.Id).Select(d => d.Name).ToArrayAsync(),
            await db.DatasetVersions.AsNoTracking().OrderBy(v => v.Id).Select(v => v.Id).ToArrayAsync(),
            [.. fixture.Http.DatasetFiles().Order()],
            [.. fixture.Http.TempFiles().Order()]);
    }

    private static async Task<DataJobView> WaitAsync(HttpClient client, int jobId, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            using var response = await client.GetAsync($"api/datasets/jobs/{jobId}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: job {jobId} answered {(int)response.StatusCode}");
            var job = (await response.Content.ReadFromJsonAsync<DataJobView>(Json))!;
            if (!job.IsActive)
                return job;
            Assert.True(DateTime.UtcNow < deadline, $"{name}: data job {jobId} still {job.Status} after 120 s");
            await Task.Delay(50);
        }
    }

    private static async Task<byte[]> ParquetTextAsync(string[] texts)
    {
        var text = new DataField<string>("text");
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(text), stream))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(text, texts);
        }
        return stream.ToArray();
    }

    private static async Task<byte[]> ParquetPoemsAsync()
    {
        var title = new DataField<string>("title");
        var year = new DataField<int>("year");
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(title, year), stream))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(title, ["静夜思", "春晓"]);
            await group.WriteAsync<int>(year, new[] { 701, 689 }.AsMemory());
        }
        return stream.ToArray();
    }

    /// <summary>
    /// A JSONL file of one line of <paramref name="length"/> bytes (<c>{"text": "xxx…"}</c>), produced as it is read so
    /// the test never holds it.
    /// </summary>
    private sealed class GeneratedLine(long length) : Stream
    {
        private static readonly byte[] Head = "{\"text\": \""u8.ToArray();
        private static readonly byte[] Tail = "\"}\n"u8.ToArray();
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            for (var i = 0; i < n; i++)
            {
                var at = _position + i;
                buffer[i] = at < Head.Length ? Head[at] : at >= length - Tail.Length ? Tail[at - (length - Tail.Length)] : (byte)'x';
            }
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
