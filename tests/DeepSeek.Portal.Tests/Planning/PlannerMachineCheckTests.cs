using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Planning.Planner;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests.Planning;

/// <summary>The machine check over HTTP: the planner's CPU estimate and the engine's measurement of the demo model, kept for the process.</summary>
public sealed class PlannerMachineCheckTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task The_check_returns_both_figures_and_their_ratios_once_and_only_engineers_run_it()
    {
        var stakeholder = await _portal.ClientForRoleAsync(PortalRoles.Stakeholder);
        var engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
        Assert.Equal(HttpStatusCode.NotFound, (await stakeholder.GetAsync("/api/planner/machine-check")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsync("/api/planner/machine-check", null)).StatusCode);

        // Two at once: one measurement, both get it.
        var first = engineer.PostAsync("/api/planner/machine-check", null);
        var second = engineer.PostAsync("/api/planner/machine-check", null);
        var responses = await Task.WhenAll(first, second);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var result = JsonNode.Parse(await responses[0].Content.ReadAsStringAsync())!;
        Assert.Equal((string?)result["measuredAt"], (string?)JsonNode.Parse(await responses[1].Content.ReadAsStringAsync())!["measuredAt"]);

        // The demo model as both count it; memory and tokens/s from each side, and their ratios.
        var measurement = result["measurement"]!;
        Assert.Equal((long)result["parameters"]!, (long)measurement["parameters"]!);
        Assert.Equal((64, 4), ((int)result["contextLength"]!, (int)result["sequences"]!));
        Assert.True((double)result["estimatedBytes"]! > (double)result["estimatedBytesWithoutOverhead"]!);
        Assert.True((double)result["estimatedTokensPerSecond"]! > 0);
        Assert.True((double)result["measuredTokensPerSecond"]! > 0);
        Assert.Equal((double)result["estimatedTokensPerSecond"]! / (double)result["measuredTokensPerSecond"]!, (double)result["speedRatio"]!, 9);
        if (OperatingSystem.IsLinux())
        {
            Assert.True((double)result["measuredBytes"]! > 0);
            Assert.Equal((double)result["estimatedBytesWithoutOverhead"]! / (double)result["measuredBytes"]!, (double)result["memoryRatio"]!, 9);
        }

        // How to read it, each note with its code; the bandwidth was measured here (the portal's tests configure none).
        var notes = result["notes"]!.AsArray();
        Assert.Equal(["MachineRatios", "MachineDecodeBound", "MachineInProcess", "MachineBandwidthMeasured"], notes.Select(n => (string?)n!["code"]));
        Assert.Contains("GB/s", (string?)notes[^1]!["text"], StringComparison.Ordinal);

        // Kept for the process: reading and asking again do not measure again.
        var kept = JsonNode.Parse(await stakeholder.GetStringAsync("/api/planner/machine-check"))!;
        Assert.Equal((string?)result["measuredAt"], (string?)kept["measuredAt"]);
        await engineer.PostAsync("/api/planner/machine-check", null);
        Assert.Equal(1, _portal.Services.GetRequiredService<MachineCheck>().Runs);
    }
}
