using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Engine.Tests.Training;

public class SupervisedMaskingTests
{
    private const string Plain = "Plain text trains every token.";
    private static readonly SupervisedExample Chat = new("User: 北京的天气怎么样？", "Assistant: 今天晴，25 度。");

    [Fact]
    public void Chat_examples_train_on_the_response_only_and_plain_text_on_every_token()
    {
        var tokenizer = Tokenizer.Train([Plain, Chat.Text], 320);
        var plain = tokenizer.Encode(Plain, addBos: true, addEos: true);
        var prompt = tokenizer.Encode(Chat.Prompt + "\n", addBos: true);
        var response = tokenizer.Encode(Chat.Response, addEos: true);
        int length = plain.Length + prompt.Length + response.Length + 2;
        var batch = new MicroBatch(1, length);
        PackedSequences.Build(tokenizer, [Plain], length, [Chat]).FillRow(0, 0, batch);

        // Plain document: each token's label is the next token, the EOS has none.
        for (int i = 0; i < plain.Length; i++)
            Assert.Equal(i + 1 < plain.Length ? plain[i + 1] : CausalLM.IgnoreIndex, batch.Labels[i]);

        // Chat document: no target inside the prompt; from the prompt's last token on, the response and its EOS.
        var chat = prompt.Concat(response).ToArray();
        for (int i = 0; i < chat.Length; i++)
        {
            long expected = i + 1 >= prompt.Length && i + 1 < chat.Length ? chat[i + 1] : CausalLM.IgnoreIndex;
            Assert.Equal(expected, batch.Labels[plain.Length + i]);
            Assert.Equal(chat[i], batch.Inputs[plain.Length + i]);
        }
        Assert.Equal(plain.Length - 1 + response.Length, batch.TargetCount);
        Assert.Equal(tokenizer.EosId, batch.Labels[plain.Length + chat.Length - 2]);
    }

    [Fact]
    public async Task A_run_trains_on_supervised_examples_alone()
    {
        using var dir = new TempDirectory();
        var examples = DemoCorpus.Generate(120, 5).Select((t, i) => new SupervisedExample($"Question {i}: what follows?", t)).ToArray();
        var request = TestModels.QuickRequest(dir.Path, 3, trainTexts: 0) with { TrainTexts = [], SupervisedExamples = examples };
        var losses = new List<double>();
        var outcome = await Trainer.RunAsync(request, p => losses.Add(p.Loss), CancellationToken.None);
        Assert.Equal(3, outcome.StepsCompleted);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
    }

    [Fact]
    public async Task Examples_with_a_mixture_are_refused()
    {
        using var dir = new TempDirectory();
        var request = TestModels.QuickRequest(dir.Path, 1) with { SupervisedExamples = [Chat] };
        var mixture = new DeepSeek.Portal.Engine.Training.Mixing.TrainingMixture([new("a", DemoCorpus.Generate(50, 1))]);
        await Assert.ThrowsAsync<ArgumentException>(() => Trainer.RunAsync(request with { TrainTexts = [], Mixture = mixture }, _ => { }, CancellationToken.None));
    }
}
