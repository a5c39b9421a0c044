using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Training;
using Bunit;
using DeepSeek.Portal.Training.Pages;
using DeepSeek.Portal.Components.Shared;
using DeepSeek.Portal.Training;

namespace DeepSeek.Portal.Tests.Components;

public sealed class RunProgressPanelTests : ComponentTestContext
{
    internal static RunSummary Run(RunStatus status, int step, int steps, double? ppl = null) => new(
        1, "demo", 1, "demo", status, new TrainingOptions { Steps = steps },
        step, 100.0 * step / steps, 2.5, 1234, ppl is null ? null : Math.Log(ppl.Value), ppl, 1000, "cpu", null, 1,
        DateTimeOffset.UnixEpoch, null, null, "engineer", null);

    [Fact]
    public void Running_run_shows_percent_step_eta_and_throughput()
    {
        var panel = Context.Render<RunProgressPanel>(p => p.Add(c => c.Run, Run(RunStatus.Running, 50, 200)).Add(c => c.EtaSeconds, 95));
        Assert.Equal("25 %", panel.Find("[data-testid=metric-percent]").TextContent);
        Assert.Equal("50 / 200", panel.Find("[data-testid=metric-step]").TextContent);
        Assert.Equal("1:35", panel.Find("[data-testid=metric-eta]").TextContent);
        Assert.Equal("1,234", panel.Find("[data-testid=metric-tps]").TextContent);
        Assert.Equal("–", panel.Find("[data-testid=metric-ppl]").TextContent);
    }

    [Fact]
    public void Finished_run_shows_held_out_perplexity_and_no_eta()
    {
        var panel = Context.Render<RunProgressPanel>(p => p.Add(c => c.Run, Run(RunStatus.Succeeded, 200, 200, ppl: 7.389)));
        Assert.Equal("7.39", panel.Find("[data-testid=metric-ppl]").TextContent);
        Assert.Equal("–", panel.Find("[data-testid=metric-eta]").TextContent);
    }
}

public sealed class RunStatusChipChineseTests() : ComponentTestContext("zh-Hans")
{
    [Theory]
    [InlineData(RunStatus.Running, "运行中")]
    [InlineData(RunStatus.Cancelled, "已取消")]
    [InlineData(RunStatus.Succeeded, "已完成")]
    public void Status_is_shown_in_simplified_chinese(RunStatus status, string expected)
    {
        var chip = Context.Render<RunStatusChip>(p => p.Add(c => c.Status, status));
        Assert.Contains(expected, chip.Markup, StringComparison.Ordinal);
    }
}
