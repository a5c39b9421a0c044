using static DeepSeek.Portal.Feeding.Demo.BankFacts;

namespace DeepSeek.Portal.Feeding.Demo;

/// <summary>Simplified Chinese support dialogues, four or five per intent; each draws its own slots.</summary>
internal static class ChineseTemplates
{
    private static string Dialogue(string customer, string agent) => $"客户：{customer}\n客服：{agent}";

    private static string LostCardAdvice(Card card) => card.IsCredit
        ? $"请立即拨打客服热线{Hotline}挂失，新卡将在5个工作日内寄到您的账单地址。"
        : "请立即在手机银行冻结该卡，再携带身份证到任意网点补办，新卡当场领取。";

    private static string TransferRule(int amount, Branch branch) => amount <= AppTransferLimit
        ? "通过手机银行跨行转账免手续费，一般2小时内到账。"
        : $"金额超过手机银行单日{Whole(AppTransferLimit)}元限额，请使用网银U盾或到{branch.Chinese}分行柜台办理。";

    private static string Hours(Branch b) => b.Saturday is { } saturday
        ? $"{b.Chinese}分行工作日营业时间为{b.Weekdays}，周六为{saturday}，周日休息。"
        : $"{b.Chinese}分行工作日营业时间为{b.Weekdays}，周六、周日休息。";

