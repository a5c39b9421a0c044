using System.Text;

namespace DeepSeek.Portal.Feeding.Tests.Scoring;

/// <summary>Generated noise of the kinds crawled and exported data carries, one generator per kind.</summary>
internal static class NoiseSamples
{
    public static string RepeatedTokens(Random r) =>
        string.Join(' ', Enumerable.Repeat(r.Next(2) == 0 ? "buy now cheap" : "click here free", r.Next(8, 30)));

    public static string RepeatedChinese(Random r) =>
        string.Concat(Enumerable.Repeat(r.Next(2) == 0 ? "点击领取红包！" : "哈哈哈", r.Next(8, 30)));

    private const string Symbols = "#$%^&*@!~|<>{}[]=+_-0123456789";

    public static string RandomSymbols(Random r) =>
        new([.. Enumerable.Range(0, r.Next(40, 200)).Select(_ => Symbols[r.Next(Symbols.Length)])]);

    public static string HtmlBoilerplate(Random r) =>
        string.Concat(Enumerable.Range(0, r.Next(2, 6)).Select(i =>
            $"<div class=\"nav-item-{i}\"><a href=\"/page/{r.Next(100)}\">Home</a>&nbsp;|&nbsp;<span id=\"x{i}\">Login</span></div>\n"));

    /// <summary>A clean text's UTF-8 bytes read back as Latin-1, as a wrongly configured export does.</summary>
    public static string Mojibake(string clean) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(clean));
}
