using System.Text;
using DeepSeek.Portal.Feeding.Import;
using Parquet;
using Parquet.Schema;
using static DeepSeek.Portal.Feeding.Tests.Import.Streaming;

namespace DeepSeek.Portal.Feeding.Tests.Import;

public class StreamingFormatTests
{
    [Fact]
    public async Task Jsonl_streams_records_with_line_numbers_and_progress()
    {
        var content = "{\"text\": \"hello\"}\n\n{\"text\": \"你好，世界\"}\n";

        var outcome = await ImportAsync(Utf8(content), "data.jsonl", bytesPerRead: 5);

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal([new ImportedRecord(1, "hello"), new ImportedRecord(3, "你好，世界")], outcome.Records);
        Assert.Equal((2L, 10L, (long)Utf8(content).Length), (outcome.Summary.Records, outcome.Summary.Characters, outcome.Summary.SourceBytes));
        Assert.Equal((SourceFormat.Jsonl, "utf-8", RecordShape.Text), (outcome.Summary.Format, outcome.Summary.Encoding, outcome.Summary.Shape));
        Assert.Equal(Utf8(content).Length, outcome.Progress[^1]);
        Assert.Equal(outcome.Progress.Order(), outcome.Progress);
    }

    [Fact]
    public async Task Json_array_of_alpaca_records_keeps_prompt_and_response()
    {
        const string content = """
            [
              {"instruction": "翻译成英文", "input": "你好", "output": "Hello"},
              {"instruction": "Say hi", "input": "", "output": "Hi"}
            ]
            """;

        var outcome = await ImportAsync(content, "alpaca_data.json");

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal((SourceFormat.JsonArray, RecordShape.Alpaca), (outcome.Summary.Format, outcome.Summary.Shape));
        Assert.Equal(
            [new ImportedRecord(1, "翻译成英文\n你好\nHello") { Prompt = "翻译成英文\n你好", Response = "Hello" },
             new ImportedRecord(2, "Say hi\nHi") { Prompt = "Say hi", Response = "Hi" }],
            outcome.Records);
    }

    [Fact]
    public async Task Json_top_level_object_holding_the_array_is_streamed()
    {
        const string content = """{"version": 2, "meta": {"source": "x", "tags": ["a", "b"]}, "data": [{"text": "one"}, {"text": "two"}], "count": 2}""";

        var outcome = await ImportAsync(Utf8(content), "export.json", bytesPerRead: 3);

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal(["one", "two"], outcome.Texts);
        Assert.Equal([1L, 2L], outcome.Records.Select(r => r.Line));
    }

    [Fact]
    public async Task Json_records_path_chooses_a_nested_array()
    {
        const string content = """{"other": [1, 2], "result": {"items": [{"body": "甲"}, {"body": "乙"}]}}""";

        var outcome = await ImportAsync(content, "nested.json", r => r with { Mapping = new FieldMapping { Template = "{body}", RecordsPath = "result.items" } });

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal(["甲", "乙"], outcome.Texts);
        Assert.Equal(RecordShape.Mapped, outcome.Summary.Shape);
    }

    [Fact]
    public async Task Json_array_of_strings_is_text()
    {
        var outcome = await ImportAsync("[\"第一条\", \"second\"]", "lines.json");

        Assert.Equal(["第一条", "second"], outcome.Texts);
    }

    [Fact]
    public async Task Conversations_keep_the_last_assistant_turn_as_response()
    {
        const string content = """
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Rate?"}, {"role": "assistant", "content": "2.75%"}, {"role": "user", "content": "Thanks"}]}
            {"conversations": [{"from": "human", "value": "我的卡丢了"}, {"from": "gpt", "value": "请立即挂失。"}]}
            """;

        var outcome = await ImportAsync(content, "chat.jsonl");

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal(RecordShape.Conversation, outcome.Summary.Shape);
        Assert.Equal(("Be brief.\nRate?\n2.75%\nThanks", "Be brief.\nRate?", "2.75%"), (outcome.Records[0].Text, outcome.Records[0].Prompt, outcome.Records[0].Response));
        Assert.Equal(("我的卡丢了", "请立即挂失。"), (outcome.Records[1].Prompt, outcome.Records[1].Response));
        // Every turn is kept, roles normalised, so chat training can target each assistant turn.
        Assert.Equal([new ConversationTurn("system", "Be brief."), new ConversationTurn("user", "Rate?"), new ConversationTurn("assistant", "2.75%"), new ConversationTurn("user", "Thanks")],
            outcome.Records[0].Turns!);
        Assert.Equal([new ConversationTurn("user", "我的卡丢了"), new ConversationTurn("assistant", "请立即挂失。")], outcome.Records[1].Turns!);
    }

