using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Generation;
using DeepSeek.Portal.Engine.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Bench;

/// <summary>
/// The engine's training step side by side with a PyTorch eager peer (bench/pytorch/peer_train.py) on the same
/// configs, threads, batch and data shapes, alternating within one run; MFU against the matmul rate at the same thread
/// count measured in the same run; greedy generation with and without the KV cache.
/// </summary>
/// <remarks>
/// Both sides run the trainer's step on random tokens: micro-batches accumulated, loss + balance loss divided by the
/// accumulation, backward, both losses read back (as the trainer does), clip_grad_norm_, AdamW (betas 0.9/0.95,
/// eps 1e-8, weight decay on matrices), zero_grad. The learning-rate schedule, data feeding, progress and
/// checkpoints of the portal's trainer are left out on both sides.
/// </remarks>
internal static class PeerBench
{
    private sealed record Settings(int Steps, int Warmup, int Rounds, int Threads, string[] Sizes, string Python, string Script,
        int GenerationTokens, string[] GenerationSizes, string? OutPath);

    /// <summary>The trainer's defaults (TrainingOptions): micro-batch 8 × accumulation 4 × 64 tokens.</summary>
    private const int MicroBatch = 8, Accumulation = 4, SequenceLength = 64, VocabSize = 2048, Seed = 42;
    private const double LearningRate = 3e-3, WeightDecay = 0.01, MaxGradNorm = 1.0;

