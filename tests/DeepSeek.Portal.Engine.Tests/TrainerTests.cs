using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Engine.Tests;

/// <summary>One 50-step run shared by the tests that only inspect its results.</summary>
public sealed class FiftyStepRun : IDisposable
{
    public const int Steps = 50;

    public FiftyStepRun()
    {
        var progress = new List<TrainingProgress>();
        Outcome = Trainer.RunAsync(TestModels.QuickRequest(Directory.Path, Steps), progress.Add, CancellationToken.None).GetAwaiter().GetResult();
        Progress = progress;
    }

    internal TempDirectory Directory { get; } = new();

    public IReadOnlyList<TrainingProgress> Progress { get; }

    public TrainingOutcome Outcome { get; }

    public void Dispose() => Directory.Dispose();
}

public class TrainerTests(FiftyStepRun run) : IClassFixture<FiftyStepRun>
{
    private static async Task<(TrainingOutcome Outcome, List<TrainingProgress> Progress)> Train(TrainingRequest request, Action<TrainingProgress, CancellationTokenSource>? spy = null)
    {
        using var cts = new CancellationTokenSource();
        var progress = new List<TrainingProgress>();
        var outcome = await Trainer.RunAsync(request, p =>
        {
            progress.Add(p);
            spy?.Invoke(p, cts);
        }, cts.Token);
        return (outcome, progress);
    }

    [Fact]
    public void Loss_falls_over_fifty_steps()
    {
        Assert.Equal(Enumerable.Range(1, FiftyStepRun.Steps), run.Progress.Select(p => p.Step));
        double first = run.Progress.Take(5).Average(p => p.Loss);
        double last = run.Progress.TakeLast(5).Average(p => p.Loss);
        Assert.True(last < 0.7 * first, $"first-5 mean {first:F3}, last-5 mean {last:F3}");
        Assert.All(run.Progress, p => Assert.True(double.IsFinite(p.GradNorm) && p.GradNorm > 0));
        Assert.All(run.Progress, p => Assert.True(p.TokensPerSecond > 0));
    }

    [Fact]
    public void Progress_and_outcome_report_the_processs_resident_memory_and_its_peak()
    {
        Assert.All(run.Progress, p => Assert.True(p.ResidentBytes > 0 && p.PeakResidentBytes >= p.ResidentBytes, $"step {p.Step}: {p.ResidentBytes} / {p.PeakResidentBytes}"));
        // The run's peak never falls from step to step, and the outcome's covers every step's.
        Assert.All(run.Progress.Zip(run.Progress.Skip(1)), pair => Assert.True(pair.Second.PeakResidentBytes >= pair.First.PeakResidentBytes));
        Assert.True(run.Outcome.PeakResidentBytes >= run.Progress[^1].PeakResidentBytes);
    }

    [Fact]
    public void Progress_follows_the_warmup_then_cosine_schedule()
    {
        var options = TestModels.QuickOptions(FiftyStepRun.Steps);
        Assert.All(run.Progress, p => Assert.Equal(LearningRateSchedule.At(p.Step, options), p.LearningRate, 12));
        Assert.Equal(100.0, run.Progress[^1].Percent);
        Assert.Equal(TimeSpan.Zero, run.Progress[^1].Eta);
    }

    [Fact]
    public void Held_out_perplexity_is_exp_of_the_finite_held_out_loss()
    {
        var outcome = run.Outcome;
        Assert.False(outcome.Cancelled);
        Assert.Equal(FiftyStepRun.Steps, outcome.StepsCompleted);
        Assert.NotNull(outcome.HeldOutLoss);
        Assert.True(double.IsFinite(outcome.HeldOutLoss!.Value));
        Assert.Equal(Math.Exp(outcome.HeldOutLoss.Value), outcome.HeldOutPerplexity!.Value, 1e-9);
        Assert.True(outcome.HeldOutPerplexity < 1000);
        Assert.True(outcome.ParameterCount > 0);
        Assert.True(outcome.ModelFlopsPerToken > 6.0 * 1000);
        Assert.StartsWith("CPU", outcome.Device);
    }

    [Fact]
    public void Final_checkpoint_holds_loadable_hugging_face_files()
    {
        var dir = run.Outcome.CheckpointDirectory!;
        Assert.Equal("checkpoint-000050", Path.GetFileName(dir));
        foreach (var file in new[] { "model.safetensors", "optimizer.safetensors", "config.json", "tokenizer.json", "trainer_state.json" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);

        var config = DeepSeekConfig.FromJson(File.ReadAllText(Path.Combine(dir, "config.json")));
        var tokenizer = Tokenizer.Load(Path.Combine(dir, "tokenizer.json"));
        Assert.Equal(tokenizer.VocabSize, config.VocabSize);
        using var model = new DeepSeekForCausalLM(config);
        var metadata = SafeTensors.LoadModule(model, Path.Combine(dir, "model.safetensors"));
        Assert.Equal("50", metadata["step"]);
        Assert.True(File.Exists(Path.Combine(run.Directory.Path, "tokenizer.json")));
        // CheckpointEvery = 25 → checkpoint-000025 kept as the older of two.
        Assert.True(Directory.Exists(Path.Combine(run.Directory.Path, "checkpoint-000025")));
    }

    [Fact]
    public async Task Same_seed_gives_identical_losses()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var first = await Train(TestModels.QuickRequest(a.Path, 8, trainTexts: 300));
        var second = await Train(TestModels.QuickRequest(b.Path, 8, trainTexts: 300));
        Assert.Equal(first.Progress.Select(p => p.Loss), second.Progress.Select(p => p.Loss));
        Assert.Equal(first.Outcome.HeldOutLoss, second.Outcome.HeldOutLoss);
    }

