using DeepSeek.Portal.Data;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using DeepSeek.Portal.Training.Pages;
using DeepSeek.Portal.Components.Shared;
using DeepSeek.Portal.Training;

namespace DeepSeek.Portal.Tests.Components;

public sealed class EmaSmoothingTests
{
    [Fact]
    public void Zero_weight_returns_the_raw_values()
    {
        Assert.Equal([3.0, 1.0, 2.0], EmaSmoother.Smooth([3.0, 1.0, 2.0], 0));
    }

    [Fact]
    public void Debiased_average_starts_at_the_first_value_and_follows_the_recurrence()
    {
        // w = 0.5: s1 = 0.5·4 = 2 → 2/0.5 = 4; s2 = 0.5·2 + 0.5·2 = 2 → 2/0.75 = 2.6667; s3 = 0.5·2 + 0.5·8 = 5 → 5/0.875 = 5.7143.
        var smoothed = EmaSmoother.Smooth([4.0, 2.0, 8.0], 0.5);
        Assert.Equal(4.0, smoothed[0], 10);
        Assert.Equal(2.0 / 0.75, smoothed[1], 10);
        Assert.Equal(5.0 / 0.875, smoothed[2], 10);
    }

    [Fact]
    public void Live_points_fed_one_by_one_continue_the_same_curve_as_smoothing_the_whole_history()
    {
        double[] losses = [7.7, 6.1, 5.5, 5.9, 4.2, 3.8, 3.9, 3.1];
        var whole = EmaSmoother.Smooth(losses, 0.9);
        var live = new EmaSmoother(0.9);
        var incremental = losses.Take(5).Select(live.Next).Concat(losses.Skip(5).Select(live.Next)).ToList();
        Assert.Equal(whole, incremental);
    }

    [Fact]
    public void The_tokens_axis_counts_effective_batch_times_sequence_length_per_step()
    {
        var point = new RunPoint(10, 2.5, 1e-3, 1000, 0.8, 12.5, 0);
        Assert.Equal(10.0 * 32 * 64, new ChartView(XAxis: ChartXAxis.Tokens).X(point, 32 * 64));
        Assert.Equal(12.5, new ChartView(XAxis: ChartXAxis.Time).X(point, 32 * 64));
        Assert.Equal(10.0, new ChartView().X(point, 32 * 64));
    }
}

public sealed class RunSettingsComparisonTests : ComponentTestContext
{
    [Fact]
    public void Rows_whose_values_differ_between_runs_are_marked_and_equal_rows_are_not()
    {
        var a = RunProgressPanelTests.Run(RunStatus.Succeeded, 200, 200);
        var b = a with { Id = 2, Name = "faster", Settings = a.Settings with { LearningRate = 1e-2 } };
        var table = Context.Render<RunSettingsComparison>(p => p.Add(c => c.Runs, new[] { a, b }));

        var lr = table.Find("tr[data-setting=learningRate]");
        Assert.Equal("true", lr.GetAttribute("data-differs"));
        Assert.Contains("settings-diff", lr.ClassName ?? "", StringComparison.Ordinal);
        Assert.Contains("differs", lr.TextContent, StringComparison.Ordinal);
        Assert.Equal("false", table.Find("tr[data-setting=steps]").GetAttribute("data-differs"));
        Assert.Equal("false", table.Find("tr[data-setting=seed]").GetAttribute("data-differs"));
        Assert.Equal(2, table.FindAll("tr[data-setting=learningRate] td").Count);
    }

    [Fact]
    public void Precision_details_checkpointing_lora_and_peak_memory_are_shown_and_compared()
    {
        var a = RunProgressPanelTests.Run(RunStatus.Succeeded, 200, 200) with { PeakMemoryBytes = 300L << 20 };
        var b = a with
        {
            Id = 2, Name = "lora", PeakMemoryBytes = null,
            Settings = a.Settings with
            {
                Precision = Engine.Training.TrainingPrecision.Fp16, InitialLossScale = 1024, LossScaleGrowthInterval = 50, ActivationCheckpointing = true,
                Lora = new Engine.Adapters.LoraConfig { R = 4, LoraAlpha = 16, TargetModules = ["q_proj", "o_proj"], UseRsLora = true },
            },
        };
        var table = Context.Render<RunSettingsComparison>(p => p.Add(c => c.Runs, new[] { a, b }));

        string[] Cells(string key) => table.FindAll($"tr[data-setting={key}] td").Select(td => td.TextContent).ToArray();
        Assert.Equal(["–", "starts at 1024, doubles after 50 finite steps"], Cells("lossScaling"));
        Assert.Equal(["Off", "On"], Cells("activationCheckpointing"));
        Assert.Equal(["Off", "r 4, alpha 16, dropout 0; layers: q_proj, o_proj; rsLoRA"], Cells("lora"));
        Assert.Equal(["300 MB", "–"], Cells("peakMemory"));
        Assert.All(new[] { "lossScaling", "activationCheckpointing", "lora", "peakMemory" },
            key => Assert.Equal("true", table.Find($"tr[data-setting={key}]").GetAttribute("data-differs")));
    }
}

public sealed class LocalTimeTests : ComponentTestContext
{
    [Fact]
    public void A_time_is_shown_in_the_given_zone_with_its_offset_written_out()
    {
        var instant = new DateTimeOffset(2026, 12, 2, 7, 30, 0, TimeSpan.Zero);
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        Assert.Equal("12/2/2026 3:30 PM (UTC+8)", LocalTime.Format(instant, shanghai).Replace('\u202f', ' '));
        Assert.Equal("12/2/2026 7:30 AM (UTC)", LocalTime.Format(instant, TimeZoneInfo.Utc).Replace('\u202f', ' '));
    }

    [Fact]
    public void Before_the_browser_answers_times_are_in_utc_with_the_offset()
    {
        var time = Context.Render<LocalTime>(p => p.Add(c => c.Value, new DateTimeOffset(2026, 12, 2, 7, 30, 0, TimeSpan.Zero)));
        Assert.Contains("(UTC)", time.Markup, StringComparison.Ordinal);
        Assert.Equal("2026-12-02T07:30:00.0000000+00:00", time.Find("time").GetAttribute("datetime"));
    }
}

public sealed class LocalTimeChineseTests() : ComponentTestContext("zh-Hans")
{
    [Fact]
    public void A_Chinese_user_sees_the_Chinese_date_format()
    {
        var instant = new DateTimeOffset(2026, 12, 2, 7, 30, 0, TimeSpan.Zero);
        Assert.Equal("2026/12/2 15:30 (UTC+8)", LocalTime.Format(instant, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")));
    }

    [Fact]
    public void The_device_description_is_in_Chinese()
    {
        var l = Context.Services.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<SharedResource>>();
        Assert.Equal("CPU（2 个线程，libtorch 2.10.0）", DeviceText.Describe("CPU (2 threads, libtorch 2.10.0)", l));
        Assert.Equal("CPU（1 个线程，libtorch 2.10.0）", DeviceText.Describe("CPU (1 thread, libtorch 2.10.0)", l));
    }
}
