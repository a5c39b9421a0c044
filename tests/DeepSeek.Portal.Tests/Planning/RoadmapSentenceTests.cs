using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Bunit;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Evaluations;
using DeepSeek.Portal.Planning;
using DeepSeek.Portal.Planning.Roadmap;
using DeepSeek.Portal.Planning.Roadmap.Pages;
using DeepSeek.Portal.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests.Planning;

/// <summary>
/// The roadmap's stored sentences (change summaries, gate reasons): every key worded in both resource files with the
/// placeholders its arguments fill, and the roadmap page over the real portal's services showing them in Chinese,
/// with the dependency-conflict chip.
/// </summary>
public sealed partial class RoadmapSentenceTests() : ComponentTestContext("zh-Hans"), IDisposable
{
    private readonly PortalFactory _portal = new();

    // After the bUnit context (xunit disposes IAsyncLifetime first): the page's services live until then.
    public void Dispose() => _portal.Dispose();

    [GeneratedRegex(@"\{(\d+)(?:[,:][^}]*)?\}")]
    private static partial Regex Placeholder();

    [Fact]
    public void Every_sentence_key_is_worded_in_both_languages_with_one_placeholder_per_argument()
    {
        var dir = Path.Combine(PlatformTests.RepoRoot(), "src", "DeepSeek.Portal", "Resources");
        static Dictionary<string, string> Values(string file) =>
            XDocument.Load(file).Root!.Elements("data").ToDictionary(e => (string)e.Attribute("name")!, e => (string)e.Element("value")!);
        var en = Values(Path.Combine(dir, "SharedResource.resx"));
        var zh = Values(Path.Combine(dir, "SharedResource.zh-Hans.resx"));

        // Every code the service can store is listed with its arity.
        var codes = typeof(RoadmapSentences).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.True(codes.Count >= 20, $"only {codes.Count} codes");
        Assert.All(codes, c => Assert.True(RoadmapSentences.Arity.ContainsKey(c), $"{c} has no arity"));

        foreach (var (key, arity) in RoadmapSentences.Arity)
        {
            Assert.True(en.ContainsKey(key), $"{key} missing in SharedResource.resx");
            Assert.True(zh.ContainsKey(key), $"{key} missing in SharedResource.zh-Hans.resx");
            var expected = Enumerable.Range(0, arity).ToList();
            Assert.True(expected.SequenceEqual(Placeholders(en[key])), $"{key} (en) has placeholders {string.Join(",", Placeholders(en[key]))}, expected {arity}");
            Assert.True(expected.SequenceEqual(Placeholders(zh[key])), $"{key} (zh) has placeholders {string.Join(",", Placeholders(zh[key]))}, expected {arity}");
            if (arity > 0 && key != RoadmapSentences.Gate && key != RoadmapSentences.Diff && key != RoadmapSentences.MetricScope)
                Assert.True(zh[key].Any(c => c >= '\u4E00' || c is '“' or '（'), $"{key} (zh) is not Chinese: {zh[key]}");
        }
        // Statuses are arguments of the status diff.
        Assert.All(Enum.GetNames<MilestoneStatus>(), s => Assert.True(zh.ContainsKey("RmStatus_" + s)));

        static List<int> Placeholders(string value) =>
            [.. Placeholder().Matches(value).Select(m => int.Parse(m.Groups[1].Value)).Distinct().Order()];
    }