    [Fact]
    public async Task Cancellation_returns_a_readable_checkpoint_and_resume_reaches_the_requested_steps_exactly()
    {
        const int total = 12, stopAfter = 7;
        using var interrupted = new TempDirectory();
        using var straight = new TempDirectory();
        var request = TestModels.QuickRequest(interrupted.Path, total, trainTexts: 300) with { };
        request = request with { Options = request.Options with { CheckpointEvery = 5 } };

        var (cancelled, before) = await Train(request, (p, cts) => { if (p.Step == stopAfter) cts.Cancel(); });
        Assert.True(cancelled.Cancelled);
        Assert.Equal(stopAfter, cancelled.StepsCompleted);
        Assert.Null(cancelled.HeldOutLoss);
        Assert.Equal(stopAfter, before[^1].Step);
        Assert.Equal("checkpoint-000007", Path.GetFileName(cancelled.CheckpointDirectory));
        using (TorchSharp.torch.NewDisposeScope())
        {
            var tensors = SafeTensors.Load(Path.Combine(cancelled.CheckpointDirectory!, "model.safetensors"));
            Assert.Contains("lm_head.weight", tensors.Keys);
            Assert.Contains("model.layers.1.mlp.experts.0.gate_proj.weight", tensors.Keys);
        }

        var (resumed, after) = await Train(request);
        Assert.False(resumed.Cancelled);
        Assert.Equal(total, resumed.StepsCompleted);
        Assert.Equal(Enumerable.Range(stopAfter + 1, total - stopAfter), after.Select(p => p.Step));
        Assert.NotNull(resumed.HeldOutLoss);

        // Weights, AdamW moments and data position all came back: the resumed steps match an uninterrupted run.
        var (_, reference) = await Train(request with { OutputDirectory = straight.Path });
        var expected = reference.Skip(stopAfter).Select(p => p.Loss).ToArray();
        var actual = after.Select(p => p.Loss).ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task A_run_that_lost_its_last_steps_resumes_from_an_earlier_checkpoint_and_redoes_them_exactly()
    {
        // A killed process writes no final checkpoint: the steps after the last periodic one are done again.
        const int total = 16, stopAfter = 13, checkpointEvery = 5;
        using var interrupted = new TempDirectory();
        using var straight = new TempDirectory();
        var request = TestModels.QuickRequest(interrupted.Path, total, trainTexts: 300);
        request = request with { Options = request.Options with { CheckpointEvery = checkpointEvery } };

        var (cancelled, _) = await Train(request, (p, cts) => { if (p.Step == stopAfter) cts.Cancel(); });
        Directory.Delete(cancelled.CheckpointDirectory!, recursive: true); // as if killed before it was written
        var (_, after) = await Train(request);
        Assert.Equal(Enumerable.Range(11, total - 10), after.Select(p => p.Step));

        var (_, reference) = await Train(request with { OutputDirectory = straight.Path });
        Assert.Equal(reference.Skip(10).Select(p => p.Loss), after.Select(p => p.Loss));
    }

    [Fact]
    public async Task A_checkpoint_of_a_different_run_is_not_resumed()
    {
        using var dir = new TempDirectory();
        await Train(TestModels.QuickRequest(dir.Path, 2, trainTexts: 200));
        var different = TestModels.QuickRequest(dir.Path, 3, trainTexts: 200);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Train(different));
    }

    [Fact]
    public async Task Bf16_precision_trains_with_finite_falling_loss()
    {
        using var dir = new TempDirectory();
        var request = TestModels.QuickRequest(dir.Path, 20, trainTexts: 300);
        request = request with { Options = request.Options with { Precision = TrainingPrecision.Bf16 } };
        var (outcome, progress) = await Train(request);
        Assert.Equal(20, outcome.StepsCompleted);
        Assert.All(progress, p => Assert.True(double.IsFinite(p.Loss)));
        Assert.True(progress.TakeLast(3).Average(p => p.Loss) < progress.Take(3).Average(p => p.Loss));
    }

    [Fact]
    public async Task Fp16_overflows_from_a_too_large_scale_are_skipped_and_the_scale_follows_grad_scaler_rules()
    {
        using var dir = new TempDirectory();
        var request = TestModels.QuickRequest(dir.Path, 16, trainTexts: 200);
        // 2^26 × a loss of ~6 overflows fp16 activation gradients: the first steps must be skipped until it fits.
        request = request with { Options = request.Options with { Precision = TrainingPrecision.Fp16, InitialLossScale = Math.Pow(2, 26), LossScaleGrowthInterval = 3 } };
        var (outcome, progress) = await Train(request);
        Assert.Equal(16, outcome.StepsCompleted);
        Assert.True(progress[0].StepSkipped);
        Assert.Contains(progress, p => !p.StepSkipped);

        double scale = Math.Pow(2, 26);
        int good = 0;
        foreach (var p in progress)
        {
            if (p.StepSkipped) { scale /= 2; good = 0; }
            else if (++good == 3) { scale *= 2; good = 0; }
            Assert.Equal(scale, p.LossScale);
            Assert.True(double.IsFinite(p.Loss));
        }
        var state = File.ReadAllText(Path.Combine(outcome.CheckpointDirectory!, "trainer_state.json"));
        Assert.Contains("\"loss_scaler\"", state);
        Assert.Contains($"\"scale\": {scale}", state);
    }

    [Fact]
    public async Task Progress_is_reported_on_a_dedicated_thread_not_the_thread_pool()
    {
        using var dir = new TempDirectory();
        bool? onPool = null;
        await Trainer.RunAsync(TestModels.QuickRequest(dir.Path, 1, trainTexts: 100),
            _ => onPool = Thread.CurrentThread.IsThreadPoolThread, CancellationToken.None);
        Assert.False(onPool);
    }
}
