using System.Text;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Feeding.Composer;

namespace DeepSeek.Portal.Evaluation.Tests.Suites;

public sealed class SuiteFileTests
{
    private static SuiteFileResult Read(params string[] lines) => SuiteFile.Read(lines);

    [Fact]
    public void Reads_every_kind_with_its_fields_and_defaults()
    {
        var result = Read(
            """{"id":"g1","kind":"generation","prompt":"Translate: 你好","reference":"Hello","domain":"banking"}""",
            """{"id":2,"kind":"extraction","slice":"general","prompt":"Q?","references":["a","b"]}""",
            "",
            """{"id":"c1","kind":"Classification","slice":"adversarial","prompt":"Sentiment?","choices":["pos","neg"],"answer":"neg","scoring":"generation"}""",
            """{"id":"c2","kind":"classification","prompt":"Pick","choices":["x","y","z"],"answer":2}""",
            """{"id":"t1","kind":"conversation","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Open an account"}],"criteria":["account"]}""");

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal(["g1", "2", "c1", "c2", "t1"], result.Items.Select(i => i.Id));
        var g = result.Items[0];
        Assert.Equal((ItemKind.Generation, EvaluationSlice.Domain, "banking", "Hello"), (g.Kind, g.Slice, g.Domain, g.References.Single()));
        Assert.Equal(["a", "b"], result.Items[1].References);
        Assert.Equal(EvaluationSlice.General, result.Items[1].Slice);
        var c1 = result.Items[2];
        Assert.Equal((ItemKind.Classification, EvaluationSlice.Adversarial, 1, ChoiceScoring.Generation), (c1.Kind, c1.Slice, c1.Answer, c1.Scoring));
        Assert.Equal((2, ChoiceScoring.LogLikelihood), (result.Items[3].Answer, result.Items[3].Scoring));
        var t = result.Items[4];
        Assert.Equal(["system", "user"], t.Messages!.Select(m => m.Role));
        Assert.Equal(["account"], t.CompletionCriteria);
    }

    [Fact]
    public void Every_problem_is_reported_by_line_and_field_and_no_item_is_kept()
    {
        var result = Read(
            """{"id":"ok","kind":"generation","prompt":"p","reference":"r"}""",
            """{"id":"g","kind":"generation","prompt":"p"}""",
            """{"id":"x","kind":"extraction","prompt":"p","references":[]}""",
            """{"id":"c","kind":"classification","prompt":"p","choices":["a","b"],"answer":"c"}""",
            """{"id":"c3","kind":"classification","prompt":"p","choices":["a","b"],"answer":5}""",
            """{"id":"k","kind":"summary","prompt":"p"}""",
            """{"id":"ok","kind":"generation","prompt":"p","reference":"r"}""",
            """{"id":"bad json" """,
            """{"id":"s","kind":"generation","slice":"weird","prompt":"p","reference":"r"}""",
            """{"id":"m","kind":"conversation","messages":[{"role":"robot","content":"hi"}],"criteria":["x"]}""");

        Assert.False(result.Succeeded);
        Assert.Empty(result.Items);
        var found = result.Errors.Select(e => (e.Line, e.Field)).ToList();
        Assert.Contains((2, "references"), found);
        Assert.Contains((3, "references"), found);
        Assert.Contains((4, "answer"), found);
        Assert.Contains((5, "answer"), found);
        Assert.Contains((6, "kind"), found);
        Assert.Contains((7, "id"), found);
        Assert.Contains((8, (string?)null), found);
        Assert.Contains((9, "slice"), found);
        Assert.Contains((10, "messages[0].role"), found);
        Assert.DoesNotContain(result.Errors, e => e.Line == 1);
        Assert.Contains("reference", result.Errors.Single(e => e.Line == 2).Message);
        Assert.Contains("\"c\"", result.Errors.Single(e => e.Line == 4).Message);
        Assert.Contains("line 1", result.Errors.Single(e => e.Line == 7).Message);
    }

    [Fact]
    public async Task A_byte_order_mark_is_fine_and_bytes_that_are_not_utf8_are_refused()
    {
        var bom = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("{\"id\":\"a\",\"kind\":\"generation\",\"prompt\":\"问\",\"reference\":\"答\"}\n")).ToArray();
        var ok = await SuiteFile.ReadAsync(new MemoryStream(bom), CancellationToken.None);
        Assert.True(ok.Succeeded, string.Join("; ", ok.Errors));
        Assert.Equal("答", ok.Items.Single().References[0]);

        var gbk = new byte[] { (byte)'{', 0xC4, 0xE3, (byte)'}' };
        var refused = await SuiteFile.ReadAsync(new MemoryStream(gbk), CancellationToken.None);
        Assert.False(refused.Succeeded);
        Assert.Contains("UTF-8", refused.Errors.Single().Message);
    }

    [Fact]
    public void An_empty_file_is_a_problem_of_the_file()
    {
        var result = Read("", "  ");
        Assert.Equal(0, result.Errors.Single().Line);
    }

    [Fact]
    public void A_spec_round_trips_to_the_same_item()
    {
        var item = Read("""{"id":"c","kind":"classification","slice":"general","domain":"d","prompt":"p","choices":["a","b"],"answer":1,"scoring":"generation"}""").Items.Single();
        var again = SuiteItemSpec.From(item).ToItem();
        Assert.Equal((item.Id, item.Kind, item.Slice, item.Domain, item.Prompt, item.Answer, item.Scoring), (again.Id, again.Kind, again.Slice, again.Domain, again.Prompt, again.Answer, again.Scoring));
        Assert.Equal(item.Choices, again.Choices);
    }
}
