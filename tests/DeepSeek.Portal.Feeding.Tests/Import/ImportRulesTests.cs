using System.Text;
using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Importing;

namespace DeepSeek.Portal.Feeding.Tests.Import;

/// <summary>The import rules added in issue 5: duplicate keys, conversation roles, UTF-16 and UTF-32.</summary>
public class ImportRulesTests
{
    [Fact]
    public async Task Import_rejects_a_duplicate_key_naming_the_key_and_line()
    {
        var error = SingleError(await ImportAsync("{\"text\": \"ok\"}\n{\"text\": \"a\", \"text\": \"b\"}\n"));

        Assert.Equal(ImportErrorKind.DuplicateKey, error.Kind);
        Assert.Equal("data.jsonl, line 2, field \"text\": the key \"text\" appears more than once in the same object", error.ToString());
    }

    [Fact]
    public async Task Import_rejects_a_duplicate_key_inside_a_conversation_turn_with_its_path()
    {
        var error = SingleError(await ImportAsync("{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"gpt\", \"value\": \"a\", \"value\": \"b\"}]}\n"));

        Assert.Equal((ImportErrorKind.DuplicateKey, 1, "conversations[1].value"), (error.Kind, error.Line!.Value, error.Field));
    }

    [Fact]
    public async Task Import_rejects_an_unknown_role_listing_the_accepted_ones()
    {
        var error = SingleError(await ImportAsync("{\"messages\": [{\"role\": \"user\", \"content\": \"Rate?\"}, {\"role\": \"asistant\", \"content\": \"2.75%\"}]}\n"));

        Assert.Equal((ImportErrorKind.UnknownRole, 1, "messages[1].role"), (error.Kind, error.Line!.Value, error.Field));
        Assert.Equal("unknown role \"asistant\"; accepted roles are system, developer, user, assistant, tool, human, gpt", error.Message);
    }

