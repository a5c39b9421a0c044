using System.Net;
using System.Net.Http.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Evaluations;
using DeepSeek.Portal.Evaluations.Endpoints;
using DeepSeek.Portal.Evaluations.Suites;
using DeepSeek.Portal.Planning.Roadmap;
using DeepSeek.Portal.Tests.Evaluations;

namespace DeepSeek.Portal.Tests.Planning;

/// <summary>
/// A KPI gate following real evaluations: suites uploaded and evaluations launched through the API, run by the portal's
/// Quartz job against a loopback OpenAI-protocol server, the gate re-checked by the job's finished-evaluation hook.
/// </summary>
public sealed class RoadmapEvaluationJobTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;
    private HttpClient _manager = default!;

    public async Task InitializeAsync()
    {
        _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
        _manager = await _portal.ClientForRoleAsync(PortalRoles.Manager);
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private async Task<int> EvaluateAsync(string suiteName, string suite, int endpointId)
    {
        var uploaded = await _engineer.PostAsync("/api/evaluation-suites", TestData.Upload($"{suiteName}.jsonl", suite, suiteName));
        Assert.True(uploaded.StatusCode == HttpStatusCode.Created, await uploaded.Content.ReadAsStringAsync());
        var version = (await uploaded.Content.ReadFromJsonAsync<SuiteUploaded>(RoadmapApiTests.Json))!.VersionId;
        var launched = await _engineer.PostAsJsonAsync("/api/evaluations", new { suiteVersionId = version, target = new { kind = "endpoint", id = endpointId }, concurrency = 2, maxNewTokens = 16 });
        Assert.True(launched.StatusCode == HttpStatusCode.Accepted, await launched.Content.ReadAsStringAsync());
        return (await launched.Content.ReadFromJsonAsync<EvaluationSummary>(RoadmapApiTests.Json))!.Id;
    }

    /// <summary>Waits (bounded) until the gate has been decided by <paramref name="evaluationId"/>; the hook runs just after the job stores the figures.</summary>
    private async Task<GateView> GateDecidedByAsync(int milestoneId, int gateId, int evaluationId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var roadmap = (await _manager.GetFromJsonAsync<RoadmapView>("/api/roadmap", RoadmapApiTests.Json))!;
            var gate = roadmap.Milestones.Single(m => m.Id == milestoneId).Gates.Single(g => g.Id == gateId);
            if (gate.EvaluationId == evaluationId)
                return gate;
            var detail = (await _engineer.GetFromJsonAsync<EvaluationDetail>($"/api/evaluations/{evaluationId}", RoadmapApiTests.Json))!;
            Assert.False(detail.Evaluation.Status is EvaluationStatus.Failed or EvaluationStatus.Cancelled, detail.Evaluation.Error);
            Assert.True(DateTime.UtcNow < deadline, $"Gate {gateId} was not decided by evaluation {evaluationId} (status {detail.Evaluation.Status}).");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task The_evaluation_job_turns_a_gate_met_then_missed()
    {
        await using var server = await LoopbackOpenAiServer.StartAsync("model-roadmap-gate");
        server.Replies.Add(("Say good morning", "good morning to you all"));
        var registered = await _engineer.PostAsJsonAsync("/api/evaluation-endpoints", new { name = "roadmap-gate", baseUrl = server.BaseUrl.ToString(), model = server.Model });
        Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        var endpoint = (await registered.Content.ReadFromJsonAsync<EndpointView>(RoadmapApiTests.Json))!;

        var phase = (await (await _manager.PostAsJsonAsync("/api/roadmap/phases", new PhaseInput("Pilot"), RoadmapApiTests.Json)).Content.ReadFromJsonAsync<PhaseView>(RoadmapApiTests.Json))!;
        var milestone = (await (await _manager.PostAsJsonAsync("/api/roadmap/milestones",
            new MilestoneInput(phase.Id, "Pilot baseline", "ML engineering 算法团队", new DateOnly(2027, 1, 4), new DateOnly(2027, 2, 26)), RoadmapApiTests.Json))
            .Content.ReadFromJsonAsync<MilestoneView>(RoadmapApiTests.Json))!;
        var gate = (await (await _manager.PostAsJsonAsync($"/api/roadmap/milestones/{milestone.Id}/gates", new GateInput("bleu", 40), RoadmapApiTests.Json))
            .Content.ReadFromJsonAsync<GateView>(RoadmapApiTests.Json))!;
        Assert.Equal(GateState.Pending, gate.State);

        // The server answers this item word for word: BLEU 100.
        var good = await EvaluateAsync("roadmap-good", """{"id":"r1","kind":"generation","slice":"general","prompt":"Say good morning","reference":"good morning to you all"}""", endpoint.Id);
        var met = await GateDecidedByAsync(milestone.Id, gate.Id, good);
        Assert.Equal(GateState.Met, met.State);
        Assert.Equal(100, met.Value!.Value, 9);

        // It does not know this one ("I do not know."): BLEU 0.
        var bad = await EvaluateAsync("roadmap-bad", """{"id":"r2","kind":"generation","slice":"general","prompt":"Say good night","reference":"good night to you all"}""", endpoint.Id);
        var missed = await GateDecidedByAsync(milestone.Id, gate.Id, bad);
        Assert.Equal(GateState.Missed, missed.State);
        Assert.Equal(0, missed.Value!.Value, 9);

        var history = (await _manager.GetFromJsonAsync<List<GateEventView>>($"/api/roadmap/gates/{gate.Id}/history", RoadmapApiTests.Json))!;
        Assert.Equal([(GateState.Met, GateState.Missed, bad), (GateState.Pending, GateState.Met, good)], history.Select(h => (h.From, h.To, h.EvaluationId!.Value)));
        Assert.StartsWith($"bleu 0 < 40 in evaluation #{bad} (", history[0].Reason);
        Assert.StartsWith($"bleu 100 ≥ 40 in evaluation #{good} (", history[1].Reason);
    }
}
