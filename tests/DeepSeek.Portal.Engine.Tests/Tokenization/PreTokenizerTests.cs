using System.Text.RegularExpressions;
using DeepSeek.Portal.Engine.Tokenization;

namespace DeepSeek.Portal.Engine.Tests.Tokenization;

/// <summary>
/// Each family's pre-tokenizer against splits worked out by hand from the Hugging Face semantics (every Split step
/// isolates its matches inside each piece of the previous step), and the places where .NET's regex engine differs
/// from Oniguruma.
/// </summary>
public class PreTokenizerTests
{
    private static List<string> Split(TokenizerFamily family, string text) =>
        HuggingFacePreTokenizer.FromJson(TokenizerFamilies.PreTokenizer(family)).Split(text);

    [Fact]
    public void V3_groups_digits_by_three_and_keeps_cjk_runs_emoji_and_contractions_apart()
    {
        var text = "Hello, world! 12345 银行账户余额为1234元。😀👍🏽 I'm fine\n\n";
        Assert.Equal(
            ["Hello", ",", " world", "!", " ", "123", "45", " ", "银行账户余额为", "123", "4", "元", "。😀👍🏽", " I", "'m", " fine", "\n\n"],
            Split(TokenizerFamily.DeepSeekV3, text));
    }

    [Fact]
    public void Llm_isolates_newlines_punctuation_and_single_digits()
    {
        var text = "Hello World\n你好，世界！ 123 Ελληνικά  \n";
        Assert.Equal(
            ["Hello", " World", "\n", "你好", "，", "世界", "！", " ", "1", "2", "3", " Ελληνικά", "  ", "\n"],
            Split(TokenizerFamily.DeepSeekLlm, text));
    }

    [Fact]
    public void Qwen2_splits_single_digits_contractions_and_symbol_runs()
    {
        Assert.Equal(
            ["I", "'m", " ", "2", "0", "2", "4", "年", " OK", "'s", " 😀\n"],
            Split(TokenizerFamily.Qwen2, "I'm 2024年 OK's 😀\n"));
    }

    [Theory]
    [InlineData(TokenizerFamily.DeepSeekV3)]
    [InlineData(TokenizerFamily.DeepSeekLlm)]
    [InlineData(TokenizerFamily.Qwen2)]
    public void Pieces_concatenate_to_the_input_and_never_cut_a_surrogate_pair(TokenizerFamily family)
    {
        var random = new Random(5);
        string[] alphabet = ["a", "Z", " ", "  ", "\n", "\r\n", "\t", "银", "行", "。", "，", "1", "٣", "😀", "👍🏽", "𠀀", "𐐀", "'", "'s", "!", "é", "e\u0301", "ſ", "\u3000", "가"];
        for (int n = 0; n < 500; n++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 30)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            var pieces = Split(family, text);
            Assert.Equal(text, string.Concat(pieces));
            Assert.All(pieces, p => Assert.False(char.IsLowSurrogate(p[0]) || char.IsHighSurrogate(p[^1]), $"'{p}' cuts a surrogate pair in '{text}'"));
        }
    }

    [Fact]
    public void Emoji_are_symbols_as_in_oniguruma_although_dotnet_sees_two_surrogates()
    {
        // .NET's own \p{S} does not match U+1F600; the translated pattern does.
        Assert.DoesNotMatch(new Regex(@"^\p{S}+$"), "😀");
        Assert.Matches(OnigurumaPattern.Create(@"^\p{S}+$"), "😀👍");
        Assert.Equal(["。😀👍🏽"], Split(TokenizerFamily.DeepSeekV3, "。😀👍🏽"));
        // Untranslated, V3's third step would leave "。" and the emoji as separate pieces.
        var raw = new Regex(TokenizerFamilies.DeepSeekV3Words);
        Assert.Equal("。", raw.Match("。😀👍🏽").Value);
    }

    [Fact]
    public void Supplementary_plane_letters_are_letters()
    {
        // U+20000 and U+20001 are CJK Extension B (Lo): one letter run for V3 and Qwen2, not two code units each.
        Assert.Equal([" 𠀀𠀁"], Split(TokenizerFamily.DeepSeekV3, " 𠀀𠀁"));
        Assert.Equal([" 𠀀𠀁"], Split(TokenizerFamily.Qwen2, " 𠀀𠀁"));
        Assert.DoesNotMatch(new Regex(@"^\p{L}+$"), "𠀀");
    }

    [Fact]
    public void Supplementary_ranges_inside_a_class_match_whole_code_points()
    {
        // The deepseek-llm letter class lists Deseret (U+10400–U+1044F); written as-is it is not even a valid .NET class.
        Assert.ThrowsAny<ArgumentException>(() => new Regex("[\U00010400-\U0001044F]"));
        Assert.Equal(["𐐀𐐁", " 𐒰"], Split(TokenizerFamily.DeepSeekLlm, "𐐀𐐁 𐒰"));
    }

    [Fact]
    public void White_space_is_exactly_unicode_white_space_in_both_engines()
    {
        int[] whiteSpace = [0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, .. Enumerable.Range(0x2000, 11), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000];
        var regex = OnigurumaPattern.Create(@"^\s$");
        var matched = Enumerable.Range(0, 0x10000).Where(c => c is < 0xD800 or > 0xDFFF && regex.IsMatch(((char)c).ToString()));
        Assert.Equal(whiteSpace, matched);
    }

    [Fact]
    public void Dollar_means_end_of_line_as_in_ruby_syntax()
    {
        // Ruby/Oniguruma: $ matches before every \n. .NET: only at the end or before a final \n.
        Assert.Equal(["  ", " "], OnigurumaPattern.Create(@"\s+$").Matches("a  \nb \n c").Select(m => m.Value));
        Assert.Empty(new Regex(@"\s+$").Matches("a  \nb \n c"));
        Assert.DoesNotMatch(new Regex(@"x$"), "x\ny");
        Assert.Matches(OnigurumaPattern.Create(@"x$"), "x\ny");
    }

    [Fact]
    public void Case_insensitive_s_also_matches_long_s_as_oniguruma_folds_it()
    {
        Assert.DoesNotMatch(new Regex("^(?i:'s)$", RegexOptions.CultureInvariant), "'ſ");
        Assert.Equal(["'ſ", "x"], Split(TokenizerFamily.Qwen2, "'ſx"));
        Assert.Equal(["'S", "x"], Split(TokenizerFamily.Qwen2, "'Sx"));
    }

    [Theory]
    [InlineData(@"\p{Han}")]
    [InlineData(@"[a-z&&[^aeiou]]")]
    [InlineData(@"[[a]]")]
    public void Unsupported_oniguruma_constructs_are_refused(string pattern) =>
        Assert.Throws<FormatException>(() => OnigurumaPattern.Translate(pattern));
}
