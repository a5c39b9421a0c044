namespace DeepSeek.Portal.Feeding.Demo;

/// <summary>
/// The demo workspace's general set: everyday bilingual text with no banking in it (weather, cooking, travel, sport,
/// study, technology), the contrast the data pipeline needs — a reference for domain similarity, the general slice of
/// an evaluation suite, a second source for a mixture. Generated from templates; same seed, same texts.
/// </summary>
public static class DemoGeneral
{
    /// <summary>The dataset's identifier in the demo workspace.</summary>
    public const string Name = "demo-general";

    private static readonly string[] ChineseSubjects = ["今天的天气", "周末的早市", "这家面馆", "城市图书馆", "新开的公园", "学校的篮球赛", "这部纪录片", "家里的小猫", "春天的樱花", "地铁新线路"];
    private static readonly string[] ChineseComments =
    [
        "比想象中更热闹，很多人一早就来排队。", "让人心情很好，值得再去一次。", "有不少细节值得回味，朋友们讨论了很久。",
        "安排得井井有条，工作人员也很耐心。", "拍照的人特别多，傍晚的光线最漂亮。", "让孩子们玩得很开心，回家路上还在说。",
        "价格不贵，味道却很地道。", "节奏不快，适合慢慢欣赏。", "带来了不少便利，通勤时间少了二十分钟。", "下了一场小雨，空气格外清新。",
    ];
    private static readonly string[] ChineseClosers = ["下次打算带家人一起去。", "建议提前查好开放时间。", "记得带上雨伞和水。", "有机会推荐大家也去看看。", "这样的周末很难得。"];

    private static readonly string[] EnglishSubjects = ["The morning market", "Our new neighbourhood park", "The city library", "This noodle shop", "The school football match", "The documentary we watched", "Spring in the botanical garden", "The new metro line", "The weekend hiking trail", "The community cooking class"];
    private static readonly string[] EnglishComments =
    [
        "was busier than expected, with a queue before it even opened.", "turned out to be a lovely way to spend the afternoon.",
        "had plenty of small details worth talking about afterwards.", "was well organised, and the volunteers were patient with everyone.",
        "looked its best in the evening light.", "kept the children happy all day.", "was cheap, and the food tasted homemade.",
        "moved slowly enough to enjoy every part of it.", "cut twenty minutes from the daily commute.", "smelled fresh after a short shower of rain.",
    ];
    private static readonly string[] EnglishClosers = ["We plan to go back with the whole family.", "Check the opening hours before you go.", "Bring an umbrella and some water.", "It is worth a visit if you are nearby.", "Weekends like this are rare."];

    /// <summary>Generates the set: distinct texts, about 60 % Chinese, in shuffled order.</summary>
    /// <param name="seed">Any integer.</param>
    /// <param name="count">How many texts, at most 450 (the templates' distinct combinations per language allow about that many).</param>
    public static IReadOnlyList<string> Generate(int seed = 11, int count = 400)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 450);
        var random = new SplitMix64(unchecked((ulong)seed));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var texts = new List<string>(count);
        var chinese = (int)Math.Round(count * 0.6, MidpointRounding.AwayFromZero);
        while (texts.Count < count)
        {
            var zh = texts.Count < chinese;
            var text = zh
                ? random.Pick(ChineseSubjects) + random.Pick(ChineseComments) + random.Pick(ChineseClosers)
                : $"{random.Pick(EnglishSubjects)} {random.Pick(EnglishComments)} {random.Pick(EnglishClosers)}";
            if (seen.Add(text))
                texts.Add(text);
        }
        var shuffled = texts.ToArray();
        random.Shuffle(shuffled);
        return shuffled;
    }
}