    /// <summary>The demo model, and the same layout at hidden 512 with 8 layers.</summary>
    public static DeepSeekConfig ConfigFor(string size) => size switch
    {
        "demo" => DeepSeekConfig.Tiny(VocabSize),
        "large" => DeepSeekConfig.Tiny(VocabSize) with
        {
            HiddenSize = 512,
            IntermediateSize = 1024,
            NumHiddenLayers = 8,
            NumAttentionHeads = 8,
            KvLoraRank = 128,
            QkNopeHeadDim = 32,
            QkRopeHeadDim = 32,
            VHeadDim = 64,
            MoeIntermediateSize = 256,
        },
        _ => throw new ArgumentException($"Unknown size '{size}' (demo or large)."),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var s = Parse(args);
        Environment.SetEnvironmentVariable(EngineDevice.ThreadsVariable, s.Threads.ToString(CultureInfo.InvariantCulture));
        var device = EngineDevice.Current;
        if (device.Threads != s.Threads) throw new InvalidOperationException($"The engine took {device.Threads} threads, not {s.Threads}.");
        var report = new JsonObject
        {
            ["started_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["device"] = device.Description,
            ["threads"] = s.Threads,
            ["load_average_before"] = LoadAverage(),
            ["micro_batch"] = MicroBatch, ["accumulation"] = Accumulation, ["sequence_length"] = SequenceLength,
            ["steps_per_attempt"] = s.Steps, ["warmup_steps"] = s.Warmup, ["rounds"] = s.Rounds,
        };
        Console.WriteLine($"# Engine vs PyTorch eager — {device.Description}, {s.Threads} thread(s), load {LoadAverage()}");
        var total = Stopwatch.StartNew();

        var matmul = new List<MatmulResult>(MatmulBench.Run([512, 1024, 2048], s.Threads));
        var engineSteps = s.Sizes.ToDictionary(z => z, _ => new List<double>());
        var peerSteps = s.Sizes.ToDictionary(z => z, _ => new List<double>());
        var peerMatmul = new List<double>();
        // Per step: forward, backward (both summed over the micro-batches), clip + AdamW + zero_grad.
        var enginePhases = s.Sizes.ToDictionary(z => z, _ => new List<double[]>());
        var peerPhases = s.Sizes.ToDictionary(z => z, _ => new List<double[]>());
        var counts = new Dictionary<string, (long Engine, long Peer)>();
        string peerVersion = "";
        for (int round = 0; round < s.Rounds; round++)
        {
            foreach (var size in s.Sizes)
            {
                var config = ConfigFor(size);
                // Alternate which side goes first so a burst of other load does not always land on the same side.
                bool engineFirst = round % 2 == 0;
                for (int side = 0; side < 2; side++)
                {
                    if ((side == 0) == engineFirst)
                    {
                        var (times, phases, parameters, losses) = TrainEngine(config, s.Steps, s.Warmup);
                        engineSteps[size].AddRange(times);
                        enginePhases[size].AddRange(phases);
                        counts[size] = (parameters, counts.GetValueOrDefault(size).Peer);
                        // The peer measures its matmul after its run; so does the engine, so the two BLAS rates are paired.
                        matmul.AddRange(MatmulBench.Run([1024], s.Threads).Where(m => m.Precision == "fp32"));
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  round {round + 1} {size,-5} engine  median {Median(times) * 1000,8:F1} ms/step  loss {losses[0]:F3} → {losses[^1]:F3}  load {LoadAverage()}"));
                    }
                    else
                    {
                        var peer = await TrainPeerAsync(s, config);
                        var times = peer["step_seconds"]!.AsArray().Select(t => t!.GetValue<double>()).ToList();
                        var losses = peer["losses"]!.AsArray().Select(t => t!.GetValue<double>()).ToList();
                        peerSteps[size].AddRange(times);
                        peerPhases[size].AddRange(peer["phase_seconds"]!.AsArray().Select(p => p!.AsArray().Select(t => t!.GetValue<double>()).ToArray()));
                        peerMatmul.Add(peer["matmul_gflops_1024"]!.GetValue<double>());
                        peerVersion = peer["torch_version"]!.GetValue<string>();
                        counts[size] = (counts.GetValueOrDefault(size).Engine, peer["parameter_count"]!.GetValue<long>());
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  round {round + 1} {size,-5} pytorch median {Median(times) * 1000,8:F1} ms/step  loss {losses[0]:F3} → {losses[^1]:F3}  load {LoadAverage()}"));
                    }
                }
                if (counts[size].Engine != counts[size].Peer)
                    throw new InvalidOperationException($"Parameter counts differ for {size}: engine {counts[size].Engine:N0}, PyTorch {counts[size].Peer:N0}. The peer does not mirror the engine.");
            }
        }
        matmul.AddRange(MatmulBench.Run([512, 1024, 2048], s.Threads));
        double roofline = matmul.Where(m => m.Precision == "fp32").Max(m => m.GflopsPerSecond);

        var sizes = new JsonArray();
        var table = new StringBuilder();
        table.AppendLine("| size | params (engine = PyTorch) | FLOPs/token | engine ms/step | PyTorch ms/step | engine tok/s | PyTorch tok/s | engine / PyTorch speed | engine MFU | PyTorch MFU |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var size in s.Sizes)
        {
            var config = ConfigFor(size);
            double flopsPerToken = ModelFlops.TrainingFlopsPerToken(config, SequenceLength);
            double tokensPerStep = MicroBatch * Accumulation * SequenceLength;
            double engineMedian = Median(engineSteps[size]), peerMedian = Median(peerSteps[size]);
            double engineMfu = flopsPerToken * tokensPerStep / engineMedian / (roofline * 1e9);
            double peerMfu = flopsPerToken * tokensPerStep / peerMedian / (roofline * 1e9);
            sizes.Add(new JsonObject
            {
                ["size"] = size,
                ["config"] = JsonNode.Parse(config.ToJson()),
                ["engine_parameter_count"] = counts[size].Engine,
                ["pytorch_parameter_count"] = counts[size].Peer,
                ["training_flops_per_token"] = flopsPerToken,
                ["engine_step_seconds"] = new JsonArray(engineSteps[size].Select(t => (JsonNode)t).ToArray()),
                ["pytorch_step_seconds"] = new JsonArray(peerSteps[size].Select(t => (JsonNode)t).ToArray()),
                ["engine_median_step_seconds"] = engineMedian,
                ["pytorch_median_step_seconds"] = peerMedian,
                ["engine_tokens_per_second"] = tokensPerStep / engineMedian,
                ["pytorch_tokens_per_second"] = tokensPerStep / peerMedian,
                ["engine_over_pytorch_speed"] = peerMedian / engineMedian,
                ["engine_median_phase_seconds"] = PhaseMedians(enginePhases[size]),
                ["pytorch_median_phase_seconds"] = PhaseMedians(peerPhases[size]),
                ["engine_mfu"] = engineMfu,
                ["pytorch_mfu"] = peerMfu,
            });
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {size} | {counts[size].Engine:N0} | {flopsPerToken / 1e6:F1} M | {engineMedian * 1000:F1} | {peerMedian * 1000:F1} | {tokensPerStep / engineMedian:N0} | {tokensPerStep / peerMedian:N0} | {peerMedian / engineMedian:F2}× | {engineMfu:P1} | {peerMfu:P1} |"));
        }
        report["engine_matmul"] = JsonSerializer.SerializeToNode(matmul);
        report["engine_fp32_matmul_roofline_gflops"] = roofline;
        report["pytorch_version"] = peerVersion;
        report["pytorch_matmul_gflops_1024"] = new JsonArray(peerMatmul.Select(g => (JsonNode)g).ToArray());
        report["sizes"] = sizes;

        Console.WriteLine();
        Console.WriteLine(MatmulBench.Markdown(matmul));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Roofline (engine fp32 matmul, {s.Threads} thread(s), best of the run): {roofline:F0} GFLOP/s; PyTorch {peerVersion} matmul n=1024 in its own process: {string.Join(", ", peerMatmul.Select(g => g.ToString("F0", CultureInfo.InvariantCulture)))} GFLOP/s"));
        Console.WriteLine();
        Console.Write(table);
        Console.WriteLine();
        Console.WriteLine("| size | side | forward (ms/step) | backward (ms/step) | clip + AdamW + zero_grad (ms/step) |");
        Console.WriteLine("|---|---|---:|---:|---:|");
        foreach (var size in s.Sizes)
        {
            foreach (var (side, phases) in new[] { ("engine", enginePhases[size]), ("PyTorch", peerPhases[size]) })
            {
                var m = PhaseMedians(phases).Select(p => p!.GetValue<double>() * 1000).ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {size} | {side} | {m[0]:F1} | {m[1]:F1} | {m[2]:F1} |"));
            }
        }

        if (s.GenerationTokens > 0)
        {
            var generations = new JsonArray();
            foreach (var size in s.GenerationSizes)
            {
                var generation = await GenerateAsync(ConfigFor(size), s.GenerationTokens);
                generation["size"] = size;
                generations.Add(generation);
                Console.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Generation, {size} model (random weights), greedy, prompt {generation["prompt_tokens"]} + {s.GenerationTokens} new tokens, batch 1: " +
                    $"with KV cache {generation["with_cache_tokens_per_second"]!.GetValue<double>():F0} tok/s, without {generation["without_cache_tokens_per_second"]!.GetValue<double>():F0} tok/s " +
                    $"({generation["cache_speedup"]!.GetValue<double>():F1}×); same tokens: {generation["same_tokens"]}; load {LoadAverage()}"));
            }
            report["generation"] = generations;
        }

        report["load_average_after"] = LoadAverage();
        report["total_seconds"] = total.Elapsed.TotalSeconds;
        var outPath = s.OutPath ?? Path.Combine("bench", "results", $"peer-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        File.WriteAllText(outPath, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Load average after: {LoadAverage()}. Wrote {outPath} ({total.Elapsed.TotalSeconds:F0} s in total)."));
        return 0;
    }

    /// <summary>The trainer's step (see remarks) on random tokens; returns the step times after warm-up, the parameter count and the losses.</summary>
    private static (List<double> Times, List<double[]> Phases, long Parameters, List<double> Losses) TrainEngine(DeepSeekConfig config, int steps, int warmup)
    {
        var device = EngineDevice.Device;
        using var model = CausalLM.Create(config);
        using (var generator = new Generator(Seed)) model.InitializeWeights(generator);
        model.to(device);
        // The trainer's optimiser (FlatAdamW through TrainingOptimizer: decay on matrices, clipping, set-to-none zero_grad).
        using var optimizer = new DeepSeek.Portal.Engine.Training.TrainingOptimizer(model, new DeepSeek.Portal.Engine.Training.TrainingOptions
        {
            LearningRate = LearningRate, WeightDecay = WeightDecay, MaxGradNorm = MaxGradNorm,
        });
        optimizer.AdamW.LearningRate = LearningRate;

        var random = new Random(Seed);
        var pool = Enumerable.Range(0, 8 * Accumulation).Select(_ =>
            Enumerable.Range(0, MicroBatch * (SequenceLength + 1)).Select(_ => (long)random.Next(VocabSize)).ToArray()).ToArray();
        var inputs = new long[MicroBatch * SequenceLength];
        var labels = new long[MicroBatch * SequenceLength];
        var times = new List<double>();
        var phases = new List<double[]>();
        var losses = new List<double>();
        model.train();
        for (int step = 0; step < warmup + steps; step++)
        {
            var clock = Stopwatch.StartNew();
            double lossSum = 0, forward = 0, backward = 0;
            using (NewDisposeScope())
            {
                for (int micro = 0; micro < Accumulation; micro++)
                {
                    using var microScope = NewDisposeScope(); // as the trainer: activations die with their micro-batch
                    var rows = pool[(step * Accumulation + micro) % pool.Length];
                    for (int r = 0; r < MicroBatch; r++)
                    {
                        Array.Copy(rows, r * (SequenceLength + 1), inputs, r * SequenceLength, SequenceLength);
                        Array.Copy(rows, r * (SequenceLength + 1) + 1, labels, r * SequenceLength, SequenceLength);
                    }
                    var x = tensor(inputs, [MicroBatch, SequenceLength], device: device);
                    var y = tensor(labels, [MicroBatch, SequenceLength], device: device);
                    double f = clock.Elapsed.TotalSeconds;
                    var result = model.Forward(x, y);
                    var lossTotal = result.AuxLoss is null ? result.Loss! : result.Loss! + result.AuxLoss;
                    double k = clock.Elapsed.TotalSeconds;
                    (lossTotal / Accumulation).backward();
                    lossSum += result.Loss!.item<float>();
                    if (result.AuxLoss is not null) result.AuxLoss.item<float>();
                    forward += k - f;
                    backward += clock.Elapsed.TotalSeconds - k;
                }
                double o = clock.Elapsed.TotalSeconds;
                optimizer.Step();
                if (step >= warmup) phases.Add([forward, backward, clock.Elapsed.TotalSeconds - o]);
            }
            if (step >= warmup) times.Add(clock.Elapsed.TotalSeconds);
            losses.Add(lossSum / Accumulation);
        }
        return (times, phases, model.ParameterCount(), losses);
    }

    private static async Task<JsonNode> TrainPeerAsync(Settings s, DeepSeekConfig config)
    {
        var run = new JsonObject
        {
            ["config"] = JsonNode.Parse(config.ToJson()),
            ["threads"] = s.Threads, ["seed"] = Seed, ["steps"] = s.Steps, ["warmup"] = s.Warmup,
            ["micro_batch"] = MicroBatch, ["seq"] = SequenceLength, ["accumulation"] = Accumulation,
            ["learning_rate"] = LearningRate, ["weight_decay"] = WeightDecay, ["max_grad_norm"] = MaxGradNorm,
        };
        var start = new ProcessStartInfo(s.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(s.Script);
        start.ArgumentList.Add(run.ToJsonString());
        string threads = s.Threads.ToString(CultureInfo.InvariantCulture);
        start.Environment["OMP_NUM_THREADS"] = threads;
        start.Environment["OPENBLAS_NUM_THREADS"] = threads;
        // shared/FACTS.md: Debian's default libblas.so.3 is the reference BLAS; OpenBLAS (OpenMP build) for the peer
        // process alone, with the core type it misdetects on this CPU.
        const string openBlas = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
        if (Directory.Exists(openBlas)) start.Environment["LD_LIBRARY_PATH"] = openBlas;
        start.Environment["OPENBLAS_CORETYPE"] = "SkylakeX";
        start.Environment.Remove(EngineDevice.ThreadsVariable);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {s.Python}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{s.Python} {s.Script} failed ({process.ExitCode}): {await stderr}");
        return JsonNode.Parse((await stdout).Trim().Split('\n')[^1])!;
    }

    /// <summary>Greedy decoding of the demo model: <see cref="SequenceGenerator"/> over the KV cache, then the full prefix re-run every token.</summary>
    private static async Task<JsonObject> GenerateAsync(DeepSeekConfig config, int newTokens)
    {
        var device = EngineDevice.Device;
        using var model = CausalLM.Create(config);
        using (var generator = new Generator(Seed)) model.InitializeWeights(generator);
        model.to(device);
        model.eval();
        var random = new Random(Seed);
        long[] prompt = Enumerable.Range(0, 8).Select(_ => (long)random.Next(VocabSize)).ToArray();
        var options = new SamplingOptions { MaxNewTokens = newTokens, Temperature = 0 };

        var generatorRun = new SequenceGenerator(model);
        await generatorRun.GenerateAsync([prompt], options with { MaxNewTokens = 8 }); // warm-up
        var clock = Stopwatch.StartNew();
        var cached = (await generatorRun.GenerateAsync([prompt], options))[0].TokenIds;
        double withCache = clock.Elapsed.TotalSeconds;

        var tokens = prompt.ToList();
        clock.Restart();
        for (int i = 0; i < newTokens; i++)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var logits = model.Forward(tensor(tokens.ToArray(), [1, tokens.Count], device: device), null).Logits;
            var last = logits.select(1, -1).cpu().data<float>().ToArray(); // the same host copy the generator makes
            int best = 0;
            for (int v = 1; v < last.Length; v++) if (last[v] > last[best]) best = v;
            tokens.Add(best);
        }
        double withoutCache = clock.Elapsed.TotalSeconds;
        var uncached = tokens.Skip(prompt.Length).ToList();
        int agree = cached.Zip(uncached).TakeWhile(p => p.First == p.Second).Count();
        return new JsonObject
        {
            ["prompt_tokens"] = prompt.Length,
            ["new_tokens"] = newTokens,
            ["with_cache_seconds"] = withCache,
            ["without_cache_seconds"] = withoutCache,
            ["with_cache_tokens_per_second"] = newTokens / withCache,
            ["without_cache_tokens_per_second"] = newTokens / withoutCache,
            ["cache_speedup"] = withoutCache / withCache,
            ["same_tokens"] = agree == newTokens,
            ["tokens_agreeing_before_first_difference"] = agree,
        };
    }

    private static JsonArray PhaseMedians(List<double[]> phases) =>
        new(Enumerable.Range(0, 3).Select(i => (JsonNode)Median(phases.Select(p => p[i]).ToList())).ToArray());

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    private static Settings Parse(string[] args)
    {
        int steps = 20, warmup = 2, rounds = 2, threads = 1, generation = 256;
        string[] sizes = ["demo", "large"], generationSizes = ["demo"];
        string python = "/usr/bin/python3", script = Path.Combine("bench", "pytorch", "peer_train.py");
        string? outPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--steps": steps = Int(); break;
                case "--warmup": warmup = Int(); break;
                case "--rounds": rounds = Int(); break;
                case "--threads": threads = Int(); break;
                case "--sizes": sizes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--python": python = Value(); break;
                case "--script": script = Value(); break;
                case "--generate": generation = Int(); break;
                case "--generate-sizes": generationSizes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--out": outPath = Value(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: peer [--steps N] [--warmup N] [--rounds N] [--threads N] [--sizes demo,large] [--generate N] [--generate-sizes demo,large] [--python path] [--script path] [--out path.json]");
            }
        }
        foreach (var size in sizes.Concat(generationSizes)) ConfigFor(size);
        if (rounds == 0) sizes = []; // the matmul rates (and generation) alone
        return new Settings(steps, warmup, rounds, threads, sizes, python, script, generation, generationSizes, outPath);
    }
}
