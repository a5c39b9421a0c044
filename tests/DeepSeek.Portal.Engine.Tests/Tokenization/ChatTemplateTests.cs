using DeepSeek.Portal.Engine.Tokenization;
using static DeepSeek.Portal.Engine.Tests.Tokenization.SmallTokenizers;

namespace DeepSeek.Portal.Engine.Tests.Tokenization;

/// <summary>The chat formats against the reference's examples, as text and as ids.</summary>
public class ChatTemplateTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "You are helpful."),
        new(ChatRole.User, "Hello"),
        new(ChatRole.Assistant, "Hi there"),
    ];

    [Fact]
    public void V3_matches_the_reference_example()
    {
        Assert.Equal(
            "<｜begin▁of▁sentence｜>You are helpful.<｜User｜>Hello<｜Assistant｜>Hi there<｜end▁of▁sentence｜>",
            ChatTemplates.Render(ChatTemplate.DeepSeekV3, Conversation));
    }

    [Fact]
    public void V3_generation_prompt_opens_an_assistant_turn()
    {
        ChatMessage[] question = [new(ChatRole.User, "1+1?")];
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>1+1?<｜Assistant｜>", ChatTemplates.Render(ChatTemplate.DeepSeekV3, question, addGenerationPrompt: true));
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>1+1?", ChatTemplates.Render(ChatTemplate.DeepSeekV3, question));
    }

    [Fact]
    public void Llm_and_v2_use_user_and_assistant_prefixes()
    {
        Assert.Equal(
            "<｜begin▁of▁sentence｜>You are helpful.\n\nUser: Hello\n\nAssistant: Hi there<｜end▁of▁sentence｜>User: Again\n\nAssistant:",
            ChatTemplates.Render(ChatTemplate.DeepSeekLlm, [.. Conversation, new(ChatRole.User, "Again")], addGenerationPrompt: true));
    }

    [Fact]
    public void R1_keeps_only_the_answer_after_the_last_think_end_and_opens_thinking()
    {
        ChatMessage[] messages =
        [
            new(ChatRole.User, "2+2?"),
            new(ChatRole.Assistant, "<think>\n2+2 is 4</think>\n\nIt is 4."),
            new(ChatRole.User, "And 3+3?"),
        ];
        var expected = "<｜begin▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜>\n\nIt is 4.<｜end▁of▁sentence｜><｜User｜>And 3+3?<｜Assistant｜><think>\n";
        Assert.Equal(expected, ChatTemplates.Render(ChatTemplate.DeepSeekR1, messages, addGenerationPrompt: true));
        Assert.Equal(expected, ChatTemplates.Render(ChatTemplate.DeepSeekR1Distill, messages, addGenerationPrompt: true));
        // The first revision of the template stopped at the assistant tag; V3 keeps the reasoning text.
        Assert.EndsWith("And 3+3?<｜Assistant｜>", ChatTemplates.Render(ChatTemplate.DeepSeekR1, messages, addGenerationPrompt: true, openThinking: false));
        Assert.Contains("<think>\n2+2 is 4</think>", ChatTemplates.Render(ChatTemplate.DeepSeekV3, messages));
        Assert.Equal("b", ChatTemplates.AnswerAfterReasoning("</think>a</think>b"));
        Assert.Equal("no reasoning", ChatTemplates.AnswerAfterReasoning("no reasoning"));
    }

    [Fact]
    public void Rendered_ids_carry_each_family_special_ids()
    {
        var v3 = Load(Json(TokenizerFamily.DeepSeekV3, LearnMerges(60)));
        var ids = ChatTemplates.RenderIds(v3, ChatTemplate.DeepSeekR1, [new(ChatRole.User, "你好")], addGenerationPrompt: true);
        Assert.Equal(0, ids[0]);
        Assert.Equal(128803, ids[1]);
        Assert.Equal([128804, 128798], ids[^3..^1]);
        Assert.Equal(v3.Encode("\n"), ids[^1..]);
        Assert.Equal(v3.Encode("你好"), ids[2..^3]);

        var distill = Load(Json(TokenizerFamily.Qwen2, LearnMerges(60)));
        var distillIds = ChatTemplates.RenderIds(distill, ChatTemplate.DeepSeekR1Distill, [new(ChatRole.User, "你好")], addGenerationPrompt: true);
        Assert.Equal([151646, 151644], distillIds[..2]);
        Assert.Equal([151645, 151648], distillIds[^3..^1]);

        var llm = Load(Json(TokenizerFamily.DeepSeekLlm, LearnMerges(60)));
        var llmIds = ChatTemplates.RenderIds(llm, ChatTemplate.DeepSeekLlm, Conversation);
        Assert.Equal(100000, llmIds[0]);
        Assert.Equal(100001, llmIds[^1]);
        Assert.Equal(ChatTemplates.Render(ChatTemplate.DeepSeekLlm, Conversation), llm.Decode(llmIds, skipSpecialTokens: false));
    }
}
