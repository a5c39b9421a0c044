using static DeepSeek.Portal.Feeding.Demo.BankFacts;

namespace DeepSeek.Portal.Feeding.Demo;

/// <summary>English support dialogues stating the same facts as <see cref="ChineseTemplates"/>.</summary>
internal static class EnglishTemplates
{
    private static string Dialogue(string customer, string agent) => $"Customer: {customer}\nAgent: {agent}";

    private static string LostCardAdvice(Card card) => card.IsCredit
        ? $"please call our hotline {Hotline} right away to report it; a new card will be mailed to you within 5 working days."
        : "please freeze the card in the mobile app now, then bring your ID to any branch for a new card on the spot.";

    private static string Hours(Branch b) => b.Saturday is { } saturday
        ? $"the {b.English} branch is open {b.Weekdays} on weekdays and {saturday} on Saturdays; it is closed on Sundays."
        : $"the {b.English} branch is open {b.Weekdays} on weekdays and closed at weekends.";

    private static string Capitalise(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    public static readonly IReadOnlyList<Func<SplitMix64, string>> All =
    [
        // Balance enquiry
        r =>
        {
            var (name, card, last4) = (r.Pick(EnglishCustomers), r.Pick(Cards), Last4(r));
            return Dialogue($"Hi, what's the balance on my {card.English} ending in {last4}?", card.IsCredit
                ? $"Hello {name}, the available credit on your credit card ending in {last4} is RMB {Money(Balance(r))}; your statement is due on {EnglishDate(Date(r))}."
                : $"Hello {name}, the available balance on your debit card ending in {last4} is RMB {Money(Balance(r))}.");
        },
        r => Dialogue("How can I check my account balance?",
            $"Hi {r.Pick(EnglishCustomers)}, you can check it any time in the mobile app, at any ATM in {r.Pick(Branches).English}, or by calling our hotline {Hotline}."),
        r => Dialogue("Has my salary arrived yet? What's my balance now?",
            $"Hello {r.Pick(EnglishCustomers)}, a deposit of RMB {Whole(Amount(r))} reached your debit card on {EnglishDate(Date(r))}. Your balance is now RMB {Money(Balance(r))}."),
        r =>
        {
            var card = r.Pick(Cards);
            return Dialogue($"Can I get a text message for every transaction on my {card.English} ending in {Last4(r)}?",
                $"Yes, {r.Pick(EnglishCustomers)}. SMS alerts cost RMB 2 per month and cover every transaction on that {card.English}.");
        },

        // Transfer
        r =>
        {
            var (name, payee, amount) = (r.Pick(EnglishCustomers), r.Pick(EnglishPayees), Amount(r));
            return Dialogue($"I want to send RMB {Whole(amount)} to {payee}, who also banks with you.",
                $"Sure, {name}. Transfers within our bank are free and arrive instantly. Please confirm {payee}'s details in the app.");
        },
        r =>
        {
            var (name, amount, branch) = (r.Pick(EnglishCustomers), Amount(r), r.Pick(Branches));
            return Dialogue($"How long does a transfer of RMB {Whole(amount)} to another bank take?", amount <= AppTransferLimit
                ? $"Hello {name}, transfers to other banks are free in the mobile app and usually arrive within 2 hours."
                : $"Hello {name}, that is above the app's daily limit of RMB {Whole(AppTransferLimit)}, so please use online banking with your USB key or visit the {branch.English} branch.");
        },
        r =>
        {
            var (name, payee, amount, date) = (r.Pick(EnglishCustomers), r.Pick(EnglishPayees), r.Between(1, 500) * 100, EnglishDate(Date(r)));
            return Dialogue($"Please schedule a transfer of RMB {Whole(amount)} to {payee} on {date}.",
                $"Done, {name}. Your transfer of RMB {Whole(amount)} to {payee} is scheduled for {date}, and we will text you the day before.");
        },
        r => Dialogue($"I sent RMB {Whole(Amount(r))} to the wrong account on {EnglishDate(Date(r))}. Can you reverse it?",
            $"I'm sorry, {r.Pick(EnglishCustomers)}. A completed transfer cannot be reversed directly, but we will contact the receiving bank to help recover the money."),

        // Lost card
        r =>
        {
            var card = r.Pick(Cards);
            return Dialogue($"I lost my {card.English}. What should I do?", $"Hello {r.Pick(EnglishCustomers)}, {LostCardAdvice(card)}");
        },
        r =>
        {
            var card = r.Pick(Cards);
            return Dialogue($"My wallet was stolen on a trip to {r.Pick(Branches).English}, and my {card.English} was in it.",
                $"I'm sorry, {r.Pick(EnglishCustomers)}. {Capitalise(LostCardAdvice(card))}");
        },
        r =>
        {
            var (card, branch) = (r.Pick(Cards), r.Pick(Branches));
            return Dialogue($"The ATM at the {branch.English} branch swallowed my {card.English} ending in {Last4(r)}.",
                $"Hello {r.Pick(EnglishCustomers)}, please bring your ID to the {branch.English} branch within 3 working days to collect it; after that the card is destroyed.");
        },
        r =>
        {
            var card = r.Pick(Cards);
            return Dialogue($"I found my {card.English} ending in {Last4(r)} after reporting it lost. Can I cancel the report?", card.IsCredit
                ? $"Sorry, {r.Pick(EnglishCustomers)}, a credit card is cancelled as soon as it is reported lost, so please wait for your new card."
                : $"Yes, {r.Pick(EnglishCustomers)}, a debit card report can be cancelled within 5 days; please bring the card and your ID to a branch.");
        },

        // Loan and deposit rates
        r =>
        {
            var loan = r.Pick(Loans);
            return Dialogue($"What is the interest rate for a {loan.English} right now?",
                $"Hello {r.Pick(EnglishCustomers)}, the current annual rate for a {loan.English} is {Percent(loan.Rate)}%, subject to approval.");
        },
        r =>
        {
            var (loan, years) = (r.Pick(Loans), r.Between(2, 10));
            return Dialogue($"I'd like a {loan.English} of RMB {Whole(r.Between(5, 200) * 10_000)} over {years} years. What's the rate?",
                $"{r.Pick(EnglishCustomers)}, the {loan.English} rate is {Percent(loan.Rate)}% per year. Over {years} years you can repay in equal instalments or equal principal.");
        },
        r =>
        {
            var deposit = r.Pick(Deposits);
            return Dialogue($"What is the interest rate for a {deposit.English} fixed deposit?",
                $"Hello {r.Pick(EnglishCustomers)}, the current rate for a {deposit.English} fixed deposit is {Percent(deposit.Rate)}% per year.");
        },
        r =>
        {
            var (deposit, amount) = (r.Pick(Deposits), Amount(r));
            return Dialogue($"How much interest will RMB {Whole(amount)} earn in a {deposit.English} fixed deposit?",
                $"{r.Pick(EnglishCustomers)}, at {Percent(deposit.Rate)}% per year, RMB {Whole(amount)} will earn about RMB {Money(Interest(amount, deposit))} by maturity.");
        },
        r =>
        {
            var loan = r.Pick(Loans);
            return Dialogue($"Is there a fee for repaying my {loan.English} early?",
                $"Hello {r.Pick(EnglishCustomers)}, there is no fee once the {loan.English} is a year old; before that we charge 1% of the amount repaid early.");
        },

        // Exchange rate
        r =>
        {
            var c = r.Pick(Currencies);
            var quoted = c.Unit == 1 ? $"1 {Singular(c)}" : $"{Whole(c.Unit)} {c.English}";
            return Dialogue($"What's today's exchange rate for {c.English}?",
                $"Hello {r.Pick(EnglishCustomers)}, today {quoted} is {Percent(c.YuanPerUnit)} yuan, subject to the rate at the time of exchange.");
        },
        r =>
        {
            var (c, branch) = (r.Pick(Currencies), r.Pick(Branches));
            var amount = r.Pick(c.Amounts);
            return Dialogue($"I need {Whole(amount)} {c.English}. How much RMB is that?",
                $"{r.Pick(EnglishCustomers)}, at today's rate {Whole(amount)} {c.English} costs about RMB {Money(YuanFor(amount, c))}. Please bring your ID to the {branch.English} branch.");
        },
        r => Dialogue("How much foreign currency can I buy each year?",
            $"Hello {r.Pick(EnglishCustomers)}, each person can buy the equivalent of USD 50,000 a year, and you have used USD {Whole(r.Between(0, 500) * 100)} so far this year."),
        r =>
        {
            var (c, branch) = (r.Pick(Currencies), r.Pick(Branches));
            return Dialogue($"Where in {branch.English} can I collect {c.English} in cash?",
                $"{r.Pick(EnglishCustomers)}, {c.English} cash must be booked a day ahead, and you can collect it at the {branch.English} branch with your ID.");
        },

        // Opening hours
        r =>
        {
            var b = r.Pick(Branches);
            return Dialogue($"When is the {b.English} branch open?", $"Hello {r.Pick(EnglishCustomers)}, {Hours(b)}");
        },
        r =>
        {
            var b = r.Pick(Branches);
            return Dialogue($"Can I visit the {b.English} branch on Saturday?", b.Saturday is { } saturday
                ? $"Yes, {r.Pick(EnglishCustomers)}, the {b.English} branch is open {saturday} on Saturdays."
                : $"{r.Pick(EnglishCustomers)}, the {b.English} branch is closed on Saturdays, but our self-service machines and mobile app work 24 hours a day.");
        },
        r =>
        {
            var b = r.Pick(Branches);
            return Dialogue($"Can I use the ATM at the {b.English} branch at night?",
                $"Yes, {r.Pick(EnglishCustomers)}. The self-service area and ATMs at the {b.English} branch are open 24 hours a day.");
        },
        r =>
        {
            var (b, arrival) = (r.Pick(Branches), ArrivalMinutes(r));
            return Dialogue($"I can only reach the {b.English} branch at {Clock(arrival)} after work. Is that too late?", arrival < b.CloseMinutes
                ? $"No, {r.Pick(EnglishCustomers)}. The {b.English} branch closes at {Clock(b.CloseMinutes)} on weekdays, so please take a queue number in the app first."
                : $"I'm afraid so, {r.Pick(EnglishCustomers)}. The {b.English} branch closes at {Clock(b.CloseMinutes)} on weekdays; the mobile app is open 24 hours.");
        },

        // Complaint
        r =>
        {
            var b = r.Pick(Branches);
            return Dialogue($"I waited {r.Between(4, 18) * 5} minutes in the queue at the {b.English} branch!",
                $"I'm very sorry, {r.Pick(EnglishCustomers)}. Your complaint is logged as {Ticket(r)}, and the {b.English} branch manager will call you within 3 working days.");
        },
        r =>
        {
            var (fee, card) = (r.Pick((int[])[50, 100, 200, 300, 600]), r.Pick(Cards));
            return Dialogue($"You charged my {card.English} an annual fee of RMB {fee} by mistake. I want to complain.",
                $"I apologise, {r.Pick(EnglishCustomers)}. Complaint {Ticket(r)} is logged; if the fee was wrong, RMB {fee} goes back to your {card.English} within 3 working days.");
        },
        r => Dialogue("I've been trying to reach your hotline for an hour!",
            $"I'm sorry for the wait, {r.Pick(EnglishCustomers)}. I have logged complaint {Ticket(r)} for you, and we will call you back within 3 working days."),
        r =>
        {
            var card = r.Pick(Cards);
            return Dialogue($"Someone used my {card.English} without permission on {EnglishDate(Date(r))} and took RMB {Whole(Amount(r))}!",
                $"{r.Pick(EnglishCustomers)}, we have frozen the card and logged complaint {Ticket(r)}. You will hear the result of our investigation within 3 working days.");
        },
    ];

    private static string Singular(Currency c) => c.English.EndsWith('s') ? c.English[..^1] : c.English;
}
