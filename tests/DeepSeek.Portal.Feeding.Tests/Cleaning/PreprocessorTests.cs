using DeepSeek.Portal.Feeding.Cleaning;

namespace DeepSeek.Portal.Feeding.Tests.Cleaning;

public class PreprocessorTests
{
    private static string Run(string text, PreprocessOptions? options = null) =>
        new Preprocessor(options ?? new PreprocessOptions { MaxTokens = null }).Process(text).Text;

    [Fact]
    public void Nfkc_turns_full_width_letters_digits_and_the_ideographic_space_into_ascii() =>
        Assert.Equal("ABC123 x", Run("ＡＢＣ１２３\u3000ｘ"));

    [Fact]
    public void Nfkc_also_rewrites_full_width_punctuation_but_keeps_the_ideographic_full_stop() =>
        Assert.Equal("你好,世界?是的!(注)1、2。", Run("你好，世界？是的！（注）①、２。"));

    [Fact]
    public void Nfkc_can_be_turned_off() =>
        Assert.Equal("ＡＢＣ１２３", Run("ＡＢＣ１２３", new PreprocessOptions { Nfkc = false, MaxTokens = null }));

    [Theory]
    [InlineData("  many   spaces\tand\ttabs  ", "many spaces and tabs")]
    [InlineData("first paragraph\nwrapped line\n\n\n  second paragraph ", "first paragraph wrapped line\n\nsecond paragraph")]
    [InlineData("中文段落第一行\n第二行接着写。\n\n新段落", "中文段落第一行第二行接着写。\n\n新段落")]
    [InlineData("你好 世界", "你好 世界")]
    [InlineData("用\nPython\n训练", "用 Python 训练")]
    public void Whitespace_collapses_but_paragraphs_survive(string text, string expected) =>
        Assert.Equal(expected, Run(text));

    [Fact]
    public void Collapse_all_is_the_seeds_single_space_rule() =>
        Assert.Equal("a b c 中 文", Run(" a\n\nb\tc\n中\n文 ", new PreprocessOptions { Whitespace = WhitespaceHandling.CollapseAll, MaxTokens = null }));

    [Fact]
    public void Ascii_lower_casing_is_off_by_default_and_touches_only_a_to_z()
    {
        Assert.Equal("DeepSeek V3", Run("DeepSeek V3"));
        Assert.Equal("deepseek v3 ÄÖ 中文", Run("DeepSeek V3 ÄÖ 中文", new PreprocessOptions { LowercaseAscii = true, MaxTokens = null }));
    }

    [Fact]
    public void Text_that_needs_no_change_comes_back_as_the_same_instance()
    {
        const string text = "Already clean text.\n\n第二段。";
        Assert.Same(text, new Preprocessor().Process(text).Text);
    }

    [Fact]
    public void Truncation_defaults_to_512_tokens_of_the_tokenizer()
    {
        var text = string.Join(' ', Enumerable.Repeat("word", 600));
        var result = new Preprocessor().Process(text);
        Assert.True(result.Truncated);
        Assert.Equal(512, ApproximateTokenizer.Instance.CountTokens(result.Text));
        Assert.False(new Preprocessor().Process("short").Truncated);
    }

    [Fact]
    public void Truncation_uses_the_plugged_in_tokenizer()
    {
        var result = new Preprocessor(new PreprocessOptions { MaxTokens = 3 }, new CharacterTokenizer()).Process("abcdef");
        Assert.Equal(new PreprocessedText("abc", true), result);
    }

    private sealed class CharacterTokenizer : ITextTokenizer
    {
        public int CountTokens(string text) => text.Length;

        public string Truncate(string text, int maxTokens) => text.Length <= maxTokens ? text : text[..maxTokens];
    }
}

public class ApproximateTokenizerTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("Hello, world!", 4)]          // Hello , world !
    [InlineData("银行卡挂失", 5)]               // one per Han character
    [InlineData("用 Python 3.12 训练", 7)]     // 用 Python 3 . 12 训 练
    [InlineData("emoji 🙂 ok", 3)]
    public void Counts_han_characters_words_and_symbols(string text, int tokens) =>
        Assert.Equal(tokens, ApproximateTokenizer.Instance.CountTokens(text));

    [Theory]
    [InlineData("Hello, world!", 2, "Hello,")]
    [InlineData("银行卡挂失", 3, "银行卡")]
    [InlineData("one two three", 2, "one two")]
    [InlineData("🙂🙂🙂", 2, "🙂🙂")]
    [InlineData("fits", 5, "fits")]
    [InlineData("anything", 0, "")]
    public void Truncates_at_a_token_end(string text, int max, string expected) =>
        Assert.Equal(expected, ApproximateTokenizer.Instance.Truncate(text, max));
}
