using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Scoring;

namespace DeepSeek.Portal.Feeding.Tests.Scoring;

public class DomainSimilarityScorerTests
{
    private static readonly IReadOnlyList<string> Bank = DemoDataset.Generate(seed: 7, count: 600);

    private static readonly string[] General =
    [
        "The committee met on Tuesday to discuss the new bicycle lanes planned for the old town centre.",
        "Photosynthesis converts light energy into chemical energy stored in glucose molecules.",
        "今天天气很好，我们一起去公园散步，顺便看看湖边新开的花。",
        "这部小说讲述了一个少年在山村里长大的故事，语言朴实动人。",
    ];

    [Fact]
    public void Every_held_out_domain_record_scores_above_every_general_text()
    {
        var scorer = DomainSimilarityScorer.Fit(Bank.Take(300));
        var lowestBank = Bank.Skip(300).Min(scorer.Score);
        var highestGeneral = General.Max(scorer.Score);
        Assert.True(lowestBank > highestGeneral, $"lowest bank {lowestBank:0.000} ≤ highest general {highestGeneral:0.000}");
    }

    [Fact]
    public void The_centroid_separates_on_average_only()
    {
        // Why max-over-references is the default: a broad domain's centroid is close to no single record.
        var scorer = DomainSimilarityScorer.Fit(Bank.Take(300), new DomainSimilarityOptions { Mode = DomainSimilarityMode.Centroid });
        var bank = Bank.Skip(300).Select(scorer.Score).ToArray();
        Assert.True(bank.Average() > 2 * General.Average(scorer.Score));
        Assert.True(bank.Max() < 0.75, "no record reaches the seed's 0.75 against the centroid");
    }

    [Fact]
    public void A_reference_text_scores_one_against_itself_in_max_mode()
    {
        var scorer = DomainSimilarityScorer.Fit(Bank.Take(50));
        Assert.Equal(1, scorer.Score(Bank[3]), 9);
        Assert.True(scorer.Passes(Bank[3]));
    }

    [Fact]
    public void Text_without_a_shared_term_scores_zero() =>
        Assert.Equal(0, DomainSimilarityScorer.Fit(Bank.Take(50)).Score("zzz qqq"));

    [Fact]
    public void States_direction_default_and_explanation()
    {
        var scorer = DomainSimilarityScorer.Fit(["loan rate"]);
        Assert.Equal(PassDirection.KeepAtLeast, scorer.Direction);
        Assert.Equal(0.75, scorer.Options.KeepAtLeast);
        Assert.Contains("0.75", scorer.Describe());
    }

    [Fact]
    public void An_empty_reference_set_is_refused() =>
        Assert.Throws<ArgumentException>(() => DomainSimilarityScorer.Fit(["", "  "]));
}
