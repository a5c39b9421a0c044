using System.Text;
using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Importing;

namespace DeepSeek.Portal.Feeding.Tests.Import;

public class EncodingImportTests
{
    // "中文" in GBK: valid in GB18030/GBK, not UTF-8 (0xD6 starts a two-byte sequence; 0xD0 cannot continue it).
    private static readonly byte[] GbkChinese = [0xD6, 0xD0, 0xCE, 0xC4];

    [Fact]
    public async Task Import_rejects_invalid_utf8_in_jsonl_with_line_number()
    {
        var content = Concat(Utf8("{\"text\": \"ok\"}\n{\"text\": \""), GbkChinese, Utf8("\"}\n"));

        var error = SingleError(await ImportAsync(content));

        Assert.Equal(ImportErrorKind.InvalidUtf8, error.Kind);
        Assert.Equal("data.jsonl, line 2: not valid UTF-8 at byte 11 of the line (GB18030/GBK files import when that encoding is chosen or detected)", error.ToString());
    }

    [Fact]
    public async Task Import_rejects_invalid_utf8_in_text_with_line_number()
    {
        var content = Concat(Utf8("第一段\n\n第二段"), GbkChinese, Utf8("\n"));

        var error = SingleError(await ImportAsync(content, "corpus.txt"));

        Assert.Equal((ImportErrorKind.InvalidUtf8, 3), (error.Kind, error.Line!.Value));
        Assert.Contains("GB18030/GBK", error.Message);
    }

    [Fact]
    public async Task Import_rejects_utf8_encoded_surrogates_and_truncated_sequences()
    {
        // ED A0 80 is a UTF-16 surrogate encoded as if it were a character (CESU-8); E4 B8 alone is a cut-off 中.
        var surrogate = await ImportAsync(Concat(Utf8("{\"text\": \"a"), [0xED, 0xA0, 0x80], Utf8("\"}")));
        var truncated = await ImportAsync(Concat(Utf8("x"), [0xE4, 0xB8]), "a.txt");

        Assert.Equal(ImportErrorKind.InvalidUtf8, SingleError(surrogate).Kind);
        Assert.Equal("not valid UTF-8 at byte 2 of the line (GB18030/GBK files import when that encoding is chosen or detected)", SingleError(truncated).Message);
    }

    [Theory]
    [InlineData("data.jsonl", "{\"text\": \"有BOM\"}\n")]
    [InlineData("data.txt", "有BOM\n")]
    public async Task Import_skips_a_utf8_byte_order_mark(string fileName, string content)
    {
        var result = await ImportAsync(Concat([0xEF, 0xBB, 0xBF], Utf8(content)), fileName);

        Assert.True(result.Succeeded);
        Assert.Equal(new ImportedRecord(1, "有BOM"), Assert.Single(result.Records));
        Assert.Equal(3 + Utf8(content).Length, result.Bytes);
    }

    // Full-width punctuation, an ideographic space, a CJK compatibility ideograph (U+F900, which NFC would
    // turn into U+8C48), a decomposed é, an Extension B character and an emoji: none may change.
    private const string Untouchable = "客户：您好！请问“定期存款”利率？\u3000豈\uF900 cafe\u0301 𠀀 😀 ＡＢＣ１２３";

    [Fact]
    public async Task Import_passes_chinese_text_through_byte_exact_in_jsonl()
    {
        var line = Encoding.UTF8.GetBytes($"{{\"text\": \"{Untouchable}\"}}");

        var result = await ImportAsync(line);

        Assert.True(result.Succeeded);
        Assert.Equal(Encoding.UTF8.GetBytes(Untouchable), Encoding.UTF8.GetBytes(Assert.Single(result.Records).Text));
    }

    [Fact]
    public async Task Import_passes_chinese_text_through_byte_exact_in_text_files()
    {
        var result = await ImportAsync($"{Untouchable}\n第二行\n", "corpus.txt");

        Assert.True(result.Succeeded);
        Assert.Equal(Encoding.UTF8.GetBytes(Untouchable + "\n第二行"), Encoding.UTF8.GetBytes(Assert.Single(result.Records).Text));
    }

    [Fact]
    public async Task Import_reads_lines_and_characters_split_across_stream_reads()
    {
        var long1 = new string('长', 100_000); // 300 KB in UTF-8: longer than the reader's first buffer
        var content = Utf8($"{{\"text\": \"一\"}}\r\n{{\"text\": \"{long1}\"}}\n{{\"text\": \"三\"}}");

        var trickled = await DatasetImporter.ParseAsync(new TrickleStream(content, bytesPerRead: 7), "data.jsonl", new ImportLimits(), CancellationToken.None);

        Assert.True(trickled.Succeeded);
        Assert.Equal(["一", long1, "三"], trickled.Records.Select(r => r.Text));
        Assert.Equal([1, 2, 3], trickled.Records.Select(r => r.Line));
        Assert.Equal(content.Length, trickled.Bytes);
    }
}
