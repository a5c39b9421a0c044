using DeepSeek.Portal.Engine.Generation;
using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests;

public class GenerationTests
{
    public static TheoryData<string> Families => ["deepseek_v2", "deepseek_v3", "llama", "llama_tied", "qwen2"];

    private static readonly long[][] Prompts = [[5, 9, 13], [2, 40, 41, 7, 7, 30], [17]];

    private static CausalLM Model(string family)
    {
        var model = TestModels.NewModel(TestModels.Family(family));
        using (no_grad())
        {
            using var generator = new TorchSharp.torch.Generator(33);
            foreach (var (name, p) in model.named_parameters())
            {
                if (p.dim() == 2) p.normal_(0, 0.3, generator);
            }
        }
        return model;
    }

    /// <summary>Greedy decoding the slow way: a full forward over prompt + output for every new token.</summary>
    private static List<long> GreedyByRecompute(CausalLM model, IReadOnlyList<long> prompt, int tokens)
    {
        model.eval();
        var sequence = prompt.ToList();
        using var _ = no_grad();
        for (int i = 0; i < tokens; i++)
        {
            using var scope = NewDisposeScope();
            var logits = model.call(tensor(sequence.ToArray()).reshape(1, -1));
            sequence.Add(logits[0, -1].argmax().item<long>());
        }
        return sequence.Skip(prompt.Count).ToList();
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Greedy_generation_over_the_cache_equals_greedy_by_full_recompute_for_a_batch_of_different_lengths(string family)
    {
        using var model = Model(family);
        var results = await new SequenceGenerator(model).GenerateAsync(Prompts, new SamplingOptions { Temperature = 0, MaxNewTokens = 6 });
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(GreedyByRecompute(model, Prompts[i], 6), results[i].TokenIds);
            Assert.Equal(FinishReason.Length, results[i].Reason);
        }
        // The batch is not degenerate: the rows continue differently.
        Assert.NotEqual(results[0].TokenIds, results[1].TokenIds);
    }

    [Fact]
    public async Task Streaming_yields_every_token_of_the_results_in_order_and_reports_each_row_once()
    {
        using var model = Model("llama");
        var options = new SamplingOptions { Temperature = 0.8, TopK = 20, TopP = 0.9, MaxNewTokens = 5, Seed = 4 };
        var streamed = new List<GeneratedToken>();
        var finished = new List<(int, GenerationResult)>();
        await foreach (var token in new SequenceGenerator(model).StreamAsync(Prompts, options, finished.Add)) streamed.Add(token);
        Assert.Equal([0, 1, 2], finished.Select(f => f.Item1).Order());
        foreach (var (row, result) in finished)
        {
            var tokens = streamed.Where(t => t.Sequence == row).ToList();
            Assert.Equal(result.TokenIds, tokens.Select(t => t.TokenId));
            Assert.Equal(Enumerable.Range(0, tokens.Count), tokens.Select(t => t.Index));
        }
        // Same seed, same output.
        var again = await new SequenceGenerator(model).GenerateAsync(Prompts, options);
        Assert.Equal(finished.OrderBy(f => f.Item1).Select(f => f.Item2.TokenIds), again.Select(r => r.TokenIds));
    }

    [Fact]
    public async Task Top_k_of_one_samples_the_greedy_tokens()
    {
        using var model = Model("qwen2");
        var greedy = await new SequenceGenerator(model).GenerateAsync(Prompts, new SamplingOptions { Temperature = 0, MaxNewTokens = 4 });
        var topOne = await new SequenceGenerator(model).GenerateAsync(Prompts, new SamplingOptions { Temperature = 1.5, TopK = 1, MaxNewTokens = 4, Seed = 9 });
        Assert.Equal(greedy.Select(r => r.TokenIds), topOne.Select(r => r.TokenIds));
    }

