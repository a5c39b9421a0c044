using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Streaming;

namespace DeepSeek.Portal.Feeding.Tests.Import;

public class FieldMappingTests
{
    // The public corpus: a JSON array of {title, author, paragraphs: [...]}.
    private const string Poems = """
        [
          {"title": "静夜思", "author": "李白", "meta": {"dynasty": "唐", "id": 12345678901234567890123}, "paragraphs": ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"]},
          {"title": "春晓", "author": "孟浩然", "meta": {"dynasty": "唐", "id": 2.50e3}, "paragraphs": ["春眠不觉晓，处处闻啼鸟。"], "rating": true}
        ]
        """;

    [Fact]
    public async Task Nested_records_without_a_known_shape_ask_for_a_mapping_listing_their_fields()
    {
        var error = (await ImportAsync(Poems, "poems.json")).SingleError();

        Assert.Equal(ImportErrorKind.NeedsMapping, error.Kind);
        Assert.Equal("poems.json, record 1 (line 2): no known record shape in the fields title, author, meta, paragraphs; expected one of: "
            + "text or content, instruction+output (alpaca), prompt+completion, prompt+response, question+answer, conversations or messages; "
            + "or give a field mapping (for example {title})", error.ToString());
    }

    [Fact]
    public async Task A_mapping_joins_lists_renders_nested_fields_and_keeps_numbers_exactly()
    {
        var mapping = new FieldMapping { Template = "{title} — {author}（{meta.dynasty}）#{meta.id}\n{paragraphs}", ListSeparator = "\n" };

        var outcome = await ImportAsync(Poems, "poems.json", r => r with { Mapping = mapping });

        Assert.True(outcome.Summary.Succeeded, Errors(outcome.Summary));
        Assert.Equal(
            ["静夜思 — 李白（唐）#12345678901234567890123\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。",
             "春晓 — 孟浩然（唐）#2.50e3\n春眠不觉晓，处处闻啼鸟。"],
            outcome.Texts);
        Assert.Equal(RecordShape.Mapped, outcome.Summary.Shape);
    }

    [Fact]
    public async Task A_mapping_indexes_lists_renders_booleans_escapes_braces_and_fills_prompt_and_response()
    {
        var mapping = new FieldMapping
        {
            Template = "{{{title}}} {paragraphs[0]} {rating}",
            ListSeparator = " / ",
            PromptTemplate = "Write a poem titled {title}",
            ResponseTemplate = "{paragraphs}",
        };

        var outcome = await ImportAsync("[{\"title\": \"春晓\", \"paragraphs\": [\"一\", \"二\"], \"rating\": false}]", "p.json", r => r with { Mapping = mapping });

        var record = Assert.Single(outcome.Records);
        Assert.Equal(("{春晓} 一 false", "Write a poem titled 春晓", "一 / 二"), (record.Text, record.Prompt, record.Response));
    }

    [Fact]
    public async Task A_mapping_naming_a_field_a_record_lacks_names_the_record_line_and_field()
    {
        var mapping = new FieldMapping { Template = "{title}\n{paragraphs}\n{rating}" };

        var outcome = await ImportAsync(Poems, "poems.json", r => r with { Mapping = mapping });

        var error = outcome.SingleError();
        Assert.Equal(ImportErrorKind.MissingField, error.Kind);
        Assert.Equal("poems.json, record 1 (line 2), field \"rating\": the mapping names this field but the record has no such field", error.ToString());
    }

    [Fact]
    public async Task A_mapping_naming_an_object_says_to_name_a_field_inside_it()
    {
        var error = (await ImportAsync(Poems, "poems.json", r => r with { Mapping = new FieldMapping { Template = "{meta}" } })).Summary.Errors[0];

        Assert.Equal("poems.json, record 1 (line 2), field \"meta\": expected a string, a number, a boolean or a list of them but found an object; name one of its fields (field.name)", error.ToString());
        Assert.Equal(ImportErrorKind.WrongType, error.Kind);
    }

    [Theory]
    [InlineData("{title", "template: unclosed \"{\" at character 1 (write \"{{\" for a literal brace)")]
    [InlineData("a } b", "template: unmatched \"}\" at character 3 (write \"}}\" for a literal brace)")]
    [InlineData("{}", "template: the placeholder at character 1: an empty field name ({}); write {{}} for literal braces")]
    [InlineData("{a..b}", "template: the placeholder at character 1: \"a..b\" has an empty field name at character 3")]
    [InlineData("{a[x]}", "template: the placeholder at character 1: \"a[x]\": expected a list index such as [0] at character 2")]
    [InlineData("no fields", "template: names no field; use placeholders such as {title} or {text}")]
    public async Task An_unusable_template_is_one_file_level_error(string template, string problem)
    {
        var mapping = new FieldMapping { Template = template };

        var error = (await ImportAsync(Poems, "poems.json", r => r with { Mapping = mapping })).SingleError();

        Assert.Equal(problem, mapping.Validate());
        Assert.Equal(ImportErrorKind.InvalidMapping, error.Kind);
        Assert.Equal($"poems.json, field \"mapping\": the field mapping is unusable: {problem}", error.ToString());
    }