    [Fact]
    public async Task A_multi_turn_conversation_keeps_every_turn_with_crlf_normalised_and_empty_turns_left_out()
    {
        const string content = "{\"conversations\": [{\"from\": \"system\", \"value\": \"\"}, {\"from\": \"human\", \"value\": \"第一问\\r\\n续\"}, {\"from\": \"gpt\", \"value\": \"第一答\"}, "
            + "{\"from\": \"human\", \"value\": \"第二问\"}, {\"from\": \"gpt\", \"value\": \"第二答\\r\\n完\"}]}\n{\"text\": \"plain\"}\n";

        var outcome = await ImportAsync(content, "chat.jsonl");

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        var chat = outcome.Records[0];
        Assert.Equal(["user", "assistant", "user", "assistant"], chat.Turns!.Select(t => t.Role));
        Assert.Equal(["第一问\n续", "第一答", "第二问", "第二答\n完"], chat.Turns!.Select(t => t.Content));
        Assert.Equal(ConversationTurn.JoinText(chat.Turns!), chat.Text);
        Assert.Equal(("第一问\n续\n第一答\n第二问", "第二答\n完"), (chat.Prompt, chat.Response));
        Assert.Null(outcome.Records[1].Turns);
    }

    [Theory]
    [InlineData("{\"prompt\": \"Q\", \"completion\": \"A\"}")]
    [InlineData("{\"prompt\": \"Q\", \"response\": \"A\"}")]
    [InlineData("{\"question\": \"Q\", \"answer\": \"A\"}")]
    public async Task Prompt_response_pairs_are_recognised(string line)
    {
        var outcome = await ImportAsync(line, "pairs.jsonl");

        var record = Assert.Single(outcome.Records);
        Assert.Equal(("Q\nA", "Q", "A", RecordShape.PromptResponse), (record.Text, record.Prompt, record.Response, outcome.Summary.Shape));
    }

    [Fact]
    public async Task Csv_reads_quoted_fields_with_commas_quotes_and_newlines()
    {
        const string content = "Instruction,input,OUTPUT\r\n\"Translate, please\",你好,\"He said \"\"hi\"\"\nthen left\"\r\nCount,,1 2 3\r\n";

        var outcome = await ImportAsync(Utf8(content), "sheet.csv", bytesPerRead: 7);

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal((SourceFormat.Csv, RecordShape.Alpaca), (outcome.Summary.Format, outcome.Summary.Shape));
        Assert.Equal(["Translate, please\n你好\nHe said \"hi\"\nthen left", "Count\n1 2 3"], outcome.Texts);
        Assert.Equal([2L, 4L], outcome.Records.Select(r => r.Line));
    }

    [Fact]
    public async Task Tsv_reads_tabs_and_keeps_quotes_as_text()
    {
        var outcome = await ImportAsync("question\tanswer\n他说\"你好\"是什么意思？\t打招呼\n", "qa.tsv");

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal("他说\"你好\"是什么意思？\n打招呼", Assert.Single(outcome.Records).Text);
    }

    [Fact]
    public async Task Csv_with_an_unknown_column_uses_the_mapping()
    {
        var outcome = await ImportAsync("id,body,lang\n1,存款利率,zh\n2,Loan terms,en\n", "corpus.csv", r => r with { Mapping = new FieldMapping { Template = "[{lang}] {body}" } });

        Assert.Equal(["[zh] 存款利率", "[en] Loan terms"], outcome.Texts);
    }

    [Theory]
    [InlineData(TextSplit.Line, new[] { "第一行", "第二行", "third" }, new long[] { 1, 2, 4 })]
    [InlineData(TextSplit.Paragraph, new[] { "第一行\n第二行", "third" }, new long[] { 1, 4 })]
    public async Task Text_splits_by_line_or_paragraph(TextSplit split, string[] texts, long[] lines)
    {
        var outcome = await ImportAsync("第一行\r\n第二行  \r\n\r\nthird\n", "notes.txt", r => r with { TextSplit = split });

        Assert.Equal(texts, outcome.Texts);
        Assert.Equal(lines, outcome.Records.Select(r => r.Line));
    }

