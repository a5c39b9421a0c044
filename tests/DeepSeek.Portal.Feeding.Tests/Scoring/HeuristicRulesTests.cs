using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Scoring;

namespace DeepSeek.Portal.Feeding.Tests.Scoring;

public class HeuristicRulesTests
{
    private static RuleResult Rule(string text, string name) => HeuristicRules.Default.Evaluate(text).Single(r => r.Name == name);

    [Fact]
    public void No_rule_fires_on_the_clean_demo_records()
    {
        var fired = DemoDataset.Generate(7, 3000)
            .SelectMany(t => HeuristicRules.Default.Evaluate(t).Where(r => r.Fired).Select(r => $"{r}: {t}"))
            .Take(5).ToList();
        Assert.Empty(fired);
        Assert.Equal(NoiseLabel.Clean, HeuristicRules.Default.SuggestLabel(DemoDataset.Generate(7, 1)[0]));
    }

    [Fact]
    public void Generated_noise_of_every_kind_is_labelled_noisy()
    {
        var r = new Random(5);
        for (int i = 0; i < 20; i++)
        {
            foreach (var noise in new[] { NoiseSamples.RepeatedTokens(r), NoiseSamples.RepeatedChinese(r), NoiseSamples.RandomSymbols(r), NoiseSamples.HtmlBoilerplate(r) })
                Assert.True(HeuristicRules.Default.SuggestLabel(noise) == NoiseLabel.Noisy, noise);
        }
        // Latin-1 misreading changes only non-ASCII text.
        foreach (var clean in DemoDataset.Generate(3, 50).Where(t => t.Any(c => c > 127)))
            Assert.Equal(NoiseLabel.Noisy, HeuristicRules.Default.SuggestLabel(NoiseSamples.Mojibake(clean)));
    }

    [Fact]
    public void Each_kind_of_noise_fires_its_own_rule()
    {
        var r = new Random(1);
        Assert.True(Rule(NoiseSamples.RandomSymbols(r), "special_character_ratio").Fired);
        Assert.True(Rule(NoiseSamples.HtmlBoilerplate(r), "markup_fraction").Fired);
        Assert.True(Rule(NoiseSamples.Mojibake("您好，您的借记卡当前可用余额为100元。"), "mojibake_fraction").Fired);
        Assert.True(Rule(NoiseSamples.Mojibake("Café crème, s'il vous plaît — merci."), "mojibake_fraction").Fired);
        Assert.False(Rule("Café crème, s'il vous plaît — merci. Grüße aus München.", "mojibake_fraction").Fired);
        Assert.True(Rule(string.Concat(Enumerable.Repeat("点击领取红包！", 20)), "top_2gram_char_fraction").Fired);
        Assert.True(Rule("same line\nsame line\nsame line\nother line", "duplicate_line_fraction").Fired);
        Assert.True(Rule(new string('a', 300), "entropy_low").Fired);
    }

    [Fact]
    public void Duplicate_ngram_fraction_follows_datatrove()
    {
        // 60 distinct words, then the first ten again: Gopher-sized, so the first repeat counts. The walk finds the
        // 5-gram "w0w1w2w3w4" again at position 60, adds its characters, skips 5 words, then finds "w5…w9".
        var words = Enumerable.Range(0, 60).Select(i => $"w{i}").Concat(Enumerable.Range(0, 10).Select(i => $"w{i}")).ToArray();
        var text = string.Join(' ', words);
        var repeatedChars = string.Concat(words[..10]).Length;
        Assert.Equal((double)repeatedChars / text.Length, Rule(text, "duplicate_5gram_char_fraction").Value, 12);
    }

    [Fact]
    public void A_short_record_may_echo_a_phrase()
    {
        const string echo = "Customer: What is the rate for a 1-year fixed deposit?\nAgent: The rate for a 1-year fixed deposit is 1.65% a year.";
        Assert.DoesNotContain(HeuristicRules.Default.Evaluate(echo), r => r.Fired);
    }

    [Fact]
    public void Chinese_ngrams_are_character_ngrams_scaled_by_two()
    {
        Assert.Equal(["用", "python", "训", "练", "模", "型"], HeuristicRules.Units("用 python 训练模型"));
        Assert.Contains(HeuristicRules.Default.Evaluate("银行卡挂失需要携带身份证到柜台办理。"), r => r.Name == "top_2gram_char_fraction");
    }

    [Fact]
    public void English_word_rules_apply_to_english_only()
    {
        Assert.Contains(HeuristicRules.Default.Evaluate("How do I report a lost bank card?"), r => r.Name == "mean_word_length_min");
        Assert.DoesNotContain(HeuristicRules.Default.Evaluate("银行卡挂失需要携带身份证到柜台办理。"), r => r.Name == "mean_word_length_min");
    }

    [Fact]
    public void Labels_follow_the_number_and_margin_of_fired_rules()
    {
        Assert.Equal(NoiseLabel.Noisy, HeuristicRules.Default.SuggestLabel("   "));
        Assert.Equal(NoiseLabel.Unsure, HeuristicRules.Default.SuggestLabel("Hi there"));
        Assert.Equal(NoiseLabel.Clean, HeuristicRules.Default.SuggestLabel("How do I report a lost bank card?"));
        // One rule missed narrowly: 6 % markup with the threshold lowered to 0.05.
        var rules = new HeuristicRules(new HeuristicOptions { MaxMarkupFraction = 0.05 });
        var text = "Please call us at the number on the back of your card.<br>Thanks";
        var results = rules.Evaluate(text);
        Assert.Single(results, r => r.Fired);
        Assert.Equal(NoiseLabel.Unsure, rules.SuggestLabel(text));
        Assert.Equal(NoiseLabel.Unsure, rules.SuggestLabel(text, results));
    }

    [Fact]
    public void Every_result_names_its_threshold_and_direction()
    {
        var results = HeuristicRules.Default.Evaluate("How do I report a lost bank card?");
        Assert.Equal(results.Count, results.Select(r => r.Name).Distinct().Count());
        Assert.Contains(results, r => r is { Name: "special_character_ratio", Threshold: 0.45, Direction: PassDirection.KeepAtMost });
        Assert.Contains(results, r => r is { Name: "alphanumeric_ratio", Threshold: 0.25, Direction: PassDirection.KeepAtLeast });
        Assert.Equal("special_character_ratio 0.5 > 0.45", new RuleResult("special_character_ratio", 0.5, 0.45, true, PassDirection.KeepAtMost).ToString());
    }

    [Fact]
    public void As_a_scorer_it_counts_fired_rules_and_keeps_zero()
    {
        var rules = HeuristicRules.Default;
        Assert.Equal(PassDirection.KeepAtMost, rules.Direction);
        Assert.Equal(0, rules.Score("How do I report a lost bank card?"));
        Assert.True(rules.Score(new string('#', 80)) >= 2);
        Assert.Contains("Gopher", rules.Describe());
    }
}
