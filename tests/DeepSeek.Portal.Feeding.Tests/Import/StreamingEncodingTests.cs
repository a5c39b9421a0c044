using System.Text;
using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Streaming;

namespace DeepSeek.Portal.Feeding.Tests.Import;

public class StreamingEncodingTests
{
    private const string Bilingual = "{\"text\": \"客户：您好 😀\"}\r\n{\"text\": \"Agent: hello\"}\r\n";

    private static Encoding Gb18030 => CodePagesEncodingProvider.Instance.GetEncoding(54936)!;

    [Theory]
    [InlineData("utf-8", false)]
    [InlineData("utf-8", true)]
    [InlineData("utf-16le", true)]
    [InlineData("utf-16be", true)]
    [InlineData("gb18030", false)]
    public async Task Every_encoding_is_detected_and_imports(string encoding, bool byteOrderMark)
    {
        var bytes = Encode(Bilingual, encoding, byteOrderMark);

        var outcome = await ImportAsync(bytes, "data.jsonl", bytesPerRead: 3);

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal(encoding, outcome.Summary.Encoding);
        Assert.Equal(["客户：您好 😀", "Agent: hello"], outcome.Texts);
        Assert.Equal(bytes.Length, outcome.Summary.SourceBytes);
    }

    [Theory]
    [InlineData("gbk")]
    [InlineData("GB18030")]
    [InlineData("gb2312")]
    public async Task Gbk_chosen_by_the_user_imports_csv(string name)
    {
        var bytes = Gb18030.GetBytes("text,label\n中文存款利率是多少,银行\n");

        var outcome = await ImportAsync(bytes, "windows.csv", r => r with { Encoding = name });

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal(("中文存款利率是多少", "gb18030"), (Assert.Single(outcome.Records).Text, outcome.Summary.Encoding));
    }

    [Fact]
    public async Task Gb18030_detection_is_decided_from_the_first_64_KB_and_a_later_contradiction_names_the_line()
    {
        // 70 KB of GBK text, then a line of UTF-8 whose bytes GB18030 does not define: detection saw only the GBK prefix.
        var gbkLine = Gb18030.GetBytes("这是一行用GBK编码的中文文本，用来测试编码检测。\n");
        var lines = 70 * 1024 / gbkLine.Length + 1;
        var bytes = Enumerable.Repeat(gbkLine, lines).SelectMany(b => b).Concat(Utf8("最后一行\xFF\n")).ToArray();

        var outcome = await ImportAsync(bytes, "mixed.txt", r => r with { TextSplit = TextSplit.Line });

        var error = outcome.SingleError();
        Assert.Equal(ImportErrorKind.MixedEncoding, error.Kind);
        Assert.Equal($"mixed.txt, line {lines + 1}: not valid GB18030/GBK, although the first 64 KB of the file are; the file mixes encodings — save it in one encoding", error.ToString());
        Assert.Equal("gb18030", outcome.Summary.Encoding);
    }

    [Fact]
    public async Task Utf8_file_with_a_gbk_line_later_is_a_mixed_encoding_error()
    {
        var bytes = Utf8("{\"text\": \"第一条\"}\n{\"text\": \"")
            .Concat(Gb18030.GetBytes("中文")).Concat(Utf8("\"}\n")).ToArray();
        var padded = Utf8(string.Concat(Enumerable.Repeat("{\"text\": \"填充填充填充填充\"}\n", 3000))).Concat(bytes).ToArray();

        var error = (await ImportAsync(padded, "mixed.jsonl")).SingleError();

        Assert.Equal(ImportErrorKind.MixedEncoding, error.Kind);
        Assert.Equal("mixed.jsonl, line 3002: not valid UTF-8 at byte 11 of the line, although the first 64 KB of the file are UTF-8; the line looks like GB18030/GBK, so the file mixes encodings — save it in one encoding", error.ToString());
    }

    [Fact]
    public async Task Utf8_chosen_by_the_user_reports_invalid_bytes_with_the_line_and_a_hint()
    {
        var bytes = Utf8("第一段\n\n").Concat(Gb18030.GetBytes("中文")).Concat(Utf8("\n")).ToArray();

        var error = (await ImportAsync(bytes, "notes.txt", r => r with { Encoding = "utf-8" })).SingleError();

        Assert.Equal("notes.txt, line 3: not valid UTF-8 at byte 1 of the line (GB18030/GBK files import when that encoding is chosen or detected)", error.ToString());
        Assert.Equal(ImportErrorKind.InvalidUtf8, error.Kind);
    }

