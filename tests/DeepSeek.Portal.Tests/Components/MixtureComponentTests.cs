using Bunit;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Training;
using DeepSeek.Portal.Training.Pages;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace DeepSeek.Portal.Tests.Components;

public sealed class MixtureComponentTests : ComponentTestContext
{
    internal static readonly RunMixture Mixture = new("dynamic", 0.01,
        [new RunMixtureSource(11, 1, "bank", 2, "bank v2", 1.5), new RunMixtureSource(21, 2, "general", 1, "general v1", 0.5)]);

    private static RunSourceStep Step(int step, double w0, double w1, double? loss1) => new(step,
    [
        new RunSourcePoint(0, "bank v2", w0, w0 / (w0 + w1), 3.5, 3),
        new RunSourcePoint(1, "general v1", w1, w1 / (w0 + w1), loss1, loss1 is null ? 0 : 1),
    ]);

    [Fact]
    public async Task The_source_chart_draws_history_and_appends_only_newer_live_steps_with_sources()
    {
        var chart = Context.Render<SourceChart>(p => p.Add(c => c.Mixture, Mixture).Add(c => c.History, new[] { Step(1, 1.5, 0.5, 4.0), Step(2, 1.515, 0.495, null) }));
        var root = chart.Find("[data-testid=source-chart]");
        Assert.Equal("2", root.GetAttribute("data-sources"));
        Assert.Equal("drawn", root.GetAttribute("data-state"));
        Assert.Contains("Per-source weight and loss", chart.Markup, StringComparison.Ordinal);

        var live = new RunPoint(3, 3.2, 1e-3, 100, 1, 3, 0) { Sources = Step(3, 1.53, 0.49, 3.9).Sources };
        var old = new RunPoint(2, 3.4, 1e-3, 100, 1, 2, 0) { Sources = Step(2, 9, 9, 9).Sources };
        var noSources = new RunPoint(4, 3.1, 1e-3, 100, 1, 4, 0);
        await chart.InvokeAsync(() => chart.Instance.AppendAsync([old, live, noSources]));
        // Step 2 is already drawn and step 4 has no sources: only step 3 is added.
        Assert.Equal("3", chart.Find("[data-testid=source-chart]").GetAttribute("data-steps"));
    }

    [Fact]
    public void A_mixture_run_with_no_steps_yet_shows_the_waiting_state()
    {
        var chart = Context.Render<SourceChart>(p => p.Add(c => c.Mixture, Mixture).Add(c => c.History, Array.Empty<RunSourceStep>()).Add(c => c.Waiting, true));
        Assert.Equal("waiting", chart.Find("[data-testid=source-chart]").GetAttribute("data-state"));
        Assert.NotNull(chart.Find("[data-testid=source-chart-waiting]"));
    }

    [Fact]
    public void The_settings_table_shows_the_policy_and_each_source_with_its_weight()
    {
        var run = RunProgressPanelTests.Run(RunStatus.Running, 1, 10) with { Mixture = Mixture };
        var card = Context.Render<RunSettingsCard>(p => p.Add(c => c.Run, run));
        var row = card.Find("tr[data-setting=mixture] td").TextContent;
        Assert.Equal("Dynamic: bank v2 × 1.5, general v1 × 0.5; Feeder learning rate 0.01", row);
        var single = Context.Render<RunSettingsCard>(p => p.Add(c => c.Run, RunProgressPanelTests.Run(RunStatus.Running, 1, 10)));
        Assert.Equal("–", single.Find("tr[data-setting=mixture] td").TextContent);
    }

    [Fact]
    public async Task The_launch_form_sends_a_mixture_of_the_chosen_versions_with_weights_and_policy()
    {
        IReadOnlyList<DatasetSummary> datasets = [new(1, "bank", null, "bank.jsonl", "jsonl", 100, 1, 1, "abc", true, DateTimeOffset.UnixEpoch, "system")];
        IReadOnlyList<RunVersionChoice> versions = [new(11, 1, "bank", 2, 90), new(10, 1, "bank", 1, 100), new(21, 2, "general", 1, 50)];
        var launched = new List<RunLaunchRequest>();
        var form = Context.Render<RunLaunchForm>(p => p
            .Add(c => c.Datasets, datasets).Add(c => c.Versions, versions).Add(c => c.Defaults, RunService.Defaults)
            .Add(c => c.OnLaunch, r =>
            {
                launched.Add(r);
                return Task.FromResult<IReadOnlyDictionary<string, string[]>>(new Dictionary<string, string[]>());
            }));

        await form.Find("[data-testid=launch-mixture-toggle] input").ChangeAsync(new ChangeEventArgs { Value = true });
        Assert.Equal(2, form.FindAll("[data-testid=launch-mixture-source]").Count);
        await form.FindAll("input[data-testid=launch-mixture-weight]")[1].ChangeAsync(new ChangeEventArgs { Value = "0.25" });
        await form.Find("[data-testid=launch-run]").ClickAsync(new MouseEventArgs());

        var request = Assert.Single(launched);
        Assert.Null(request.DatasetVersionId);
        Assert.Equal("dynamic", request.Mixture!.Policy);
        Assert.Equal(0.01, request.Mixture.FeederLearningRate);
        Assert.Equal([(11, 1.0), (10, 0.25)], request.Mixture.Sources.Select(s => (s.VersionId, s.Weight)));
    }

    [Fact]
    public async Task The_launch_form_refuses_a_negative_weight_before_sending_and_names_the_source()
    {
        IReadOnlyList<RunVersionChoice> versions = [new(11, 1, "bank", 2, 90), new(21, 2, "general", 1, 50)];
        var launched = new List<RunLaunchRequest>();
        var form = Context.Render<RunLaunchForm>(p => p
            .Add(c => c.Datasets, Array.Empty<DatasetSummary>()).Add(c => c.Versions, versions).Add(c => c.Defaults, RunService.Defaults)
            .Add(c => c.OnLaunch, r =>
            {
                launched.Add(r);
                return Task.FromResult<IReadOnlyDictionary<string, string[]>>(new Dictionary<string, string[]>());
            }));
        await form.Find("[data-testid=launch-mixture-toggle] input").ChangeAsync(new ChangeEventArgs { Value = true });
        await form.FindAll("input[data-testid=launch-mixture-weight]")[0].ChangeAsync(new ChangeEventArgs { Value = "-1" });
        await form.Find("[data-testid=launch-run]").ClickAsync(new MouseEventArgs());

        Assert.Empty(launched);
        Assert.Contains("Source 1:", form.Find("[data-testid=launch-errors]").TextContent, StringComparison.Ordinal);
    }
}

public sealed class MixtureChineseComponentTests() : ComponentTestContext("zh-Hans")
{
    [Fact]
    public void The_source_chart_and_the_mixture_setting_are_in_chinese()
    {
        var chart = Context.Render<SourceChart>(p => p.Add(c => c.Mixture, MixtureComponentTests.Mixture).Add(c => c.History, Array.Empty<RunSourceStep>()).Add(c => c.Waiting, true));
        Assert.Contains("各来源的权重与损失", chart.Markup, StringComparison.Ordinal);
        var run = RunProgressPanelTests.Run(RunStatus.Running, 1, 10) with { Mixture = MixtureComponentTests.Mixture };
        var card = Context.Render<RunSettingsCard>(p => p.Add(c => c.Run, run));
        Assert.Equal("动态：bank 第2版 × 1.5, general 第1版 × 0.5; 混合权重学习率 0.01", card.Find("tr[data-setting=mixture] td").TextContent);
    }
}
