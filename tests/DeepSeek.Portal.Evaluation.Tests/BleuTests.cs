using DeepSeek.Portal.Evaluation.Metrics;

namespace DeepSeek.Portal.Evaluation.Tests;

/// <summary>sacrebleu's published vectors (test/test_bleu.py, test/test_sentence_bleu.py; reference §4).</summary>
public sealed class BleuTests
{
    private static readonly string[] Hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
    private static readonly string?[][] Refs =
    [
        ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
        ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
    ];

    // test_sentence_bleu.py, from sacrebleu issue #98.
    private const string RomanianRef = "producţia de zahăr brut se exprimă în zahăr alb;";
    private const string RomanianSys = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";

    [Fact]
    public void Corpus_bleu_of_the_readme_example_with_13a()
    {
        var score = Bleu.Corpus(Hyps, Refs);
        Assert.Equal(48.530827, score.Score, 6);
        Assert.Equal([14L, 7, 5, 3], score.Correct);
        Assert.Equal([17L, 14, 11, 8], score.Total);
        Assert.Equal(17, score.SysLen);
        Assert.Equal(18, score.RefLen);
    }

    [Fact]
    public void Corpus_bleu_of_the_readme_example_without_and_with_intl_tokenization()
    {
        Assert.Equal(49.1919566, Bleu.Corpus(Hyps, Refs, new BleuOptions { Tokenizer = BleuTokenizer.None }).Score, 6);
        Assert.Equal(43.91623493, Bleu.Corpus(Hyps, Refs, new BleuOptions { Tokenizer = BleuTokenizer.Intl }).Score, 6);
    }

    [Fact]
    public void Compute_from_statistics_matches_sacrebleu()
    {
        var score = Bleu.Compute([9, 7, 5, 3], [10, 8, 6, 4], 11, 11);
        Assert.Equal(83.75922397, score.Score, 6);
    }

    [Fact]
    public void Brevity_penalty_uses_the_closest_reference_and_ties_go_to_the_shorter()
    {
        // 4 hypothesis tokens, references of 3 and 5 tokens: both 1 away, the shorter (3) wins, no penalty.
        var tie = Bleu.Sentence("a b c d", ["a b c", "a b c d e"]);
        Assert.Equal(3, tie.RefLen);
        Assert.Equal(1.0, tie.BrevityPenalty);
        var shortHyp = Bleu.Sentence("a b", ["a b c d"]);
        Assert.Equal(Math.Exp(1 - 4.0 / 2), shortHyp.BrevityPenalty, 12);
    }

    [Theory]
    [InlineData(BleuSmoothing.Exp, null, BleuTokenizer.V13a, 8.493)]
    [InlineData(BleuSmoothing.None, null, BleuTokenizer.V13a, 0.0)]
    [InlineData(BleuSmoothing.Floor, null, BleuTokenizer.V13a, 4.51688)]
    [InlineData(BleuSmoothing.Floor, 0.5, BleuTokenizer.V13a, 10.10)]
    [InlineData(BleuSmoothing.AddK, null, BleuTokenizer.V13a, 14.882)]
    [InlineData(BleuSmoothing.AddK, 2.0, BleuTokenizer.V13a, 21.389)]
    [InlineData(BleuSmoothing.Exp, null, BleuTokenizer.None, 7.347)]
    [InlineData(BleuSmoothing.Exp, null, BleuTokenizer.Intl, 8.493)]
    public void Sentence_bleu_with_effective_order_matches_sacrebleu(BleuSmoothing smoothing, double? value, BleuTokenizer tokenizer, double expected)
    {
        var options = new BleuOptions { Smoothing = smoothing, SmoothValue = value, Tokenizer = tokenizer, EffectiveOrder = true };
        Assert.Equal(expected, Bleu.Sentence(RomanianSys, [RomanianRef], options).Score, 0.001);
    }

    [Theory]
    [InlineData(BleuSmoothing.Exp)]
    [InlineData(BleuSmoothing.None)]
    [InlineData(BleuSmoothing.Floor)]
    [InlineData(BleuSmoothing.AddK)]
    public void No_match_at_all_scores_zero(BleuSmoothing smoothing)
    {
        var options = new BleuOptions { Smoothing = smoothing, EffectiveOrder = true };
        Assert.Equal(0.0, Bleu.Sentence("this is a cat", ["okay thanks"], options).Score);
    }

    [Fact]
    public void Thirteen_a_splits_punctuation_keeps_decimals_whole_and_splits_a_dash_after_a_digit()
    {
        Assert.Equal("It wasn't surprising .", Bleu.Tokenize("It wasn't surprising."));
        Assert.Equal("Costs rose 3.5 % to $ 1,200 in 2019 - 2020 .", Bleu.Tokenize("Costs rose 3.5% to $1,200 in 2019-2020."));
        Assert.Equal("\" quoted \" & < tag >", Bleu.Tokenize("&quot;quoted&quot; &amp; &lt;tag&gt;"));
    }

