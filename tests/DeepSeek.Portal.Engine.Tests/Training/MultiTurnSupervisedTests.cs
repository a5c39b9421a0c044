using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Engine.Tests.Training;

/// <summary>Multi-turn chat examples: every assistant turn (and the EOS closing it) is a target, nothing else is.</summary>
public class MultiTurnSupervisedTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "你是银行客服。"),
        new(ChatRole.User, "我的卡丢了"),
        new(ChatRole.Assistant, "请立即挂失，并拨打 95588。"),
        new(ChatRole.User, "挂失要钱吗？\n要带身份证吗？"),
        new(ChatRole.Assistant, "挂失免费；请带上身份证。"),
        new(ChatRole.User, "谢谢"),
    ];

    private static readonly SupervisedExample Chat = SupervisedExample.FromConversation(Conversation);

    private static readonly string[] Answers = ["请立即挂失，并拨打 95588。", "挂失免费；请带上身份证。"];

    /// <summary>The packed labels of one example, cut into the runs of consecutive targets.</summary>
    private static List<List<int>> TargetRuns(Tokenizer tokenizer, SupervisedExample example, SupervisedLayout? layout = null)
    {
        var packed = PackedSequences.Build(tokenizer, [], 512, [example], layout);
        Assert.Equal(1, packed.Count);
        var batch = new MicroBatch(1, 512);
        packed.FillRow(0, 0, batch);
        var runs = new List<List<int>>();
        bool inRun = false;
        for (int i = 0; i < 512; i++)
        {
            if (batch.Labels[i] == CausalLM.IgnoreIndex)
            {
                inRun = false;
                continue;
            }
            if (!inRun) runs.Add([]);
            inRun = true;
            runs[^1].Add((int)batch.Labels[i]);
        }
        return runs;
    }

    [Fact]
    public void A_conversation_keeps_the_last_answer_as_its_reference_pair()
    {
        Assert.Equal("你是银行客服。\n我的卡丢了\n请立即挂失，并拨打 95588。\n挂失要钱吗？\n要带身份证吗？", Chat.Prompt);
        Assert.Equal("挂失免费；请带上身份证。", Chat.Response);
        Assert.Equal(string.Join('\n', Conversation.Select(c => c.Content)), Chat.Text);
        Assert.True(Chat.IsUsable);
        Assert.False(SupervisedExample.FromConversation([new(ChatRole.User, "hi"), new(ChatRole.Assistant, " ")]).IsUsable);
    }

    [Fact]
    public void The_plain_layout_targets_exactly_each_answer_and_its_eos()
    {
        var tokenizer = Tokenizer.Train([Chat.Text, .. DemoCorpus.Generate(40, 3)], 400);

        var runs = TargetRuns(tokenizer, Chat);

        Assert.Equal(Answers.Length, runs.Count);
        for (int i = 0; i < Answers.Length; i++)
        {
            Assert.Equal(tokenizer.EosId, runs[i][^1]);
            Assert.Equal(Answers[i], tokenizer.Decode(runs[i][..^1]));
            Assert.Equal([.. tokenizer.Encode(Answers[i]), tokenizer.EosId], runs[i]);
        }
    }

    [Fact]
    public void The_plain_layout_is_the_stored_text_with_an_eos_closing_each_answer_and_nothing_after_the_last()
    {
        var tokenizer = Tokenizer.Train([Chat.Text], 400);

        var segments = SupervisedLayout.Plain.Encode(tokenizer, Chat);

        Assert.Equal([false, true, false, true], segments.Select(s => s.Trained));
        Assert.Equal(tokenizer.BosId, segments[0].Ids[0]);
        Assert.Equal("你是银行客服。\n我的卡丢了\n", tokenizer.Decode(segments[0].Ids));
        Assert.Equal("挂失要钱吗？\n要带身份证吗？\n", tokenizer.Decode(segments[2].Ids));
        Assert.DoesNotContain(segments, s => tokenizer.Decode(s.Ids).Contains("谢谢", StringComparison.Ordinal));
    }

    [Fact]
    public void A_one_answer_conversation_trains_exactly_like_the_same_pair()
    {
        var pair = new SupervisedExample("我的卡丢了", "请立即挂失。");
        var conversation = SupervisedExample.FromConversation([new(ChatRole.User, "我的卡丢了"), new(ChatRole.Assistant, "请立即挂失。")]);
        var tokenizer = Tokenizer.Train([pair.Text], 300);

        Assert.Equal(pair.Text, conversation.Text);
        Assert.Equal(
            SupervisedLayout.Plain.Encode(tokenizer, pair).SelectMany(s => s.Ids.Select(id => (id, s.Trained))),
            SupervisedLayout.Plain.Encode(tokenizer, conversation).SelectMany(s => s.Ids.Select(id => (id, s.Trained))));
    }

    [Theory]
    [InlineData(ChatTemplate.DeepSeekV3, "")]
    [InlineData(ChatTemplate.DeepSeekLlm, " ")]
    public void A_family_template_renders_the_conversation_and_targets_each_answer_and_its_eos(ChatTemplate template, string lead)
    {
        var tokenizer = Tokenizer.Train([Chat.Text, ChatTemplates.Render(template, Conversation)], 400);
        var layout = SupervisedLayout.ForTemplate(template);

        var segments = layout.Encode(tokenizer, Chat);
        var runs = TargetRuns(tokenizer, Chat, layout);

        // Read back, the tokens are the template's text up to the last answer (the trailing "谢谢" teaches nothing).
        Assert.Equal(ChatTemplates.Render(template, Conversation[..^1]), tokenizer.Decode(segments.SelectMany(s => s.Ids), skipSpecialTokens: false));
        Assert.Equal(Answers.Length, runs.Count);
        for (int i = 0; i < Answers.Length; i++)
        {
            Assert.Equal(tokenizer.EosId, runs[i][^1]);
            Assert.Equal(lead + Answers[i], tokenizer.Decode(runs[i][..^1]));
        }
    }

    [Fact]
    public void Template_markers_written_in_a_turn_stay_text()
    {
        var tokenizer = Tokenizer.Train(["hello world"], 300);
        var forged = SupervisedExample.FromConversation([new(ChatRole.User, "hi" + Tokenizer.EndOfSentence), new(ChatRole.Assistant, "ok")]);

        var read = SupervisedLayout.ForTemplate(ChatTemplate.DeepSeekV3).Encode(tokenizer, forged)[0].Ids;

        Assert.Equal(tokenizer.BosId, read[0]);
        Assert.DoesNotContain(tokenizer.EosId, read);
    }

    [Fact]
    public async Task A_run_trains_on_multi_turn_conversations_with_plain_text_alongside()
    {
        using var dir = new TempDirectory();
        var texts = DemoCorpus.Generate(120, 7);
        var examples = Enumerable.Range(0, 60).Select(i => SupervisedExample.FromConversation(
        [
            new(ChatRole.User, $"问题 {i}：接下来是什么？"),
            new(ChatRole.Assistant, texts[2 * i]),
            new(ChatRole.User, "再说一句。"),
            new(ChatRole.Assistant, texts[2 * i + 1]),
        ])).ToArray();
        var request = TestModels.QuickRequest(dir.Path, 3, trainTexts: 40) with { SupervisedExamples = examples };
        var losses = new List<double>();

        var outcome = await Trainer.RunAsync(request, p => losses.Add(p.Loss), CancellationToken.None);

        Assert.Equal(3, outcome.StepsCompleted);
        Assert.All(losses, l => Assert.True(double.IsFinite(l) && l > 0));
    }
}
