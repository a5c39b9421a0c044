using DeepSeek.Portal.Evaluation.Metrics;

namespace DeepSeek.Portal.Evaluation.Tests;

public sealed class RougeLTests
{
    [Fact]
    public void English_uses_the_longest_common_subsequence_of_words()
    {
        // LCS "the cat on the mat" = 5 of 6 on both sides.
        var s = RougeL.Score("the cat sat on the mat", "the cat is on the mat");
        Assert.Equal(5.0 / 6, s.Precision, 12);
        Assert.Equal(5.0 / 6, s.Recall, 12);
        Assert.Equal(5.0 / 6, s.FMeasure, 12);
    }

    [Fact]
    public void Tokens_are_lowercased_and_punctuation_separates_them_as_in_rouge_score()
    {
        Assert.Equal(["the", "cat", "s", "home", "3", "5"], RougeL.Tokenize("The cat's home: 3.5!"));
        Assert.Equal(1.0, RougeL.Score("The Cat!", "the cat").FMeasure, 12);
    }

    [Fact]
    public void Chinese_is_compared_character_by_character_and_latin_runs_stay_words()
    {
        Assert.Equal(["2023", "年", "营", "收", "gpt", "4"], RougeL.Tokenize("2023年营收GPT-4"));
        var zh = RougeL.Score("今天天气很好", "今天天气不错");
        Assert.Equal(4.0 / 6, zh.FMeasure, 12);
        // prediction [2023 年 营 收 增 长] (6), reference [营 收 在 2023 年 增 长] (7), LCS 4: F = 2·4/(6+7).
        var mixed = RougeL.Score("2023年营收增长", "营收在2023年增长");
        Assert.Equal(4.0 / 6, mixed.Precision, 12);
        Assert.Equal(4.0 / 7, mixed.Recall, 12);
        Assert.Equal(8.0 / 13, mixed.FMeasure, 12);
    }

    [Fact]
    public void The_best_reference_counts_and_an_empty_side_scores_zero()
    {
        var best = RougeL.Best("a b c d", ["x y", "a b c e"]);
        Assert.Equal(0.75, best.FMeasure, 12);
        Assert.Equal(0, RougeL.Score("", "a b").FMeasure);
        Assert.Equal(0, RougeL.Score("!!!", "a b").FMeasure);
    }

    [Fact]
    public void The_corpus_figure_is_the_mean_of_sentence_f_measures()
    {
        double corpus = RougeL.CorpusF(["the cat sat on the mat", "今天天气很好"], [["the cat is on the mat"], ["今天天气不错"]]);
        Assert.Equal((5.0 / 6 + 4.0 / 6) / 2, corpus, 12);
    }
}
