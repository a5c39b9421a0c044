using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Feeding.Demo;

namespace DeepSeek.Portal.Bench;

/// <summary>
/// Peak memory and time per step of the portal trainer under activation checkpointing, fp32 / bf16 / fp16 and LoRA
/// against full fine-tuning, at the demo size and at hidden 512 / 8 layers (issue 7).
/// </summary>
/// <remarks>
/// <para>Each configuration trains in a fresh child process (this program with <c>memory-one</c>), so no allocator
/// cache, libgomp team or managed heap of one configuration is counted against another. Inside the child, the
/// peak is the kernel's own high-water mark of resident memory (<c>VmHWM</c> in <c>/proc/self/status</c>): it is reset
/// to the current resident size by writing <c>5</c> to <c>/proc/self/clear_refs</c> after the first (warm-up) step,
/// and read after the last step, before the trainer writes its final checkpoint. So the peak covers the steady-state
/// steps only: weights, gradients, optimizer state, activations and whatever libtorch's allocator keeps.</para>
/// <para>Before the reset the child collects the managed heap and calls glibc's <c>malloc_trim</c>, so the resident
/// size at the reset is what a step leaves live (runtime, tokenizer, data, weights, gradients, AdamW state); "step
/// peak above it" = peak − that size is what a step adds on top (activations kept for backward, temporaries). The
/// child's resident size before the trainer starts is recorded too (<c>baseline_rss_bytes</c>). The trainer is the portal's own
/// (<see cref="Trainer.RunAsync"/>): tokenizer (vocabulary capped at 2,048), packing, precision, optimiser.</para>
/// </remarks>
internal static class MemoryBench
{
    private sealed record Variant(string Name, TrainingPrecision Precision, bool Checkpointing, bool Lora);

    private static readonly Variant[] Variants =
    [
        new("fp32", TrainingPrecision.Fp32, false, false),
        new("fp32 + checkpointing", TrainingPrecision.Fp32, true, false),
        new("bf16", TrainingPrecision.Bf16, false, false),
        new("fp16", TrainingPrecision.Fp16, false, false),
        new("fp32 LoRA r=8", TrainingPrecision.Fp32, false, true),
        new("bf16 + checkpointing", TrainingPrecision.Bf16, true, false),
    ];

