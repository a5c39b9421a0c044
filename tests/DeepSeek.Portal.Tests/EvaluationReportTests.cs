using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// Dashboards, comparisons, reports and exports over evaluation rows seeded straight into the portal's SQLite file (the
/// rows an evaluation job writes), read back over real HTTP with real roles.
/// </summary>
public sealed class EvaluationReportTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private HttpClient _stakeholder = default!;
    private readonly DateTimeOffset _t0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public async Task InitializeAsync() => _stakeholder = await _portal.ClientForRoleAsync(PortalRoles.Stakeholder);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    /// <summary>Seeds one finished evaluation with figures (metric → value over scope all, plus extra scopes) and items.</summary>
    internal static async Task<int> SeedEvaluationAsync(IServiceProvider services, string label, int suite, DateTimeOffset finished,
        IReadOnlyDictionary<string, double> figures, IReadOnlyList<(string Id, string Slice, string Scores)>? items = null,
        EvaluationStatus status = EvaluationStatus.Succeeded, int failed = 0, string name = "nightly")
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var run = new EvaluationRun
        {
            Name = name, SuiteVersionId = suite, TargetKind = EvaluationTargetKind.Endpoint, TargetLabel = label, Settings = "{}",
            Status = status, ItemsTotal = (items?.Count ?? 10) + failed, ItemsDone = (items?.Count ?? 10) + failed, ItemsFailed = failed,
            CreatedAt = finished.AddMinutes(-5), StartedAt = finished.AddMinutes(-4), FinishedAt = finished,
        };
        db.Evaluations.Add(run);
        await db.SaveChangesAsync();
        foreach (var (key, value) in figures)
        {
            var (metric, scopeName) = key.Contains('|') ? (key.Split('|')[0], key.Split('|')[1]) : (key, "all");
            db.EvaluationMetrics.Add(new EvaluationMetricRow
            {
                EvaluationId = run.Id, Tier = Evaluation.Scoring.MetricNames.TierOf(metric), Metric = metric, Scope = scopeName, Value = value,
                Count = items?.Count ?? 10, Lower = metric == "tcr" ? value - 10 : null, Upper = metric == "tcr" ? value + 10 : null,
            });
        }
        foreach (var (id, slice, scores) in items ?? [])
            db.EvaluationItems.Add(new EvaluationItemResult
            {
                EvaluationId = run.Id, ItemId = id, Slice = slice, Kind = "classification", Domain = "银行", Input = $"问题 {id}", Output = "答案",
                References = "[\"答案\"]", Scores = scores,
            });
        await db.SaveChangesAsync();
        return run.Id;
    }

    private async Task SeedFeedbackAsync(string label, params (int? Score, bool? Done, DateTimeOffset At)[] rows)
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var line = 0;
        foreach (var (score, done, at) in rows)
            db.Feedback.Add(new FeedbackRecord { ModelLabel = label, Score = score, TaskCompleted = done, RecordedAt = at, Source = $"survey.csv:{++line}" });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task The_report_counts_targets_met_and_says_which_way_each_figure_moved()
    {
        var label = "模型甲 · v1";
        await SeedEvaluationAsync(_portal.Services, label, 7, _t0, new Dictionary<string, double> { ["bleu"] = 20, ["f1"] = 75, ["ppl"] = 12 });
        var id = await SeedEvaluationAsync(_portal.Services, label, 7, _t0.AddDays(1),
            new Dictionary<string, double> { ["bleu"] = 35, ["f1"] = 60, ["ppl"] = 12.05, ["f1|slice:domain"] = 55 }, status: EvaluationStatus.Partial, failed: 2);
        // Another suite's evaluation of the same model is not "previous".
        await SeedEvaluationAsync(_portal.Services, label, 8, _t0.AddHours(12), new Dictionary<string, double> { ["bleu"] = 99 });
        // Feedback: 10 scores with NPS +20 in March; completion 4 of 5.
        await SeedFeedbackAsync(label, [.. new[] { 10, 10, 9, 8, 7, 6, 5, 9, 10, 3 }.Select(s => ((int?)s, (bool?)null, _t0.AddDays(2)))]);
        await SeedFeedbackAsync(label, [.. new[] { true, true, true, true, false }.Select(d => ((int?)null, (bool?)d, _t0.AddDays(3)))]);

        var report = await _stakeholder.GetFromJsonAsync<JsonElement>($"/api/evaluations/{id}/report");
        var lines = report.GetProperty("lines").EnumerateArray().ToList();
        JsonElement Line(string metric, string scope = "all") => lines.Single(l => l.GetProperty("metric").GetString() == metric && l.GetProperty("scope").GetString() == scope);

        // bleu 35 ≥ 30 met, better than 20; f1 60 < 70 missed, worse than 75; ppl 12.05 ≤ 20 met, flat against 12.
        Assert.True(Line("bleu").GetProperty("met").GetBoolean());
        Assert.Equal("Better", Line("bleu").GetProperty("trend").GetString());
        Assert.Equal(20, Line("bleu").GetProperty("previous").GetDouble());
        Assert.False(Line("f1").GetProperty("met").GetBoolean());
        Assert.Equal("Worse", Line("f1").GetProperty("trend").GetString());
        Assert.Equal("Flat", Line("ppl").GetProperty("trend").GetString());
        Assert.Equal(JsonValueKind.Null, Line("f1", "slice:domain").GetProperty("met").ValueKind); // only scope "all" is judged
        // Feedback: NPS +20 < 30 missed; TCR 80 ≥ 78 met.
        var nps = Line("nps", "feedback:2026-03");
        Assert.Equal(20, nps.GetProperty("value").GetDouble(), 9);
        Assert.False(nps.GetProperty("met").GetBoolean());
        Assert.Equal("feedback", nps.GetProperty("source").GetString());
        Assert.True(Line("tcr", "feedback:2026-03").GetProperty("met").GetBoolean());

        Assert.Equal(3, report.GetProperty("targetsMet").GetInt32()); // bleu, ppl, tcr
        Assert.Equal(5, report.GetProperty("targetsTotal").GetInt32());
        Assert.True(report.GetProperty("evaluation").GetProperty("isPartial").GetBoolean());

        Assert.Equal(HttpStatusCode.NotFound, (await _stakeholder.GetAsync("/api/evaluations/9999/report")).StatusCode);
    }

    [Fact]
    public async Task Csv_has_a_byte_order_mark_and_chinese_words_and_xlsx_reads_back()
    {
        var id = await SeedEvaluationAsync(_portal.Services, "模型乙", 3, _t0, new Dictionary<string, double> { ["accuracy"] = 85.5, ["ppl"] = 30 },
            [("q1", "domain", "{\"accuracy\":100}"), ("q2", "adversarial", "{\"accuracy\":0}")], name: "季度评估");

        var csv = await _stakeholder.GetByteArrayAsync($"/api/evaluations/{id}/report.csv?culture=zh-Hans");
        Assert.Equal(Encoding.UTF8.GetPreamble(), csv[..3]);
        var text = Encoding.UTF8.GetString(csv, 3, csv.Length - 3);
        var rows = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("tier,metric,name,scope,value,lower,upper,count,target,met,trend,previous,source", rows[0]);
        Assert.Contains(rows, r => r.StartsWith("2,accuracy,准确率,全部条目,85.5,", StringComparison.Ordinal) && r.Contains(",80,已达标,"));
        Assert.Contains(rows, r => r.StartsWith("1,ppl,困惑度,全部条目,30,", StringComparison.Ordinal) && r.Contains(",20,未达标,"));

        var english = Encoding.UTF8.GetString(await _stakeholder.GetByteArrayAsync($"/api/evaluations/{id}/report.csv?culture=en"));
        Assert.Contains("2,accuracy,Accuracy,All items,85.5,", english);

        var xlsx = await _stakeholder.GetAsync($"/api/evaluations/{id}/report.xlsx?culture=zh-Hans");
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType!.MediaType);
        using var stream = new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync());
        using var document = SpreadsheetDocument.Open(stream, false);
        var book = document.WorkbookPart!;
        var sheets = book.Workbook.Sheets!.Elements<Sheet>().ToList();
        Assert.Equal(["Summary", "Metrics", "Items"], sheets.Select(s => s.Name!.Value));
        string[][] Read(string name)
        {
            var part = (WorksheetPart)book.GetPartById(sheets.Single(s => s.Name == name).Id!);
            return part.Worksheet.Descendants<Row>().Select(r => r.Elements<Cell>().Select(c => c.InlineString?.Text?.Text ?? c.CellValue?.Text ?? "").ToArray()).ToArray();
        }
        var summary = Read("Summary");
        Assert.Contains(summary, r => r[0] == "评估" && r[1] == "季度评估");
        Assert.Contains(summary, r => r[0] == "被评估模型" && r[1] == "模型乙");
        Assert.Contains(summary, r => r[0] == "结论" && r[1] == "2 项目标中已达成 1 项");
        var metrics = Read("Metrics");
        var accuracy = metrics.Single(r => r.Length > 1 && r[1] == "accuracy");
        Assert.Equal("准确率", accuracy[2]);
        Assert.Equal(85.5, double.Parse(accuracy[4], System.Globalization.CultureInfo.InvariantCulture));
        var items = Read("Items");
        Assert.Equal(["item", "kind", "slice", "domain", "input", "output", "references", "error", "accuracy"], items[0]);
        Assert.Equal("问题 q1", items[1][4]);
        Assert.Equal("100", items[1][8]);
    }

    [Fact]
    public async Task Targets_are_read_by_everyone_and_changed_only_by_engineers_admins_and_managers()
    {
        var targets = await _stakeholder.GetFromJsonAsync<JsonElement>("/api/evaluation-targets");
        var bleu = targets.EnumerateArray().Single(t => t.GetProperty("metric").GetString() == "bleu");
        Assert.Equal(30, bleu.GetProperty("value").GetDouble());
        Assert.True(bleu.GetProperty("isDefault").GetBoolean());
        Assert.True(targets.EnumerateArray().Single(t => t.GetProperty("metric").GetString() == "ppl").GetProperty("lowerIsBetter").GetBoolean());

        Assert.Equal(HttpStatusCode.Forbidden, (await _stakeholder.PutAsJsonAsync("/api/evaluation-targets", new Dictionary<string, double> { ["bleu"] = 10 })).StatusCode);

        var manager = await _portal.ClientForRoleAsync(PortalRoles.Manager);
        var ok = await manager.PutAsJsonAsync("/api/evaluation-targets", new Dictionary<string, double> { ["bleu"] = 35, ["nps"] = -10 });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
        Assert.Equal(HttpStatusCode.OK, (await engineer.PutAsJsonAsync("/api/evaluation-targets", new Dictionary<string, double> { ["f1"] = 72 })).StatusCode);

        // A bad entry next to a good one changes nothing.
        var bad = await manager.PutAsJsonAsync("/api/evaluation-targets", new Dictionary<string, double> { ["em"] = 55, ["accuracy"] = 140 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("targets.accuracy", problem.GetProperty("field").GetString());
        Assert.Contains("from 0 to 100", problem.GetProperty("detail").GetString());
        var unknown = await manager.PutAsJsonAsync("/api/evaluation-targets", new Dictionary<string, double> { ["speed"] = 1 });
        Assert.Contains("Unknown metric 'speed'", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        var after = (await _stakeholder.GetFromJsonAsync<JsonElement>("/api/evaluation-targets")).EnumerateArray().ToDictionary(t => t.GetProperty("metric").GetString()!, t => t);
        Assert.Equal(35, after["bleu"].GetProperty("value").GetDouble());
        Assert.Equal("manager@test.local", after["bleu"].GetProperty("updatedBy").GetString());
        Assert.Equal(-10, after["nps"].GetProperty("value").GetDouble());
        Assert.Equal(72, after["f1"].GetProperty("value").GetDouble());
        Assert.Equal(50, after["em"].GetProperty("value").GetDouble());
        Assert.True(after["em"].GetProperty("isDefault").GetBoolean());
    }

    [Fact]
    public async Task Comparison_pairs_items_of_the_same_suite_and_tests_unpaired_ones_by_proportion()
    {
        // 20 items: 10 right in both, 1 right only in A, 9 right only in B → exact McNemar p = 22/1024.
        var a = new List<(string, string, string)>();
        var b = new List<(string, string, string)>();
        for (int i = 0; i < 20; i++)
        {
            bool inA = i < 5 || i == 10, inB = i < 5 || i >= 11;
            if (i is >= 5 and < 10) { inA = true; inB = true; }
            var f1A = 50.0 + i; var f1B = f1A + 5; // every item gains exactly 5 F1
            a.Add(($"q{i}", "domain", $"{{\"accuracy\":{(inA ? 100 : 0)},\"f1\":{f1A}}}"));
            b.Add(($"q{i}", "domain", $"{{\"accuracy\":{(inB ? 100 : 0)},\"f1\":{f1B}}}"));
        }
        var first = await SeedEvaluationAsync(_portal.Services, "A", 5, _t0, new Dictionary<string, double> { ["accuracy"] = 55, ["f1"] = 59.5, ["ppl"] = 9 }, a);
        var second = await SeedEvaluationAsync(_portal.Services, "B", 5, _t0.AddDays(1), new Dictionary<string, double> { ["accuracy"] = 95, ["f1"] = 64.5 }, b);
        var other = await SeedEvaluationAsync(_portal.Services, "C", 6, _t0.AddDays(2), new Dictionary<string, double> { ["accuracy"] = 70 }, a.Take(10).ToList());

        var comparison = await _stakeholder.GetFromJsonAsync<JsonElement>($"/api/evaluations/compare?ids={first},{second},{other}");
        Assert.Equal([true, true, false], comparison.GetProperty("pairedWithFirst").EnumerateArray().Select(x => x.GetBoolean()));
        var rows = comparison.GetProperty("rows").EnumerateArray().ToList();
        var accuracy = rows.Single(r => r.GetProperty("metric").GetString() == "accuracy" && r.GetProperty("scope").GetString() == "all");
        Assert.Equal(40, accuracy.GetProperty("deltas")[1].GetDouble(), 9);
        var mcnemar = accuracy.GetProperty("significance")[1];
        Assert.Equal("McNemar", mcnemar.GetProperty("test").GetString());
        Assert.Equal(0.021484375, mcnemar.GetProperty("pValue").GetDouble(), 12);
        // Different suite: 55 % of 20 against 70 % of 10, a two-proportion z-test.
        var z = accuracy.GetProperty("significance")[2];
        Assert.Equal("TwoProportionZ", z.GetProperty("test").GetString());
        Assert.Equal(10 + 20, z.GetProperty("count").GetInt32());
        var f1 = rows.Single(r => r.GetProperty("metric").GetString() == "f1" && r.GetProperty("scope").GetString() == "all");
        var bootstrap = f1.GetProperty("significance")[1];
        Assert.Equal("PairedBootstrap", bootstrap.GetProperty("test").GetString());
        Assert.Equal(5, bootstrap.GetProperty("delta").GetDouble(), 9);
        Assert.Equal(1.0 / 1001, bootstrap.GetProperty("pValue").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, f1.GetProperty("significance")[2].ValueKind); // C has no f1
        var ppl = rows.Single(r => r.GetProperty("metric").GetString() == "ppl");
        Assert.Equal(JsonValueKind.Null, ppl.GetProperty("values")[1].ValueKind);

        // The item diff lists the accuracy flips (100 points) first.
        var diffs = comparison.GetProperty("itemDiffs").EnumerateArray().ToList();
        Assert.Equal(10, diffs.Count(d => d.GetProperty("metric").GetString() == "accuracy"));
        Assert.Equal(100, Math.Abs(diffs[0].GetProperty("after").GetDouble() - diffs[0].GetProperty("before").GetDouble()));

        var badIds = await _stakeholder.GetAsync("/api/evaluations/compare?ids=1,x");
        Assert.Equal(HttpStatusCode.BadRequest, badIds.StatusCode);
        Assert.Equal("ids", (await badIds.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        var missing = await _stakeholder.GetAsync($"/api/evaluations/compare?ids={first},4242");
        Assert.Contains("No evaluation 4242", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Dashboard_series_follow_time_per_label_and_the_latest_is_judged()
    {
        await SeedEvaluationAsync(_portal.Services, "A", 1, _t0.AddDays(2), new Dictionary<string, double> { ["bleu"] = 31 });
        await SeedEvaluationAsync(_portal.Services, "A", 1, _t0, new Dictionary<string, double> { ["bleu"] = 25, ["rougeL"] = 41 });
        await SeedEvaluationAsync(_portal.Services, "B", 1, _t0.AddDays(1), new Dictionary<string, double> { ["bleu"] = 12 });
        await SeedEvaluationAsync(_portal.Services, "B", 1, _t0.AddDays(3), new Dictionary<string, double> { ["bleu"] = 90 }, status: EvaluationStatus.Failed);
        await SeedFeedbackAsync("A", (9, true, _t0), (3, false, _t0.AddDays(40)));

        var basic = await _stakeholder.GetFromJsonAsync<JsonElement>("/api/evaluations/dashboards/1");
        var series = basic.GetProperty("series").EnumerateArray().ToList();
        var bleuA = series.Single(s => s.GetProperty("metric").GetString() == "bleu" && s.GetProperty("targetLabel").GetString() == "A");
        Assert.Equal([25.0, 31.0], bleuA.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("value").GetDouble()));
        var bleuB = series.Single(s => s.GetProperty("metric").GetString() == "bleu" && s.GetProperty("targetLabel").GetString() == "B");
        Assert.Single(bleuB.GetProperty("points").EnumerateArray()); // the failed evaluation is not charted
        var latest = basic.GetProperty("latest").EnumerateArray().ToList();
        Assert.True(latest.Single(l => l.GetProperty("metric").GetString() == "bleu" && l.GetProperty("targetLabel").GetString() == "A").GetProperty("met").GetBoolean());
        Assert.False(latest.Single(l => l.GetProperty("metric").GetString() == "bleu" && l.GetProperty("targetLabel").GetString() == "B").GetProperty("met").GetBoolean());
        Assert.Empty(basic.GetProperty("feedback").EnumerateArray());

        var business = await _stakeholder.GetFromJsonAsync<JsonElement>("/api/evaluations/dashboards/3");
        var feedback = business.GetProperty("feedback").EnumerateArray().ToList();
        Assert.Equal(["2026-03", "2026-04"], feedback.Select(f => f.GetProperty("period").GetString()));
        Assert.Equal(100, feedback[0].GetProperty("nps").GetProperty("value").GetDouble());
        Assert.Equal(0, feedback[1].GetProperty("taskCompletion").GetProperty("value").GetDouble());

        Assert.Equal(HttpStatusCode.BadRequest, (await _stakeholder.GetAsync("/api/evaluations/dashboards/4")).StatusCode);
    }

    [Fact]
    public async Task Explanation_requests_are_checked_field_by_field()
    {
        var badScorer = await _stakeholder.PostAsJsonAsync("/api/explanations", new { text = "你好", scorer = "magic" });
        Assert.Equal(HttpStatusCode.BadRequest, badScorer.StatusCode);
        var problem = await badScorer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("scorer", problem.GetProperty("field").GetString());
        Assert.Contains("noise_rules", problem.GetProperty("detail").GetString());
        var tooLong = await _stakeholder.PostAsJsonAsync("/api/explanations", new { text = new string('字', 401), scorer = "entropy" });
        Assert.Equal("text", (await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
    }

    /// <summary>Needs the metrics branch (KernelShap.ExplainText is a stub on main until it lands).</summary>
    [Fact]
    public async Task Explaining_entropy_gives_one_attribution_per_chinese_character_that_sum_to_the_score_change()
    {
        var response = await _stakeholder.PostAsJsonAsync("/api/explanations", new { text = "哈哈哈哈银行", scorer = "entropy" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var e = await response.Content.ReadFromJsonAsync<JsonElement>();
        var units = e.GetProperty("units").EnumerateArray().ToList();
        Assert.Equal(["哈", "哈", "哈", "哈", "银", "行"], units.Select(u => u.GetProperty("unit").GetString()));
        var sum = units.Sum(u => u.GetProperty("value").GetDouble());
        Assert.Equal(e.GetProperty("score").GetDouble() - e.GetProperty("baseline").GetDouble(), sum, 6);
        // 6 units: every coalition is enumerated, so these are the exact Shapley values (brute force over 6! orders, by hand
        // in Python): each 哈 0.014547, each of 银 and 行 0.596720 bits; entropy of the whole text 1.251629, of nothing 0.
        Assert.True(e.GetProperty("exact").GetBoolean());
        Assert.Equal(1.251629, e.GetProperty("score").GetDouble(), 5);
        Assert.Equal(0.014547, units[0].GetProperty("value").GetDouble(), 5);
        Assert.Equal(0.596720, units[4].GetProperty("value").GetDouble(), 5);
    }
}
