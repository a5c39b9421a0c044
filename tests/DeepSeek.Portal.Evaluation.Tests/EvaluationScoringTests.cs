using DeepSeek.Portal.Evaluation.Metrics;
using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluation.Scoring;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Feeding.Composer;

namespace DeepSeek.Portal.Evaluation.Tests;

public sealed class EvaluationScoringTests
{
    private static SuiteItem Gen(string id, EvaluationSlice slice, string? domain, params string[] refs) =>
        new(id, ItemKind.Generation, slice) { Domain = domain, Prompt = "p", References = refs };

    private static SuiteItem Choice(string id, EvaluationSlice slice, int answer, ChoiceScoring scoring = ChoiceScoring.LogLikelihood, params string[] choices) =>
        new(id, ItemKind.Classification, slice) { Domain = "finance", Prompt = "q", Choices = choices.Length > 0 ? choices : ["up", "down", "flat"], Answer = answer, Scoring = scoring };

    private static ItemOutput Picked(string id, int index, int count = 3) =>
        new(id) { ChoiceLogLikelihoods = Enumerable.Range(0, count).Select(i => i == index ? -0.5 : -3.0).ToList() };

    [Fact]
    public void Generation_items_get_sentence_bleu_rouge_and_their_nll()
    {
        var item = Gen("g1", EvaluationSlice.General, null, "The dog bit the man.");
        var score = EvaluationScoring.Score(item, new ItemOutput("g1") { Text = "The dog bit the man.", ReferenceNll = 3.5, ReferenceTokens = 7 });
        Assert.False(score.Failed);
        Assert.Equal(100, score.Values[MetricNames.Bleu], 9);
        Assert.Equal(100, score.Values[MetricNames.RougeL], 9);
        Assert.Equal(3.5, score.Values[EvaluationScoring.Nll]);
        Assert.Equal(7, score.Values[EvaluationScoring.Tokens]);

        var partial = EvaluationScoring.Score(item, new ItemOutput("g1") { Text = "The dog bit a man." });
        Assert.Equal(Bleu.Sentence("The dog bit a man.", ["The dog bit the man."]).Score, partial.Values[MetricNames.Bleu], 12);
        Assert.False(partial.Values.ContainsKey(EvaluationScoring.Nll));
    }

    [Fact]
    public void Chinese_generation_items_use_the_zh_tokenizer_for_their_sentence_bleu()
    {
        var item = Gen("z1", EvaluationSlice.Domain, "legal", "今天天气不错");
        var score = EvaluationScoring.Score(item, new ItemOutput("z1") { Text = "今天天气很好" });
        var zh = Bleu.Sentence("今天天气很好", ["今天天气不错"], BleuOptions.Sentence with { Tokenizer = BleuTokenizer.Zh }).Score;
        Assert.True(zh > 0);
        Assert.Equal(zh, score.Values[MetricNames.Bleu], 12);
        Assert.Equal(100 * 4.0 / 6, score.Values[MetricNames.RougeL], 9);
    }

    [Fact]
    public void Extraction_items_get_the_best_f1_and_exact_match()
    {
        var item = new SuiteItem("e1", ItemKind.Extraction, EvaluationSlice.Domain) { References = ["Denver Broncos", "Broncos"] };
        var score = EvaluationScoring.Score(item, new ItemOutput("e1") { Text = "the Broncos" });
        Assert.Equal(100, score.Values[MetricNames.F1], 9);
        Assert.Equal(100, score.Values[MetricNames.ExactMatch]);
        Assert.True(score.Values.ContainsKey(MetricNames.RougeL));
    }

    [Fact]
    public void Classification_by_log_likelihood_takes_the_highest_and_the_first_of_ties()
    {
        var item = Choice("c1", EvaluationSlice.Domain, 1);
        Assert.Equal(100, EvaluationScoring.Score(item, Picked("c1", 1)).Values[EvaluationScoring.Correct]);
        var tie = new ItemOutput("c1") { ChoiceLogLikelihoods = [-2.0, -1.0, -1.0] };
        Assert.Equal(1, EvaluationScoring.PredictChoice(item, tie));
        var wrong = EvaluationScoring.Score(item, Picked("c1", 2));
        Assert.Equal(0, wrong.Values[EvaluationScoring.Correct]);
        Assert.Equal(2, wrong.Values[EvaluationScoring.Predicted]);
    }

