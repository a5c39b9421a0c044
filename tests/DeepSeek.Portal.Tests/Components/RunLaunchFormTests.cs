using Bunit;
using DeepSeek.Portal.Training.Pages;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Training;
using DeepSeek.Portal.Engine.Devices;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace DeepSeek.Portal.Tests.Components;

public sealed class RunLaunchFormTests : ComponentTestContext
{
    private static readonly IReadOnlyList<DatasetSummary> Datasets =
        [new(7, "demo-bank-support", null, "demo.jsonl", "jsonl", 3000, 1, 1, "abc", true, DateTimeOffset.UnixEpoch, "system")];

    private readonly List<RunLaunchRequest> _launched = [];

    private IRenderedComponent<RunLaunchForm> Render(EngineDeviceInfo? engine = null, Engine.Training.TrainingOptions? defaults = null) => Context.Render<RunLaunchForm>(p => p
        .Add(c => c.Datasets, Datasets)
        .Add(c => c.Defaults, defaults ?? RunService.Defaults)
        .Add(c => c.LoraTargets, RunLoraTargets.All)
        .Add(c => c.EngineInfo, engine)
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

    // A host where bf16 matmuls ran at 0.42× fp32 and fp16 at 1.3× (the form reads the engine's measurement; these are the form's input).
    private static readonly EngineDeviceInfo SlowBf16Host = new("cpu", "CPU (1 thread, libtorch 2.10.0)", 1)
    {
        PrecisionRates = [new("fp32", 100, 1), new("bf16", 42, 0.42), new("fp16", 130, 1.3)],
    };

    private static async Task OpenAdvancedAsync(IRenderedComponent<RunLaunchForm> form) =>
        await form.Find("[data-testid=launch-advanced] .mud-expand-panel-header").ClickAsync(new MouseEventArgs());

    [Fact]
    public void A_precision_slower_than_fp32_on_this_host_is_flagged_with_the_measured_ratio()
    {
        Assert.Empty(Render(SlowBf16Host).FindAll("[data-testid=launch-precision-slower]"));

        var bf16 = Render(SlowBf16Host, RunService.Defaults with { Precision = Engine.Training.TrainingPrecision.Bf16 });
        Assert.Contains("bf16 is 0.42× fp32 on this host", bf16.Find("[data-testid=launch-precision-slower]").TextContent, StringComparison.Ordinal);

        // fp16 measured faster here: no flag.
        Assert.Empty(Render(SlowBf16Host, RunService.Defaults with { Precision = Engine.Training.TrainingPrecision.Fp16 }).FindAll("[data-testid=launch-precision-slower]"));
    }

    [Fact]
    public async Task The_advanced_section_offers_checkpointing_and_lora_with_the_attention_projections_preselected()
    {
        var form = Render();
        await OpenAdvancedAsync(form);
        Assert.Contains("Activation checkpointing", form.Find("[data-testid=launch-checkpointing]").TextContent, StringComparison.Ordinal);
        Assert.Empty(form.FindAll("[data-testid=launch-lora-r]"));

        await form.Find("[data-testid=launch-lora-toggle] input").ChangeAsync(new ChangeEventArgs { Value = true });
        Assert.NotEmpty(form.FindAll("input[data-testid=launch-lora-r]"));
        Assert.NotEmpty(form.FindAll("[data-testid=launch-lora-targets]"));
        await form.Find("[data-testid=launch-run]").ClickAsync(new MouseEventArgs());

        var request = Assert.Single(_launched);
        Assert.NotNull(request.Lora);
        Assert.Equal(RunLoraTargets.Defaults, request.Lora!.TargetModules);
        Assert.Equal(8, request.Lora.R);
        Assert.False(request.ActivationCheckpointing);
        Assert.Null(request.InitialLossScale);
    }

    [Fact]
    public async Task Lora_dropout_with_checkpointing_is_refused_next_to_the_field_and_nothing_is_launched()
    {
        var form = Render();
        await OpenAdvancedAsync(form);
        await form.Find("[data-testid=launch-checkpointing] input").ChangeAsync(new ChangeEventArgs { Value = true });
        await form.Find("[data-testid=launch-lora-toggle] input").ChangeAsync(new ChangeEventArgs { Value = true });
        await form.Find("input[data-testid=launch-lora-dropout]").ChangeAsync(new ChangeEventArgs { Value = "0.1" });
        await form.Find("[data-testid=launch-run]").ClickAsync(new MouseEventArgs());

        Assert.Empty(_launched);
        var errors = form.Find("[data-testid=launch-errors]").TextContent;
        Assert.Contains("LoRA dropout:", errors, StringComparison.Ordinal);
        Assert.Contains("activation checkpointing", errors, StringComparison.Ordinal);
    }
}

public sealed class RunLaunchFormChineseTests() : ComponentTestContext("zh-Hans")
{
    [Fact]
    public void The_slower_precision_flag_speaks_chinese()
    {
        var form = Context.Render<RunLaunchForm>(p => p
            .Add(c => c.Datasets, [new DatasetSummary(7, "demo", null, "demo.jsonl", "jsonl", 30, 1, 1, "abc", true, DateTimeOffset.UnixEpoch, "system")])
            .Add(c => c.EngineInfo, new EngineDeviceInfo("cpu", "CPU (1 thread, libtorch 2.10.0)", 1) { PrecisionRates = [new("fp32", 100, 1), new("bf16", 40, 0.4), new("fp16", 20, 0.2)] })
            .Add(c => c.Defaults, RunService.Defaults with { Precision = Engine.Training.TrainingPrecision.Fp16 })
            .Add(c => c.OnLaunch, _ => Task.FromResult<IReadOnlyDictionary<string, string[]>>(new Dictionary<string, string[]>())));
        Assert.Contains("fp16 在本机实测速度为 fp32 的 0.2×", form.Find("[data-testid=launch-precision-slower]").TextContent, StringComparison.Ordinal);
    }
}

public sealed class EngineMeasurementsTests : ComponentTestContext
{
    [Fact]
    public async Task The_runs_page_card_shows_the_measured_rates_the_chosen_count_and_why()
    {
        var info = EngineDevice.Current;
        var card = Context.Render<EngineMeasurements>(p => p.Add(c => c.Info, info));
        await card.Find("[data-testid=engine-measurements] .mud-expand-panel-header").ClickAsync(new MouseEventArgs());

        Assert.Equal(info.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture), card.Find("[data-testid=engine-measurements]").GetAttribute("data-threads"));
        Assert.Equal(info.ThreadRates.Count, card.FindAll("[data-testid=engine-thread-rates] tbody tr").Count);
        Assert.Contains(info.ThreadSource == EngineDevice.VariableSource ? EngineDevice.ThreadsVariable : "chosen by measurement",
            card.Find("[data-testid=engine-thread-reason]").TextContent, StringComparison.Ordinal);
        var precisions = card.Find("[data-testid=engine-precision-rates]");
        Assert.NotNull(precisions.QuerySelector("[data-precision=bf16]"));
        Assert.Contains("× fp32", precisions.TextContent, StringComparison.Ordinal);
    }
}
