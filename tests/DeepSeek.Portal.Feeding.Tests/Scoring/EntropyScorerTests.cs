using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Scoring;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Tests.Scoring;

public class EntropyScorerTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("a", 0)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0)]
    [InlineData("ab", 1)]
    [InlineData("abcdabcdabcdabcd", 2)]
    [InlineData("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/", 6)]
    public void Known_strings_have_known_entropy(string text, double bits) =>
        Assert.Equal(bits, CharacterEntropy.BitsPerCharacter(text), 12);

    [Fact]
    public void Buy_now_repeated_matches_reference() =>
        Assert.Equal(2.95, Math.Round(CharacterEntropy.BitsPerCharacter(string.Concat(Enumerable.Repeat("Buy now! ", 50))), 2));

    [Fact]
    public void Counts_code_points_not_utf16_units()
    {
        // Two distinct supplementary-plane Han characters: 1 bit, not the 1.5 that surrogate halves would give.
        Assert.Equal(1, CharacterEntropy.BitsPerCharacter("\U00020BB7\U00020BB9"), 12);
        Assert.Equal(2, CharacterEntropy.CodePointLength("\U00020BB7\U00020BB9"));
    }

    [Fact]
    public void A_uniform_han_alphabet_gives_log2_k()
    {
        var text = string.Concat(Enumerable.Repeat("银行卡挂失转账利率", 3));
        Assert.Equal(Math.Log2(9), CharacterEntropy.BitsPerCharacter(text), 12);
    }

    [Fact]
    public void Every_demo_record_is_inside_its_range()
    {
        var scorer = new EntropyScorer();
        var outside = DemoDataset.Generate(7, 3000).Select(scorer.Evaluate).Where(r => !r.Inside).ToList();
        Assert.Empty(outside);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(1200)]
    public void Repetition_is_too_low_in_both_languages(int length)
    {
        var scorer = new EntropyScorer();
        Assert.True(scorer.Evaluate(Repeat("Buy now! ", length)).TooLow);
        Assert.True(scorer.Evaluate(Repeat("点击领取红包", length)).TooLow);
    }

    [Fact]
    public void Random_symbols_are_too_high_for_english()
    {
        var random = new Random(1);
        var text = "Password: " + new string([.. Enumerable.Range(0, 150).Select(_ => (char)random.Next(33, 127))]);
        var result = new EntropyScorer().Evaluate(text);
        Assert.Equal(TextLanguage.English, result.Range.Language);
        Assert.True(result.TooHigh, $"{result.BitsPerCharacter:0.00} bits/char vs {result.Range.High}");
    }

    [Fact]
    public void Short_texts_are_not_judged()
    {
        var result = new EntropyScorer().Evaluate("aaaa");
        Assert.False(result.Judged);
        Assert.True(result.Inside);
    }

    [Fact]
    public void Ranges_depend_on_language_and_length()
    {
        var scorer = new EntropyScorer();
        Assert.Equal(EntropyBands.Medium, scorer.RangeFor(TextLanguage.Chinese, 120).Band);
        Assert.True(scorer.RangeFor(TextLanguage.Chinese, 120).Low > scorer.RangeFor(TextLanguage.English, 120).High - 1);
        Assert.True(scorer.RangeFor(TextLanguage.English, 2000).Low > scorer.RangeFor(TextLanguage.English, 30).Low);
        Assert.Equal(PassDirection.KeepInside, scorer.Direction);
        Assert.Contains("bits per character", scorer.Describe());
    }

    [Fact]
    public void A_missing_range_is_refused() =>
        Assert.Throws<ArgumentException>(() => new EntropyScorer(new EntropyOptions { Ranges = EntropyOptions.DefaultRanges.Skip(1).ToArray() }));

    private static string Repeat(string unit, int length)
    {
        var s = string.Concat(Enumerable.Repeat(unit, length / unit.Length + 1));
        return s[..length];
    }
}
