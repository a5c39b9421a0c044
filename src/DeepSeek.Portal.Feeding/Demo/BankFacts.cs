using System.Globalization;

namespace DeepSeek.Portal.Feeding.Demo;

/// <summary>
/// The fictional bank behind the demo dataset. Every rate, limit and opening hour is fixed here and used
/// by both languages, so the texts agree with each other: a tiny model can learn facts and rules
/// (a transfer over 50,000 needs a USB key, the Guangzhou branch is shut on Saturdays), not just noise.
/// The hotline number and all names are made up.
/// </summary>
internal static class BankFacts
{
    public const string Hotline = "400-800-6688";
    public const int AppTransferLimit = 50_000;

    public static readonly IReadOnlyList<string> ChineseCustomers =
    [
        "张伟先生", "李娜女士", "王芳女士", "刘洋先生", "陈静女士", "杨磊先生", "赵敏女士", "黄强先生",
        "周杰先生", "吴丽女士", "徐明先生", "孙燕女士", "马超先生", "朱婷女士", "胡军先生", "郭敏女士",
    ];

    public static readonly IReadOnlyList<string> EnglishCustomers =
    [
        "Emma", "Liam", "Olivia", "Noah", "Sophia", "James", "Mia", "Lucas",
        "Chloe", "Ethan", "Grace", "Daniel", "Hannah", "Oliver", "Amelia", "Jack",
    ];

    public static readonly IReadOnlyList<string> ChinesePayees = ["李明", "王强", "刘丽", "陈晨", "张敏", "杨帆", "何静", "林涛"];

    public static readonly IReadOnlyList<string> EnglishPayees = ["Tom Brown", "Anna Lee", "David Chen", "Lucy Wang", "Peter Zhang", "Sarah Liu", "Mark Davis", "Kate Wu"];

    public sealed record Branch(string Chinese, string English, string Weekdays, int CloseMinutes, string? Saturday);

    public static readonly IReadOnlyList<Branch> Branches =
    [
        new("北京", "Beijing", "9:00-17:00", 17 * 60, "9:00-12:00"),
        new("上海", "Shanghai", "8:30-17:30", 17 * 60 + 30, "9:00-16:00"),
        new("深圳", "Shenzhen", "9:00-18:00", 18 * 60, "10:00-16:00"),
        new("广州", "Guangzhou", "9:00-17:00", 17 * 60, null),
        new("杭州", "Hangzhou", "8:30-17:00", 17 * 60, "9:00-12:00"),
        new("成都", "Chengdu", "9:00-17:30", 17 * 60 + 30, null),
        new("南京", "Nanjing", "9:00-17:00", 17 * 60, "9:00-15:00"),
        new("武汉", "Wuhan", "8:30-17:00", 17 * 60, null),
    ];

    public sealed record Card(string Chinese, string English, bool IsCredit);

    public static readonly IReadOnlyList<Card> Cards = [new("借记卡", "debit card", false), new("信用卡", "credit card", true)];

    public sealed record Deposit(string Chinese, string English, int Months, decimal Rate);

    public static readonly IReadOnlyList<Deposit> Deposits =
    [
        new("3个月", "3-month", 3, 1.25m),
        new("6个月", "6-month", 6, 1.45m),
        new("1年期", "1-year", 12, 1.65m),
        new("2年期", "2-year", 24, 2.15m),
        new("3年期", "3-year", 36, 2.75m),
        new("5年期", "5-year", 60, 2.80m),
    ];

    public sealed record Loan(string Chinese, string English, decimal Rate);

    public static readonly IReadOnlyList<Loan> Loans =
    [
        new("个人住房贷款", "mortgage", 3.95m),
        new("个人消费贷款", "personal loan", 4.35m),
        new("汽车贷款", "car loan", 4.60m),
        new("经营贷款", "business loan", 4.10m),
    ];

    /// <param name="Chinese">The currency's Chinese name.</param>
    /// <param name="English">The currency's English name, plural.</param>
    /// <param name="Unit">How many units the quoted rate is for (yen are quoted per 100).</param>
    /// <param name="YuanPerUnit">The price of <paramref name="Unit"/> units in yuan.</param>
    /// <param name="Amounts">Typical amounts a customer asks to buy.</param>
    public sealed record Currency(string Chinese, string English, int Unit, decimal YuanPerUnit, IReadOnlyList<int> Amounts);

    public static readonly IReadOnlyList<Currency> Currencies =
    [
        new("美元", "US dollars", 1, 7.18m, [100, 200, 500, 1000, 2000, 5000]),
        new("欧元", "euros", 1, 7.82m, [100, 200, 500, 1000, 2000, 5000]),
        new("英镑", "British pounds", 1, 9.12m, [100, 200, 500, 1000, 2000]),
        new("港币", "Hong Kong dollars", 1, 0.92m, [500, 1000, 2000, 5000, 10000]),
        new("日元", "Japanese yen", 100, 4.80m, [10000, 20000, 50000, 100000]),
    ];

    public static string Money(decimal value) => value.ToString("#,0.00", CultureInfo.InvariantCulture);

    public static string Whole(int value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Percent(decimal rate) => rate.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Clock(int minutes) => $"{minutes / 60}:{minutes % 60:00}";

    public static string Ticket(SplitMix64 r) => "TS" + r.Between(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);

    public static string Last4(SplitMix64 r) => r.Between(0, 9999).ToString("0000", CultureInfo.InvariantCulture);

    /// <summary>A sum of money a customer moves around: 100 to 100,000 yuan in hundreds.</summary>
    public static int Amount(SplitMix64 r) => r.Between(1, 1000) * 100;

    public static decimal Balance(SplitMix64 r) => r.Between(10_000, 20_000_000) / 100m;

    public static decimal Interest(int amount, Deposit d) => Math.Round(amount * d.Rate / 100m * d.Months / 12m, 2);

    public static decimal YuanFor(int foreignAmount, Currency c) => Math.Round(foreignAmount * c.YuanPerUnit / c.Unit, 2);

    /// <summary>Arrival times people ask about after work, as minutes after midnight (16:00 to 18:30).</summary>
    public static int ArrivalMinutes(SplitMix64 r) => 16 * 60 + (30 * r.Between(0, 5));

    private static readonly string[] MonthNames =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    /// <summary>A date without a year, as (month, day); days stop at 28 so every month has them.</summary>
    public static (int Month, int Day) Date(SplitMix64 r) => (r.Between(1, 12), r.Between(1, 28));

    public static string ChineseDate((int Month, int Day) d) => $"{d.Month}月{d.Day}日";

    public static string EnglishDate((int Month, int Day) d) => $"{d.Day} {MonthNames[d.Month - 1]}";
}
