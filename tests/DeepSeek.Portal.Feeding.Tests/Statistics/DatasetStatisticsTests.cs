using System.Text.Json;
using DeepSeek.Portal.Feeding.Statistics;

namespace DeepSeek.Portal.Feeding.Tests.Statistics;

public class DatasetStatisticsTests
{
    [Fact]
    public void Counts_records_characters_languages_and_distinct_characters()
    {
        var statistics = new DatasetStatistics();
        statistics.Add("银行卡挂失");          // 5 characters, zh
        statistics.Add("Lost card");          // 9, en
        statistics.Add("これは日本語です");    // 8, other
        statistics.Add("🙂🙂");                // 2 code points (4 UTF-16 units), other
        var result = statistics.Result();

        Assert.Equal(4, result.Records);
        Assert.Equal(5 + 9 + 8 + 2, result.Characters);
        Assert.Equal(new LanguageMix(1, 1, 2), result.Languages);
        int distinct = "银行卡挂失Lost card".Distinct().Count() + "これは日本語です".Distinct().Count() + 1;
        Assert.Equal(distinct, result.DistinctCharacters);
        Assert.Null(result.Tokens);
    }

    [Fact]
    public void Histogram_has_fixed_log_spaced_bins_with_an_open_last_bin()
    {
        var statistics = new DatasetStatistics();
        foreach (int length in new[] { 0, 15, 16, 31, 32, 1000, 65_535, 65_536, 200_000 })
            statistics.Add(new string('a', length));
        var bins = statistics.Result().LengthHistogram;

        Assert.Equal(14, bins.Count);
        Assert.Equal(new LengthBin(0, 16, 2), bins[0]);
        Assert.Equal(new LengthBin(16, 32, 2), bins[1]);
        Assert.Equal(new LengthBin(32, 64, 1), bins[2]);
        Assert.Equal(new LengthBin(512, 1024, 1), bins[6]);
        Assert.Equal(new LengthBin(32_768, 65_536, 1), bins[12]);
        Assert.Equal(new LengthBin(65_536, null, 2), bins[13]);
        Assert.Equal(9, bins.Sum(b => b.Count));
    }

    [Fact]
    public void Length_summary_is_exact_for_short_records_and_within_one_percent_for_long_ones()
    {
        var statistics = new DatasetStatistics();
        for (int length = 1; length <= 100; length++) statistics.Add(new string('x', length));
        var summary = statistics.Result().Length!;
        Assert.Equal(new LengthSummary(1, 50.5, 50, 95, 100), summary);

        var longOnes = new DatasetStatistics();
        for (int i = 1; i <= 100; i++) longOnes.Add(new string('x', 2000 + 100 * i));
        var big = longOnes.Result().Length!;
        Assert.InRange(big.Median, 7000 * 0.99, 7000 * 1.01);
        Assert.InRange(big.P95, 11_500 * 0.99, 11_500 * 1.01);
        Assert.Equal(2100, big.Min);
        Assert.Equal(12_000, big.Max);
    }

    [Fact]
    public void Token_coverage_gives_tokens_per_character_and_the_byte_fallback_rate()
    {
        var statistics = new DatasetStatistics(new FakeCoverage());
        statistics.Add("abcd");      // 4 tokens, 0 fallback
        statistics.Add("中文");       // 6 tokens (3 bytes each), 6 fallback
        var tokens = statistics.Result().Tokens!;
        Assert.Equal(new TokenSummary(10, 6, 10 / 6.0, 0.6), tokens);
    }

    [Fact]
    public void Empty_statistics_have_no_length_summary()
    {
        var result = new DatasetStatistics().Result();
        Assert.Equal(0, result.Records);
        Assert.Null(result.Length);
        Assert.Equal(0, result.DistinctCharacters);
    }

    [Fact]
    public void Merged_statistics_equal_statistics_of_all_records()
    {
        string[] texts = ["银行卡挂失", "Lost card", "x", new string('y', 5000), "混合 mixed text"];
        var all = new DatasetStatistics(new FakeCoverage());
        var left = new DatasetStatistics(new FakeCoverage());
        var right = new DatasetStatistics(new FakeCoverage());
        for (int i = 0; i < texts.Length; i++)
        {
            all.Add(texts[i]);
            (i % 2 == 0 ? left : right).Add(texts[i]);
        }
        left.Merge(right);
        Assert.Equal(JsonSerializer.Serialize(all.Result()), JsonSerializer.Serialize(left.Result()));
    }

    [Fact]
    public void Result_round_trips_through_web_style_json_with_language_codes()
    {
        var statistics = new DatasetStatistics(new FakeCoverage());
        statistics.Add("银行卡挂失");
        statistics.Add("Lost card");
        var result = statistics.Result();
        var json = result.ToJson();
        Assert.Equal(2, (long)json["records"]!);
        Assert.Equal(1, (long)json["languages"]!["zh"]!);
        Assert.Equal(0, (long)json["languages"]!["other"]!);
        Assert.Null(json["lengthHistogram"]![13]!["to"]);
        Assert.Equal(15.0 / 24, (double)json["tokens"]!["byteFallbackRate"]!, 9); // 15 fallback bytes of 银行卡挂失, 9 ASCII tokens

        var back = DatasetStatisticsResult.FromJson(System.Text.Json.Nodes.JsonNode.Parse(json.ToJsonString())!);
        Assert.Equal(result.Records, back.Records);
        Assert.Equal(result.Languages, back.Languages);
        Assert.Equal(result.LengthHistogram, back.LengthHistogram);
        Assert.Equal(result.Length, back.Length);
        Assert.Equal(result.Tokens, back.Tokens);
        Assert.Equal(result.DistinctCharacters, back.DistinctCharacters);
    }

    /// <summary>One token per ASCII character; every non-ASCII character falls back to its UTF-8 bytes.</summary>
    private sealed class FakeCoverage : ITokenCoverage
    {
        public (int Tokens, int ByteFallbackTokens) Measure(string text)
        {
            int tokens = 0, fallback = 0;
            foreach (var rune in text.EnumerateRunes())
            {
                if (rune.IsAscii) tokens++;
                else
                {
                    tokens += rune.Utf8SequenceLength;
                    fallback += rune.Utf8SequenceLength;
                }
            }
            return (tokens, fallback);
        }
    }
}