    [Fact]
    public void Classification_by_generation_matches_equal_then_contained_choices()
    {
        var item = Choice("c2", EvaluationSlice.General, 0, ChoiceScoring.Generation, "The price goes up", "The price goes down");
        Assert.Equal(0, EvaluationScoring.PredictChoice(item, new ItemOutput("c2") { Text = "price goes up." }));
        Assert.Equal(1, EvaluationScoring.PredictChoice(item, new ItemOutput("c2") { Text = "I think the price goes down, sadly" }));
        Assert.Null(EvaluationScoring.PredictChoice(item, new ItemOutput("c2") { Text = "price goes up or price goes down" }));
        Assert.Null(EvaluationScoring.PredictChoice(item, new ItemOutput("c2") { Text = "no idea" }));
        var none = EvaluationScoring.Score(item, new ItemOutput("c2") { Text = "no idea" });
        Assert.Equal(0, none.Values[EvaluationScoring.Correct]);
        Assert.False(none.Values.ContainsKey(EvaluationScoring.Predicted));

        var zh = Choice("c3", EvaluationSlice.General, 1, ChoiceScoring.Generation, "上涨", "下跌");
        Assert.Equal(1, EvaluationScoring.PredictChoice(zh, new ItemOutput("c3") { Text = "答案是：下跌。" }));
    }

    [Fact]
    public void Conversations_are_completed_when_every_phrase_appears_width_and_case_insensitively()
    {
        var item = new SuiteItem("v1", ItemKind.Conversation, EvaluationSlice.General) { Messages = [new ChatTurn("user", "退款")], CompletionCriteria = ["Refund", "订单号"] };
        Assert.Equal(100, EvaluationScoring.Score(item, new ItemOutput("v1") { Text = "已为您办理ＲＥＦＵＮＤ，订单号 123" }).Values[EvaluationScoring.Completed]);
        Assert.Equal(0, EvaluationScoring.Score(item, new ItemOutput("v1") { Text = "已为您办理 refund" }).Values[EvaluationScoring.Completed]);
    }

    [Fact]
    public void A_failed_output_is_marked_failed_with_no_values()
    {
        var score = EvaluationScoring.Score(Gen("g1", EvaluationSlice.General, null, "x"), new ItemOutput("g1") { Failure = new ItemFailure(FailureKind.Timeout, "timed out") });
        Assert.True(score.Failed);
        Assert.Empty(score.Values);
        Assert.Throws<ArgumentException>(() => EvaluationScoring.Score(Gen("g1", EvaluationSlice.General, null, "x"), new ItemOutput("g2")));
    }

