using System.Net;
using System.Net.Http.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Evaluation.Scoring;
using DeepSeek.Portal.Feeding.Text;
using DeepSeek.Portal.Planning.Roadmap;

namespace DeepSeek.Portal.Tests.Planning;

/// <summary>The default roadmap: written on the first start, never again (not even after its owners emptied it), and editable like any other.</summary>
public sealed class DefaultRoadmapTests
{
    [Fact]
    public async Task The_seed_roadmap_is_created_once_on_first_start_and_is_editable()
    {
        var directory = PortalFactory.NewDataDirectory();
        try
        {
            int removedPhase;
            await using (var first = new PortalFactory(directory))
            {
                var manager = await first.ClientForRoleAsync(PortalRoles.Manager);
                var roadmap = (await manager.GetFromJsonAsync<RoadmapView>("/api/roadmap", RoadmapApiTests.Json))!;
                Assert.Equal(["试点验证", "领域数据投喂", "私有化部署", "边缘部署", "持续优化"], roadmap.Phases.Select(p => p.NameZh));
                Assert.Equal(["Pilot validation", "Domain data feeding", "Private deployment", "Edge rollout", "Continuous optimisation"], roadmap.Phases.Select(p => p.Name));
                Assert.All(roadmap.Phases, p => Assert.InRange(roadmap.Milestones.Count(m => m.PhaseId == p.Id), 2, 3));
                // Chinese readers get Chinese descriptions and notes, not the English ones.
                Assert.All(roadmap.Phases, p => Assert.Contains(p.DescriptionZh!, c => LanguageGuess.IsHan(c)));
                Assert.All(roadmap.Milestones, m =>
                {
                    Assert.False(string.IsNullOrEmpty(m.TitleZh));
                    Assert.Contains(m.NotesZh!, c => LanguageGuess.IsHan(c));
                    Assert.Contains(m.Owner, new[] { "ML engineering 算法团队", "Data engineering 数据工程", "Technical team 技术团队", "Business 业务部门" });
                    Assert.True(m.End >= m.Start);
                    Assert.True(m.Start >= roadmap.Today);
                });
                // In sequence: each milestone depends on the one before it, and starts after it ends.
                var ordered = roadmap.Milestones.ToList();
                Assert.Empty(ordered[0].DependsOn);
                for (var i = 1; i < ordered.Count; i++)
                {
                    Assert.Equal([ordered[i - 1].Id], ordered[i].DependsOn);
                    Assert.True(ordered[i].Start > ordered[i - 1].End, $"{ordered[i].Title} starts before {ordered[i - 1].Title} ends");
                }
                var gates = roadmap.Milestones.SelectMany(m => m.Gates).ToList();
                Assert.All(gates, g => Assert.Contains(g.Metric, MetricNames.All));
                Assert.Contains(gates, g => (g.Metric, g.Scope, g.Comparison, g.Target) == ("f1", "slice:domain", GateComparison.AtLeast, 70));
                Assert.Contains(gates, g => (g.Metric, g.Comparison, g.Target) == ("ppl", GateComparison.AtMost, 20));
                Assert.Contains(gates, g => (g.Metric, g.Scope, g.Target) == ("nps", "feedback", 30));
                Assert.Contains(gates, g => g.Metric == "bleu");
                Assert.Contains(gates, g => g.Metric == "tcr");
                Assert.All(gates, g => Assert.Equal(GateState.Pending, g.State)); // no evaluation yet

                var changes = (await manager.GetFromJsonAsync<List<ChangeView>>("/api/roadmap/changes?take=1000", RoadmapApiTests.Json))!;
                Assert.All(changes, c => Assert.Equal(DefaultRoadmap.SystemUser, c.User));
                Assert.Equal(5, changes.Count(c => c.Entity == "phase"));

                // Editable: move a milestone, drop a phase.
                var pilot = ordered[0];
                var moved = await manager.PostAsJsonAsync($"/api/roadmap/milestones/{pilot.Id}/move", new MilestoneMove(7, pilot.Version), RoadmapApiTests.Json);
                Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
                removedPhase = roadmap.Phases[^1].Id;
                Assert.Equal(HttpStatusCode.NoContent, (await manager.DeleteAsync($"/api/roadmap/phases/{removedPhase}")).StatusCode);
            }

            await using (var second = new PortalFactory(directory))
            {
                var manager = await second.ClientForRoleAsync(PortalRoles.Manager);
                var roadmap = (await manager.GetFromJsonAsync<RoadmapView>("/api/roadmap", RoadmapApiTests.Json))!;
                Assert.Equal(4, roadmap.Phases.Count); // not re-created, the edit kept
                Assert.DoesNotContain(roadmap.Phases, p => p.Id == removedPhase);
                Assert.Equal(7, roadmap.Milestones[0].SlipDays);
                foreach (var phase in roadmap.Phases)
                    Assert.Equal(HttpStatusCode.NoContent, (await manager.DeleteAsync($"/api/roadmap/phases/{phase.Id}")).StatusCode);
            }

            // Emptied by its owners: stays empty after another restart.
            await using (var third = new PortalFactory(directory))
            {
                var stakeholder = await third.ClientForRoleAsync(PortalRoles.Stakeholder);
                var roadmap = (await stakeholder.GetFromJsonAsync<RoadmapView>("/api/roadmap", RoadmapApiTests.Json))!;
                Assert.Empty(roadmap.Phases);
                Assert.Empty(roadmap.Milestones);
            }
        }
        finally
        {
            PortalFactory.DeleteDataDirectory(directory);
        }
    }
}
