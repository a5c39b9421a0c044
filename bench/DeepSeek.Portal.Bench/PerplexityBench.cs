using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Bench;

/// <summary>
/// Perplexity evaluation throughput of the built-in engine: the demo model (<see cref="DeepSeekConfig.Tiny"/> at the
/// default 2,048-token vocabulary, random weights — the speed does not depend on them) scored the way the evaluation's
/// <c>EngineTarget.LogLikelihoodAsync</c> scores a reference: batch 1, one no-grad forward pass over the whole sequence,
/// log-softmax in fp32, the continuation tokens' log-probabilities gathered and summed, the greedy check by argmax. All
/// torch work runs on one dedicated thread, as in the target. Optionally the demo training run's tokens/s in the same
/// process for comparison.
/// </summary>
internal static class PerplexityBench
{
    public const string Usage = "eval-ppl [--lengths 32,128,512,2048] [--seconds S per length (default 4)] [--train-steps N (default 30; 0: none)] [--out path.json]";

    public sealed class Row
    {
        public int SequenceLength { get; set; }
        public int Passes { get; set; }
        public double Seconds { get; set; }
        public double MillisecondsPerPass { get; set; }
        public double TokensPerSecond { get; set; }
        public double ForwardGflopsPerSecond { get; set; }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        int[] lengths = [32, 128, 512, 2048];
        double seconds = 4;
        int trainSteps = 30;
        string? outPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value. Usage: {Usage}");
            switch (args[i])
            {
                case "--lengths": lengths = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--train-steps": trainSteps = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--out": outPath = Next(); break;
                default: Console.Error.WriteLine($"Unknown option {args[i]}. Usage: {Usage}"); return 2;
            }
        }

        var device = EngineDevice.Current; // fixes the engine's intra-op thread count before anything else runs
        var config = DeepSeekConfig.Tiny(vocabSize: 2048);
        Console.WriteLine($"# Perplexity evaluation throughput — demo model (DeepSeekConfig.Tiny, vocab {config.VocabSize}), batch 1, {device.Description}");
        Console.WriteLine();
        var rows = EngineDevice.OnShortLivedThread("eval-ppl-bench", () => Measure(config, lengths, seconds));
        Console.WriteLine("| sequence length | passes | s | ms / pass | tokens/s | forward GFLOP/s |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.SequenceLength} | {r.Passes} | {r.Seconds:F2} | {r.MillisecondsPerPass:F2} | {r.TokensPerSecond:N0} | {r.ForwardGflopsPerSecond:F1} |"));

        TrainingResult? training = null;
        if (trainSteps > 0)
        {
            Console.WriteLine();
            training = await TrainingBench.RunAsync(trainSteps, "fp32");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Training, same model and process: {training.TokensPerSecond:N0} tokens/s (median step {training.MedianStepSeconds * 1000:F0} ms, {training.EffectiveBatchSize}×{training.SequenceLength} tokens a step, {trainSteps} steps, fp32)."));
        }
        if (outPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            File.WriteAllText(outPath, JsonSerializer.Serialize(new { device = device.Description, engineThreads = device.Threads, rows, training }, new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }

    private static List<Row> Measure(DeepSeekConfig config, int[] lengths, double seconds)
    {
        manual_seed(1);
        using var model = CausalLM.Create(config);
        model.eval();
        var random = new Random(7);
        var rows = new List<Row>();
        foreach (int length in lengths)
        {
            if (length < 2 || length > config.MaxPositionEmbeddings)
                throw new ArgumentException($"Sequence lengths must be between 2 and {config.MaxPositionEmbeddings} (was {length}).");
            var ids = Enumerable.Range(0, length).Select(_ => (long)random.Next(config.VocabSize)).ToArray();
            // As a reference scored after its prompt: the second half of the sequence is the continuation.
            int continuation = length / 2;
            double Pass()
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var input = tensor(ids, dtype: ScalarType.Int64).reshape(1, length);
                var logits = model.Forward(input, null).Logits[0];
                var logProbs = nn.functional.log_softmax(logits.to(ScalarType.Float32), -1);
                var predicting = logProbs.narrow(0, length - continuation - 1, continuation);
                var targets = tensor(ids[^continuation..], dtype: ScalarType.Int64).unsqueeze(1);
                double sum = predicting.gather(1, targets).squeeze(1).to(ScalarType.Float64).sum().item<double>();
                _ = predicting.argmax(1).data<long>().ToArray();
                return sum;
            }
            for (int i = 0; i < 3; i++) Pass(); // warm-up
            int passes = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds || passes < 3)
            {
                Pass();
                passes++;
            }
            double elapsed = clock.Elapsed.TotalSeconds;
            // Forward only: a third of the training FLOPs per token at this length.
            double forwardFlopsPerToken = ModelFlops.TrainingFlopsPerToken(config, length) / 3;
            rows.Add(new Row
            {
                SequenceLength = length,
                Passes = passes,
                Seconds = elapsed,
                MillisecondsPerPass = elapsed * 1000 / passes,
                TokensPerSecond = (double)passes * length / elapsed,
                ForwardGflopsPerSecond = forwardFlopsPerToken * passes * length / elapsed / 1e9,
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  length {length,5}: {passes,5} passes in {elapsed:F2} s"));
        }
        return rows;
    }
}