    public static readonly IReadOnlyList<Func<SplitMix64, string>> All =
    [
        // Balance enquiry
        r =>
        {
            var (name, card, last4) = (r.Pick(ChineseCustomers), r.Pick(Cards), Last4(r));
            return Dialogue($"你好，我想查一下尾号{last4}的{card.Chinese}余额。", card.IsCredit
                ? $"您好，{name}，您尾号{last4}的信用卡当前可用额度为{Money(Balance(r))}元，本期账单于{ChineseDate(Date(r))}到期。"
                : $"您好，{name}，您尾号{last4}的借记卡当前可用余额为{Money(Balance(r))}元。");
        },
        r => Dialogue("怎么查询账户余额？",
            $"{r.Pick(ChineseCustomers)}您好，您可以通过手机银行首页、{r.Pick(Branches).Chinese}分行的ATM或拨打客服热线{Hotline}查询余额，全天24小时可用。"),
        r => Dialogue("我的工资到账了吗？现在余额是多少？",
            $"{r.Pick(ChineseCustomers)}您好，您的借记卡于{ChineseDate(Date(r))}收到一笔{Whole(Amount(r))}元的入账，目前余额为{Money(Balance(r))}元。"),
        r =>
        {
            var card = r.Pick(Cards);
            return Dialogue($"我想给尾号{Last4(r)}的{card.Chinese}开通余额变动短信提醒。",
                $"好的，{r.Pick(ChineseCustomers)}。短信提醒每月收费2元，开通后该{card.Chinese}的每笔交易都会发送到您预留的手机号。");
        },

        // Transfer
        r =>
        {
            var (name, payee, amount) = (r.Pick(ChineseCustomers), r.Pick(ChinesePayees), Amount(r));
            return Dialogue($"我要给{payee}转{Whole(amount)}元，对方也是本行账户。",
                $"{name}，本行转账免手续费，实时到账。请在手机银行核对收款人{payee}的信息后提交。");
        },
        r =>
        {
            var (name, amount, branch) = (r.Pick(ChineseCustomers), Amount(r), r.Pick(Branches));
            return Dialogue($"跨行转账{Whole(amount)}元要多久到账？", $"{name}您好，{TransferRule(amount, branch)}");
        },
        r =>
        {
            var (name, payee, amount, date) = (r.Pick(ChineseCustomers), r.Pick(ChinesePayees), r.Between(1, 500) * 100, ChineseDate(Date(r)));
            return Dialogue($"我想预约在{date}给{payee}转账{Whole(amount)}元。",
                $"好的，{name}。已为您设置{date}的预约转账，金额{Whole(amount)}元，执行前一天会短信提醒您。");
        },
        r => Dialogue($"我{ChineseDate(Date(r))}转错了一笔{Whole(Amount(r))}元的账，能撤回吗？",
            $"{r.Pick(ChineseCustomers)}您好，已到账的转账无法直接撤回，我们会联系收款行协助您追回款项。"),

        // Lost card
        r =>
        {
            var card = r.Pick(Cards);
            return Dialogue($"我的{card.Chinese}丢了，怎么办？", $"您好，{r.Pick(ChineseCustomers)}，{LostCardAdvice(card)}");
        },
        r =>
        {
            var card = r.Pick(Cards);
            return Dialogue($"我在{r.Pick(Branches).Chinese}出差，钱包被偷了，里面有{card.Chinese}。",
                $"{r.Pick(ChineseCustomers)}，请不要着急。{LostCardAdvice(card)}");
        },
        r =>
        {
            var (card, branch) = (r.Pick(Cards), r.Pick(Branches));
            return Dialogue($"{branch.Chinese}分行的ATM吞了我尾号{Last4(r)}的{card.Chinese}。",
                $"{r.Pick(ChineseCustomers)}您好，请在3个工作日内携带身份证到{branch.Chinese}分行柜台领取，逾期卡片将被剪卡销毁。");
        },
        r =>
        {
            var card = r.Pick(Cards);
            return Dialogue($"我尾号{Last4(r)}的{card.Chinese}挂失后又找到了，能解除挂失吗？", card.IsCredit
                ? $"{r.Pick(ChineseCustomers)}，信用卡挂失后原卡立即作废，无法解除，请等待新卡寄达。"
                : $"{r.Pick(ChineseCustomers)}，借记卡挂失5天内可以解除，请携带身份证和卡片到网点办理。");
        },

        // Loan and deposit rates
        r =>
        {
            var loan = r.Pick(Loans);
            return Dialogue($"现在{loan.Chinese}的年利率是多少？",
                $"您好，{r.Pick(ChineseCustomers)}，目前{loan.Chinese}的年利率为{Percent(loan.Rate)}%，具体以审批结果为准。");
        },
        r =>
        {
            var (loan, years) = (r.Pick(Loans), r.Between(1, 10));
            return Dialogue($"我想申请{loan.Chinese}{Whole(r.Between(5, 200) * 10_000)}元，期限{years}年，利率多少？",
                $"{r.Pick(ChineseCustomers)}，{loan.Chinese}目前年利率为{Percent(loan.Rate)}%。{years}年期限可以选择等额本息或等额本金还款。");
        },
        r =>
        {
            var deposit = r.Pick(Deposits);
            return Dialogue($"{deposit.Chinese}定期存款利率是多少？",
                $"您好，{r.Pick(ChineseCustomers)}，目前{deposit.Chinese}定期存款的年利率为{Percent(deposit.Rate)}%。");
        },
        r =>
        {
            var (deposit, amount) = (r.Pick(Deposits), Amount(r));
            return Dialogue($"我有{Whole(amount)}元，存{deposit.Chinese}定期能拿多少利息？",
                $"{r.Pick(ChineseCustomers)}，{deposit.Chinese}定期年利率为{Percent(deposit.Rate)}%，{Whole(amount)}元到期利息约为{Money(Interest(amount, deposit))}元。");
        },
        r =>
        {
            var loan = r.Pick(Loans);
            return Dialogue($"{loan.Chinese}提前还款要收费吗？",
                $"{r.Pick(ChineseCustomers)}您好，{loan.Chinese}放款满一年后提前还款免违约金，未满一年收取提前还款金额的1%。");
        },

        // Exchange rate
        r =>
        {
            var c = r.Pick(Currencies);
            return Dialogue($"今天{c.Chinese}的汇率是多少？",
                $"您好，{r.Pick(ChineseCustomers)}，今天{c.Unit}{c.Chinese}兑换{Percent(c.YuanPerUnit)}元人民币，以交易时的牌价为准。");
        },
        r =>
        {
            var (c, branch) = (r.Pick(Currencies), r.Pick(Branches));
            var amount = r.Pick(c.Amounts);
            return Dialogue($"我想换{Whole(amount)}{c.Chinese}，需要多少人民币？",
                $"{r.Pick(ChineseCustomers)}，按今天的牌价，{Whole(amount)}{c.Chinese}约需{Money(YuanFor(amount, c))}元人民币，请携带身份证到{branch.Chinese}分行办理。");
        },
        r => Dialogue("每年的个人购汇额度是多少？",
            $"{r.Pick(ChineseCustomers)}您好，每人每年购汇额度为等值5万美元，您今年已使用{Whole(r.Between(0, 500) * 100)}美元。"),
        r =>
        {
            var (c, branch) = (r.Pick(Currencies), r.Pick(Branches));
            return Dialogue($"在{branch.Chinese}哪里可以取{c.Chinese}现钞？",
                $"{r.Pick(ChineseCustomers)}，{c.Chinese}现钞需要提前一天预约，可以在{branch.Chinese}分行领取，取款当天请携带身份证。");
        },

        // Opening hours
        r =>
        {
            var b = r.Pick(Branches);
            return Dialogue($"{b.Chinese}分行几点开门？", $"您好，{r.Pick(ChineseCustomers)}，{Hours(b)}");
        },
        r =>
        {
            var b = r.Pick(Branches);
            return Dialogue($"周六可以去{b.Chinese}分行办业务吗？", b.Saturday is { } saturday
                ? $"{r.Pick(ChineseCustomers)}，可以的，{b.Chinese}分行周六营业时间为{saturday}，欢迎前来办理。"
                : $"{r.Pick(ChineseCustomers)}，{b.Chinese}分行周六不营业，您可以使用24小时自助银行或手机银行。");
        },
        r =>
        {
            var b = r.Pick(Branches);
            return Dialogue($"{b.Chinese}分行的ATM晚上能用吗？",
                $"可以的，{r.Pick(ChineseCustomers)}。{b.Chinese}分行的自助银行和ATM全天24小时开放。");
        },
        r =>
        {
            var (b, arrival) = (r.Pick(Branches), ArrivalMinutes(r));
            return Dialogue($"我下班后{Clock(arrival)}才能到{b.Chinese}分行，还来得及吗？", arrival < b.CloseMinutes
                ? $"{r.Pick(ChineseCustomers)}，{b.Chinese}分行工作日{Clock(b.CloseMinutes)}关门，您{Clock(arrival)}到达可以办理，建议提前在手机银行取号。"
                : $"{r.Pick(ChineseCustomers)}，{b.Chinese}分行工作日{Clock(b.CloseMinutes)}就关门了，建议您使用手机银行办理。");
        },

        // Complaint
        r =>
        {
            var b = r.Pick(Branches);
            return Dialogue($"我在{b.Chinese}分行排队等了{r.Between(4, 18) * 5}分钟，太慢了！",
                $"非常抱歉，{r.Pick(ChineseCustomers)}。我们已记录您的投诉，编号{Ticket(r)}，{b.Chinese}分行负责人会在3个工作日内联系您。");
        },
        r =>
        {
            var (fee, card) = (r.Pick((int[])[50, 100, 200, 300, 600]), r.Pick(Cards));
            return Dialogue($"你们乱扣了我{card.Chinese}{fee}元的年费，我要投诉。",
                $"{r.Pick(ChineseCustomers)}，给您带来不便非常抱歉。投诉编号{Ticket(r)}，核实后如属误扣，{fee}元将在3个工作日内退回您的{card.Chinese}。");
        },
        r => Dialogue("客服电话一直打不通，我很生气。",
            $"非常抱歉让您久等，{r.Pick(ChineseCustomers)}。我已为您登记投诉，编号{Ticket(r)}，我们会在3个工作日内回电。"),
        r =>
        {
            var card = r.Pick(Cards);
            return Dialogue($"我的{card.Chinese}在{ChineseDate(Date(r))}被盗刷了{Whole(Amount(r))}元！",
                $"{r.Pick(ChineseCustomers)}，请您放心，我们已冻结该卡并登记投诉，编号{Ticket(r)}，调查结果会在3个工作日内通知您。");
        },
    ];
}
