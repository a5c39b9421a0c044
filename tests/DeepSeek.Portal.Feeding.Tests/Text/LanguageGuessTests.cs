using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Tests.Text;

public class LanguageGuessTests
{
    [Theory]
    [InlineData("银行卡挂失需要携带身份证到柜台办理。", TextLanguage.Chinese)]
    [InlineData("用 Python 和 PyTorch 训练模型", TextLanguage.Chinese)]
    [InlineData("How do I report a lost bank card?", TextLanguage.English)]
    [InlineData("これは日本語の文です", TextLanguage.Other)]
    [InlineData("Привет, как дела?", TextLanguage.Other)]
    [InlineData("12345 !!! ...", TextLanguage.Other)]
    [InlineData("", TextLanguage.Other)]
    public void Classifies_by_script(string text, TextLanguage expected) =>
        Assert.Equal(expected, LanguageGuess.Classify(text));

    [Fact]
    public void An_extension_b_character_is_han() =>
        Assert.Equal(TextLanguage.Chinese, LanguageGuess.Classify("\U00020BB7"));

    [Theory]
    [InlineData(TextLanguage.Chinese, "zh")]
    [InlineData(TextLanguage.English, "en")]
    [InlineData(TextLanguage.Other, "other")]
    public void Codes(TextLanguage language, string code) => Assert.Equal(code, LanguageGuess.Code(language));
}