    [Fact]
    public void Zh_puts_every_chinese_character_apart_and_then_applies_13a()
    {
        Assert.Equal("我 爱 北 京 天 安 门 。", Bleu.Tokenize("我爱北京天安门。", BleuTokenizer.Zh));
        Assert.Equal("使 用 Python 3.12 编 程 ， 很 好 !", Bleu.Tokenize("使用Python 3.12编程，很好!", BleuTokenizer.Zh));
    }

    [Fact]
    public void Zh_splits_curly_quotes_dashes_and_ellipses_as_sacrebleu_does()
    {
        // U+201C/U+201D, U+2014 and U+2026 lie in U+2001–U+2A6D, which sacrebleu's '\u20000' entry covers by accident.
        Assert.Equal("他 说 “ 好 ” — 然 后 …", Bleu.Tokenize("他说“好”—然后…", BleuTokenizer.Zh));
        Assert.Equal("say “ hi ” now", Bleu.Tokenize("say “hi” now", BleuTokenizer.Zh));
        Assert.True(Bleu.IsSacrebleuChinese(0x2001));
        Assert.False(Bleu.IsSacrebleuChinese(0x2000));
        Assert.True(Bleu.IsSacrebleuChinese(0x2A6D));
        Assert.False(Bleu.IsSacrebleuChinese(0x2A6E));
        Assert.True(Bleu.IsSacrebleuChinese(0x2F81));
        Assert.True(Bleu.IsSacrebleuChinese(0x2FA1));
        Assert.False(Bleu.IsSacrebleuChinese(0x20000)); // the real Extension B is not covered
        // 13a leaves the curly quotes attached.
        Assert.Equal("say “hi” now", Bleu.Tokenize("say “hi” now"));
    }

    [Fact]
    public void Chinese_bleu_with_zh_rewards_character_overlap_that_13a_misses()
    {
        var zh = new BleuOptions { Tokenizer = BleuTokenizer.Zh, EffectiveOrder = true };
        var hyp = "今天天气很好";
        var reference = "今天天气不错";
        // zh: 6 characters, 4 unigram / 3 bigram / 2 trigram / 1 4-gram matches out of 6/5/4/3.
        var score = Bleu.Sentence(hyp, [reference], zh);
        Assert.Equal([4L, 3, 2, 1], score.Correct);
        Assert.Equal([6L, 5, 4, 3], score.Total);
        double expected = Math.Exp((Math.Log(4.0 / 6) + Math.Log(3.0 / 5) + Math.Log(2.0 / 4) + Math.Log(1.0 / 3)) / 4) * 100;
        Assert.Equal(expected, score.Score, 9);
        // 13a sees one token each: no match.
        Assert.Equal(0, Bleu.Sentence(hyp, [reference]).Score);
    }

    [Fact]
    public void The_tokenizer_is_zh_when_the_references_are_mostly_chinese()
    {
        Assert.Equal(BleuTokenizer.Zh, Bleu.TokenizerFor(["今天天气很好", "我们使用 Python 编程", "Hello"]));
        Assert.Equal(BleuTokenizer.V13a, Bleu.TokenizerFor(["The dog bit the man.", "我们", "It was fine."]));
        Assert.Equal(BleuTokenizer.V13a, Bleu.TokenizerFor(["An English sentence quoting 你好 once."]));
    }

    [Fact]
    public void Streams_of_unequal_length_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Bleu.Corpus(["a", "b"], [["a"]]));
        Assert.Contains("Reference stream 1 has 1 segments", e.Message);
    }

    [Fact]
    public void Empty_and_missing_references_are_skipped_and_a_segment_needs_one()
    {
        var withGaps = Bleu.Corpus(Hyps, [Refs[0], [null, "No one was surprised.", ""]]);
        var segments = Bleu.CorpusOfSegments(Hyps, [[Refs[0][0]], [Refs[0][1], "No one was surprised."], [Refs[0][2]]]);
        Assert.Equal(segments.Score, withGaps.Score, 12);
        var e = Assert.Throws<ArgumentException>(() => Bleu.Sentence("a", ["", null]));
        Assert.Contains("non-empty reference", e.Message);
    }

    [Fact]
    public void Matches_are_clipped_by_the_highest_count_in_any_one_reference()
    {
        // "the": 4 in the hypothesis, at most 2 in one reference → 2; "the the": 3 vs 1 → 1.
        var s = Bleu.Sentence("the the the the", ["the cat", "the the dog"]);
        Assert.Equal([2L, 1, 0, 0], s.Correct);
        Assert.Equal([4L, 3, 2, 1], s.Total);
        Assert.Equal(3, s.RefLen); // |4 − 3| = 1 beats |4 − 2| = 2
    }
}
