using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Evaluations;
using DeepSeek.Portal.Planning.Roadmap;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests.Planning;

/// <summary>
/// The roadmap over its REST API on the real portal (SQLite file, real roles and tokens): edits and what they refuse,
/// the change history, KPI gates following evaluation rows written as the evaluation job writes them (with the job's
/// observers called as the job calls them), the default roadmap and the exports read back.
/// </summary>
public sealed class RoadmapApiTests : IAsyncLifetime
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly PortalFactory _portal = new();
    private HttpClient _manager = default!;

    public async Task InitializeAsync() => _manager = await _portal.ClientForRoleAsync(PortalRoles.Manager);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>(Json))!;
    }

    private static async Task<RoadmapView> RoadmapAsync(HttpClient client) => (await client.GetFromJsonAsync<RoadmapView>("/api/roadmap", Json))!;

    private async Task<PhaseView> PhaseAsync(string name = "Pilot") => await ReadAsync<PhaseView>(await _manager.PostAsJsonAsync("/api/roadmap/phases", new PhaseInput(name), Json));

    private async Task<MilestoneView> MilestoneAsync(int phaseId, string title, DateOnly start, DateOnly end, params int[] dependsOn) =>
        await ReadAsync<MilestoneView>(await _manager.PostAsJsonAsync("/api/roadmap/milestones",
            new MilestoneInput(phaseId, title, "Data engineering 数据工程", start, end, DependsOn: dependsOn), Json));

    private static async Task<Dictionary<string, string[]>> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.GetProperty("errors").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()!).ToArray());
    }

    private async Task<(int Milestones, int Dependencies, int Gates, int Changes)> CountsAsync()
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        return (await db.RoadmapMilestones.CountAsync(), await db.RoadmapDependencies.CountAsync(), await db.RoadmapGates.CountAsync(), await db.RoadmapChanges.CountAsync());
    }

    /// <summary>What the evaluation job does after storing a finished evaluation's figures: tell every observer.</summary>
    private async Task EvaluationFinishedAsync(int evaluationId)
    {
        foreach (var observer in _portal.Services.GetServices<IEvaluationFinishedObserver>())
            await observer.EvaluationFinishedAsync(evaluationId, CancellationToken.None);
    }

    [Fact]
    public async Task A_gate_turns_met_when_an_evaluation_meets_its_target_and_missed_when_a_later_one_misses_with_history()
    {
        var phase = await PhaseAsync();
        var milestone = await MilestoneAsync(phase.Id, "Pilot baseline", new DateOnly(2027, 1, 4), new DateOnly(2027, 2, 26));
        const string label = "模型X · run #3";
        var bleu = await ReadAsync<GateView>(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}/gates", new GateInput("BLEU", 40, TargetLabel: label), Json));
        var ppl = await ReadAsync<GateView>(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}/gates", new GateInput("ppl", 20), Json));
        Assert.Equal(("bleu", "all", GateComparison.AtLeast, GateState.Pending), (bleu.Metric, bleu.Scope, bleu.Comparison, bleu.State));
        Assert.Equal(GateComparison.AtMost, ppl.Comparison); // lower is better for perplexity

        var t0 = new DateTimeOffset(2027, 1, 20, 9, 0, 0, TimeSpan.Zero);
        var first = await EvaluationReportTests.SeedEvaluationAsync(_portal.Services, label, 3, t0,
            new Dictionary<string, double> { ["bleu"] = 42.1, ["ppl"] = 18.5 }, name: "demo-eval-suite");
        await EvaluationFinishedAsync(first);
        var gates = (await RoadmapAsync(_manager)).Milestones.Single(m => m.Id == milestone.Id).Gates.ToDictionary(g => g.Metric);
        Assert.Equal((GateState.Met, first, 42.1), (gates["bleu"].State, gates["bleu"].EvaluationId!.Value, gates["bleu"].Value!.Value));
        Assert.Equal(GateState.Met, gates["ppl"].State);

        // Not evidence: a failed evaluation, another model's evaluation (for the labelled gate), an older one finishing late.
        await EvaluationReportTests.SeedEvaluationAsync(_portal.Services, label, 3, t0.AddDays(1), new Dictionary<string, double> { ["bleu"] = 5 }, status: EvaluationStatus.Failed);
        var other = await EvaluationReportTests.SeedEvaluationAsync(_portal.Services, "another model", 3, t0.AddDays(2), new Dictionary<string, double> { ["bleu"] = 1, ["ppl"] = 19 });
        var late = await EvaluationReportTests.SeedEvaluationAsync(_portal.Services, label, 3, t0.AddDays(-1), new Dictionary<string, double> { ["bleu"] = 2 });
        await EvaluationFinishedAsync(other);
        await EvaluationFinishedAsync(late);
        var unchanged = (await RoadmapAsync(_manager)).Milestones.Single(m => m.Id == milestone.Id).Gates.ToDictionary(g => g.Metric);
        Assert.Equal((GateState.Met, first), (unchanged["bleu"].State, unchanged["bleu"].EvaluationId!.Value));
        Assert.Equal((GateState.Met, other), (unchanged["ppl"].State, unchanged["ppl"].EvaluationId!.Value)); // any model for an unlabelled gate
        Assert.True((await RoadmapAsync(_manager)).Milestones.Single(m => m.Id == milestone.Id).GatesMet);

        var second = await EvaluationReportTests.SeedEvaluationAsync(_portal.Services, label, 3, t0.AddDays(7),
            new Dictionary<string, double> { ["bleu"] = 35, ["ppl"] = 25 }, status: EvaluationStatus.Partial, failed: 1, name: "demo-eval-suite");
        await EvaluationFinishedAsync(second);
        var after = (await RoadmapAsync(_manager)).Milestones.Single(m => m.Id == milestone.Id);
        Assert.Equal((GateState.Missed, second, 35.0), (after.Gates.Single(g => g.Metric == "bleu").State, after.Gates.Single(g => g.Metric == "bleu").EvaluationId!.Value, after.Gates.Single(g => g.Metric == "bleu").Value!.Value));
        Assert.Equal(GateState.Missed, after.Gates.Single(g => g.Metric == "ppl").State);
        Assert.False(after.GatesMet);

        var stakeholder = await _portal.ClientForRoleAsync(PortalRoles.Stakeholder);
        var history = (await stakeholder.GetFromJsonAsync<List<GateEventView>>($"/api/roadmap/gates/{bleu.Id}/history", Json))!;
        Assert.Equal(2, history.Count);
        Assert.Equal((GateState.Met, GateState.Missed, second, 35.0), (history[0].From, history[0].To, history[0].EvaluationId!.Value, history[0].Value!.Value));
        Assert.Equal($"bleu 35 < 40 in evaluation #{second} (demo-eval-suite · {label})", history[0].Reason);
        Assert.Equal((GateState.Pending, GateState.Met, first), (history[1].From, history[1].To, history[1].EvaluationId!.Value));
        Assert.Equal($"bleu 42.1 ≥ 40 in evaluation #{first} (demo-eval-suite · {label})", history[1].Reason);
        var pplHistory = (await stakeholder.GetFromJsonAsync<List<GateEventView>>($"/api/roadmap/gates/{ppl.Id}/history", Json))!;
        Assert.Equal($"ppl 25 > 20 in evaluation #{second} (demo-eval-suite · {label})", pplHistory[0].Reason);

        // Editing the gate re-checks it at once: a target of 30 is met by the latest 35.
        var edited = await ReadAsync<GateView>(await _manager.PutAsJsonAsync($"/api/roadmap/gates/{bleu.Id}", new GateInput("bleu", 30, TargetLabel: label), Json));
        Assert.Equal(GateState.Met, edited.State);
        var reasons = (await stakeholder.GetFromJsonAsync<List<GateEventView>>($"/api/roadmap/gates/{bleu.Id}/history", Json))!;
        Assert.Equal($"bleu 35 ≥ 30 in evaluation #{second} (demo-eval-suite · {label})", reasons[0].Reason);
        // Bound to a scope no evaluation has: pending again, and said why.
        var pending = await ReadAsync<GateView>(await _manager.PutAsJsonAsync($"/api/roadmap/gates/{bleu.Id}", new GateInput("bleu", 30, "domain:银行", label), Json));
        Assert.Equal(GateState.Pending, pending.State);
        Assert.StartsWith("No finished evaluation has a bleu (domain:银行) figure", (await stakeholder.GetFromJsonAsync<List<GateEventView>>($"/api/roadmap/gates/{bleu.Id}/history", Json))![0].Reason);

        Assert.Equal(HttpStatusCode.NotFound, (await stakeholder.GetAsync("/api/roadmap/gates/99999/history")).StatusCode);

        // A gate with a history can be deleted; the deletion stays in the change history.
        Assert.Equal(HttpStatusCode.NoContent, (await _manager.DeleteAsync($"/api/roadmap/gates/{bleu.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stakeholder.GetAsync($"/api/roadmap/gates/{bleu.Id}/history")).StatusCode);
        var changes = (await stakeholder.GetFromJsonAsync<List<ChangeView>>($"/api/roadmap/changes?milestoneId={milestone.Id}", Json))!;
        Assert.Equal(("gate", "delete", bleu.Id), (changes[0].Entity, changes[0].Action, changes[0].EntityId));
    }

    [Fact]
    public async Task Managers_and_admins_edit_stakeholders_and_engineers_only_read()
    {
        var phase = await PhaseAsync();
        var milestone = await MilestoneAsync(phase.Id, "M", new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31));
        var gate = await ReadAsync<GateView>(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}/gates", new GateInput("f1", 70, "slice:domain"), Json));
        var admin = await _portal.ClientForRoleAsync(PortalRoles.Admin);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/roadmap/phases", new PhaseInput("Admin's phase"), Json)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}/move", new MilestoneMove(2), Json)).StatusCode);

        var before = await CountsAsync();
        foreach (var role in new[] { PortalRoles.Stakeholder, PortalRoles.Engineer })
        {
            var client = await _portal.ClientForRoleAsync(role);
            var input = new MilestoneInput(phase.Id, "X", "Y", new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 2));
            HttpResponseMessage[] changes =
            [
                await client.PostAsJsonAsync("/api/roadmap/phases", new PhaseInput("P"), Json),
                await client.PutAsJsonAsync($"/api/roadmap/phases/{phase.Id}", new PhaseInput("P"), Json),
                await client.DeleteAsync($"/api/roadmap/phases/{phase.Id}"),
                await client.PostAsJsonAsync("/api/roadmap/milestones", input, Json),
                await client.PutAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}", input, Json),
                await client.PostAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}/move", new MilestoneMove(1), Json),
                await client.DeleteAsync($"/api/roadmap/milestones/{milestone.Id}"),
                await client.PostAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}/gates", new GateInput("bleu", 30), Json),
                await client.PutAsJsonAsync($"/api/roadmap/gates/{gate.Id}", new GateInput("bleu", 30), Json),
                await client.DeleteAsync($"/api/roadmap/gates/{gate.Id}"),
            ];
            Assert.All(changes, r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));

            foreach (var read in new[] { "/api/roadmap", $"/api/roadmap/phases/{phase.Id}", $"/api/roadmap/milestones/{milestone.Id}", $"/api/roadmap/gates/{gate.Id}", $"/api/roadmap/gates/{gate.Id}/history", $"/api/roadmap/changes?milestoneId={milestone.Id}", "/api/roadmap/export.csv", "/api/roadmap/export.xlsx" })
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(read)).StatusCode);
            Assert.Contains((await RoadmapAsync(client)).Milestones, m => m.Id == milestone.Id);
        }
        Assert.Equal(before, await CountsAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _portal.CreateClient().GetAsync("/api/roadmap")).StatusCode);

        // Documented like their neighbours: tag and summary on every roadmap operation.
        var document = await (await _portal.ClientForRoleAsync(PortalRoles.Stakeholder)).GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var operations = document.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/roadmap", StringComparison.Ordinal))
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Operation: o.Value))).ToList();
        Assert.Equal(18, operations.Count); // read, export ×2, changes, gate history; phases, milestones (with move) and gates: read one, create, update, delete
        Assert.All(operations, o =>
        {
            Assert.Equal("Roadmap", o.Operation.GetProperty("tags")[0].GetString());
            Assert.False(string.IsNullOrWhiteSpace(o.Operation.GetProperty("summary").GetString()), o.Path);
        });
    }

    [Fact]
    public async Task A_dependency_cycle_is_refused_with_its_path_and_nothing_is_saved()
    {
        var phase = await PhaseAsync();
        var a = await MilestoneAsync(phase.Id, "A", new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 10));
        var b = await MilestoneAsync(phase.Id, "B", new DateOnly(2027, 1, 11), new DateOnly(2027, 1, 20), a.Id);
        var c = await MilestoneAsync(phase.Id, "C", new DateOnly(2027, 1, 21), new DateOnly(2027, 1, 30), b.Id);
        var before = await CountsAsync();

        // A → C → B → A: A would depend on C, which depends on B, which depends on A. The edit also renames A and moves its end: none of it is kept.
        var cycle = await ErrorsAsync(await _manager.PutAsJsonAsync($"/api/roadmap/milestones/{a.Id}",
            new MilestoneInput(phase.Id, "A", a.Owner, a.Start, new DateOnly(2027, 1, 12), DependsOn: [c.Id], Version: a.Version), Json));
        Assert.Equal(["These dependencies would form a cycle: A → C → B → A."], cycle["dependsOn"]);
        var self = await ErrorsAsync(await _manager.PutAsJsonAsync($"/api/roadmap/milestones/{b.Id}",
            new MilestoneInput(phase.Id, "B", b.Owner, b.Start, b.End, DependsOn: [a.Id, b.Id], Version: b.Version), Json));
        Assert.Equal(["A milestone cannot depend on itself."], self["dependsOn"]);
        var missing = await ErrorsAsync(await _manager.PostAsJsonAsync("/api/roadmap/milestones",
            new MilestoneInput(phase.Id, "D", "o", c.End, c.End, DependsOn: [c.Id, 4242]), Json));
        Assert.Equal(["These milestones do not exist: 4242."], missing["dependsOn"]);

        Assert.Equal(before, await CountsAsync());
        var stored = (await RoadmapAsync(_manager)).Milestones.Single(m => m.Id == a.Id);
        Assert.Equal((a.Version, a.End, 0), (stored.Version, stored.End, stored.DependsOn.Count));

        // The same graph without the loop is fine: C may depend on A as well.
        var ok = await ReadAsync<MilestoneView>(await _manager.PutAsJsonAsync($"/api/roadmap/milestones/{c.Id}",
            new MilestoneInput(phase.Id, "C", c.Owner, c.Start, c.End, DependsOn: [b.Id, a.Id], Version: c.Version), Json));
        Assert.Equal([a.Id, b.Id], ok.DependsOn);
    }

    [Fact]
    public async Task Bad_edits_get_specific_field_errors_and_change_nothing()
    {
        var phase = await PhaseAsync();
        var m = await MilestoneAsync(phase.Id, "M", new DateOnly(2027, 3, 1), new DateOnly(2027, 3, 31));
        var before = await CountsAsync();

        var dates = await ErrorsAsync(await _manager.PostAsJsonAsync("/api/roadmap/milestones",
            new MilestoneInput(phase.Id, "Late", "o", new DateOnly(2027, 5, 1), new DateOnly(2027, 4, 15)), Json));
        Assert.Equal(["The milestone ends before it starts: end 2027-04-15 is before start 2027-05-01."], dates["end"]);

        // Everything wrong at once is reported at once.
        var many = await ErrorsAsync(await _manager.PostAsJsonAsync("/api/roadmap/milestones",
            new MilestoneInput(9999, "  ", new string('x', 201), new DateOnly(2027, 1, 2), new DateOnly(2027, 1, 1)), Json));
        Assert.Equal(["Required."], many["title"]);
        Assert.Equal(["At most 200 characters (this has 201)."], many["owner"]);
        Assert.Equal(["There is no phase #9999."], many["phaseId"]);
        Assert.True(many.ContainsKey("end"));
        var noDates = await ErrorsAsync(await _manager.PostAsJsonAsync("/api/roadmap/milestones", new { phaseId = phase.Id, title = "No dates", owner = "o" }));
        Assert.Equal(["Required: a date (yyyy-MM-dd)."], noDates["start"]);
        Assert.Equal(["Required: a date (yyyy-MM-dd)."], noDates["end"]);

        var metric = await ErrorsAsync(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/gates", new GateInput("speed", 10), Json));
        Assert.Equal(["There is no metric \"speed\". Expected one of: ppl, bleu, rougeL, f1, em, accuracy, macroF1, microF1, robustnessDrop, tcr, nps."], metric["metric"]);
        var scope = await ErrorsAsync(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/gates", new GateInput("f1", 70, "slice:legal"), Json));
        Assert.Contains("\"slice:legal\" is not a scope", scope["scope"][0]);
        var range = await ErrorsAsync(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/gates", new GateInput("accuracy", 140), Json));
        Assert.Equal(["A target for accuracy must lie between 0 and 100 (got 140)."], range["target"]);
        var nps = await ErrorsAsync(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/gates", new GateInput("nps", 30), Json));
        Assert.Contains("feedback", nps["scope"][0]);
        var move = await ErrorsAsync(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/move", new MilestoneMove(0), Json));
        Assert.True(move.ContainsKey("days"));
        var phaseName = await ErrorsAsync(await _manager.PutAsJsonAsync($"/api/roadmap/phases/{phase.Id}", new PhaseInput(""), Json));
        Assert.Equal(["Required."], phaseName["name"]);

        Assert.Equal(HttpStatusCode.NotFound, (await _manager.PutAsJsonAsync("/api/roadmap/milestones/9999", new MilestoneInput(phase.Id, "x", "y", m.Start, m.End), Json)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _manager.PostAsJsonAsync("/api/roadmap/milestones/9999/gates", new GateInput("bleu", 30), Json)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _manager.DeleteAsync("/api/roadmap/phases/9999")).StatusCode);
        Assert.Equal(before, await CountsAsync());

        // In Chinese for Chinese readers (the editor shows the service's messages as they are).
        var zh = await ErrorsAsync(await _manager.PostAsJsonAsync("/api/roadmap/milestones?culture=zh-Hans",
            new MilestoneInput(phase.Id, "晚", "o", new DateOnly(2027, 5, 1), new DateOnly(2027, 4, 15)), Json));
        Assert.Equal(["里程碑在开始之前就结束了：结束日期 2027-04-15 早于开始日期 2027-05-01。"], zh["end"]);
    }

    [Fact]
    public async Task An_edit_of_an_older_version_is_a_conflict_and_history_says_who_changed_what()
    {
        var phase = await PhaseAsync();
        var m = await MilestoneAsync(phase.Id, "Domain fine-tune", new DateOnly(2027, 3, 1), new DateOnly(2027, 3, 31));
        var input = new MilestoneInput(phase.Id, m.Title, m.Owner, m.Start, new DateOnly(2027, 4, 15), MilestoneStatus.InProgress, Version: m.Version);
        var updated = await ReadAsync<MilestoneView>(await _manager.PutAsJsonAsync($"/api/roadmap/milestones/{m.Id}", input, Json));
        Assert.Equal((m.Version + 1, new DateOnly(2027, 3, 31), 15), (updated.Version, updated.BaselineEnd, updated.SlipDays));

        // A second manager still holding the first version.
        var admin = await _portal.ClientForRoleAsync(PortalRoles.Admin);
        var stale = await admin.PutAsJsonAsync($"/api/roadmap/milestones/{m.Id}", input with { Title = "Renamed" }, Json);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("was changed since you read it", (await stale.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/move", new MilestoneMove(7, m.Version), Json)).StatusCode);

        var moved = await ReadAsync<MilestoneView>(await admin.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/move", new MilestoneMove(-14, updated.Version), Json));
        Assert.Equal((new DateOnly(2027, 2, 15), new DateOnly(2027, 4, 1), 1, "admin@test.local"), (moved.Start, moved.End, moved.SlipDays, moved.UpdatedBy));
        Assert.False(moved.Overdue);

        var gate = await ReadAsync<GateView>(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/gates", new GateInput("f1", 70, "slice:domain"), Json));
        Assert.Equal(HttpStatusCode.NoContent, (await _manager.DeleteAsync($"/api/roadmap/gates/{gate.Id}")).StatusCode);
        var other = await MilestoneAsync(phase.Id, "Unrelated", new DateOnly(2027, 5, 1), new DateOnly(2027, 5, 2));

        var changes = (await _manager.GetFromJsonAsync<List<ChangeView>>($"/api/roadmap/changes?milestoneId={m.Id}", Json))!;
        Assert.Equal(
            [
                ("gate", "delete", "manager@test.local", $"Deleted gate f1 (slice:domain) ≥ 70 of \"Domain fine-tune\""),
                ("gate", "create", "manager@test.local", $"Added gate f1 (slice:domain) ≥ 70 to \"Domain fine-tune\""),
                ("milestone", "update", "admin@test.local", "Moved \"Domain fine-tune\" by -14 days: Start 2027-03-01 → 2027-02-15; End 2027-04-15 → 2027-04-01"),
                ("milestone", "update", "manager@test.local", "\"Domain fine-tune\": End 2027-03-31 → 2027-04-15; Status Not started → In progress"),
                ("milestone", "create", "manager@test.local", "Created milestone \"Domain fine-tune\" (2027-03-01 – 2027-03-31, owner Data engineering 数据工程)"),
            ],
            changes.Select(c => (c.Entity, c.Action, c.User, c.Summary)));
        Assert.DoesNotContain(changes, c => c.EntityId == other.Id && c.Entity == "milestone");

        // Before and after are stored whole.
        await using var scope = _portal.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().RoadmapChanges.SingleAsync(c => c.Id == changes[3].Id);
        Assert.Equal("2027-03-31", JsonDocument.Parse(row.Before!).RootElement.GetProperty("end").GetString());
        Assert.Equal("2027-04-15", JsonDocument.Parse(row.After!).RootElement.GetProperty("end").GetString());

        // Two managers dragging the same bar at the same moment: one wins, the other is told.
        var current = (await RoadmapAsync(_manager)).Milestones.Single(x => x.Id == m.Id);
        var raced = await Task.WhenAll(
            _manager.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/move", new MilestoneMove(1, current.Version), Json),
            admin.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/move", new MilestoneMove(2, current.Version), Json));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], raced.Select(r => r.StatusCode).Order());
        Assert.Equal(current.Version + 1, (await RoadmapAsync(_manager)).Milestones.Single(x => x.Id == m.Id).Version);

        // Overdue: ended in the past and not done.
        var past = await MilestoneAsync(phase.Id, "Old", new DateOnly(2020, 1, 1), new DateOnly(2020, 1, 31));
        Assert.True(past.Overdue);
        var done = await ReadAsync<MilestoneView>(await _manager.PutAsJsonAsync($"/api/roadmap/milestones/{past.Id}",
            new MilestoneInput(phase.Id, "Old", past.Owner, past.Start, past.End, MilestoneStatus.Done, Version: past.Version), Json));
        Assert.False(done.Overdue);

        // Deleting the phase removes its milestones, each recorded.
        Assert.Equal(HttpStatusCode.NoContent, (await _manager.DeleteAsync($"/api/roadmap/phases/{phase.Id}")).StatusCode);
        Assert.DoesNotContain((await RoadmapAsync(_manager)).Milestones, x => x.PhaseId == phase.Id);
        var all = (await _manager.GetFromJsonAsync<List<ChangeView>>("/api/roadmap/changes?take=5", Json))!;
        Assert.Equal(("phase", "delete"), (all[0].Entity, all[0].Action));
        Assert.Equal(5, all.Count);
        Assert.Equal(HttpStatusCode.BadRequest, (await _manager.GetAsync("/api/roadmap/changes?take=0")).StatusCode);
    }

    [Fact]
    public async Task A_created_phase_milestone_and_gate_are_answered_with_a_location_that_reads_them_back()
    {
        var created = await _manager.PostAsJsonAsync("/api/roadmap/phases", new PhaseInput("Located", "定位"), Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var phase = await ReadAsync<PhaseView>(created);
        Assert.Equal($"/api/roadmap/phases/{phase.Id}", created.Headers.Location!.OriginalString);
        var read = await _manager.GetFromJsonAsync<PhaseView>(created.Headers.Location, Json);
        Assert.Equal(phase, read);

        var milestoneCreated = await _manager.PostAsJsonAsync("/api/roadmap/milestones",
            new MilestoneInput(phase.Id, "Located milestone", "Ops", new DateOnly(2027, 1, 4), new DateOnly(2027, 1, 8)), Json);
        var milestone = await ReadAsync<MilestoneView>(milestoneCreated);
        var readMilestone = (await _manager.GetFromJsonAsync<MilestoneView>(milestoneCreated.Headers.Location, Json))!;
        Assert.Equal((milestone.Id, milestone.Version, "Located milestone"), (readMilestone.Id, readMilestone.Version, readMilestone.Title));
        var gateCreated = await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}/gates", new GateInput("bleu", 30), Json);
        var gate = await ReadAsync<GateView>(gateCreated);
        Assert.Equal(gate.Id, (await _manager.GetFromJsonAsync<GateView>(gateCreated.Headers.Location, Json))!.Id);

        foreach (var missing in new[] { "/api/roadmap/phases/99999", "/api/roadmap/milestones/99999", "/api/roadmap/gates/99999" })
            Assert.Equal(HttpStatusCode.NotFound, (await _manager.GetAsync(missing)).StatusCode);
    }

    [Fact]
    public async Task A_full_milestone_update_needs_the_version_read_while_a_move_does_not()
    {
        var phase = await PhaseAsync();
        var m = await MilestoneAsync(phase.Id, "Versioned", new DateOnly(2027, 3, 1), new DateOnly(2027, 3, 31));
        var before = await CountsAsync();
        var input = new MilestoneInput(phase.Id, "Overwritten", m.Owner, m.Start, m.End);

        var errors = await ErrorsAsync(await _manager.PutAsJsonAsync($"/api/roadmap/milestones/{m.Id}", input, Json));
        Assert.Equal(["version"], errors.Keys);
        Assert.StartsWith("Send the version you read (GET /api/roadmap", errors["version"].Single(), StringComparison.Ordinal);
        var zh = await ErrorsAsync(await _manager.PutAsJsonAsync($"/api/roadmap/milestones/{m.Id}?culture=zh-Hans", input, Json));
        Assert.StartsWith("请发送您读取到的版本号", zh["version"].Single(), StringComparison.Ordinal);
        Assert.Equal(before, await CountsAsync());
        var unchanged = (await RoadmapAsync(_manager)).Milestones.Single(x => x.Id == m.Id);
        Assert.Equal(("Versioned", m.Version), (unchanged.Title, unchanged.Version));

        // A move is relative: without a version it applies to whatever is stored.
        var moved = await ReadAsync<MilestoneView>(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/move", new MilestoneMove(3), Json));
        Assert.Equal((new DateOnly(2027, 3, 4), m.Version + 1), (moved.Start, moved.Version));

        var updated = await ReadAsync<MilestoneView>(await _manager.PutAsJsonAsync($"/api/roadmap/milestones/{m.Id}", input with { Start = moved.Start, End = moved.End, Version = moved.Version }, Json));
        Assert.Equal(("Overwritten", moved.Version + 1), (updated.Title, updated.Version));

        // Moved to another phase: the change history names both phases, not their ids.
        var later = await ReadAsync<PhaseView>(await _manager.PostAsJsonAsync("/api/roadmap/phases", new PhaseInput("Rollout", "推广"), Json));
        await ReadAsync<MilestoneView>(await _manager.PutAsJsonAsync($"/api/roadmap/milestones/{m.Id}", input with { PhaseId = later.Id, Start = moved.Start, End = moved.End, Version = updated.Version }, Json));
        var summary = (await _manager.GetFromJsonAsync<List<ChangeView>>($"/api/roadmap/changes?milestoneId={m.Id}", Json))![0].Summary;
        Assert.Contains("Phase \"Pilot\" → \"Rollout\"", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Moving_a_predecessor_past_its_successors_start_is_allowed_and_flagged_on_the_successor()
    {
        var phase = await PhaseAsync();
        var first = await MilestoneAsync(phase.Id, "Corpus", new DateOnly(2027, 3, 1), new DateOnly(2027, 3, 31));
        var second = await MilestoneAsync(phase.Id, "Fine-tune", new DateOnly(2027, 4, 1), new DateOnly(2027, 4, 30), first.Id);
        var third = await MilestoneAsync(phase.Id, "Unrelated", new DateOnly(2027, 3, 15), new DateOnly(2027, 3, 20));
        Assert.Empty(second.DependencyConflicts); // starts the day after its dependency ends: finish-to-start holds

        // One day later: the predecessor now ends on the day the successor starts.
        var moved = await ReadAsync<MilestoneView>(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{first.Id}/move", new MilestoneMove(1), Json));
        Assert.Equal(new DateOnly(2027, 4, 1), moved.End);
        var roadmap = await RoadmapAsync(_manager);
        Assert.Equal([first.Id], roadmap.Milestones.Single(x => x.Id == second.Id).DependencyConflicts);
        Assert.Empty(roadmap.Milestones.Single(x => x.Id == first.Id).DependencyConflicts);
        Assert.Empty(roadmap.Milestones.Single(x => x.Id == third.Id).DependencyConflicts);
        Assert.Equal([first.Id], (await _manager.GetFromJsonAsync<MilestoneView>($"/api/roadmap/milestones/{second.Id}", Json))!.DependencyConflicts);
        var raw = await _manager.GetFromJsonAsync<JsonElement>($"/api/roadmap/milestones/{second.Id}");
        Assert.Equal(first.Id, raw.GetProperty("dependencyConflicts")[0].GetInt32());

        // Moving the successor after the new end clears it; an edit of the successor's start before it flags it again.
        var later = await ReadAsync<MilestoneView>(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{second.Id}/move", new MilestoneMove(1), Json));
        Assert.Empty(later.DependencyConflicts);
        var earlier = await ReadAsync<MilestoneView>(await _manager.PutAsJsonAsync($"/api/roadmap/milestones/{second.Id}",
            new MilestoneInput(phase.Id, later.Title, later.Owner, new DateOnly(2027, 3, 20), later.End, Version: later.Version), Json));
        Assert.Equal([first.Id], earlier.DependencyConflicts);
    }

    [Fact]
    public async Task Deleting_a_gate_keeps_its_state_history_in_the_deletion_record()
    {
        var phase = await PhaseAsync();
        var milestone = await MilestoneAsync(phase.Id, "Gated", new DateOnly(2027, 1, 4), new DateOnly(2027, 2, 26));
        var gate = await ReadAsync<GateView>(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}/gates", new GateInput("bleu", 40), Json));
        var t0 = new DateTimeOffset(2027, 1, 20, 9, 0, 0, TimeSpan.Zero);
        var met = await EvaluationReportTests.SeedEvaluationAsync(_portal.Services, "model", 3, t0, new Dictionary<string, double> { ["bleu"] = 42 }, name: "suite");
        await EvaluationFinishedAsync(met);
        var missed = await EvaluationReportTests.SeedEvaluationAsync(_portal.Services, "model", 3, t0.AddDays(1), new Dictionary<string, double> { ["bleu"] = 35 }, name: "suite");
        await EvaluationFinishedAsync(missed);
        var history = (await _manager.GetFromJsonAsync<List<GateEventView>>($"/api/roadmap/gates/{gate.Id}/history", Json))!;
        Assert.Equal(2, history.Count);

        Assert.Equal(HttpStatusCode.NoContent, (await _manager.DeleteAsync($"/api/roadmap/gates/{gate.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _manager.GetAsync($"/api/roadmap/gates/{gate.Id}/history")).StatusCode);

        var deletion = (await _manager.GetFromJsonAsync<List<ChangeView>>($"/api/roadmap/changes?milestoneId={milestone.Id}", Json))![0];
        Assert.Equal(("gate", "delete", gate.Id), (deletion.Entity, deletion.Action, deletion.EntityId));
        await using var scope = _portal.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().RoadmapChanges.SingleAsync(c => c.Id == deletion.Id);
        var before = JsonDocument.Parse(row.Before!).RootElement;
        Assert.Equal(("bleu", "Missed", missed), (before.GetProperty("metric").GetString(), before.GetProperty("state").GetString(), before.GetProperty("evaluationId").GetInt32()));
        var events = before.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(
            [("Pending", "Met", met, $"bleu 42 ≥ 40 in evaluation #{met} (suite · model)"), ("Met", "Missed", missed, $"bleu 35 < 40 in evaluation #{missed} (suite · model)")],
            events.Select(e => (e.GetProperty("from").GetString(), e.GetProperty("to").GetString(), e.GetProperty("evaluationId").GetInt32(), e.GetProperty("reason").GetString())));
        Assert.Equal("RmRsnFigure", events[1].GetProperty("reasonText").GetProperty("code").GetString());

        // Deleting a milestone keeps its gates' histories the same way.
        var other = await ReadAsync<GateView>(await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}/gates", new GateInput("bleu", 30), Json));
        Assert.Equal(HttpStatusCode.NoContent, (await _manager.DeleteAsync($"/api/roadmap/milestones/{milestone.Id}")).StatusCode);
        var gateRow = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().RoadmapChanges
            .SingleAsync(c => c.Entity == "gate" && c.Action == "delete" && c.EntityId == other.Id);
        Assert.Equal("Met", JsonDocument.Parse(gateRow.Before!).RootElement.GetProperty("events")[0].GetProperty("to").GetString());
    }

    [Fact]
    public async Task Csv_and_xlsx_exports_read_back_in_both_languages()
    {
        var phase = await ReadAsync<PhaseView>(await _manager.PostAsJsonAsync("/api/roadmap/phases", new PhaseInput("Export phase", "导出阶段"), Json));
        var m = await ReadAsync<MilestoneView>(await _manager.PostAsJsonAsync("/api/roadmap/milestones",
            new MilestoneInput(phase.Id, "Export, \"quoted\"", "Business 业务部门", new DateOnly(2027, 6, 1), new DateOnly(2027, 6, 30), TitleZh: "导出里程碑"), Json));
        await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{m.Id}/gates", new GateInput("tcr", 78, "feedback"), Json);
        var stakeholder = await _portal.ClientForRoleAsync(PortalRoles.Stakeholder);

        var csv = await stakeholder.GetByteArrayAsync("/api/roadmap/export.csv?culture=zh-Hans");
        Assert.Equal(Encoding.UTF8.GetPreamble(), csv[..3]);
        var rows = Encoding.UTF8.GetString(csv, 3, csv.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("编号,阶段,里程碑,负责人,开始,结束,基线结束,延误（天）,状态,已逾期,前置里程碑,KPI 关卡,最后修改人", rows[0]);
        Assert.Contains($"{m.Id},导出阶段,导出里程碑,Business 业务部门,2027-06-01,2027-06-30,2027-06-30,0,未开始,否,,tcr (feedback) ≥ 78: 待定,manager@test.local", rows);
        var english = Encoding.UTF8.GetString(await stakeholder.GetByteArrayAsync("/api/roadmap/export.csv?culture=en"));
        Assert.Contains($"{m.Id},Export phase,\"Export, \"\"quoted\"\"\",Business 业务部门,2027-06-01,2027-06-30,2027-06-30,0,Not started,no,,tcr (feedback) ≥ 78: Pending,", english);

        var xlsx = await stakeholder.GetAsync("/api/roadmap/export.xlsx?culture=zh-Hans");
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType!.MediaType);
        using var stream = new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync());
        using var document = SpreadsheetDocument.Open(stream, false);
        var book = document.WorkbookPart!;
        var sheets = book.Workbook.Sheets!.Elements<Sheet>().ToList();
        Assert.Equal(["Milestones", "Gates", "Changes"], sheets.Select(s => s.Name!.Value));
        string[][] Read(string name)
        {
            var part = (WorksheetPart)book.GetPartById(sheets.Single(s => s.Name == name).Id!);
            return part.Worksheet.Descendants<Row>().Select(r => r.Elements<Cell>().Select(c => c.InlineString?.Text?.Text ?? c.CellValue?.Text ?? "").ToArray()).ToArray();
        }
        var milestones = Read("Milestones");
        Assert.Equal("里程碑", milestones[0][2]);
        var row = milestones.Single(r => r[0] == m.Id.ToString());
        Assert.Equal(["导出阶段", "导出里程碑", "Business 业务部门", "2027-06-01", "2027-06-30"], row[1..6]);
        var gates = Read("Gates");
        Assert.Equal(["编号", "里程碑", "指标", "范围", "被评估模型", "比较", "目标值", "状态", "当前值", "评估", "检查时间"], gates[0]);
        var gate = gates.Single(r => r[1] == "导出里程碑");
        Assert.Equal(("tcr", "feedback", "≥", "78", "待定"), (gate[2], gate[3], gate[5], gate[6], gate[7]));
        var changes = Read("Changes");
        Assert.Contains(changes, r => r.Length > 6 && r[3] == "gate" && r[5] == "create" && r[2] == "manager@test.local");
        // Change summaries in the reader's language, with the Chinese names where they were entered.
        Assert.Contains(changes, r => r.Length > 6 && r[6] == "为“导出里程碑”添加了 KPI 关口 任务完成率（用户反馈） ≥ 78");
        Assert.Contains(changes, r => r.Length > 6 && r[6] == "创建了阶段“导出阶段”");
    }
}