    /// <summary>LoRA r = 8 (alpha 16) on every attention and MLP projection of the DeepSeek layout, experts included.</summary>
    private static readonly LoraConfig Lora = new()
    {
        R = 8,
        LoraAlpha = 16,
        TargetModules = ["q_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    };

    public static async Task<int> RunAsync(string[] args)
    {
        int threads = 1, demoSteps = 8, largeSteps = 3;
        string[] sizes = ["demo", "large"];
        string? outPath = null;
        string[]? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--threads": threads = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--demo-steps": demoSteps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--large-steps": largeSteps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--sizes": sizes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--variants": only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--out": outPath = Value(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: memory [--threads N] [--demo-steps N] [--large-steps N] [--sizes demo,large] [--variants 0,1,…] [--out path.json]");
            }
        }
        var variants = only is null ? Variants : only.Select(v => Variants[int.Parse(v, CultureInfo.InvariantCulture)]).ToArray();
        Console.WriteLine($"# Memory and time per step — {threads} intra-op thread(s), each configuration in a fresh process, load {LoadAverage()}");
        var total = Stopwatch.StartNew();
        var results = new JsonArray();
        var table = new StringBuilder();
        table.AppendLine("| size | configuration | trainable params | median step (ms) | time vs fp32 | peak RSS (MB) | vs fp32 | resident after a step (MB) | step peak above it (MB) | vs fp32 | weights + grads + AdamW (MB) | loss first → last |");
        table.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var size in sizes)
        {
            PeerBench.ConfigFor(size);
            int steps = size == "demo" ? demoSteps : largeSteps;
            JsonNode? reference = null;
            foreach (var variant in variants)
            {
                var child = await RunChildAsync(size, Array.IndexOf(Variants, variant), steps, threads);
                child["size"] = size;
                child["configuration"] = variant.Name;
                results.Add(child);
                reference ??= variant.Name == "fp32" ? child : null;
                double median = child["median_step_seconds"]!.GetValue<double>();
                double peak = child["peak_rss_bytes"]!.GetValue<double>(), resident = child["rss_at_reset_bytes"]!.GetValue<double>();
                string TimeRatio() => reference is null ? "—" : (median / reference["median_step_seconds"]!.GetValue<double>()).ToString("F2", CultureInfo.InvariantCulture) + "×";
                string Ratio(double value, Func<JsonNode, double> of) =>
                    reference is null ? "—" : (value / of(reference)).ToString("F2", CultureInfo.InvariantCulture) + "×";
                static double Peak(JsonNode r) => r["peak_rss_bytes"]!.GetValue<double>();
                static double Transient(JsonNode r) => r["peak_rss_bytes"]!.GetValue<double>() - r["rss_at_reset_bytes"]!.GetValue<double>();
                string line = string.Create(CultureInfo.InvariantCulture,
                    $"| {size} | {variant.Name} | {child["trainable_parameters"]!.GetValue<long>():N0} | {median * 1000:F0} | {TimeRatio()} | {peak / 1e6:F0} | {Ratio(peak, Peak)} | {resident / 1e6:F0} | {(peak - resident) / 1e6:F0} | {Ratio(peak - resident, Transient)} | {child["state_bytes"]!.GetValue<double>() / 1e6:F0} | {child["first_loss"]!.GetValue<double>():F3} → {child["last_loss"]!.GetValue<double>():F3} |");
                table.AppendLine(line);
                Console.WriteLine(line);
            }
        }
        Console.WriteLine();
        Console.Write(table);
        var report = new JsonObject
        {
            ["threads"] = threads,
            ["method"] = "fresh child process per configuration; VmHWM reset via /proc/self/clear_refs (5) after the warm-up step, read after the last step",
            ["results"] = results,
            ["load_average_after"] = LoadAverage(),
            ["total_seconds"] = total.Elapsed.TotalSeconds,
        };
        outPath ??= Path.Combine("bench", "results", $"memory-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        File.WriteAllText(outPath, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Load average after: {LoadAverage()}. Wrote {outPath} ({total.Elapsed.TotalSeconds:F0} s in total)."));
        return 0;
    }

    private static async Task<JsonNode> RunChildAsync(string size, int variant, int steps, int threads)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(MemoryBench).Assembly.Location);
        foreach (var a in new[] { "memory-one", size, variant.ToString(CultureInfo.InvariantCulture), steps.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        start.Environment[EngineDevice.ThreadsVariable] = threads.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"memory-one {size} {variant} failed ({process.ExitCode}): {await stderr}\n{await stdout}");
        return JsonNode.Parse((await stdout).Trim().Split('\n')[^1])!;
    }

    /// <summary>The child: one configuration, one warm-up step, then <paramref name="args"/>[2] timed steps.</summary>
    public static async Task<int> RunOneAsync(string[] args)
    {
        string size = args[0];
        var variant = Variants[int.Parse(args[1], CultureInfo.InvariantCulture)];
        int steps = int.Parse(args[2], CultureInfo.InvariantCulture);
        _ = EngineDevice.Current;
        using (var warm = TorchSharp.torch.ones(4)) _ = warm.sum().item<float>(); // loads libtorch
        var texts = DemoDataset.Generate(count: 600);
        var options = new TrainingOptions
        {
            Steps = steps + 1,
            WarmupSteps = 0,
            CheckpointEvery = 100_000,
            TokenizerVocabSize = 2048,
            Precision = variant.Precision,
            ActivationCheckpointing = variant.Checkpointing,
            Lora = variant.Lora ? Lora : null,
        };
        var config = PeerBench.ConfigFor(size);
        var output = Path.Combine(Path.GetTempPath(), "ds-memory-bench-" + Guid.NewGuid().ToString("N"));
        long baseline = Status("VmRSS");
        long resetRss = 0, peak = 0, managedAtReset = 0, managedAtEnd = 0;
        var clock = Stopwatch.StartNew();
        var at = new List<double>();
        var losses = new List<double>();
        try
        {
            await Trainer.RunAsync(new TrainingRequest(options, texts, [], output) { Model = config }, p =>
            {
                at.Add(clock.Elapsed.TotalSeconds);
                losses.Add(p.Loss);
                if (p.Step == 1)
                {
                    // What is still live after a whole step (weights, gradients, AdamW state, data, tokenizer), with
                    // the managed heap collected and glibc's free lists handed back, then the high-water mark reset.
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                    MallocTrim(0);
                    File.WriteAllText("/proc/self/clear_refs", "5");
                    resetRss = Status("VmRSS");
                    managedAtReset = GC.GetGCMemoryInfo().TotalCommittedBytes;
                    at[^1] = clock.Elapsed.TotalSeconds;
                }
                if (p.Step == options.Steps)
                {
                    peak = Status("VmHWM");
                    managedAtEnd = GC.GetGCMemoryInfo().TotalCommittedBytes;
                }
            }, CancellationToken.None);
        }
        finally
        {
            try { Directory.Delete(output, recursive: true); }
            catch (IOException) { }
        }
        var stepSeconds = at.Zip(at.Skip(1), (a, b) => b - a).Order().ToArray();
        long trainable, all;
        {
            // The trainer reports all parameters; count the trainable ones the same way it builds its optimiser.
            using var model = DeepSeek.Portal.Engine.Models.CausalLM.Create(config);
            if (variant.Lora)
            {
                using var g = new TorchSharp.torch.Generator(1);
                LoraAdapter.Apply(model, Lora, g);
            }
            trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
            all = model.parameters().Sum(p => p.numel());
        }
        Console.WriteLine(new JsonObject
        {
            ["steps_timed"] = stepSeconds.Length,
            ["median_step_seconds"] = stepSeconds[stepSeconds.Length / 2],
            ["step_seconds"] = new JsonArray(stepSeconds.Select(s => (JsonNode)s).ToArray()),
            ["baseline_rss_bytes"] = baseline,
            ["rss_at_reset_bytes"] = resetRss,
            ["peak_rss_bytes"] = peak,
            ["managed_committed_at_reset_bytes"] = managedAtReset,
            ["managed_committed_at_end_bytes"] = managedAtEnd,
            ["trainable_parameters"] = trainable,
            ["parameters"] = all,
            // fp32 master weights, fp32 gradients of the trainable ones, AdamW's two fp32 moments.
            ["state_bytes"] = 4 * all + 12 * trainable,
            ["first_loss"] = losses[0],
            ["last_loss"] = losses[^1],
        }.ToJsonString());
        return 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    /// <summary>A <c>/proc/self/status</c> field in bytes (the kernel writes kB).</summary>
    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException($"/proc/self/status has no {field}.");
    }

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }
}
