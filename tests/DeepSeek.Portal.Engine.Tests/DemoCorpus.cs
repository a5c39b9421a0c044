using System.Globalization;

namespace DeepSeek.Portal.Engine.Tests;

/// <summary>
/// Synthetic bilingual (Simplified Chinese / English) customer-service and retail-banking sentences built from
/// templates, for the engine's own tests (the engine knows nothing of the Feeding library, whose
/// <c>DemoDataset</c> is what the portal and the benchmark train on). The same seed always gives the same texts.
/// </summary>
internal static class DemoCorpus
{
    private static readonly (string Zh, string En)[] Names =
    [
        ("张伟", "Zhang Wei"), ("王芳", "Wang Fang"), ("李娜", "Li Na"), ("刘洋", "Liu Yang"), ("陈静", "Chen Jing"),
        ("杨磊", "Yang Lei"), ("赵敏", "Zhao Min"), ("黄强", "Huang Qiang"), ("周婷", "Zhou Ting"), ("吴刚", "Wu Gang"),
        ("徐丽", "Xu Li"), ("孙浩", "Sun Hao"), ("马超", "Ma Chao"), ("朱琳", "Zhu Lin"), ("胡军", "Hu Jun"),
        ("郭峰", "Guo Feng"), ("何欣", "He Xin"), ("高明", "Gao Ming"), ("林慧", "Lin Hui"), ("罗斌", "Luo Bin"),
    ];

    private static readonly (string Zh, string En)[] Cities =
    [
        ("北京", "Beijing"), ("上海", "Shanghai"), ("广州", "Guangzhou"), ("深圳", "Shenzhen"), ("杭州", "Hangzhou"),
        ("成都", "Chengdu"), ("南京", "Nanjing"), ("武汉", "Wuhan"),
    ];

    private static readonly (string Zh, string En)[] Products =
    [
        ("储蓄账户", "savings account"), ("信用卡", "credit card"), ("定期存款", "fixed deposit"), ("住房贷款", "mortgage"),
        ("理财产品", "wealth management product"), ("借记卡", "debit card"), ("手机银行", "mobile banking"),
    ];

    private static readonly (string Zh, string En)[] Issues =
    [
        ("密码错误", "a wrong password"), ("卡片丢失", "a lost card"), ("转账失败", "a failed transfer"),
        ("账户冻结", "a frozen account"), ("手续费争议", "a disputed fee"), ("短信验证码未收到", "a missing SMS code"),
    ];

    private static readonly Func<Random, string>[] Templates =
    [
        r => { var n = Pick(r, Names); return $"客户{n.Zh}的账户余额为{Amount(r)}元。"; },
        r => { var n = Pick(r, Names); return $"Customer {n.En} has a balance of {Amount(r)} yuan."; },
        r => { var n = Pick(r, Names); var p = Pick(r, Products); return $"{n.Zh}于{Date(r, true)}申请了{p.Zh}。"; },
        r => { var n = Pick(r, Names); var p = Pick(r, Products); return $"{n.En} applied for a {p.En} on {Date(r, false)}."; },
        r => { var n = Pick(r, Names); var c = Pick(r, Cities); return $"您好，{n.Zh}，您在{c.Zh}分行的预约已确认。"; },
        r => { var n = Pick(r, Names); var c = Pick(r, Cities); return $"Hello {n.En}, your appointment at the {c.En} branch is confirmed."; },
        r => { var n = Pick(r, Names); var i = Pick(r, Issues); return $"客服：{n.Zh}您好，关于{i.Zh}的问题，我们将在24小时内处理。"; },
        r => { var n = Pick(r, Names); var i = Pick(r, Issues); return $"Agent: Dear {n.En}, we will resolve {i.En} within 24 hours."; },
        r => { var a = Amount(r); return $"您的转账{a}元已成功，手续费为{r.Next(0, 20)}元。"; },
        r => { var a = Amount(r); return $"Your transfer of {a} yuan was successful; the fee was {r.Next(0, 20)} yuan."; },
        r => { var p = Pick(r, Products); return $"{p.Zh}的年利率为{Rate(r)}%。"; },
        r => { var p = Pick(r, Products); return $"The annual interest rate of the {p.En} is {Rate(r)}%."; },
        r => { var n = Pick(r, Names); return $"请问{n.Zh}先生/女士，您需要办理什么业务？"; },
        r => { var n = Pick(r, Names); return $"How can we help you today, {n.En}?"; },
        r => { var n = Pick(r, Names); var p = Pick(r, Products); return $"客户{n.Zh}（{n.En}）的{p.Zh}（{p.En}）已开通。"; },
        r => { var c = Pick(r, Cities); return $"{c.Zh}分行营业时间为上午9点至下午5点。The {c.En} branch opens from 9 am to 5 pm."; },
    ];

    /// <summary>Returns <paramref name="count"/> sentences drawn from the templates with a seeded generator.</summary>
    public static IReadOnlyList<string> Generate(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var texts = new string[count];
        for (int i = 0; i < count; i++) texts[i] = Templates[random.Next(Templates.Length)](random);
        return texts;
    }

    private static (string Zh, string En) Pick(Random r, (string Zh, string En)[] items) => items[r.Next(items.Length)];

    private static string Amount(Random r) => (r.Next(100, 100_000) / 100.0 * r.Next(1, 100)).ToString("F2", CultureInfo.InvariantCulture);

    private static string Rate(Random r) => (r.Next(100, 500) / 100.0).ToString("F2", CultureInfo.InvariantCulture);

    private static string Date(Random r, bool chinese) =>
        chinese ? $"{r.Next(2020, 2026)}年{r.Next(1, 13)}月{r.Next(1, 29)}日"
                : new DateTime(r.Next(2020, 2026), r.Next(1, 13), r.Next(1, 29)).ToString("MMMM d, yyyy", CultureInfo.InvariantCulture);
}