    [Fact]
    public void Summary_breaks_figures_down_by_slice_and_domain_and_leaves_failed_items_out()
    {
        SuiteItem[] items =
        [
            Gen("g1", EvaluationSlice.General, null, "The dog bit the man."),
            Gen("g2", EvaluationSlice.Domain, "finance", "It was not unexpected."),
            Gen("g3", EvaluationSlice.Domain, "finance", "The man bit him first."),
            Gen("gx", EvaluationSlice.General, null, "never scored"),
        ];
        ItemOutput[] outputs =
        [
            new("g1") { Text = "The dog bit the man.", ReferenceNll = Math.Log(2), ReferenceTokens = 1 },
            new("g2") { Text = "It wasn't surprising.", ReferenceNll = 2 * Math.Log(8), ReferenceTokens = 2 },
            new("g3") { Text = "The man had just bitten him." },
            new("gx") { Failure = new ItemFailure(FailureKind.Server, "HTTP 500"), ReferenceNll = 100, ReferenceTokens = 1 },
        ];
        var figures = EvaluationScoring.Summarise(items, outputs);
        MetricValue Get(string metric, string scope) => figures.Single(f => f.Metric == metric && f.Scope == scope);

        var bleu = Get(MetricNames.Bleu, "all");
        Assert.Equal(3, bleu.Count);
        // Corpus BLEU over the three scored segments (the README example's first stream), not a mean of sentence scores.
        var expected = Bleu.Corpus(["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."],
            [["The dog bit the man.", "It was not unexpected.", "The man bit him first."]]).Score;
        Assert.Equal(expected, bleu.Value, 9);
        double meanOfSentences = new[] { "g1", "g2", "g3" }.Average(id => EvaluationScoring.Score(items.Single(i => i.Id == id), outputs.Single(o => o.ItemId == id)).Values[MetricNames.Bleu]);
        Assert.NotEqual(meanOfSentences, bleu.Value, 3);

        var ppl = Get(MetricNames.Perplexity, "all");
        Assert.Equal(Math.Pow(2, 7.0 / 3), ppl.Value, 9); // the failed item's NLL is not in it
        Assert.Equal(3, ppl.Tokens);
        Assert.Equal(2, ppl.Count);
        Assert.Equal(2, Get(MetricNames.Perplexity, "slice:general").Value, 9);
        Assert.Equal(8, Get(MetricNames.Perplexity, "domain:finance").Value, 9);

        Assert.Equal(1, Get(MetricNames.Bleu, "slice:general").Count);
        Assert.Equal(100, Get(MetricNames.Bleu, "slice:general").Value, 9);
        Assert.Equal(2, Get(MetricNames.Bleu, "domain:finance").Count);
        Assert.Equal(2, Get(MetricNames.RougeL, "slice:domain").Count);
        Assert.DoesNotContain(figures, f => f.Scope == "slice:adversarial");
        Assert.DoesNotContain(figures, f => f.Metric == MetricNames.RobustnessDrop); // no adversarial slice
    }

    [Fact]
    public void Classification_summary_has_accuracy_macro_micro_and_the_robustness_drop()
    {
        SuiteItem[] items =
        [
            Choice("d1", EvaluationSlice.Domain, 0), Choice("d2", EvaluationSlice.Domain, 1),
            Choice("a1", EvaluationSlice.Adversarial, 0), Choice("a2", EvaluationSlice.Adversarial, 1),
            Choice("af", EvaluationSlice.Adversarial, 1),
        ];
        ItemOutput[] outputs =
        [
            Picked("d1", 0), Picked("d2", 1),                // domain: 2 of 2
            Picked("a1", 0), Picked("a2", 2),                // adversarial: 1 of 2
            new("af") { Failure = new ItemFailure(FailureKind.RateLimited, "429") },
        ];
        var figures = EvaluationScoring.Summarise(items, outputs);
        MetricValue Get(string metric, string scope) => figures.Single(f => f.Metric == metric && f.Scope == scope);

        Assert.Equal(75, Get(MetricNames.Accuracy, "all").Value, 9);
        Assert.Equal(4, Get(MetricNames.Accuracy, "all").Count);
        Assert.Equal(100, Get(MetricNames.Accuracy, "slice:domain").Value, 9);
        Assert.Equal(50, Get(MetricNames.Accuracy, "slice:adversarial").Value, 9);
        var report = ClassificationMetrics.Compute(["0", "1", "0", "1"], ["0", "1", "0", "2"]);
        Assert.Equal(100 * report.MacroF1, Get(MetricNames.MacroF1, "all").Value, 9);
        Assert.Equal(100 * report.MicroF1, Get(MetricNames.MicroF1, "all").Value, 9);
        Assert.Equal(4, Get(MetricNames.MacroF1, "domain:finance").Count);
        var drop = Get(MetricNames.RobustnessDrop, "all");
        Assert.Equal(50, drop.Value, 9); // 1 − 50/100
        Assert.Equal(4, drop.Count);
        Assert.Equal(2, drop.Tier);
    }

    [Fact]
    public void The_robustness_drop_uses_the_first_metric_both_slices_have()
    {
        // Classification only in the domain slice, generation in both: accuracy cannot be compared, BLEU can.
        SuiteItem[] items =
        [
            Choice("c1", EvaluationSlice.Domain, 0, ChoiceScoring.LogLikelihood, "a", "b"),
            Gen("g1", EvaluationSlice.Domain, null, "the cat sat on the mat"),
            Gen("g2", EvaluationSlice.Adversarial, null, "the cat sat on the mat"),
        ];
        ItemOutput[] outputs = [Picked("c1", 0, 2), new("g1") { Text = "the cat sat on the mat" }, new("g2") { Text = "the cat sat on a mat" }];
        var figures = EvaluationScoring.Summarise(items, outputs);
        var domainBleu = figures.Single(f => f.Metric == MetricNames.Bleu && f.Scope == "slice:domain").Value;
        var adversarialBleu = figures.Single(f => f.Metric == MetricNames.Bleu && f.Scope == "slice:adversarial").Value;
        Assert.Equal(100, domainBleu, 9);
        Assert.Equal(100 * (1 - adversarialBleu / domainBleu), figures.Single(f => f.Metric == MetricNames.RobustnessDrop).Value, 9);
    }

