using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Feeding.Composer;
using DeepSeek.Portal.Feeding.Text;
using static DeepSeek.Portal.Feeding.Demo.BankFacts;

namespace DeepSeek.Portal.Feeding.Demo;

/// <summary>
/// The demo workspace's evaluation suite, as a suite file (JSONL, the format of docs/EVALUATION.md#suite-files): every
/// item kind, in Chinese and English, about the same fictional bank as <see cref="DemoDataset"/> and drawn from texts
/// the demo run does not train on — generation items (a customer's question → the agent's answer), adversarial
/// versions of some of them (the composer's perturbations), general items, classification items on the bank's facts
/// (scored by log-likelihood), extraction items (an answer found in a given passage) and conversations judged complete
/// when the reply carries what the customer needs (the hotline, the USB key).
/// </summary>
public static class DemoSuite
{
    /// <summary>The dataset name of the demo suite.</summary>
    public const string Name = "demo-eval-suite";

    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The suite file's lines. The same on every machine: fixed seeds, no clock.</summary>
    public static IReadOnlyList<string> Generate()
    {
        var lines = new List<string>();
        var trained = new HashSet<string>(DemoDataset.Generate(), StringComparer.Ordinal);
        var domain = new List<EvaluationItem>();
        foreach (var text in DemoDataset.Generate(seed: 2026, count: 400))
        {
            if (trained.Contains(text) || domain.Count == 24) continue;
            var (question, reference) = SplitDialogue(text);
            domain.Add(new EvaluationItem($"dialogue-{domain.Count + 1:00}", text) { Prompt = question, Reference = reference });
        }
        foreach (var item in domain)
            lines.Add(Line("generation", item.Id, "domain", o => { o["prompt"] = Turn(item.Prompt!); o["references"] = new JsonArray(item.Reference); }));

        // Adversarial: the composer's perturbations of the domain prompts (character noise, look-alikes, injections …).
        var adversarial = EvaluationSetComposer.Compose(new CompositionRequest([], domain, 8) { Shares = new SliceShares(0, 0, 100), Seed = 5 });
        int n = 0;
        foreach (var item in adversarial)
            lines.Add(Line("generation", $"adversarial-{++n:00}", "adversarial", o =>
            {
                o["prompt"] = Turn(item.Prompt!);
                o["references"] = new JsonArray(item.Reference);
                o["source"] = item.SourceItemId;
                o["perturbation"] = item.Perturbation?.Kind.ToString();
            }));

        var trainedGeneral = new HashSet<string>(DemoGeneral.Generate(), StringComparer.Ordinal);
        n = 0;
        foreach (var text in DemoGeneral.Generate(seed: 2027, count: 60).Where(t => !trainedGeneral.Contains(t)).Take(8))
        {
            int cut = Cut(text);
            lines.Add(Line("generation", $"general-{++n:00}", "general", o => { o["prompt"] = text[..cut]; o["references"] = new JsonArray(text[cut..]); }));
        }

        n = 0;
        foreach (var deposit in new[] { Deposits[0], Deposits[2], Deposits[4] })
        {
            lines.Add(Choice($"rates-zh-{++n}", $"客户：{deposit.Chinese}定期存款利率是多少？\n客服：",
                Deposits.Select(d => $"您好，目前{deposit.Chinese}定期存款的年利率为{Percent(d.Rate)}%。"), Deposits.ToList().IndexOf(deposit)));
            lines.Add(Choice($"rates-en-{n}", $"Customer: What is the interest rate on a {deposit.English} deposit?\nAgent: ",
                Deposits.Select(d => $"Hello, the {deposit.English} fixed deposit currently pays {Percent(d.Rate)}% a year."), Deposits.ToList().IndexOf(deposit)));
        }
        foreach (var card in Cards)
        {
            lines.Add(Choice($"unfreeze-zh-{(card.IsCredit ? "credit" : "debit")}", $"客户：我的{card.Chinese}挂失后又找到了，能解除挂失吗？\n客服：",
                ["借记卡挂失5天内可以解除，请携带身份证和卡片到网点办理。", "信用卡挂失后原卡立即作废，无法解除，请等待新卡寄达。"], card.IsCredit ? 1 : 0));
        }
        foreach (var branch in new[] { Branches[0], Branches[3] })
        {
            lines.Add(Choice($"saturday-zh-{branch.English.ToLowerInvariant()}", $"客户：{branch.Chinese}分行周六营业吗？\n客服：",
                ["周六营业。", "周六、周日休息。"], branch.Saturday is null ? 1 : 0));
            lines.Add(Choice($"saturday-en-{branch.English.ToLowerInvariant()}", $"Customer: Is the {branch.English} branch open on Saturdays?\nAgent: ",
                ["Yes, it is open on Saturdays.", "No, it is closed on Saturdays and Sundays."], branch.Saturday is null ? 1 : 0));
        }

        foreach (var branch in new[] { Branches[1], Branches[5] })
        {
            lines.Add(Line("extraction", $"hours-zh-{branch.English.ToLowerInvariant()}", "domain", o =>
            {
                o["prompt"] = $"{branch.Chinese}分行工作日营业时间为{branch.Weekdays}。\n问题：{branch.Chinese}分行工作日的营业时间是？\n回答：";
                o["references"] = new JsonArray(branch.Weekdays);
            }));
            lines.Add(Line("extraction", $"hours-en-{branch.English.ToLowerInvariant()}", "domain", o =>
            {
                o["prompt"] = $"The {branch.English} branch is open {branch.Weekdays} on weekdays.\nQuestion: What are the {branch.English} branch's weekday hours?\nAnswer:";
                o["references"] = new JsonArray(branch.Weekdays);
            }));
        }

        var over = Whole(AppTransferLimit + 30_000);
        lines.Add(Conversation("lost-credit-zh", "我的信用卡丢了，怎么办？", Hotline));
        lines.Add(Conversation("lost-credit-en", "I lost my credit card. What should I do?", Hotline));
        lines.Add(Conversation("transfer-limit-zh", $"跨行转账{over}元要多久到账？", "U盾"));
        lines.Add(Conversation("transfer-limit-en", $"How long does an interbank transfer of {over} yuan take?", "USB key"));
        return lines;
    }

