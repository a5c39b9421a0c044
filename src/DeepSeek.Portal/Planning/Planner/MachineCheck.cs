using DeepSeek.Portal.Engine.Devices;
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
/// <param name="EstimatedBytesWithoutOverhead">The planner's total without its fixed runtime overhead line (what the measurement can see).</param>
/// <param name="MeasuredBytes">What the engine's decode added to the process: peak resident-set growth from before the model was built (weights RSS growth where the peak cannot be read).</param>
/// <param name="MemoryRatio">Estimate without overhead ÷ measured.</param>
/// <param name="EstimatedTokensPerSecond">The planner's bandwidth-bound decode rate on this machine.</param>
/// <param name="MeasuredTokensPerSecond">The engine's decode rate.</param>
/// <param name="SpeedRatio">Estimate ÷ measured.</param>
/// <param name="Plan">The whole plan, with its formulas.</param>
/// <param name="Measurement">The engine's own figures (prefill and decode seconds, processor seconds, weights RSS).</param>
/// <param name="MeasuredAt">When.</param>
/// <param name="Notes">How to read the ratios (translatable).</param>
public sealed record MachineCheckResult(
    string Model, long Parameters, int ContextLength, int Sequences, string Precision,
    double EstimatedBytes, double EstimatedBytesWithoutOverhead, double? MeasuredBytes, double? MemoryRatio,
    double? EstimatedTokensPerSecond, double MeasuredTokensPerSecond, double? SpeedRatio,
    Plan Plan, DecodeMeasurementResult Measurement, DateTimeOffset MeasuredAt, IReadOnlyList<PlanNote> Notes);

/// <summary>
/// Checks the planner against this machine: plans the demo model on the <c>cpu</c> device and runs the engine's decode
/// measurement on the same model, context and batch, then reports both figures and their ratios. One check runs at a
/// time (a second caller waits for the first and gets its result); the result is kept for the process and measured
/// again only when asked to (each measurement is seconds of CPU and resets the process's peak-memory mark).
/// </summary>
public sealed class MachineCheck(CpuDevice cpu, TimeProvider clock, ILogger<MachineCheck> logger)
{
    /// <summary>The demo model's vocabulary: the tokenizer size a demo run trains by default.</summary>
    public const int DemoVocabulary = 2048;
    /// <summary>The measurement of docs/PERFORMANCE.md §11: 4 sequences, 32-token prompts prefilled together, then 32 new tokens.</summary>
    public const int PromptTokens = 32;
    public const int NewTokens = 32;
    public const int ContextLength = PromptTokens + NewTokens;
    public const int Sequences = 4;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile MachineCheckResult? _latest;

    /// <summary>The last result in this process, or null before the first check.</summary>
    public MachineCheckResult? Latest => _latest;

    /// <summary>Measurements made in this process (each costs seconds of decoding).</summary>
    public int Runs => _runs;
    private int _runs;

    /// <summary>
    /// The kept result, or (none yet, or <paramref name="refresh"/>) a new check; a caller that arrives while a check
    /// runs waits for it and gets its result rather than starting another.
    /// </summary>
    public async Task<MachineCheckResult> RunAsync(bool refresh, CancellationToken ct)
    {
        var before = _latest;
        if (!refresh && before is not null)
            return before;
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
            // Off the request thread: building the model and decoding is seconds of CPU work.
            var measured = await Task.Run(() => DecodeMeasurement.MeasureAsync(config, Sequences, PromptTokens, NewTokens, cancellationToken: ct), ct);
            Interlocked.Increment(ref _runs);
            var withoutOverhead = plan.TotalBytes - plan.Memory.Where(l => l.Key == "overhead").Sum(l => l.Bytes);
            double? measuredBytes = measured.PeakResidentGrowthBytes ?? measured.WeightsResidentBytes;
            var result = new MachineCheckResult(
                architecture.Name, architecture.TotalParameters, ContextLength, Sequences, "fp32",
                plan.TotalBytes, withoutOverhead, measuredBytes, measuredBytes is > 0 ? withoutOverhead / measuredBytes : null,
                plan.DecodeTokensPerSecond, measured.TokensPerSecond,
                measured.TokensPerSecond > 0 ? plan.DecodeTokensPerSecond / measured.TokensPerSecond : null,
                plan, measured, clock.GetUtcNow(),
                Notes(cpu.BandwidthSource == "configured", device.BandwidthGBps));
            logger.LogInformation("Machine check: memory estimate {Estimate:N0} B (without overhead) vs measured {Measured:N0} B; decode {EstimateRate:0.#} vs {MeasuredRate:0.#} tokens/s",
                withoutOverhead, measuredBytes, plan.DecodeTokensPerSecond, measured.TokensPerSecond);
            _latest = result;
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>How to read a check, with where this machine's bandwidth (<paramref name="gbps"/>) comes from: configured, or measured and how.</summary>
    internal static IReadOnlyList<PlanNote> Notes(bool configured, double gbps) =>
    [
        PlanNote.Of("MachineRatios", $"Ratios are estimate ÷ measured: above 1 the planner over-estimates, below 1 it under-estimates. Memory leaves out the planner's fixed runtime overhead line, which a growth measurement cannot see."),
        PlanNote.Of("MachineDecodeBound", $"The decode estimate is a memory-bandwidth bound (every weight read once per step); a model this small fits in cache and is bound by per-operation overhead instead, so the measured rate is far below it (docs/PERFORMANCE.md §11)."),
        PlanNote.Of("MachineInProcess", $"Measured inside the portal's process: memory another run freed stays in the allocator and is reused, so the growth reads low while or after training; the benchmark measures in a fresh process."),
        configured
            ? PlanNote.Of("MachineBandwidthConfigured", $"The CPU's bandwidth is configured (Portal:Planner:CpuBandwidthGBps = {gbps:0.##} GB/s).")
            : PlanNote.Of("MachineBandwidthMeasured", $"The CPU's bandwidth is measured: the best of {CpuDevice.Passes} copies of {CpuDevice.CopyBytes >> 20} MiB on one thread, read + write bytes ÷ time = {gbps:0.##} GB/s (set Portal:Planner:CpuBandwidthGBps to override)."),
    ];
}
