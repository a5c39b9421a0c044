using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Importing;

namespace DeepSeek.Portal.Feeding.Tests.Import;

public class TextImportTests
{
    [Fact]
    public async Task Import_splits_text_documents_on_blank_lines_with_crlf()
    {
        var result = await ImportAsync("第一段第一行\r\n第一段第二行  \r\n\r\n\r\n \t \r\nSecond document\r\n  indented line\t\r\n", "corpus.txt");

        Assert.True(result.Succeeded);
        Assert.Equal(
            [new ImportedRecord(1, "第一段第一行\n第一段第二行"), new ImportedRecord(6, "Second document\n  indented line")],
            result.Records);
    }

    [Fact]
    public async Task Import_reads_a_text_file_without_a_final_newline()
    {
        var result = await ImportAsync("one\n\ntwo", "corpus.txt");

        Assert.Equal(["one", "two"], result.Records.Select(r => r.Text));
    }

    [Fact]
    public async Task Import_rejects_control_characters_in_text_with_line()
    {
        var result = await ImportAsync("fine\nbad\0line\n\nalso \u001B[31mbad\n", "corpus.txt");

        Assert.False(result.Succeeded);
        Assert.Equal(
            ["corpus.txt, line 2: contains the control character U+0000 (NUL) at column 4",
             "corpus.txt, line 4: contains the control character U+001B (ESC) at column 6"],
            result.Errors.Select(e => e.ToString()));
        Assert.All(result.Errors, e => Assert.Equal(ImportErrorKind.ControlCharacter, e.Kind));
    }

    [Fact]
    public async Task Import_keeps_tabs_in_text()
    {
        var result = await ImportAsync("列1\t列2\n", "table.txt");

        Assert.Equal("列1\t列2", Assert.Single(result.Records).Text);
    }

    [Fact]
    public async Task Import_rejects_a_text_document_longer_than_the_limit_at_its_first_line()
    {
        var error = SingleError(await ImportAsync("short\n\nabc\ndef\n", "corpus.txt", new ImportLimits { MaxRecordChars = 6 }));

        // "abc\ndef" is seven characters: the joining newline counts.
        Assert.Equal((ImportErrorKind.RecordTooLong, 3), (error.Kind, error.Line!.Value));
    }
}