    [Fact]
    public async Task The_roadmap_page_words_summaries_and_gate_reasons_in_chinese_and_flags_a_broken_dependency()
    {
        int first, second, evaluation;
        await using (var scope = _portal.Services.CreateAsyncScope())
        {
            var roadmap = scope.ServiceProvider.GetRequiredService<IRoadmapService>();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            // An empty roadmap (the default one is written at start-up), then two milestones in a chain.
            foreach (var p in await db.RoadmapPhases.Select(p => p.Id).ToListAsync())
                await roadmap.DeletePhaseAsync(p, null, CancellationToken.None);
            var phase = await roadmap.CreatePhaseAsync(new PhaseInput("Pilot", "试点"), "manager@test.local", CancellationToken.None);
            var a = await roadmap.CreateMilestoneAsync(new MilestoneInput(phase.Id, "Corpus", "Data", new DateOnly(2027, 3, 1), new DateOnly(2027, 3, 31), TitleZh: "语料"), "manager@test.local", CancellationToken.None);
            var b = await roadmap.CreateMilestoneAsync(new MilestoneInput(phase.Id, "Fine-tune", "ML", new DateOnly(2027, 4, 1), new DateOnly(2027, 4, 30), TitleZh: "微调", DependsOn: [a.Id]), "manager@test.local", CancellationToken.None);
            await roadmap.UpdateMilestoneAsync(a.Id, new MilestoneInput(phase.Id, "Corpus", "Data", a.Start, a.End, MilestoneStatus.InProgress, TitleZh: "语料", Version: a.Version), "manager@test.local", CancellationToken.None);
            await roadmap.MoveMilestoneAsync(a.Id, new MilestoneMove(7), "manager@test.local", CancellationToken.None);
            await roadmap.AddGateAsync(a.Id, new GateInput("bleu", 40), "manager@test.local", CancellationToken.None);
            (first, second) = (a.Id, b.Id);
        }
        evaluation = await EvaluationReportTests.SeedEvaluationAsync(_portal.Services, "模型", 3, new DateTimeOffset(2027, 1, 20, 9, 0, 0, TimeSpan.Zero),
            new Dictionary<string, double> { ["bleu"] = 42.5 }, name: "suite");
        foreach (var observer in _portal.Services.GetServices<IEvaluationFinishedObserver>())
            await observer.EvaluationFinishedAsync(evaluation, CancellationToken.None);

        Context.Services.AddFallbackServiceProvider(_portal.Services);
        var auth = Context.AddAuthorization();
        auth.SetAuthorized("manager@test.local");
        auth.SetPolicies(PortalPolicies.Read);
        var page = Context.Render<RoadmapPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=change-row]")));

        var summaries = page.FindAll("[data-testid=change-row] td:last-child").Select(td => td.TextContent.Trim()).ToList();
        Assert.Contains("为“语料”添加了 KPI 关口 BLEU ≥ 40", summaries);
        Assert.Contains("将“语料”移动 +7 天：开始 2027-03-01 → 2027-03-08；结束 2027-03-31 → 2027-04-07", summaries);
        Assert.Contains("“语料”：状态 未开始 → 进行中", summaries);
        Assert.Contains("“微调”依赖于“语料”", summaries);
        Assert.Contains("创建了阶段“试点”", summaries);
        Assert.DoesNotContain(summaries, s => s.Contains("Moved", StringComparison.Ordinal) || s.Contains("Created", StringComparison.Ordinal));

        // The successor now starts before its dependency ends: a warning chip on its row naming it, none on the other.
        var row = page.Find($"[data-testid=milestone-row][data-id='{second}']");
        var chip = row.QuerySelector("[data-testid=dependency-conflict-chip]")!;
        Assert.Equal(first.ToString(), chip.GetAttribute("data-conflicts"));
        Assert.Contains("依赖冲突", chip.TextContent, StringComparison.Ordinal);
        Assert.Equal("在“语料”结束前开始", chip.GetAttribute("title"));
        Assert.Null(page.Find($"[data-testid=milestone-row][data-id='{first}']").QuerySelector("[data-testid=dependency-conflict-chip]"));

        // The gate's history says why in Chinese.
        page.Find("[data-testid=gate-history-button]").Click();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=gate-event]")));
        Assert.Contains($"评估 #{evaluation}（suite · 模型）中 BLEU 42.5 ≥ 40", page.Find("[data-testid=gate-event]").TextContent, StringComparison.Ordinal);
    }
}