    [Fact]
    public async Task A_byte_order_mark_in_the_middle_of_the_file_names_the_line()
    {
        var bytes = Utf8("{\"text\": \"a\"}\n").Concat(new byte[] { 0xEF, 0xBB, 0xBF }).Concat(Utf8("{\"text\": \"b\"}\n")).ToArray();

        var error = (await ImportAsync(bytes, "joined.jsonl")).SingleError();

        Assert.Equal(ImportErrorKind.MisplacedByteOrderMark, error.Kind);
        Assert.Equal("joined.jsonl, line 2: a byte-order mark (U+FEFF) at byte 1 of the line, after the start of the file; files were probably joined — remove it", error.ToString());
    }

    [Fact]
    public async Task Utf16_with_an_unpaired_surrogate_names_the_line()
    {
        var encoding = new UnicodeEncoding(bigEndian: false, byteOrderMark: true);
        var bytes = encoding.GetPreamble().Concat(encoding.GetBytes("ok\nx")).Concat(new byte[] { 0x00, 0xD8 }).Concat(encoding.GetBytes("y\n")).ToArray();

        var error = (await ImportAsync(bytes, "u16.txt", r => r with { TextSplit = TextSplit.Line })).SingleError();

        Assert.Equal("u16.txt, line 2: not valid UTF-16LE: the line has an unpaired surrogate or the file ends in the middle of a character", error.ToString());
        Assert.Equal(ImportErrorKind.InvalidEncoding, error.Kind);
    }

    [Fact]
    public async Task An_unknown_or_contradicted_encoding_is_refused_up_front()
    {
        var unknown = (await ImportAsync("x", "a.txt", r => r with { Encoding = "latin1" })).SingleError();
        var contradicted = (await ImportAsync(Encode("x", "utf-16le", true), "a.txt", r => r with { Encoding = "gbk" })).SingleError();

        Assert.Equal("a.txt, field \"encoding\": unknown encoding \"latin1\"; expected utf-8, utf-16le, utf-16be or gb18030 (gbk)", unknown.ToString());
        Assert.Equal("a.txt, field \"encoding\": the file starts with a UTF-16LE byte-order mark but gb18030 was chosen; choose utf-16le or let the importer detect it", contradicted.ToString());
        Assert.All([unknown, contradicted], e => Assert.Equal(ImportErrorKind.UnsupportedEncoding, e.Kind));
    }

    [Fact]
    public async Task Excel_unicode_text_is_utf16_tab_separated_and_imports_as_tsv()
    {
        var bytes = Encode("Question\tAnswer\r\n存款利率是多少？\t年利率 1.5%\r\n", "utf-16le", byteOrderMark: true);

        var outcome = await ImportAsync(bytes, "export.txt", r => r with { Format = SourceFormat.Tsv });

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        var record = Assert.Single(outcome.Records);
        Assert.Equal(("存款利率是多少？", "年利率 1.5%", 2L), (record.Prompt, record.Response, record.Line));
    }

    [Fact]
    public async Task A_gbk_json_array_is_detected_and_streamed()
    {
        var bytes = Gb18030.GetBytes("[{\"title\": \"静夜思\", \"paragraphs\": [\"床前明月光\", \"疑是地上霜\"]}]");

        var outcome = await ImportAsync(bytes, "poems.json", r => r with { Mapping = new FieldMapping { Template = "{title}：{paragraphs}", ListSeparator = "，" } }, bytesPerRead: 5);

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal(("gb18030", "静夜思：床前明月光，疑是地上霜"), (outcome.Summary.Encoding, Assert.Single(outcome.Records).Text));
    }

    private static byte[] Encode(string text, string encoding, bool byteOrderMark)
    {
        var e = encoding switch
        {
            "utf-16le" => (Encoding)new UnicodeEncoding(false, byteOrderMark),
            "utf-16be" => new UnicodeEncoding(true, byteOrderMark),
            "gb18030" => Gb18030,
            _ => new UTF8Encoding(byteOrderMark),
        };
        return e.GetPreamble().Concat(e.GetBytes(text)).ToArray();
    }
}