    [Fact]
    public async Task A_mapping_applies_to_text_records_as_the_field_text()
    {
        var outcome = await ImportAsync("甲\n乙\n", "lines.txt", r => r with { TextSplit = TextSplit.Line, Mapping = new FieldMapping { Template = "<p>{text}</p>" } });

        Assert.Equal(["<p>甲</p>", "<p>乙</p>"], outcome.Texts);
        Assert.Equal([1L, 2L], outcome.Records.Select(r => r.Line));
    }

    [Fact]
    public void A_mapping_round_trips_through_json_for_the_lineage_api_and_command_line()
    {
        var mapping = new FieldMapping { Template = "{title}\n{paragraphs}", ListSeparator = "\n\n", RecordsPath = "data", ResponseTemplate = "{answer}" };

        var json = mapping.ToJson();

        Assert.Equal("{\"template\":\"{title}\\n{paragraphs}\",\"listSeparator\":\"\\n\\n\",\"recordsPath\":\"data\",\"responseTemplate\":\"{answer}\"}", json);
        Assert.Equal(mapping, FieldMapping.FromJson(json));
        Assert.Equal(new FieldMapping { Template = "{x}" }, FieldMapping.FromJson("{\"Template\": \"{x}\"}"));
        Assert.Throws<FormatException>(() => FieldMapping.FromJson("{\"template\": \"{x\"}"));
        Assert.Throws<FormatException>(() => FieldMapping.FromJson("not json"));
        Assert.Throws<FormatException>(() => FieldMapping.FromJson("{\"listSeparator\": \",\"}"));
    }

    [Fact]
    public async Task Inspection_of_csv_and_text_shows_columns_and_text_records()
    {
        var csv = await StreamingImporter.InspectAsync(new MemoryStream(Utf8("id,body\n7,你好\n8,world\n9,more\n")), new ImportRequest { FileName = "c.csv" }, 2, CancellationToken.None);
        var text = await StreamingImporter.InspectAsync(new MemoryStream(Utf8("第一段\n\nsecond\n")), new ImportRequest { FileName = "t.txt" }, 10, CancellationToken.None);

        Assert.Equal(["id: string = 7", "body: string = 你好"], csv.Fields.Select(f => $"{f.Path}: {f.Type} = {f.Example}"));
        Assert.Equal(["{\"id\":\"7\",\"body\":\"你好\"}", "{\"id\":\"8\",\"body\":\"world\"}"], csv.RawRecords);
        Assert.Equal((SourceFormat.Csv, (RecordShape?)null), (csv.Format, csv.Shape));
        Assert.Equal(RecordShape.Text, text.Shape);
        Assert.Equal(["第一段", "second"], text.Records.Select(r => r.Text));
        Assert.Empty(text.Errors);
    }

    [Fact]
    public async Task Inspection_shows_format_fields_raw_records_and_the_mapped_preview()
    {
        var bytes = Utf8(Poems);
        var request = new ImportRequest { FileName = "poems.json" };

        var before = await StreamingImporter.InspectAsync(new MemoryStream(bytes), request, 5, CancellationToken.None);
        var after = await StreamingImporter.InspectAsync(new MemoryStream(bytes), request with { Mapping = new FieldMapping { Template = "{title}\n{paragraphs}" } }, 1, CancellationToken.None);

        Assert.Equal((SourceFormat.JsonArray, "utf-8", (RecordShape?)null), (before.Format, before.Encoding, before.Shape));
        Assert.Equal(
            ["title: string = 静夜思", "author: string = 李白", "meta.dynasty: string = 唐", "meta.id: number = 12345678901234567890123",
             "paragraphs: list<string> = 床前明月光，疑是地上霜。", "rating: boolean = true"],
            before.Fields.Select(f => $"{f.Path}: {f.Type} = {f.Example}"));
        Assert.Equal(2, before.RawRecords.Count);
        Assert.StartsWith("{\"title\": \"静夜思\"", before.RawRecords[0]);
        Assert.Equal([ImportErrorKind.NeedsMapping, ImportErrorKind.NeedsMapping], before.Errors.Select(e => e.Kind));
        Assert.Empty(before.Records);

        Assert.Equal(RecordShape.Mapped, after.Shape);
        Assert.Equal("静夜思\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。", Assert.Single(after.Records).Text);
        Assert.Single(after.RawRecords);
        Assert.Empty(after.Errors);
    }
}
