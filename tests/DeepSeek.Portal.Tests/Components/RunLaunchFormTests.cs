using Bunit;
using DeepSeek.Portal.Training.Pages;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Training;

namespace DeepSeek.Portal.Tests.Components;

public sealed class RunLaunchFormTests : ComponentTestContext
{
    private static readonly IReadOnlyList<DatasetSummary> Datasets =
        [new(7, "demo-bank-support", null, "demo.jsonl", "jsonl", 3000, 1, 1, "abc", true, DateTimeOffset.UnixEpoch, "system")];

    private readonly List<RunLaunchRequest> _launched = [];

    private IRenderedComponent<RunLaunchForm> Render() => Context.Render<RunLaunchForm>(p => p
        .Add(c => c.Datasets, Datasets)
        .Add(c => c.Defaults, RunService.Defaults)
        .Add(c => c.OnLaunch, r =>
        {
            _launched.Add(r);
            return Task.FromResult<IReadOnlyDictionary<string, string[]>>(new Dictionary<string, string[]>());
        }));

    [Fact]
    public void Shows_the_effective_batch_as_micro_batch_times_accumulation()
    {
        var form = Render();
        Assert.Contains("32 = 8 × 4", form.Find("[data-testid=effective-batch]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Micro_batch_of_zero_is_refused_with_a_message_and_nothing_is_launched()
    {
        var form = Render();
        await form.Find("input[data-testid=launch-micro-batch]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "0" });
        await form.Find("[data-testid=launch-run]").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());

        Assert.Empty(_launched);
        var errors = form.Find("[data-testid=launch-errors]").TextContent;
        Assert.Contains("nothing was queued", errors, StringComparison.Ordinal);
        Assert.Contains("Micro-batch size:", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Negative_learning_rate_is_refused()
    {
        var form = Render();
        await form.Find("input[data-testid=launch-lr]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "-0.1" });
        await form.Find("[data-testid=launch-run]").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());
        Assert.Empty(_launched);
        Assert.Contains("earning", form.Find("[data-testid=launch-errors]").TextContent, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Valid_settings_are_handed_to_the_owner_with_the_chosen_values()
    {
        var form = Render();
        await form.Find("input[data-testid=launch-steps]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "50" });
        await form.Find("[data-testid=launch-run]").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());

        var request = Assert.Single(_launched);
        Assert.Equal(7, request.DatasetId);
        Assert.Equal(50, request.Steps);
        Assert.Equal(8, request.MicroBatchSize);
        Assert.Equal(4, request.GradientAccumulationSteps);
    }
}
