using DeepSeek.Portal.Evaluation.Metrics;

namespace DeepSeek.Portal.Evaluation.Tests;

public sealed class SquadMetricsTests
{
    [Fact]
    public void Normalisation_lowercases_drops_punctuation_and_articles()
    {
        Assert.Equal("eiffel tower", SquadMetrics.Normalize("The  Eiffel Tower!"));
        Assert.Equal("cat sat on mat", SquadMetrics.Normalize("A cat sat on the mat."));
        Assert.Equal("theatre", SquadMetrics.Normalize("the theatre")); // whole words only
        Assert.Equal(100, SquadMetrics.ExactMatch("The Eiffel Tower!", "eiffel tower"));
        Assert.Equal(0, SquadMetrics.ExactMatch("Eiffel", "eiffel tower"));
    }

    [Fact]
    public void F1_counts_shared_tokens()
    {
        // [cat, sat] vs [cat, sat, down]: P = 1, R = 2/3 → F1 = 0.8.
        Assert.Equal(80, SquadMetrics.F1("the cat sat", "a cat sat down"), 9);
        // Multiset: [b] vs [b, b]: P 1, R 1/2.
        Assert.Equal(100 * 2 * 0.5 / 1.5, SquadMetrics.F1("b", "b b"), 9);
        Assert.Equal(0, SquadMetrics.F1("red", "blue"));
    }

    [Fact]
    public void The_v2_rule_scores_empty_answers()
    {
        Assert.Equal(100, SquadMetrics.F1("", ""));
        Assert.Equal(100, SquadMetrics.F1("The.", "")); // normalises to nothing
        Assert.Equal(0, SquadMetrics.F1("", "Paris"));
        Assert.Equal(0, SquadMetrics.F1("Paris", ""));
    }

    [Fact]
    public void The_best_gold_answer_is_taken()
    {
        Assert.Equal(100, SquadMetrics.BestF1("Denver Broncos", ["Broncos", "Denver Broncos", "Carolina"]));
        Assert.Equal(100, SquadMetrics.BestExactMatch("denver broncos.", ["Broncos", "Denver Broncos"]));
        Assert.Equal(0, SquadMetrics.BestExactMatch("Broncos team", ["Denver Broncos"]));
        Assert.Equal(100 * 2 * 0.5 * 1 / 1.5, SquadMetrics.BestF1("Broncos team", ["Denver Broncos", "Broncos"]), 9);
    }

    [Fact]
    public void Chinese_is_compared_by_character_with_chinese_punctuation_removed()
    {
        Assert.Equal(100, SquadMetrics.ExactMatch("北京大学。", "北京大学"));
        Assert.Equal(100, SquadMetrics.ExactMatch("“北京 大学”", "北京大学"));
        // [在, 北, 京] vs [北, 京]: P 2/3, R 1 → 80.
        Assert.Equal(80, SquadMetrics.F1("在北京", "北京"), 9);
        Assert.Equal(0, SquadMetrics.ExactMatch("在北京", "北京"));
        // ASCII hyphen removed as in SQuAD; a Latin run stays one token next to Han characters.
        Assert.Equal(["gpt4", "模", "型"], SquadMetrics.Tokens("GPT-4模型", chinese: true));
        Assert.Equal(100, SquadMetrics.ExactMatch("GPT-4模型", "gpt4 模型"));
    }

    [Fact]
    public void English_keeps_non_ascii_punctuation_as_squad_does()
    {
        // No Han character on either side: SQuAD's rules exactly (curly quotes are not in string.punctuation).
        Assert.Equal("“paris”", SquadMetrics.Normalize("“Paris”"));
        Assert.Equal(0, SquadMetrics.ExactMatch("“Paris”", "Paris"));
    }
}