    [Fact]
    public void Extraction_and_conversation_summaries()
    {
        SuiteItem[] items =
        [
            new("e1", ItemKind.Extraction, EvaluationSlice.Domain) { References = ["北京大学"] },
            new("e2", ItemKind.Extraction, EvaluationSlice.Adversarial) { References = ["北京"] },
            new("v1", ItemKind.Conversation, EvaluationSlice.General) { CompletionCriteria = ["done"] },
            new("v2", ItemKind.Conversation, EvaluationSlice.General) { CompletionCriteria = ["done"] },
        ];
        ItemOutput[] outputs = [new("e1") { Text = "北京大学。" }, new("e2") { Text = "在北京" }, new("v1") { Text = "All DONE." }, new("v2") { Text = "not yet" }];
        var figures = EvaluationScoring.Summarise(items, outputs);
        MetricValue Get(string metric, string scope) => figures.Single(f => f.Metric == metric && f.Scope == scope);

        Assert.Equal((100 + 80) / 2.0, Get(MetricNames.F1, "all").Value, 9);
        Assert.Equal(50, Get(MetricNames.ExactMatch, "all").Value, 9);
        Assert.Equal(20, Get(MetricNames.RobustnessDrop, "all").Value, 9); // F1: 1 − 80/100
        var tcr = Get(MetricNames.TaskCompletion, "all");
        Assert.Equal(50, tcr.Value, 9);
        Assert.Equal(2, tcr.Count);
        var expected = BusinessMetrics.TaskCompletion(1, 2);
        Assert.Equal(expected.Lower, tcr.Lower);
        Assert.Equal(expected.Upper, tcr.Upper);
        Assert.Equal(3, tcr.Tier);
        Assert.DoesNotContain(figures, f => f.Metric == MetricNames.Bleu);
    }

    [Fact]
    public void A_chinese_scope_gets_zh_corpus_bleu()
    {
        SuiteItem[] items = [Gen("z1", EvaluationSlice.Domain, "legal", "今天天气不错"), Gen("z2", EvaluationSlice.Domain, "legal", "合同已经生效")];
        ItemOutput[] outputs = [new("z1") { Text = "今天天气很好" }, new("z2") { Text = "合同已生效" }];
        var bleu = EvaluationScoring.Summarise(items, outputs).Single(f => f.Metric == MetricNames.Bleu && f.Scope == "domain:legal");
        var zh = Bleu.CorpusOfSegments(["今天天气很好", "合同已生效"], [["今天天气不错"], ["合同已经生效"]], new BleuOptions { Tokenizer = BleuTokenizer.Zh });
        Assert.True(zh.Score > 10);
        Assert.Equal(zh.Score, bleu.Value, 9);
    }

    [Fact]
    public void A_negative_nll_is_not_scored_and_a_rounding_hair_below_zero_is_zero()
    {
        var item = Gen("g1", EvaluationSlice.General, null, "x");
        Assert.False(EvaluationScoring.Score(item, new ItemOutput("g1") { Text = "x", ReferenceNll = -3, ReferenceTokens = 2 }).Values.ContainsKey(EvaluationScoring.Nll));
        Assert.Equal(0, EvaluationScoring.Score(item, new ItemOutput("g1") { Text = "x", ReferenceNll = -1e-9, ReferenceTokens = 2 }).Values[EvaluationScoring.Nll]);
        var figures = EvaluationScoring.Summarise([item], [new ItemOutput("g1") { Text = "x", ReferenceNll = -3, ReferenceTokens = 2 }]);
        Assert.DoesNotContain(figures, f => f.Metric == MetricNames.Perplexity);
    }
}
