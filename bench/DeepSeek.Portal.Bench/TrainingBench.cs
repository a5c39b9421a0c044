using DeepSeek.Portal.Feeding.Splitting;
using DeepSeek.Portal.Feeding.Demo;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Bench;

/// <summary>The portal's demo run: default options, the tiny DeepSeek model, generated bilingual banking texts.</summary>
internal static class TrainingBench
{
    public static async Task<TrainingResult> RunAsync(int steps, string precision)
    {
        var options = new TrainingOptions
        {
            Steps = steps,
            Precision = TrainingPrecisions.TryParse(precision, out var p) ? p : throw new ArgumentException($"Unknown precision {precision}", nameof(precision)),
            WarmupSteps = Math.Min(new TrainingOptions().WarmupSteps, steps),
        };
        // The portal's demo workspace data and split, so these numbers are the ones a user's demo run gets.
        var (train, heldOut) = HeldOutSplit.Split(DemoDataset.Generate());
        var output = Path.Combine(Path.GetTempPath(), "ds-engine-bench-" + Guid.NewGuid().ToString("N"));
        var progress = new List<(TrainingProgress Progress, double At)>();
        var clock = Stopwatch.StartNew();
        try
        {
            Console.WriteLine($"Training {steps} steps in {precision} …");
            var outcome = await Trainer.RunAsync(new TrainingRequest(options, train, heldOut, output), p =>
            {
                progress.Add((p, clock.Elapsed.TotalSeconds));
                if (p.Step == 1 || p.Step % 25 == 0)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed.TotalSeconds,6:F1} s  step {p.Step,4}  loss {p.Loss:F3}  {p.TokensPerSecond,8:F0} tok/s"));
            }, CancellationToken.None);

            long tokensPerStep = (long)options.EffectiveBatchSize * options.SequenceLength;
            var stepSeconds = progress.Zip(progress.Skip(1), (a, b) => b.At - a.At).Order().ToArray();
            double median = stepSeconds.Length == 0 ? progress[0].At : stepSeconds[stepSeconds.Length / 2];
            var losses = new SortedDictionary<int, double> { [0] = progress[0].Progress.Loss };
            foreach (int s in new[] { 50, 100, 200, steps }.Where(s => s <= steps)) losses[s] = progress[s - 1].Progress.Loss;
            var config = DeepSeek.Portal.Engine.Models.DeepSeekConfig.FromJson(File.ReadAllText(Path.Combine(outcome.CheckpointDirectory!, "config.json")));

            return new TrainingResult
            {
                Precision = precision,
                Steps = outcome.StepsCompleted,
                EffectiveBatchSize = options.EffectiveBatchSize,
                SequenceLength = options.SequenceLength,
                VocabSize = config.VocabSize,
                ParameterCount = outcome.ParameterCount,
                ModelFlopsPerToken = outcome.ModelFlopsPerToken,
                SecondsToFirstProgress = progress[0].At,
                SecondsToLastStep = progress[^1].At,
                MedianStepSeconds = median,
                TokensPerSecond = tokensPerStep / median,
                EngineTokensPerSecond = outcome.TokensPerSecond,
                HeldOutLoss = outcome.HeldOutLoss,
                HeldOutPerplexity = outcome.HeldOutPerplexity,
                LossAtStep = losses,
            };
        }
        finally
        {
            try { Directory.Delete(output, recursive: true); }
            catch (IOException) { }
        }
    }

    public static string Markdown(IReadOnlyList<TrainingResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| run | params | vocab | FLOPs/token | first report (s) | wall to last step (s) | median step (ms) | tokens/s | MFU (all cores) | MFU (engine threads) | loss (step: value) | held-out loss / ppl |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var r in results)
        {
            var losses = string.Join(", ", r.LossAtStep.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}: {kv.Value:F3}")));
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Precision}, {r.Steps} steps × {r.EffectiveBatchSize}×{r.SequenceLength} tok | {r.ParameterCount:N0} | {r.VocabSize} | {r.ModelFlopsPerToken / 1e6:F2} M | {r.SecondsToFirstProgress:F1} | {r.SecondsToLastStep:F1} | {r.MedianStepSeconds * 1000:F0} | {r.TokensPerSecond:F0} | {r.ModelFlopsUtilisation:P1} of {r.MatmulGflopsPerSecond:F0} GFLOP/s | {r.EngineThreadsModelFlopsUtilisation:P1} of {r.EngineThreadsMatmulGflopsPerSecond:F0} GFLOP/s | {losses} | {r.HeldOutLoss:F3} / {r.HeldOutPerplexity:F2} |"));
        }
        return text.ToString();
    }
}