    [Theory]
    [InlineData("role", "User", "user")]
    [InlineData("from", "human", "user")]
    [InlineData("from", "GPT", "assistant")]
    [InlineData("role", "tool", "tool")]
    [InlineData("role", "developer", "system")]
    public async Task Import_accepts_known_roles_in_any_case_and_stores_them_normalised(string field, string role, string stored)
    {
        var line = $"{{\"conversations\": [{{\"{field}\": \"{role}\", \"content\": \"hello\"}}, {{\"role\": \"assistant\", \"content\": \"hi\"}}]}}\n";
        var result = await ImportAsync(line);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));

        // The import job (the streaming importer) keeps the turns; the direct upload keeps only the text.
        var outcome = await Streaming.ImportAsync(line, "chat.jsonl");
        Assert.Equal([new ConversationTurn(stored, "hello"), new ConversationTurn("assistant", "hi")], Assert.Single(outcome.Records).Turns!);
    }

    [Theory]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"Rate?\"}]}", "messages")]
    [InlineData("{\"conversations\": [{\"from\": \"human\", \"value\": \"我的卡丢了\"}, {\"from\": \"gpt\", \"value\": \"  \"}]}", "conversations")]
    public async Task Import_rejects_a_conversation_without_an_assistant_answer(string line, string field)
    {
        var error = SingleError(await ImportAsync(line + "\n"));

        Assert.Equal((ImportErrorKind.MissingField, 1, field), (error.Kind, error.Line!.Value, error.Field));
        Assert.StartsWith("the conversation has no assistant turn with content", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_rejects_a_turn_that_names_no_speaker()
    {
        var error = SingleError(await ImportAsync("{\"messages\": [{\"role\": \"user\", \"content\": \"Rate?\"}, {\"content\": \"2.75%\"}]}\n"));

        Assert.Equal((ImportErrorKind.MissingField, 1, "messages[1]"), (error.Kind, error.Line!.Value, error.Field));
        Assert.Equal("expected \"role\" or \"from\" naming the speaker (system, developer, user, assistant, tool, human, gpt)", error.Message);
    }

    private const string Bilingual = "{\"text\": \"客户：您好 😀\"}\r\n{\"text\": \"Agent: hello\"}\r\n";

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 3)]
    [InlineData(true, 4096)]
    public async Task Import_decodes_utf16_with_a_byte_order_mark(bool bigEndian, int bytesPerRead)
    {
        var encoding = new UnicodeEncoding(bigEndian, byteOrderMark: true);
        var bytes = Concat(encoding.GetPreamble(), encoding.GetBytes(Bilingual));

        var result = await DatasetImporter.ParseAsync(new TrickleStream(bytes, bytesPerRead), "utf16.jsonl", new ImportLimits(), CancellationToken.None);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal(["客户：您好 😀", "Agent: hello"], result.Records.Select(r => r.Text));
        Assert.Equal(bytes.Length, result.Bytes);
    }

    [Fact]
    public async Task Import_decodes_utf16_plain_text()
    {
        var encoding = new UnicodeEncoding(bigEndian: false, byteOrderMark: true);
        var result = await ImportAsync(Concat(encoding.GetPreamble(), encoding.GetBytes("第一段\n继续\n\nSecond\n")), "notes.txt");

        Assert.Equal(["第一段\n继续", "Second"], result.Records.Select(r => r.Text));
    }

    [Fact]
    public async Task Import_reports_an_unpaired_surrogate_in_utf16_on_its_line()
    {
        var encoding = new UnicodeEncoding(bigEndian: false, byteOrderMark: true);
        var bytes = Concat(encoding.GetPreamble(), encoding.GetBytes("{\"text\": \"ok\"}\n{\"text\": \"x"), [0x00, 0xD8], encoding.GetBytes("y\"}\n"));

        var error = SingleError(await ImportAsync(bytes));

        Assert.Equal((ImportErrorKind.InvalidUtf8, 2), (error.Kind, error.Line!.Value));
        Assert.Contains("not valid UTF-16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_reports_a_utf16_file_cut_in_the_middle_of_a_character()
    {
        var encoding = new UnicodeEncoding(bigEndian: false, byteOrderMark: true);
        var bytes = Concat(encoding.GetPreamble(), encoding.GetBytes("{\"text\": \"ok\"}"), [0x41]);

        var error = SingleError(await ImportAsync(bytes));

        Assert.Equal((ImportErrorKind.InvalidUtf8, 1), (error.Kind, error.Line!.Value));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x00, 0x00, 0xFE, 0xFF })]
    public async Task Import_refuses_utf32_with_its_own_error(byte[] bom)
    {
        var error = SingleError(await ImportAsync(Concat(bom, Encoding.UTF32.GetBytes("{\"text\": \"x\"}\n"))));

        Assert.Equal(ImportErrorKind.UnsupportedEncoding, error.Kind);
        Assert.Equal("data.jsonl: the file is UTF-32 (it starts with a UTF-32 byte-order mark); save it as UTF-8 or UTF-16", error.ToString());
    }

    [Fact]
    public async Task Import_applies_the_size_limit_to_a_streamed_utf16_file_as_uploaded()
    {
        var encoding = new UnicodeEncoding(bigEndian: false, byteOrderMark: true);
        var line = encoding.GetBytes("{\"text\": \"中文中文中文中文\"}\n");
        var bytes = Concat([encoding.GetPreamble(), .. Enumerable.Repeat(line, 100)]);

        var under = await DatasetImporter.ParseAsync(new TrickleStream(bytes, 512), "u.jsonl", new ImportLimits { MaxBytes = bytes.Length }, CancellationToken.None);
        var over = await DatasetImporter.ParseAsync(new TrickleStream(bytes, 512), "u.jsonl", new ImportLimits { MaxBytes = bytes.Length - 1 }, CancellationToken.None);

        Assert.True(under.Succeeded, string.Join("; ", under.Errors));
        Assert.Equal(ImportErrorKind.FileTooLarge, SingleError(over).Kind);
    }
}