    [Fact]
    public async Task Stop_tokens_and_stop_strings_end_a_row_early_and_the_stop_string_is_cut_from_the_text()
    {
        using var model = Model("deepseek_v2");
        var plain = await new SequenceGenerator(model).GenerateAsync([Prompts[1]], new SamplingOptions { Temperature = 0, MaxNewTokens = 6 });
        var tokens = plain[0].TokenIds;
        int stopAt = 2;
        long stopToken = tokens[stopAt];
        int first = tokens.ToList().IndexOf(stopToken);

        var byToken = await new SequenceGenerator(model).GenerateAsync([Prompts[1]],
            new SamplingOptions { Temperature = 0, MaxNewTokens = 6, StopTokenIds = [stopToken] });
        Assert.Equal(FinishReason.StopToken, byToken[0].Reason);
        Assert.Equal(tokens.Take(first + 1), byToken[0].TokenIds);

        static string Decode(IReadOnlyList<long> ids) => string.Concat(ids.Select(id => $"<{id}>"));
        var byString = await new SequenceGenerator(model, Decode).GenerateAsync([Prompts[1]],
            new SamplingOptions { Temperature = 0, MaxNewTokens = 6, StopStrings = [$"<{stopToken}>"] });
        Assert.Equal(FinishReason.StopString, byString[0].Reason);
        Assert.Equal(tokens.Take(first + 1), byString[0].TokenIds);
        Assert.Equal(Decode(tokens.Take(first).ToList()), byString[0].Text);
    }

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_of_seen_tokens()
    {
        float[] logits = [2f, -1f, 0.5f, 3f];
        LogitsProcessing.ApplyRepetitionPenalty(logits, [0, 1, 1], 2.0);
        Assert.Equal([1f, -2f, 0.5f, 3f], logits);
    }

    [Fact]
    public void Top_k_and_top_p_remove_the_unlikely_tail()
    {
        float[] logits = [1f, 4f, 3f, 2f];
        LogitsProcessing.ApplyTopK(logits, 2);
        Assert.Equal([float.NegativeInfinity, 4f, 3f, float.NegativeInfinity], logits);

        // Probabilities 0.1, 0.2, 0.3, 0.4: top-p 0.65 keeps {0.4, 0.3} (0.1 + 0.2 ≤ 0.35 removed, 0.6 > 0.35 kept).
        float[] nucleus = [.. new[] { 0.1, 0.2, 0.3, 0.4 }.Select(p => (float)Math.Log(p))];
        LogitsProcessing.ApplyTopP(nucleus, 0.65);
        Assert.True(float.IsNegativeInfinity(nucleus[0]));
        Assert.True(float.IsNegativeInfinity(nucleus[1]));
        Assert.True(float.IsFinite(nucleus[2]) && float.IsFinite(nucleus[3]));
        // Top-p never removes the most likely token.
        float[] peaked = [0f, 10f];
        LogitsProcessing.ApplyTopP(peaked, 0.01);
        Assert.True(float.IsFinite(peaked[1]));
    }

    [Fact]
    public void Sampling_follows_the_softmax_of_the_tempered_logits()
    {
        var random = new Random(1);
        var counts = new int[3];
        for (int i = 0; i < 20000; i++)
        {
            float[] logits = [0f, (float)Math.Log(3), float.NegativeInfinity];
            LogitsProcessing.ApplyTemperature(logits, 1.0);
            counts[LogitsProcessing.Sample(logits, random)]++;
        }
        Assert.Equal(0, counts[2]);
        Assert.InRange(counts[1] / 20000.0, 0.73, 0.77); // 3 / (1 + 3)
    }

    [Fact]
    public async Task Invalid_options_are_refused_naming_the_field()
    {
        using var model = Model("llama");
        var e = await Assert.ThrowsAsync<ArgumentException>(() => new SequenceGenerator(model).GenerateAsync(Prompts, new SamplingOptions { TopP = 0 }));
        Assert.Contains("TopP", e.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => new SequenceGenerator(model).GenerateAsync(Prompts, new SamplingOptions { StopStrings = ["x"] }));
    }
}
