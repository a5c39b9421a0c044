using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Tests;

/// <summary>One portal on real Kestrel for the whole table of bad inputs (starting one per case would take minutes).</summary>
public sealed class MalformedUploadPortal : IAsyncLifetime
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
/// More than 60 malformed uploads — bodies and files — through real HTTP. Each must be answered with a 4xx problem
/// whose first error has the expected kind and says where (file, line, field where they apply) and what is wrong,
/// and must leave nothing behind: no dataset row, no file in datasets/ or temp/.
/// </summary>
public sealed class MalformedUploadTests(MalformedUploadPortal fixture) : IClassFixture<MalformedUploadPortal>
{
    private const string Boundary = "bad-input-boundary";
    private const string MultipartType = "multipart/form-data; boundary=" + Boundary;
    private const string RequestBody = "request body";
    private const int Limit = 65536; // PortalFactory's upload limit

    /// <param name="Where">The error's file name (the uploaded file, or "request body").</param>
    /// <param name="Mentions">Words the detail must contain: what is wrong.</param>
    public sealed record BadInput(string Name, Func<HttpContent> Content, HttpStatusCode Status, ImportErrorKind Kind, string Where, string Mentions, int? Line = null, string? Field = null);

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);
    private static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
    private static readonly byte[] Gbk = [0xD6, 0xD0, 0xCE, 0xC4];
    private static byte[] Utf16(string s) => Cat([0xFF, 0xFE], Encoding.Unicode.GetBytes(s));

    private static HttpContent Raw(byte[] body, string? contentType, params (string Name, string Value)[] headers)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        foreach (var (name, value) in headers)
            content.Headers.TryAddWithoutValidation(name, value);
        return content;
    }

    private static HttpContent Parts(params (string Headers, byte[] Body)[] parts) => Raw(RealHttp.Multipart(Boundary, parts), MultipartType);

    /// <summary>A well-formed upload of a bad file.</summary>
    private static BadInput File(string name, string fileName, byte[] content, ImportErrorKind kind, string mentions, int? line = null, string? field = null,
        HttpStatusCode status = HttpStatusCode.BadRequest) =>
        new(name, () => Parts(RealHttp.FilePart(fileName, content)), status, kind, fileName, mentions, line, field);

    private static BadInput Jsonl(string name, string content, ImportErrorKind kind, string mentions, int? line = null, string? field = null) =>
        File(name, name + ".jsonl", U(content), kind, mentions, line, field);

    private static BadInput Request(string name, Func<HttpContent> content, string mentions, string? field = null,
        HttpStatusCode status = HttpStatusCode.BadRequest, ImportErrorKind kind = ImportErrorKind.InvalidUpload) =>
        new(name, content, status, kind, RequestBody, mentions, null, field);

    private static readonly string Ok = "{\"text\": \"fine\"}\n";

    private static readonly BadInput[] Cases =
    [
        // Empty and blank files.
        File("empty-jsonl", "empty.jsonl", [], ImportErrorKind.NoRecords, "no records"),
        File("empty-txt", "empty.txt", [], ImportErrorKind.NoRecords, "no records"),
        Jsonl("blank-lines", "\n\n  \n\t\n", ImportErrorKind.NoRecords, "no records"),
        File("blank-txt", "blank.txt", U("   \n\n \t \n"), ImportErrorKind.NoRecords, "no records"),
        File("only-bom", "bom.jsonl", [0xEF, 0xBB, 0xBF], ImportErrorKind.NoRecords, "no records"),
        // Truncated and malformed JSON.
        Jsonl("truncated-object", "{\"text\": \"abc", ImportErrorKind.MalformedJson, "malformed JSON", line: 1),
        Jsonl("truncated-last-line", Ok + Ok + "{\"text\": \"cut", ImportErrorKind.MalformedJson, "malformed JSON", line: 3),
        Jsonl("truncated-escape", "{\"text\": \"a\\", ImportErrorKind.MalformedJson, "malformed JSON", line: 1),
        Jsonl("trailing-comma", "{\"text\": \"a\",}", ImportErrorKind.MalformedJson, "malformed JSON", line: 1),
        Jsonl("comment", Ok + "// a comment\n", ImportErrorKind.MalformedJson, "malformed JSON", line: 2),
        Jsonl("single-quotes", "{'text': 'a'}", ImportErrorKind.MalformedJson, "malformed JSON", line: 1),
        Jsonl("nan", "{\"text\": NaN}", ImportErrorKind.MalformedJson, "malformed JSON", line: 1),
        Jsonl("two-objects-one-line", "{\"text\": \"a\"} {\"text\": \"b\"}", ImportErrorKind.MalformedJson, "malformed JSON", line: 1),
        Jsonl("deep-nesting", "{\"text\": " + new string('[', 100) + new string(']', 100) + "}", ImportErrorKind.MalformedJson, "malformed JSON", line: 1),
        Jsonl("pretty-printed", "{\n  \"text\": \"a\"\n}\n", ImportErrorKind.MalformedJson, "malformed JSON", line: 1),
        // Wrong shapes and types.
        Jsonl("array-line", "[1, 2, 3]", ImportErrorKind.NotAnObject, "expected a JSON object but found an array", line: 1),
        Jsonl("string-line", "\"just text\"", ImportErrorKind.NotAnObject, "found a string", line: 1),
        Jsonl("number-line", Ok + "42\n", ImportErrorKind.NotAnObject, "found a number", line: 2),
        Jsonl("null-line", "null", ImportErrorKind.NotAnObject, "found null", line: 1),
        Jsonl("empty-object", "{}", ImportErrorKind.MissingField, "expected one of", line: 1),
        Jsonl("text-number", "{\"text\": 123}", ImportErrorKind.WrongType, "expected a string but found a number", line: 1, field: "text"),
        Jsonl("text-null", "{\"text\": null}", ImportErrorKind.WrongType, "found null", line: 1, field: "text"),
        Jsonl("text-array", "{\"text\": [\"a\"]}", ImportErrorKind.WrongType, "found an array", line: 1, field: "text"),
        Jsonl("text-object", "{\"text\": {\"a\": 1}}", ImportErrorKind.WrongType, "found an object", line: 1, field: "text"),
        Jsonl("text-bool", Ok + Ok + "{\"text\": true}", ImportErrorKind.WrongType, "found a boolean", line: 3, field: "text"),
        Jsonl("alpaca-no-output", "{\"instruction\": \"x\"}", ImportErrorKind.MissingField, "need both instruction and output", line: 1, field: "output"),
        Jsonl("alpaca-output-number", "{\"instruction\": \"x\", \"output\": 5}", ImportErrorKind.WrongType, "found a number", line: 1, field: "output"),
        Jsonl("prompt-no-completion", "{\"prompt\": \"x\"}", ImportErrorKind.MissingField, "need both prompt and completion", line: 1, field: "completion"),
        Jsonl("conversations-string", "{\"conversations\": \"x\"}", ImportErrorKind.WrongType, "expected an array", line: 1, field: "conversations"),
        Jsonl("conversations-empty", "{\"conversations\": []}", ImportErrorKind.EmptyText, "no turns", line: 1, field: "conversations"),
        Jsonl("conversation-turn-number", "{\"conversations\": [1]}", ImportErrorKind.WrongType, "expected an object", line: 1, field: "conversations[0]"),
        Jsonl("conversation-no-value", "{\"conversations\": [{\"from\": \"human\"}]}", ImportErrorKind.MissingField, "\"value\" or \"content\"", line: 1, field: "conversations[0]"),
        Jsonl("conversation-role-number", "{\"messages\": [{\"role\": 1, \"content\": \"x\"}]}", ImportErrorKind.WrongType, "found a number", line: 1, field: "messages[0].role"),
        Jsonl("unknown-role", "{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", ImportErrorKind.UnknownRole, "accepted roles are system, developer, user, assistant, tool, human, gpt", line: 1, field: "messages[0].role"),
        Jsonl("duplicate-key", Ok + "{\"text\": \"a\", \"text\": \"b\"}", ImportErrorKind.DuplicateKey, "the key \"text\" appears more than once", line: 2, field: "text"),
        Jsonl("nested-duplicate-key", "{\"messages\": [{\"role\": \"user\", \"role\": \"assistant\", \"content\": \"x\"}]}", ImportErrorKind.DuplicateKey, "\"role\" appears more than once", line: 1, field: "messages[0].role"),
        // Text that is not acceptable.
        Jsonl("whitespace-text", "{\"text\": \"   \"}", ImportErrorKind.EmptyText, "empty after trimming", line: 1, field: "text"),
        Jsonl("nul-escape", "{\"text\": \"a\\u0000b\"}", ImportErrorKind.ControlCharacter, "U+0000 (NUL)", line: 1, field: "text"),
        Jsonl("escape-char", "{\"text\": \"a\\u001Bb\"}", ImportErrorKind.ControlCharacter, "U+001B (ESC)", line: 1, field: "text"),
        Jsonl("lone-surrogate-escape", "{\"text\": \"a\\ud800b\"}", ImportErrorKind.WrongType, "unpaired", line: 1, field: "text"),
        File("txt-control", "control.txt", U("ok\nbad \u0007 bell\n"), ImportErrorKind.ControlCharacter, "U+0007", line: 2),
        Jsonl("many-errors", string.Concat(Enumerable.Repeat("{\"text\": 1}\n", 30)), ImportErrorKind.WrongType, "further errors not shown", line: 1, field: "text"),
        // Binary and wrong encodings.
        File("binary-jsonl", "blob.jsonl", Enumerable.Range(0, 512).Select(i => (byte)(i * 37 % 256)).ToArray(), ImportErrorKind.InvalidUtf8, "not valid UTF-8", line: 1),
        File("png-as-txt", "image.txt", Cat([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], new byte[64]), ImportErrorKind.InvalidUtf8, "not valid UTF-8", line: 1),
        File("nul-bytes-txt", "nul.txt", Cat(U("ab"), [0, 0, 0], U("cd\n")), ImportErrorKind.ControlCharacter, "U+0000 (NUL)", line: 1),
        File("gbk-jsonl", "gbk.jsonl", Cat(U(Ok + "{\"text\": \""), Gbk, U("\"}\n")), ImportErrorKind.InvalidUtf8, "GB18030/GBK", line: 2),
        File("gbk-txt", "gbk.txt", Cat(U("第一段\n\n"), Gbk, U("\n")), ImportErrorKind.InvalidUtf8, "GB18030/GBK", line: 3),
        File("cesu-surrogate", "cesu.jsonl", Cat(U("{\"text\": \"a"), [0xED, 0xA0, 0x80], U("\"}")), ImportErrorKind.InvalidUtf8, "not valid UTF-8", line: 1),
        File("cut-multibyte", "cut.txt", Cat(U("中"), [0xE4, 0xB8]), ImportErrorKind.InvalidUtf8, "not valid UTF-8", line: 1),
        File("utf32-le-bom", "u32.jsonl", Cat([0xFF, 0xFE, 0, 0], Encoding.UTF32.GetBytes(Ok)), ImportErrorKind.UnsupportedEncoding, "UTF-32"),
        File("utf32-be-bom", "u32be.txt", Cat([0, 0, 0xFE, 0xFF], new UTF32Encoding(true, false).GetBytes("text")), ImportErrorKind.UnsupportedEncoding, "UTF-32"),
        File("utf16-lone-surrogate", "u16.jsonl", Cat(Utf16(Ok + "{\"text\": \"x"), [0x00, 0xD8], Encoding.Unicode.GetBytes("\"}\n")), ImportErrorKind.InvalidUtf8, "not valid UTF-16", line: 2),
        File("utf16-odd-length", "odd.jsonl", Cat(Utf16(Ok), [0x41]), ImportErrorKind.InvalidUtf8, "not valid UTF-16", line: 2),
        File("utf16-without-bom", "nobom.jsonl", Encoding.Unicode.GetBytes(Ok), ImportErrorKind.MalformedJson, "malformed JSON", line: 1),
        File("double-bom", "bom2.jsonl", Cat([0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF], U(Ok)), ImportErrorKind.MalformedJson, "malformed JSON", line: 1),
        File("bom-mid-file", "bommid.jsonl", Cat(U(Ok), [0xEF, 0xBB, 0xBF], U(Ok)), ImportErrorKind.MalformedJson, "malformed JSON", line: 2),
        // Size.
        File("huge-line", "huge.jsonl", U("{\"text\": \"" + new string('x', Limit + 100) + "\"}"), ImportErrorKind.FileTooLarge, "upload limit", status: HttpStatusCode.RequestEntityTooLarge),
        Request("huge-content-length", () => Raw(new byte[3 * Limit], MultipartType), "upload limit", status: HttpStatusCode.RequestEntityTooLarge, kind: ImportErrorKind.FileTooLarge),
        // File names and dataset names.
        File("csv", "data.csv", U("a,b\n1,2\n"), ImportErrorKind.UnsupportedFormat, "expected a .jsonl, .ndjson or .txt file"),
        File("no-extension", "data", U(Ok), ImportErrorKind.UnsupportedFormat, "unsupported file type"),
        File("exe", "setup.exe", [0x4D, 0x5A, 0x90, 0x00], ImportErrorKind.UnsupportedFormat, "unsupported file type"),
        File("extension-only", ".jsonl", U(Ok), ImportErrorKind.InvalidName, "has no name", field: "name"),
        Request("empty-file-name", () => Parts(($"Content-Disposition: form-data; name=\"file\"; filename=\"\"", U(Ok))), "has no file name", field: "file"),
        Request("directory-file-name", () => Parts(RealHttp.FilePart("folder/", U(Ok))), "no name after its last path separator", field: "file"),
        Request("control-in-file-name", () => Parts(("Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%0Ab.jsonl", U(Ok))), "control character U+000A", field: "file"),
        Request("long-file-name", () => Parts(RealHttp.FilePart(new string('f', 300) + ".jsonl", U(Ok))), "the limit is 255", field: "file"),
        new("long-dataset-name", () => Parts(RealHttp.FilePart("named.jsonl", U(Ok)), RealHttp.Field("name", new string('n', 201))),
            HttpStatusCode.BadRequest, ImportErrorKind.InvalidName, "named.jsonl", "201 characters long; the limit is 200", Field: "name"),
        new("control-in-dataset-name", () => Parts(RealHttp.FilePart("named2.jsonl", U(Ok)), RealHttp.Field("name", "bad\u0001name")),
            HttpStatusCode.BadRequest, ImportErrorKind.InvalidName, "named2.jsonl", "control character", Field: "name"),
        Request("very-long-name-field", () => Parts(RealHttp.FilePart("x.jsonl", U(Ok)), RealHttp.Field("name", new string('n', 5000))), "longer than 4000 characters", field: "name"),
        Request("name-not-utf8", () => Parts(RealHttp.FilePart("x.jsonl", U(Ok)), ("Content-Disposition: form-data; name=\"name\"", Gbk)), "not valid UTF-8", field: "name"),
        Request("name-twice", () => Parts(RealHttp.Field("name", "a"), RealHttp.Field("name", "b"), RealHttp.FilePart("x.jsonl", U(Ok))), "the field \"name\" twice", field: "name"),
        // Requests that are not a readable multipart upload.
        Request("json-body", () => Raw(U("{\"file\": \"x\"}"), "application/json"), "expected Content-Type multipart/form-data", status: HttpStatusCode.UnsupportedMediaType),
        Request("text-body", () => Raw(U(Ok), "text/plain"), "expected Content-Type multipart/form-data", status: HttpStatusCode.UnsupportedMediaType),
        Request("no-content-type", () => Raw(U(Ok), null), "but got none", status: HttpStatusCode.UnsupportedMediaType),
        Request("urlencoded-form", () => Raw(U("file=x&name=y"), "application/x-www-form-urlencoded"), "expected Content-Type multipart/form-data", status: HttpStatusCode.UnsupportedMediaType),
        Request("no-boundary", () => Raw(RealHttp.Multipart(Boundary, [RealHttp.FilePart("x.jsonl", U(Ok))]), "multipart/form-data"), "no usable boundary"),
        Request("boundary-too-long", () => Raw(U("x"), "multipart/form-data; boundary=" + new string('b', 71)), "no usable boundary"),
        Request("empty-body", () => Raw([], MultipartType), "ended before its closing boundary"),
        Request("garbage-body", () => Raw(Enumerable.Range(0, 4000).Select(i => (byte)(i * 7 % 251)).ToArray(), MultipartType), "ended before its closing boundary"),
        Request("wrong-boundary", () => Raw(RealHttp.Multipart("other-boundary", [RealHttp.FilePart("x.jsonl", U(Ok))]), MultipartType), "uses another boundary"),
        new("truncated-in-file", () => Raw(RealHttp.Multipart(Boundary, [RealHttp.FilePart("x.jsonl", U(Ok + Ok))], close: false)[..^12], MultipartType),
            HttpStatusCode.BadRequest, ImportErrorKind.InvalidUpload, "x.jsonl", "ended before its closing boundary"),
        Request("truncated-in-headers", () => Raw(U($"--{Boundary}\r\nContent-Disposition: form-da"), MultipartType), "no \"Content-Disposition: form-data\" header"),
        Request("gzip", () => Raw(RealHttp.Multipart(Boundary, [RealHttp.FilePart("x.jsonl", U(Ok))]), MultipartType, ("Content-Encoding", "gzip")), "Content-Encoding: gzip"),
        Request("brotli", () => Raw(RealHttp.Multipart(Boundary, [RealHttp.FilePart("x.jsonl", U(Ok))]), MultipartType, ("Content-Encoding", "br")), "Content-Encoding: br"),
        Request("no-file-part", () => Parts(RealHttp.Field("name", "only a name")), "no \"file\" part", field: "file"),
        Request("file-as-text-field", () => Parts(RealHttp.Field("file", Ok)), "has no file name", field: "file"),
        Request("file-in-other-field", () => Parts(RealHttp.FilePart("x.jsonl", U(Ok), field: "upload")), "send it in the \"file\" part", field: "upload"),
        new("second-file-part", () => Parts(RealHttp.FilePart("one.jsonl", U(Ok)), RealHttp.FilePart("two.jsonl", U(Ok))),
            HttpStatusCode.BadRequest, ImportErrorKind.InvalidUpload, "one.jsonl", "second file part (\"two.jsonl\"", Field: "file"),
        Request("part-without-disposition", () => Parts(("Content-Type: text/plain", U(Ok))), "no \"Content-Disposition: form-data\" header"),
        Request("attachment-disposition", () => Parts(("Content-Disposition: attachment; filename=\"x.jsonl\"", U(Ok))), "no \"Content-Disposition: form-data\" header"),
        Request("too-many-part-headers", () => Parts((string.Join("\r\n", Enumerable.Range(0, 20).Select(i => $"X-H{i}: v").Prepend("Content-Disposition: form-data; name=\"file\"; filename=\"x.jsonl\"")), U(Ok))), "malformed"),
        Request("header-too-long", () => Parts(("Content-Disposition: form-data; name=\"file\"; filename=\"x.jsonl\"\r\nX-Long: " + new string('h', 20_000), U(Ok))), "malformed"),
    ];

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases)
            data.Add(c.Name);
        return data;
    }

    [Fact]
    public void The_table_holds_at_least_60_distinct_bad_inputs()
    {
        Assert.True(Cases.Length >= 60, $"{Cases.Length} cases");
        Assert.Equal(Cases.Length, Cases.Select(c => c.Name).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task A_bad_upload_is_a_specific_4xx_and_leaves_nothing_behind(string name)
    {
        var input = Cases.Single(c => c.Name == name);

        using var response = await fixture.Client.PostAsync("api/datasets", input.Content());
        var body = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode < 500, $"{name}: {(int)response.StatusCode} {body}");
        Assert.Equal(input.Status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        var detail = problem.RootElement.GetProperty("detail").GetString()!;
        var first = problem.RootElement.GetProperty("errors")[0];
        Assert.Equal(input.Kind.ToString(), first.GetProperty("kind").GetString());
        Assert.Equal(input.Where, first.GetProperty("fileName").GetString());
        Assert.StartsWith(input.Where, detail, StringComparison.Ordinal);
        Assert.Contains(input.Mentions, detail, StringComparison.Ordinal);
        Assert.Equal(input.Line, first.GetProperty("line").ValueKind == JsonValueKind.Null ? null : first.GetProperty("line").GetInt32());
        if (input.Line is { } line)
            Assert.Contains($", line {line}", detail, StringComparison.Ordinal);
        Assert.Equal(input.Field, first.GetProperty("field").GetString());
        if (input.Field is { } field)
            Assert.Contains($"field \"{field}\"", detail, StringComparison.Ordinal);

        Assert.Empty(await fixture.Http.DatasetRowsAsync());
        await fixture.Http.AssertNothingLeftBehindAsync(name);
    }
}