    /// <summary>The whole file (UTF-8, one item per line).</summary>
    public static byte[] FileBytes() => Encoding.UTF8.GetBytes(string.Join('\n', Generate()) + "\n");

    // The customer's question alone (so perturbations change only it) and the agent's answer.
    private static (string Question, string Answer) SplitDialogue(string text)
    {
        foreach (var (customer, agent) in Speakers)
        {
            int at = text.IndexOf("\n" + agent, StringComparison.Ordinal);
            if (text.StartsWith(customer, StringComparison.Ordinal) && at > 0)
                return (text[customer.Length..at], text[(at + 1 + agent.Length)..]);
        }
        throw new InvalidOperationException("A demo dialogue has no agent turn.");
    }

    private static readonly (string Customer, string Agent)[] Speakers = [("客户：", "客服："), ("Customer: ", "Agent: ")];

    // The question back in the demo dialogues' shape, ending where the agent's answer starts.
    private static string Turn(string question) =>
        question.EnumerateRunes().Any(r => LanguageGuess.IsHan(r.Value)) ? $"客户：{question}\n客服：" : $"Customer: {question}\nAgent: ";

    // About half way, at a space for English (a Chinese text may be cut between any two characters).
    private static int Cut(string text)
    {
        int middle = text.Length / 2;
        int space = text.IndexOf(' ', middle);
        return space > 0 && space < text.Length - 1 ? space + 1 : middle;
    }

    private static string Choice(string id, string prompt, IEnumerable<string> choices, int answer) =>
        Line("classification", id, "domain", o =>
        {
            o["prompt"] = prompt;
            o["choices"] = new JsonArray(choices.Select(c => (JsonNode)c).ToArray());
            o["answer"] = answer;
            o["scoring"] = "loglikelihood";
        });

    private static string Conversation(string id, string question, string criterion) =>
        Line("conversation", id, "domain", o =>
        {
            o["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question });
            o["criteria"] = new JsonArray(criterion);
        });

    private static string Line(string kind, string id, string slice, Action<JsonObject> fill)
    {
        var o = new JsonObject { ["id"] = id, ["kind"] = kind, ["slice"] = slice, ["domain"] = "banking" };
        fill(o);
        return o.ToJsonString(Json);
    }
}
