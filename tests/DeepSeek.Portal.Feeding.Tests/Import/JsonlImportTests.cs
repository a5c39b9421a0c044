using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Importing;

namespace DeepSeek.Portal.Feeding.Tests.Import;

public class JsonlImportTests
{
    [Theory]
    [InlineData("data.jsonl", DatasetFormat.Jsonl)]
    [InlineData("DATA.JSONL", DatasetFormat.Jsonl)]
    [InlineData("uploads/2025/chat.ndjson", DatasetFormat.Jsonl)]
    [InlineData("语料.txt", DatasetFormat.Text)]
    [InlineData("notes.TXT", DatasetFormat.Text)]
    [InlineData("data.json", null)]
    [InlineData("data.csv", null)]
    [InlineData("README", null)]
    public void DetectFormat_maps_extensions_to_formats(string fileName, DatasetFormat? expected) =>
        Assert.Equal(expected, DatasetImporter.DetectFormat(fileName));

    [Fact]
    public async Task Import_rejects_unsupported_extension_with_a_file_level_error()
    {
        var error = SingleError(await ImportAsync("a,b\n1,2\n", "data.csv"));

        Assert.Equal(ImportErrorKind.UnsupportedFormat, error.Kind);
        Assert.Null(error.Line);
        Assert.Equal("data.csv: cannot import \".csv\" files; expected .jsonl, .ndjson or .txt", error.ToString());
    }

    [Fact]
    public async Task Import_accepts_text_records_with_their_line_numbers()
    {
        var result = await ImportAsync("{\"text\": \"hello\"}\n{\"text\": \"你好，世界\"}\n");

        Assert.True(result.Succeeded);
        Assert.Equal([new ImportedRecord(1, "hello"), new ImportedRecord(2, "你好，世界")], result.Records);
        Assert.Equal(10, result.Characters);
        Assert.Equal(Utf8("{\"text\": \"hello\"}\n{\"text\": \"你好，世界\"}\n").Length, result.Bytes);
    }

    [Fact]
    public async Task Import_joins_alpaca_instruction_input_and_output_and_skips_empty_input()
    {
        var result = await ImportAsync(
            """
            {"instruction": "翻译成英文", "input": "你好", "output": "Hello"}
            {"instruction": "Say hi", "input": "", "output": "Hi"}
            {"instruction": "Say bye", "output": "Bye"}
            {"instruction": "Count", "input": null, "output": "1 2 3"}
            {"instruction": "Echo", "input": "   ", "output": "ok"}
            """);

        Assert.True(result.Succeeded);
        Assert.Equal(["翻译成英文\n你好\nHello", "Say hi\nHi", "Say bye\nBye", "Count\n1 2 3", "Echo\nok"], result.Records.Select(r => r.Text));
    }

    [Fact]
    public async Task Import_joins_prompt_and_completion()
    {
        var result = await ImportAsync("""{"prompt": "问：利率多少？", "completion": "答：2.75%"}""");

        Assert.True(result.Succeeded);
        Assert.Equal("问：利率多少？\n答：2.75%", Assert.Single(result.Records).Text);
    }

    [Fact]
    public async Task Import_joins_conversation_turns_in_sharegpt_and_chat_shapes()
    {
        var result = await ImportAsync(
            """
            {"conversations": [{"from": "human", "value": "我的卡丢了"}, {"from": "gpt", "value": "请立即挂失。"}]}
            {"conversations": [{"role": "system", "content": ""}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
            {"messages": [{"role": "user", "content": "Rate?"}, {"role": "assistant", "content": "2.75%"}]}
            """);

        Assert.True(result.Succeeded);
        Assert.Equal(["我的卡丢了\n请立即挂失。", "Hi\nHello!", "Rate?\n2.75%"], result.Records.Select(r => r.Text));
    }

