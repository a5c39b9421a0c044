using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSeek.Portal.Bench;
using DeepSeek.Portal.Engine.Devices;

// Engine benchmark: machine matmul roofline (fp32, bf16) and the demo training run's throughput and MFU.
// Usage: dotnet run -c Release --project bench/DeepSeek.Portal.Bench -- [--steps N] [--precision fp32|bf16|both] [--threads N] [--out path.json]
// Mixing policies (DynamicFeeder vs static vs uniform): … -- mixing [--steps N] [--seeds N] [--eval-every N] [--out path.json]
// Data pipeline throughput: … -- pipeline [--mb N] [--small-mb N] [--dir folder] [--out path.json]
// Its stages alone, in memory, for quick iteration: … -- stages [--records N] [--rounds N] [--stage name]
// Engine vs PyTorch eager (Debian python3-torch), MFU of both sizes, generation with/without KV cache:
//   … -- peer [--steps N] [--rounds N] [--threads N] [--sizes demo,large] [--generate N] [--generate-sizes demo,large] [--out path.json]
// The optimizer step alone, TorchSharp's AdamW vs the trainer's FlatAdamW: … -- adamw [demo|large] [rounds]
// Peak memory and step time with/without activation checkpointing, fp32/bf16/fp16, LoRA vs full (a child process each):
//   … -- memory [--threads N] [--demo-steps N] [--large-steps N] [--sizes demo,large] [--out path.json]
// Corpus BLEU throughput (sacrebleu-identical BLEU, 13a and zh): … -- bleu [--pairs N] [--rounds N]
if (args.Length > 0 && args[0] == "bleu")
    return BleuBench.Run(args[1..]);
// The evaluation runner against a loopback OpenAI endpoint with a fixed latency, at several concurrencies:
//   … -- endpoint [--items N] [--latency-ms N] [--concurrency 1,8,32] [--out path.json]
// Perplexity evaluation tokens/s of the engine (the demo model, batch 1, several lengths) vs the demo training run:
//   … -- eval-ppl [--lengths 32,128,512,2048] [--seconds S] [--train-steps N] [--out path.json]
// Deployment planner: response time over the catalogue, and its CPU estimate against the engine's decode measurement:
//   … -- planner [--rounds N] [--sequences K] [--prompt N] [--new N] [--sizes demo,small,medium] [--out path.json]
if (args.Length > 0 && args[0] == "planner")
    return await PlannerBench.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "planner-one")
    return await PlannerBench.RunOneAsync(args[1..]);
if (args.Length > 0 && args[0] == "eval-ppl")
    return await PerplexityBench.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "stages")
    return StageBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "pipeline")
    return await PipelineBench.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "memory")
    return await MemoryBench.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "adamw")
    return OptimizerBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "memory-one")
    return await MemoryBench.RunOneAsync(args[1..]);
if (args.Length > 0 && args[0] == "endpoint")
    return await EndpointBench.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "peer")
    return await PeerBench.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "mixing")
{
    _ = EngineDevice.Current; // fixes the engine's intra-op thread count before anything else runs
    return await MixingBench.RunAsync(args[1..]);
}

var settings = BenchSettings.Parse(args);
if (settings.Threads is int threads)
    Environment.SetEnvironmentVariable(EngineDevice.ThreadsVariable, threads.ToString(CultureInfo.InvariantCulture));
var device = EngineDevice.Current; // fixes the engine's intra-op thread count before anything else runs
var report = new BenchReport
{
    StartedAt = DateTimeOffset.UtcNow,
    Device = device.Description,
    ProcessorCount = Environment.ProcessorCount,
    EngineThreads = device.Threads,
};

Console.WriteLine($"# DeepSeek Portal engine bench — {report.Device}, {report.ProcessorCount} logical processors");
Console.WriteLine();
var total = Stopwatch.StartNew();

// On its own short-lived thread: libgomp keeps an OpenMP team per thread that has run parallel torch work, and
// once teams outnumber the cores it stops spin-waiting, which would slow the training run that follows.
var matmul = new List<MatmulResult>();
var matmulThread = new Thread(() =>
{
    matmul.AddRange(MatmulBench.Run([512, 1024, 2048], Environment.ProcessorCount));
    if (device.Threads != Environment.ProcessorCount) matmul.AddRange(MatmulBench.Run([512, 1024, 2048], device.Threads));
});
matmulThread.Start();
matmulThread.Join();
report.Matmul = matmul;
Console.WriteLine(MatmulBench.Markdown(report.Matmul));

foreach (var precision in settings.Precisions)
{
    var result = await TrainingBench.RunAsync(settings.Steps, precision);
    double Roofline(int threads) => report.Matmul.Where(m => m.Precision == precision && m.Threads == threads).Max(m => m.GflopsPerSecond);
    double modelFlops = result.ModelFlopsPerToken * result.TokensPerSecond;
    result.MatmulGflopsPerSecond = Roofline(Environment.ProcessorCount);
    result.ModelFlopsUtilisation = modelFlops / (result.MatmulGflopsPerSecond * 1e9);
    result.EngineThreadsMatmulGflopsPerSecond = Roofline(device.Threads);
    result.EngineThreadsModelFlopsUtilisation = modelFlops / (result.EngineThreadsMatmulGflopsPerSecond * 1e9);
    report.Training.Add(result);
}
Console.WriteLine();
Console.WriteLine(TrainingBench.Markdown(report.Training));
report.TotalSeconds = total.Elapsed.TotalSeconds;

var outPath = settings.OutPath ?? Path.Combine("bench", "results", $"engine-bench-{report.StartedAt:yyyyMMdd-HHmmss}.json");
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
File.WriteAllText(outPath, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {outPath} ({report.TotalSeconds:F0} s in total)."));
return 0;
