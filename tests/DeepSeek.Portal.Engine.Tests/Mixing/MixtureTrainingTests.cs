using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Engine.Training.Mixing;

namespace DeepSeek.Portal.Engine.Tests.Mixing;

public class MixtureTrainingTests
{
    private static TrainingRequest MixtureRequest(string output, int steps, MixturePolicy policy, double chineseWeight = 1, double englishWeight = 1)
    {
        var texts = DemoCorpus.Generate(300, 11);
        bool IsChinese(string t) => t.Any(c => c is >= '\u4e00' and <= '\u9fff');
        var mixture = new TrainingMixture(
            [
                new MixtureSource("zh", texts.Where(IsChinese).ToArray(), chineseWeight),
                new MixtureSource("en", texts.Where(t => !IsChinese(t)).ToArray(), englishWeight),
            ],
            policy)
        { FeederLearningRate = 0.1 };
        return TestModels.QuickRequest(output, steps, trainTexts: 300) with { TrainTexts = [], Mixture = mixture };
    }

    private static async Task<(TrainingOutcome Outcome, List<TrainingProgress> Progress)> Train(TrainingRequest request, int? cancelAfter = null)
    {
        using var cts = new CancellationTokenSource();
        var progress = new List<TrainingProgress>();
        var outcome = await Trainer.RunAsync(request, p =>
        {
            progress.Add(p);
            if (p.Step == cancelAfter) cts.Cancel();
        }, cts.Token);
        return (outcome, progress);
    }

    [Fact]
    public async Task A_dynamic_mixture_run_reports_each_sources_weight_probability_and_loss()
    {
        using var dir = new TempDirectory();
        var request = MixtureRequest(dir.Path, 10, MixturePolicy.Dynamic);
        var (outcome, progress) = await Train(request);

        Assert.Equal(10, outcome.StepsCompleted);
        Assert.NotNull(outcome.HeldOutLoss);
        Assert.All(progress, p =>
        {
            Assert.Equal(["zh", "en"], p.Sources!.Select(s => s.Name));
            Assert.Equal(1.0, p.Sources!.Sum(s => s.Probability), 12);
            Assert.Equal(request.Options.EffectiveBatchSize, p.Sources!.Sum(s => s.Sequences));
            Assert.All(p.Sources!, s => Assert.InRange(s.Weight, DynamicFeeder.MinWeight, DynamicFeeder.MaxWeight));
            Assert.All(p.Sources!, s => Assert.Equal(s.Sequences > 0, s.Loss is double l && double.IsFinite(l)));
        });
        // Losses fall early on, so after the first step (which only sets baselines) the weights move.
        Assert.Equal([1.0, 1.0], progress[0].Sources!.Select(s => s.Weight));
        Assert.Contains(progress, p => p.Sources!.Any(s => s.Weight != 1.0));
    }

    [Fact]
    public async Task A_static_mixture_never_draws_a_source_of_weight_zero()
    {
        using var dir = new TempDirectory();
        var (_, progress) = await Train(MixtureRequest(dir.Path, 3, MixturePolicy.Static, chineseWeight: 0));
        Assert.All(progress, p =>
        {
            Assert.Equal(0, p.Sources![0].Sequences);
            Assert.Null(p.Sources![0].Loss);
            Assert.Equal([0.0, 1.0], p.Sources!.Select(s => s.Probability));
        });
    }

    [Fact]
    public async Task A_killed_and_resumed_dynamic_mixture_run_continues_exactly_like_an_uninterrupted_one()
    {
        const int total = 12, stopAfter = 7;
        using var interrupted = new TempDirectory();
        using var straight = new TempDirectory();
        var request = MixtureRequest(interrupted.Path, total, MixturePolicy.Dynamic);
        request = request with { Options = request.Options with { CheckpointEvery = 5 } };

        var (cancelled, _) = await Train(request, cancelAfter: stopAfter);
        Assert.True(cancelled.Cancelled);
        Assert.Equal(stopAfter, cancelled.StepsCompleted);
        var (resumed, after) = await Train(request);
        Assert.Equal(total, resumed.StepsCompleted);
        Assert.Equal(Enumerable.Range(stopAfter + 1, total - stopAfter), after.Select(p => p.Step));

        var (_, reference) = await Train(request with { OutputDirectory = straight.Path });
        var expected = reference.Skip(stopAfter).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            // The same sources drew the same sequences, and the feeder's weights took the same path.
            Assert.Equal(expected[i].Sources!.Select(s => s.Sequences), after[i].Sources!.Select(s => s.Sequences));
            Assert.Equal(expected[i].Sources!.Select(s => s.Weight), after[i].Sources!.Select(s => s.Weight));
            Assert.Equal(expected[i].Loss, after[i].Loss, 1e-5);
        }
        Assert.Equal(reference[^1].Sources!.Select(s => s.Probability), after[^1].Sources!.Select(s => s.Probability));
    }

    [Fact]
    public async Task Held_out_evaluation_during_training_is_reported_and_leaves_the_trajectory_alone()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var request = MixtureRequest(a.Path, 6, MixturePolicy.Dynamic);
        var (_, plain) = await Train(request);
        var (outcome, evaluated) = await Train(request with { OutputDirectory = b.Path, EvaluateHeldOutEvery = 3 });

        Assert.Equal(plain.Select(p => p.Loss), evaluated.Select(p => p.Loss));
        Assert.Equal([3, 6], evaluated.Where(p => p.HeldOutLoss is not null).Select(p => p.Step));
        Assert.Equal(outcome.HeldOutLoss!.Value, evaluated[^1].HeldOutLoss!.Value, 12);
        Assert.All(plain, p => Assert.Null(p.HeldOutLoss));
    }

    [Fact]
    public void A_mixture_with_training_texts_or_without_usable_sources_is_refused()
    {
        using var dir = new TempDirectory();
        var request = MixtureRequest(dir.Path, 1, MixturePolicy.Dynamic);
        Assert.Throws<ArgumentException>(() => { _ = Trainer.RunAsync(request with { TrainTexts = ["x"] }, _ => { }, CancellationToken.None); });
        var empty = request.Mixture! with { Sources = [new MixtureSource("a", [" "]), new MixtureSource("a", ["text"], -1)] };
        var error = Assert.Throws<ArgumentException>(() => { _ = Trainer.RunAsync(request with { Mixture = empty }, _ => { }, CancellationToken.None); });
        Assert.Contains("no non-empty text", error.Message);
        Assert.Contains("appears twice", error.Message);
        Assert.Contains("weight must be", error.Message);
    }
}