    [Fact]
    public async Task Import_rejects_truncated_jsonl_line_with_line_number()
    {
        var result = await ImportAsync(
            """
            {"text": "one"}
            {"text": "two"}
            {"text": "three
            {"text": "four"}
            {"text": "five"}
            """);

        var error = SingleError(result);
        Assert.Equal(ImportErrorKind.MalformedJson, error.Kind);
        Assert.Equal(3, error.Line);
        Assert.Null(error.Field);
        Assert.StartsWith("data.jsonl, line 3: malformed JSON at byte ", error.ToString());
    }

    [Fact]
    public async Task Import_reports_the_byte_position_of_malformed_json_within_the_line()
    {
        // "中文" is six bytes in UTF-8, so the stray x is the 19th byte, not the 15th character.
        var result = await ImportAsync("{\"text\": \"ok\"}\n{\"text\": \"中文\" x}\n");

        var error = SingleError(result);
        Assert.Equal(2, error.Line);
        Assert.StartsWith("malformed JSON at byte 19 of the line: ", error.Message);
        Assert.DoesNotContain("LineNumber", error.Message);
    }

    [Fact]
    public async Task Import_reports_line_and_field_of_a_wrongly_typed_value()
    {
        var lines = Enumerable.Range(1, 6).Select(i => $"{{\"text\": \"record {i}\"}}").Append("{\"text\": 42}");

        var error = SingleError(await ImportAsync(string.Join("\n", lines)));

        Assert.Equal(ImportErrorKind.WrongType, error.Kind);
        Assert.Equal("data.jsonl, line 7, field \"text\": expected a string but found a number", error.ToString());
    }

    [Theory]
    [InlineData("[1, 2]", "expected a JSON object but found an array")]
    [InlineData("\"just a string\"", "expected a JSON object but found a string")]
    [InlineData("null", "expected a JSON object but found null")]
    public async Task Import_rejects_a_line_that_is_not_an_object(string line, string message)
    {
        var error = SingleError(await ImportAsync(line));

        Assert.Equal(ImportErrorKind.NotAnObject, error.Kind);
        Assert.Equal((1, message), (error.Line!.Value, error.Message));
    }

    [Fact]
    public async Task Import_rejects_an_object_without_a_known_text_field()
    {
        var error = SingleError(await ImportAsync("{\"body\": \"hello\"}"));

        Assert.Equal(ImportErrorKind.MissingField, error.Kind);
        Assert.Equal("data.jsonl, line 1: expected one of: text, instruction+output, prompt+completion, conversations", error.ToString());
    }

    [Theory]
    [InlineData("{\"instruction\": \"Say hi\"}", "output")]
    [InlineData("{\"output\": \"Hi\"}", "instruction")]
    [InlineData("{\"prompt\": \"Q\"}", "completion")]
    [InlineData("{\"completion\": \"A\"}", "prompt")]
    public async Task Import_names_the_missing_half_of_a_paired_shape(string line, string field)
    {
        var error = SingleError(await ImportAsync(line));

        Assert.Equal((ImportErrorKind.MissingField, field), (error.Kind, error.Field));
    }

