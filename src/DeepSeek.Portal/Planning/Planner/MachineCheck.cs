using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Estimates;
using PlanEstimator = DeepSeek.Portal.Planning.Estimates.Planner;

namespace DeepSeek.Portal.Planning.Planner;

/// <summary>The planner's CPU estimate for the demo model beside the engine's measurement on this machine.</summary>
/// <param name="Model">What was checked (the demo model, <see cref="DeepSeekConfig.Tiny"/>).</param>
/// <param name="Parameters">Its parameters, as the planner counts them.</param>
/// <param name="ContextLength">Tokens per sequence (prompt + generated).</param>
/// <param name="Sequences">Sequences decoded together.</param>
/// <param name="Precision">Weights and activations (fp32, the engine's CPU default).</param>
/// <param name="EstimatedBytes">The planner's total (weights, KV cache, activations, overhead).</param>
/// <param name="MeasuredBytes">What the engine held: the measurement's memory figure.</param>
/// <param name="MemoryRatio">Estimate ÷ measured.</param>
/// <param name="EstimatedTokensPerSecond">The planner's bandwidth-bound decode rate on this machine.</param>
/// <param name="MeasuredTokensPerSecond">The engine's decode rate.</param>
/// <param name="SpeedRatio">Estimate ÷ measured.</param>
/// <param name="Plan">The whole plan, with its formulas.</param>
/// <param name="Measurement">How the engine measured (what was timed, threads, memory method).</param>
/// <param name="MeasuredAt">When.</param>
/// <param name="Notes">How to read the ratios.</param>
public sealed record MachineCheckResult(
    string Model, long Parameters, int ContextLength, int Sequences, string Precision,
    double EstimatedBytes, double MeasuredBytes, double MemoryRatio,
    double? EstimatedTokensPerSecond, double MeasuredTokensPerSecond, double? SpeedRatio,
    Plan Plan, string Measurement, DateTimeOffset MeasuredAt, IReadOnlyList<string> Notes);

/// <summary>What the engine measured while decoding.</summary>
/// <param name="Bytes">Memory the decode held (weights, cache, activations).</param>
/// <param name="TokensPerSecond">Aggregate decode tokens/s.</param>
/// <param name="Description">How it was measured.</param>
public sealed record EngineDecodeFigures(double Bytes, double TokensPerSecond, string Description);

/// <summary>
/// Checks the planner against this machine: plans the demo model on the <c>cpu</c> device and runs the engine's decode
/// measurement on the same model, context and batch, then reports both figures and their ratios. One check runs at a
/// time (a second caller waits for the first and gets its result); the last result is kept for the process.
/// </summary>
public sealed class MachineCheck(CpuDevice cpu, TimeProvider clock, ILogger<MachineCheck> logger)
{
    /// <summary>The demo model's vocabulary: the tokenizer size a demo run trains by default.</summary>
    public const int DemoVocabulary = 2048;
    public const int ContextLength = 256;
    public const int Sequences = 4;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile MachineCheckResult? _latest;

    /// <summary>The last result in this process, or null before the first check.</summary>
    public MachineCheckResult? Latest => _latest;

    /// <summary>The figures a measurement is made with; tests replace it only to count calls, never the figures.</summary>
    internal Func<DeepSeekConfig, int, int, CancellationToken, Task<EngineDecodeFigures>> Measure { get; set; } = EngineMeasure;

    /// <summary>Runs the check, or waits for the one running and returns its result.</summary>
    public async Task<MachineCheckResult> RunAsync(CancellationToken ct)
    {
        var before = _latest;
        await _gate.WaitAsync(ct);
        try
        {
            // A check finished while this caller waited: that is the answer (one at a time, not one after another).
            if (_latest is { } fresh && !ReferenceEquals(fresh, before))
                return fresh;
            var config = DeepSeekConfig.Tiny(DemoVocabulary);
            var architecture = ModelCatalogue.FromConfigJson("demo", "Demo model (DeepSeekConfig.Tiny, vocabulary 2048)", config.ToJson());
            var device = cpu.Spec();
            var plan = PlanEstimator.Compute(new PlanRequest(architecture.Id, Precision.Fp32, ContextLength, Sequences, PlanMode.Inference, device.Id, 1), architecture, device);
            var measured = await Measure(config, ContextLength, Sequences, ct);
            var result = new MachineCheckResult(
                architecture.Name, architecture.TotalParameters, ContextLength, Sequences, "fp32",
                plan.TotalBytes, measured.Bytes, plan.TotalBytes / measured.Bytes,
                plan.DecodeTokensPerSecond, measured.TokensPerSecond, plan.DecodeTokensPerSecond / measured.TokensPerSecond,
                plan, measured.Description, clock.GetUtcNow(),
                [
                    "Ratios are estimate ÷ measured: above 1 the planner over-estimates, below 1 it under-estimates.",
                    "The decode estimate is a memory-bandwidth bound (every weight read once per step); a model this small fits in cache and is bound by per-operation overhead instead, so the measured rate is expected to be far below it.",
                    $"The CPU's bandwidth is {cpu.BandwidthSource}.",
                ]);
            logger.LogInformation("Machine check: memory estimate {Estimate:N0} B vs measured {Measured:N0} B; decode {EstimateRate:0.#} vs {MeasuredRate:0.#} tokens/s",
                plan.TotalBytes, measured.Bytes, plan.DecodeTokensPerSecond, measured.TokensPerSecond);
            _latest = result;
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static Task<EngineDecodeFigures> EngineMeasure(DeepSeekConfig config, int context, int sequences, CancellationToken ct) =>
        throw new NotImplementedException("contract: the engine's DecodeMeasurement lands with the planner core");
}
