using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Devices;

public sealed class EngineCalibrationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void One_thread_stays_unless_a_larger_count_is_clearly_faster_in_median_and_slowest_repetition()
    {
        // Two threads with a higher median but a stalled slowest repetition (a busy host) do not win …
        Assert.Equal(1, EngineCalibration.ChooseThreads([new(1, 130, 120), new(2, 250, 125)]));
        // … nor do two threads whose median is no better though one-thread's slowest repetition was unlucky.
        Assert.Equal(1, EngineCalibration.ChooseThreads([new(1, 35, 10), new(2, 35, 25)]));
        // Two threads that double the rate do.
        Assert.Equal(2, EngineCalibration.ChooseThreads([new(1, 130, 120), new(2, 250, 230)]));
        // Each step up must beat the current choice by the margin: 2 beats 1, 3 beats 2, 4 does not beat 3.
        Assert.Equal(3, EngineCalibration.ChooseThreads([new(1, 100, 100), new(2, 130, 130), new(3, 170, 170), new(4, 200, 200)]));
        Assert.Equal(1, EngineCalibration.ChooseThreads([new(1, 100, 100)]));
    }

    [Fact]
    public void The_selected_device_reports_the_rates_it_measured_and_a_thread_count_that_follows_them()
    {
        var info = EngineDevice.Current;
        output.WriteLine(System.Text.Json.JsonSerializer.Serialize(info));

        Assert.Equal(Enumerable.Range(1, Environment.ProcessorCount), info.ThreadRates.Select(r => r.Threads));
        Assert.All(info.ThreadRates, r => Assert.True(r.Gflops > 0 && r.SlowestGflops > 0 && r.SlowestGflops <= r.Gflops * 1.0001, r.ToString()));
        if (info.ThreadSource == EngineDevice.MeasuredSource)
            Assert.Equal(EngineCalibration.ChooseThreads(info.ThreadRates), info.Threads);
        else
            Assert.Equal(EngineDevice.VariableSource, info.ThreadSource);
        // The choice holds for threads that start torch work afterwards (the trainer's), not only the measuring one.
        int seen = 0;
        var fresh = new Thread(() => seen = get_num_threads());
        fresh.Start();
        fresh.Join();
        Assert.Equal(info.Threads, seen);
        Assert.False(string.IsNullOrWhiteSpace(info.ThreadReason));

        Assert.Equal(["fp32", "bf16", "fp16"], info.PrecisionRates.Select(p => p.Precision));
        Assert.Equal(1.0, info.RatioToFp32("fp32"));
        var bf16 = info.PrecisionRates.Single(p => p.Precision == "bf16");
        Assert.True(bf16.Gflops > 0, "libtorch's CPU build has bf16 matmuls");
        Assert.Equal(bf16.Gflops / info.PrecisionRates[0].Gflops, bf16.RatioToFp32, 6);
    }

    [Fact]
    public void Process_memory_reads_the_resident_set_and_a_reset_starts_a_new_peak()
    {
        var before = ProcessMemory.Read();
        Assert.NotNull(before);
        Assert.True(before.ResidentBytes > 0 && before.PeakResidentBytes >= before.ResidentBytes);

        long peakWithTensor;
        using (var big = zeros(64L << 20, dtype: ScalarType.Float32)) // 256 MiB, touched by the fill
        {
            big.fill_(1);
            peakWithTensor = ProcessMemory.Read()!.PeakResidentBytes;
            Assert.True(peakWithTensor >= before.ResidentBytes + (200L << 20), $"peak {peakWithTensor} after a 256 MiB tensor, resident before {before.ResidentBytes}");
        }
        Assert.True(ProcessMemory.ResetPeak());
        var after = ProcessMemory.Read()!;
        Assert.True(after.PeakResidentBytes < peakWithTensor - (100L << 20), $"peak {after.PeakResidentBytes} after the reset, {peakWithTensor} before");
    }

    [Fact]
    public void Lora_targets_are_the_models_linear_layers_with_the_attention_projections_as_defaults()
    {
        var targets = LoraTargets.Of(TestModels.TwoLayer());
        var names = targets.Select(t => t.Name).ToList();

        Assert.Contains("q_proj", names);
        Assert.Contains("kv_b_proj", names);
        Assert.Contains("down_proj", names);
        Assert.DoesNotContain("lm_head", names);
        Assert.Equal(2, targets.Single(t => t.Name == "o_proj").Count);
        Assert.Equal(["q_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj"], LoraTargets.Defaults(targets));
        Assert.False(targets.Single(t => t.Name == "up_proj").InAttention);
    }
}