    [Theory]
    [InlineData("{\"instruction\": 1, \"output\": \"x\"}", "instruction", "expected a string but found a number")]
    [InlineData("{\"instruction\": \"x\", \"input\": [], \"output\": \"y\"}", "input", "expected a string but found an array")]
    [InlineData("{\"prompt\": \"x\", \"completion\": true}", "completion", "expected a string but found a boolean")]
    [InlineData("{\"conversations\": {}}", "conversations", "expected an array but found an object")]
    [InlineData("{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, \"b\"]}", "conversations[1]", "expected an object but found a string")]
    [InlineData("{\"conversations\": [{\"from\": \"human\", \"value\": 3}]}", "conversations[0].value", "expected a string but found a number")]
    [InlineData("{\"conversations\": [{\"from\": 1, \"value\": \"a\"}]}", "conversations[0].from", "expected a string but found a number")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": null}]}", "messages[0].content", "expected a string but found null")]
    public async Task Import_names_the_field_of_a_wrongly_typed_value(string line, string field, string message)
    {
        var error = SingleError(await ImportAsync(line));

        Assert.Equal((ImportErrorKind.WrongType, field, message), (error.Kind, error.Field, error.Message));
    }

    [Fact]
    public async Task Import_rejects_a_turn_without_content()
    {
        var error = SingleError(await ImportAsync("{\"conversations\": [{\"from\": \"human\", \"text\": \"hi\"}]}"));

        Assert.Equal((ImportErrorKind.MissingField, "conversations[0]"), (error.Kind, error.Field));
    }

    [Theory]
    [InlineData("{\"text\": \"  \\n\\t \"}", "text")]
    [InlineData("{\"text\": \"\"}", "text")]
    [InlineData("{\"instruction\": \" \", \"output\": \"x\"}", "instruction")]
    [InlineData("{\"prompt\": \"q\", \"completion\": \"\"}", "completion")]
    [InlineData("{\"conversations\": []}", "conversations")]
    [InlineData("{\"conversations\": [{\"from\": \"human\", \"value\": \" \"}]}", "conversations")]
    public async Task Import_rejects_text_that_is_empty_after_trimming(string line, string field)
    {
        var error = SingleError(await ImportAsync(line));

        Assert.Equal((ImportErrorKind.EmptyText, field), (error.Kind, error.Field));
    }

    [Fact]
    public async Task Import_rejects_a_record_longer_than_the_limit_counting_characters_not_bytes()
    {
        var limits = new ImportLimits { MaxRecordChars = 5 };

        var accepted = await ImportAsync("{\"text\": \"中文中文中\"}\n{\"text\": \"😀😀😀😀😀\"}", limits: limits);
        var rejected = await ImportAsync("{\"text\": \"abcdef\"}", limits: limits);

        Assert.True(accepted.Succeeded);
        Assert.Equal(10, accepted.Characters);
        var error = SingleError(rejected);
        Assert.Equal(ImportErrorKind.RecordTooLong, error.Kind);
        Assert.Equal("data.jsonl, line 1, field \"text\": the record is 6 characters long; the limit is 5", error.ToString());
    }

    [Fact]
    public async Task Import_rejects_control_characters_in_json_strings()
    {
        var error = SingleError(await ImportAsync("{\"text\": \"ab\\u0000c\"}"));

        Assert.Equal(ImportErrorKind.ControlCharacter, error.Kind);
        Assert.Equal("data.jsonl, line 1, field \"text\": contains the control character U+0000 (NUL) at character 3", error.ToString());
    }

    [Fact]
    public async Task Import_rejects_an_unpaired_surrogate_escape()
    {
        var error = SingleError(await ImportAsync("{\"text\": \"bad \\ud800 half\"}"));

        Assert.Equal((ImportErrorKind.WrongType, "text"), (error.Kind, error.Field));
    }

    [Fact]
    public async Task Import_skips_blank_lines_but_keeps_line_numbers()
    {
        var result = await ImportAsync("\n{\"text\": \"a\"}\n   \n\t\n{\"text\": \"b\"}\n\n");

        Assert.True(result.Succeeded);
        Assert.Equal([new ImportedRecord(2, "a"), new ImportedRecord(5, "b")], result.Records);
    }

    [Fact]
    public async Task Import_normalises_line_endings_in_files_and_in_values()
    {
        var result = await ImportAsync("{\"text\": \"line one\\r\\nline two\\rline three\"}\r\n{\"text\": \"b\"}\r\n");

        Assert.True(result.Succeeded);
        Assert.Equal(["line one\nline two\nline three", "b"], result.Records.Select(r => r.Text));
    }

    [Fact]
    public async Task Import_keeps_nothing_when_any_line_fails()
    {
        var result = await ImportAsync("{\"text\": \"good\"}\n{\"text\": 1}\n{\"text\": \"also good\"}\n");

        Assert.False(result.Succeeded);
        Assert.Empty(result.Records);
        Assert.Equal(0, result.Characters);
        Assert.Equal(2, Assert.Single(result.Errors).Line);
    }
}
