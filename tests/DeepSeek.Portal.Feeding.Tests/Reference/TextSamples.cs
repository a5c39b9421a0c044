using System.Text;
using DeepSeek.Portal.Feeding.Demo;

namespace DeepSeek.Portal.Feeding.Tests.Reference;

/// <summary>
/// Texts on which optimised functions are compared with their reference versions: demo dialogues (Chinese, English),
/// their concatenations and near copies, mixed scripts, noise, random Unicode with emoji and unpaired surrogates,
/// white-space variants, repetition, and the edge cases (empty, one character, one surrogate pair, very long).
/// </summary>
internal static class TextSamples
{
    private const string Han = "银行卡挂失需要携带身份证到柜台办理您的借记卡当前可用余额为元请问有什么可以帮您利率是多少";
    private const string Latin = "the bank card rate is over a lost deposit fixed year account open hours loan";
    private const string Symbols = "#$%^&*@!~|<>{}[]=+_-0123456789，。：；！？、（）—…“”‘’";
    private static readonly string[] Exotic = ["😀", "👍🏽", "𠀀", "𝐀", "𐐀", "é", "ß", "İ", "Σ", "ǅ", "\u0301", "\u200D", "\u200C", "\u00A0", "\u3000", "\u2028", "\u0085", "\uFFFD", "\uD800", "\uDC00", "\t", "\r\n", "\0", "Ã©", "â€™", "ｶ", "Ａ", "１", "ﬁ", "ａｂｃ", "٣", "の", "カ"];

    public static IEnumerable<string> All(int seed = 3, int generated = 150)
    {
        foreach (var edge in EdgeCases()) yield return edge;
        var random = new Random(seed);
        var dialogues = DemoDataset.Generate(seed, generated);
        foreach (var dialogue in dialogues) yield return dialogue;
        for (int i = 0; i < generated; i++)
        {
            yield return string.Join('\n', Enumerable.Range(0, 1 + random.Next(6)).Select(_ => dialogues[random.Next(dialogues.Count)]));
            yield return Mixed(random, random.Next(1, 400));
            yield return RandomUnicode(random, random.Next(1, 120));
            yield return Repetitive(random);
        }
        yield return string.Join('\n', dialogues.Take(300)); // very long: about 40,000 characters
        yield return string.Concat(Enumerable.Repeat("点击这里领取优惠 click here to win\n", 2000));
        yield return new string('a', 70_000);
    }

    public static IEnumerable<string> EdgeCases() =>
    [
        "", " ", "\n", "a", "中", "😀", "\uD800", "\uDC00", "a\uD800b", "\uD83D", "😀😀", "ab", "中文", " \t\r\n\u3000 ",
        "\n\n\nsame\n\nsame\n", "Hello, world!", "İstanbul ΣΑΣ ǅ", "用 Python 训练 模型，银行ATM", "中 文 字 符", "a  b\t\tc",
        "<b>bold</b> &amp; &#169; text", "ä¸­æ–‡ Ã©tÃ©", "\0\u0001\u007F\u0085\u009F",
    ];

    /// <summary>Chinese and Latin words, digits, punctuation and white space, interleaved.</summary>
    public static string Mixed(Random random, int parts)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < parts; i++)
        {
            switch (random.Next(8))
            {
                case 0: case 1: case 2: sb.Append(Han, random.Next(Han.Length - 4), random.Next(1, 4)); break;
                case 3: case 4: sb.Append(Latin.Split(' ')[random.Next(15)]); break;
                case 5: sb.Append(Symbols[random.Next(Symbols.Length)]); break;
                case 6: sb.Append(random.Next(3) == 0 ? '\n' : ' '); break;
                default: sb.Append(Exotic[random.Next(Exotic.Length)]); break;
            }
            if (random.Next(3) == 0) sb.Append(' ');
        }
        return sb.ToString();
    }

    /// <summary>Code points from all planes (unpaired surrogates included), so every character class is hit.</summary>
    public static string RandomUnicode(Random random, int length)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < length; i++)
        {
            int roll = random.Next(10);
            if (roll < 3) sb.Append((char)random.Next(0x20, 0x7F));
            else if (roll < 5) sb.Append((char)random.Next(0x80, 0x3000));
            else if (roll < 7) sb.Append((char)random.Next(0x3000, 0xD800));
            else if (roll < 8) sb.Append((char)random.Next(0xD800, 0xE000)); // an unpaired surrogate, usually
            else if (roll < 9) sb.Append((char)random.Next(0xE000, 0x10000));
            else sb.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000) is var c && c is >= 0xD800 and <= 0xDFFF ? 0x1F600 : random.Next(0x10000, 0x30000)));
        }
        return sb.ToString();
    }

    /// <summary>Repeated phrases, lines and characters, short and Gopher-sized, so the repetition rules have something to find.</summary>
    public static string Repetitive(Random random)
    {
        var phrase = random.Next(3) switch
        {
            0 => Han.Substring(random.Next(Han.Length - 8), random.Next(2, 8)),
            1 => string.Join(' ', Enumerable.Range(0, random.Next(1, 5)).Select(_ => Latin.Split(' ')[random.Next(15)])),
            _ => Mixed(random, random.Next(1, 6)),
        };
        var sb = new StringBuilder();
        int times = random.Next(2, 40);
        for (int i = 0; i < times; i++)
        {
            sb.Append(phrase);
            if (random.Next(4) == 0) sb.Append(Mixed(random, random.Next(1, 10)));
            sb.Append(random.Next(3) switch { 0 => "\n", 1 => " ", _ => "" });
        }
        return sb.ToString();
    }
}