    [Theory]
    [InlineData("[{\"text\": \"a\"}]", SourceFormat.JsonArray)]
    [InlineData("{\"text\": \"a\"}\n{\"text\": \"b\"}", SourceFormat.Jsonl)]
    [InlineData("{\n  \"data\": [{\"text\": \"a\"}]\n}", SourceFormat.JsonArray)]
    [InlineData("text,label\nhello,1\n", SourceFormat.Csv)]
    [InlineData("text\tlabel\nhello\t1\n", SourceFormat.Tsv)]
    [InlineData("just some prose\nover two lines\n", SourceFormat.Text)]
    public async Task Format_is_sniffed_from_content_when_the_extension_says_nothing(string content, SourceFormat expected)
    {
        var outcome = await ImportAsync(content, "upload.dat");

        Assert.Equal(expected, outcome.Summary.Format);
        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
    }

    [Fact]
    public async Task Parquet_reads_strings_numbers_booleans_and_lists_one_row_group_at_a_time()
    {
        var bytes = await ParquetFiles.PoemsAsync(rowGroups: 2);

        var outcome = await ImportAsync(bytes, "poems.parquet",
            r => r with { Mapping = new FieldMapping { Template = "{title} ({year}, {classic})\n{paragraphs}" } });

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal((SourceFormat.Parquet, "binary"), (outcome.Summary.Format, outcome.Summary.Encoding));
        Assert.Equal(4, outcome.Records.Count);
        Assert.Equal("静夜思 (701, true)\n床前明月光\n疑是地上霜", outcome.Records[0].Text);
        Assert.Equal("Empty (2024, false)\n", outcome.Records[3].Text[..20]);
        Assert.Equal([1L, 2L, 3L, 4L], outcome.Records.Select(r => r.Line));
    }

    [Fact]
    public async Task Parquet_with_a_text_column_needs_no_mapping_and_reads_from_a_seekable_stream()
    {
        var bytes = await ParquetFiles.TextAsync(["第一条", "second"]);

        var records = new List<ImportedRecord>();
        var summary = await StreamingImporter.ReadAsync(new MemoryStream(bytes), new ImportRequest { FileName = "data.parquet" },
            (r, _) => { records.Add(r); return ValueTask.CompletedTask; }, null, CancellationToken.None);

        Assert.True(summary.Succeeded, Errors(summary));
        Assert.Equal(["第一条", "second"], records.Select(r => r.Text));
    }

    [Fact]
    public async Task Parquet_refuses_a_row_group_over_the_bound()
    {
        var bytes = await ParquetFiles.PoemsAsync(rowGroups: 1);

        var error = (await ImportAsync(bytes, "poems.parquet", r => r with { Limits = new ImportLimits { MaxRowGroupBytes = 10 } })).SingleError();

        Assert.Equal(ImportErrorKind.RowGroupTooLarge, error.Kind);
        Assert.Matches(@"^poems\.parquet, record 1: row group 1 holds \d+ bytes uncompressed, more than the 10 bytes limit; write the file with smaller row groups$", error.ToString());
    }
}

/// <summary>Small Parquet files written with Parquet.Net, as a data lake would.</summary>
internal static class ParquetFiles
{
    public static async Task<byte[]> PoemsAsync(int rowGroups)
    {
        var title = new DataField<string>("title");
        var year = new DataField<int>("year");
        var classic = new DataField<bool>("classic");
        var paragraphs = new ListField("paragraphs", new DataField<string>("element"));
        var schema = new ParquetSchema(title, year, classic, paragraphs);
        (string Title, int Year, bool Classic, string[] Lines)[] rows =
        [
            ("静夜思", 701, true, ["床前明月光", "疑是地上霜"]),
            ("春晓", 689, true, ["春眠不觉晓"]),
            ("Ode", 1819, false, ["Thou still unravish'd bride", "of quietness"]),
            ("Empty", 2024, false, ["only line"]),
        ];
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream))
        {
            foreach (var chunk in rows.Chunk((rows.Length + rowGroups - 1) / rowGroups))
            {
                using var group = writer.CreateRowGroup();
                await group.WriteAsync(title, chunk.Select(r => r.Title).ToArray());
                await group.WriteAsync<int>(year, chunk.Select(r => r.Year).ToArray().AsMemory());
                await group.WriteAsync<bool>(classic, chunk.Select(r => r.Classic).ToArray().AsMemory());
                var items = chunk.SelectMany(r => r.Lines).ToArray();
                var repetitions = chunk.SelectMany(r => r.Lines.Select((_, i) => i == 0 ? 0 : 1)).ToArray();
                await group.WriteAsync((DataField)paragraphs.Item, items, repetitions.AsMemory());
            }
        }

        return stream.ToArray();
    }

    public static async Task<byte[]> TextAsync(string[] texts)
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
}
