using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Estimates;

namespace DeepSeek.Portal.Bench;

/// <summary>
/// The deployment planner: (1) its response time over the whole catalogue × GPUs × modes × precisions (every valid
/// combination, repeated), and (2) its CPU estimate for this machine — <see cref="GpuCatalogue.Cpu"/> with the
/// machine's memory and a copy bandwidth measured here — against <see cref="DecodeMeasurement"/> of the demo model and
/// two larger tiny configs: resident memory and decode tokens/s, as ratios.
/// </summary>
internal static class PlannerBench
{
    public const string Usage = "planner [--rounds N (default 20)] [--sequences K (default 4)] [--prompt N (default 32)] [--new N (default 32)] [--sizes demo,small,medium] [--out path.json]";

    public sealed record TimingResult(int Plans, int Rounds, double Seconds, double PlansPerSecond, double P50Microseconds, double P99Microseconds, double MaxMicroseconds);

    public sealed record CopyBandwidth(long ArrayBytes, int Repetitions, double BestSeconds, double GBps);

    public sealed record Comparison(
        string Size, long EngineParameters, long PlannerParameters, int Sequences, int ContextTokens,
        double PlannerBytes, double PlannerBytesWithoutOverhead, long? MeasuredWeightsBytes, long? MeasuredPeakGrowthBytes,
        double MemoryRatio, double PlannerTokensPerSecond, double MeasuredTokensPerSecond, double TokensPerSecondRatio,
        double PrefillSeconds, double DecodeSeconds, double DecodeProcessorSeconds, double MeasuredTokensPerProcessorSecond,
        double TokensPerProcessorSecondRatio, string DecodeFormula);

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = 20, sequences = 4, prompt = 32, newTokens = 32;
        string[] sizes = ["demo", "small", "medium"];
        string? outPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value. Usage: {Usage}");
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--sequences": sequences = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--prompt": prompt = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--new": newTokens = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--sizes": sizes = Next().Split(','); break;
                case "--out": outPath = Next(); break;
                default: Console.Error.WriteLine($"Unknown option {args[i]}. Usage: {Usage}"); return 2;
            }
        }

        Console.WriteLine("# Deployment planner bench");
        Console.WriteLine();
        var timing = Timing(rounds);
        Console.WriteLine(I($"Planner: {timing.Plans:N0} valid plans (catalogue × GPUs × modes × precisions × 3 contexts) × {timing.Rounds} rounds in {timing.Seconds:F2} s: {timing.PlansPerSecond:N0} plans/s; per plan p50 {timing.P50Microseconds:F1} µs, p99 {timing.P99Microseconds:F1} µs, max {timing.MaxMicroseconds:F0} µs."));
        Console.WriteLine();

        var device = EngineDevice.Current; // fixes the engine's intra-op thread count before anything else runs
        var copy = MeasureCopy();
        double memoryGB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9;
        var cpu = GpuCatalogue.Cpu(memoryGB, copy.GBps,
            I($"this machine: {memoryGB:F1} GB, single-thread array copy {copy.GBps:F1} GB/s (read + write of {copy.ArrayBytes / 1e6:F0} MB, best of {copy.Repetitions})"));
        Console.WriteLine(I($"CPU device: {device.Description}; {cpu.Source}."));
        Console.WriteLine();

        var comparisons = new List<Comparison>();
        foreach (var size in sizes)
        {
            var config = Config(size);
            var measured = await MeasureInChildAsync(size, sequences, prompt, newTokens, device.Threads);
            var model = ModelCatalogue.FromConfigJson("bench:" + size, size, config.ToJson());
            var plan = Planner.Compute(new PlanRequest(model.Id, Precision.Fp32, prompt + newTokens, sequences, PlanMode.Inference, "cpu", GpuCount: 1), model, cpu);
            double withoutOverhead = plan.TotalBytes - plan.Memory.Single(l => l.Key == "overhead").Bytes;
            comparisons.Add(new Comparison(size, measured.Parameters, model.TotalParameters, sequences, prompt + newTokens,
                plan.TotalBytes, withoutOverhead, measured.WeightsResidentBytes, measured.PeakResidentGrowthBytes,
                measured.PeakResidentGrowthBytes is long peak ? withoutOverhead / peak : double.NaN,
                plan.DecodeTokensPerSecond!.Value, measured.TokensPerSecond, plan.DecodeTokensPerSecond.Value / measured.TokensPerSecond,
                measured.PrefillSeconds, measured.DecodeSeconds, measured.DecodeProcessorSeconds,
                measured.Sequences * (measured.NewTokens - 1) / measured.DecodeProcessorSeconds,
                plan.DecodeTokensPerSecond.Value / (measured.Sequences * (measured.NewTokens - 1) / measured.DecodeProcessorSeconds),
                plan.DecodeFormula!));
        }

        Console.WriteLine(I($"Estimate vs measurement: fp32, {sequences} sequences, {prompt}-token prompts + {newTokens} new tokens, greedy, random weights.") );
        Console.WriteLine();
        Console.WriteLine("| config | params (engine = planner) | planner memory (w/o overhead) | measured weights RSS | measured peak RSS growth | memory est./meas. | planner decode bound tok/s | measured decode tok/s (wall) | bound / measured | measured tok per CPU-s | bound / that |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in comparisons)
            Console.WriteLine(I($"| {c.Size} | {c.EngineParameters:N0} {(c.EngineParameters == c.PlannerParameters ? "=" : "≠ " + c.PlannerParameters.ToString("N0", CultureInfo.InvariantCulture))} | {Planner.Size(c.PlannerBytesWithoutOverhead)} | {Mb(c.MeasuredWeightsBytes)} | {Mb(c.MeasuredPeakGrowthBytes)} | {c.MemoryRatio:F2} | {c.PlannerTokensPerSecond:N0} | {c.MeasuredTokensPerSecond:N0} | {c.TokensPerSecondRatio:F1} | {c.MeasuredTokensPerProcessorSecond:N0} | {c.TokensPerProcessorSecondRatio:F1} |"));

        outPath ??= Path.Combine("bench", "results", $"planner-bench-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        File.WriteAllText(outPath, JsonSerializer.Serialize(new { device = device.Description, engineThreads = device.Threads, timing, copy, cpu, comparisons },
            new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        Console.WriteLine();
        Console.WriteLine($"Wrote {outPath}.");
        return 0;
    }

    /// <summary>
    /// One decode measurement in a fresh process (this program with <c>planner-one</c>): memory freed by an earlier
    /// model stays in the C allocator's heap, so a second model in the same process would reuse it and its resident
    /// growth would read too low.
    /// </summary>
    private static async Task<DecodeMeasurementResult> MeasureInChildAsync(string size, int sequences, int prompt, int newTokens, int threads)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(PlannerBench).Assembly.Location);
        foreach (var a in new[] { "planner-one", size, I($"{sequences}"), I($"{prompt}"), I($"{newTokens}") })
            start.ArgumentList.Add(a);
        start.Environment[EngineDevice.ThreadsVariable] = threads.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"planner-one {size} failed ({process.ExitCode}): {await stderr}\n{await stdout}");
        return JsonSerializer.Deserialize<DecodeMeasurementResult>((await stdout).Trim().Split('\n')[^1])!;
    }

    /// <summary>The child: loads libtorch (the device choice), then measures one config and prints the result as JSON.</summary>
    public static async Task<int> RunOneAsync(string[] args)
    {
        _ = EngineDevice.Current;
        var result = await DecodeMeasurement.MeasureAsync(Config(args[0]),
            int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>Every valid plan of the catalogue (as the planner's test enumerates them), each timed alone, <paramref name="rounds"/> times.</summary>
    private static TimingResult Timing(int rounds)
    {
        var requests = new List<PlanRequest>();
        foreach (var model in ModelCatalogue.All)
        foreach (var gpu in GpuCatalogue.All)
        foreach (var mode in Enum.GetValues<PlanMode>())
        foreach (var precision in Enum.GetValues<Precision>())
        {
            if (mode == PlanMode.QLora && precision != Precision.Int4) continue;
            if (mode is PlanMode.FullFineTune or PlanMode.Lora && precision is Precision.Fp8 or Precision.Int8 or Precision.Int4) continue;
            if (precision == Precision.Fp8 && !gpu.Fp8 && !gpu.Id.StartsWith("a100", StringComparison.Ordinal)) continue;
            foreach (var context in new[] { 1, Math.Min(4096, model.MaxContext), model.MaxContext })
                requests.Add(new PlanRequest(model.Id, precision, context, 4, mode, gpu.Id));
        }
        foreach (var r in requests) Planner.Compute(r); // warm-up (JIT)

        var samples = new double[requests.Count * rounds];
        var total = Stopwatch.StartNew();
        int n = 0;
        for (int round = 0; round < rounds; round++)
        foreach (var r in requests)
        {
            long start = Stopwatch.GetTimestamp();
            Planner.Compute(r);
            samples[n++] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        double seconds = total.Elapsed.TotalSeconds;
        Array.Sort(samples);
        return new TimingResult(requests.Count, rounds, seconds, samples.Length / seconds,
            samples[samples.Length / 2], samples[(int)(samples.Length * 0.99)], samples[^1]);
    }

    /// <summary>Copy rate of a 256 MB array on one thread, counting the bytes read and written.</summary>
    private static CopyBandwidth MeasureCopy()
    {
        const int bytes = 256 * 1024 * 1024, repetitions = 8;
        var source = new byte[bytes];
        var target = new byte[bytes];
        source.AsSpan().Fill(7);
        source.AsSpan().CopyTo(target); // touch every page first
        double best = double.MaxValue;
        for (int i = 0; i < repetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            source.AsSpan().CopyTo(target);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        GC.KeepAlive(source);
        GC.KeepAlive(target);
        return new CopyBandwidth(bytes, repetitions, best, 2.0 * bytes / best / 1e9);
    }

    /// <summary>The demo model and two larger tiny configs (about 1.1, 67 and 169 million parameters).</summary>
    private static ModelConfig Config(string size) => size switch
    {
        "demo" => DeepSeekConfig.Tiny(vocabSize: 2048),
        "small" => DeepSeekConfig.Tiny(vocabSize: 8192) with
        {
            HiddenSize = 512, IntermediateSize = 1408, NumHiddenLayers = 8, NumAttentionHeads = 8, KvLoraRank = 128,
            QkNopeHeadDim = 64, QkRopeHeadDim = 32, VHeadDim = 64, NRoutedExperts = 8, NumExpertsPerTok = 2, MoeIntermediateSize = 512,
        },
        "medium" => new LlamaConfig
        {
            VocabSize = 16384, HiddenSize = 1024, IntermediateSize = 2816, NumHiddenLayers = 12, NumAttentionHeads = 16,
            NumKeyValueHeads = 4, MaxPositionEmbeddings = 4096, RmsNormEps = 1e-6, RopeTheta = 10000.0,
        },
        _ => throw new ArgumentException($"Unknown size '{size}'; expected demo, small or medium."),
    };

    private static string Mb(long? bytes) => bytes is long b ? Planner.Size(b) : "n/a";

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
