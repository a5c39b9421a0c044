using System.Diagnostics;
using DeepSeek.Portal.Engine.Generation;
using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Devices;

/// <summary>What one decode measurement saw.</summary>
/// <param name="Parameters">Parameters of the model built (every expert).</param>
/// <param name="Sequences">Sequences decoded together (the batch).</param>
/// <param name="PromptTokens">Tokens of each prompt (prefilled in one call before the timed steps).</param>
/// <param name="NewTokens">Tokens generated per sequence.</param>
/// <param name="PrefillSeconds">The prefill call, which also yields each sequence's first token.</param>
/// <param name="DecodeSeconds">The decode steps after the prefill (<c>NewTokens − 1</c> of them).</param>
/// <param name="TokensPerSecond">Tokens of the decode steps (<c>Sequences × (NewTokens − 1)</c>) ÷ <see cref="DecodeSeconds"/>.</param>
/// <param name="WeightsResidentBytes">Resident set growth from before the model was built to after its weights were initialised; null off Linux.</param>
/// <param name="PeakResidentGrowthBytes">Peak resident set during the run minus the resident set before the model was built; null off Linux.</param>
/// <param name="DecodeProcessorSeconds">Processor time the whole process used during the decode steps: on a busy host, where
/// the wall time includes waiting for a core, decode tokens ÷ this is closer to what the steps cost alone.</param>
public sealed record DecodeMeasurementResult(
    long Parameters,
    int Sequences,
    int PromptTokens,
    int NewTokens,
    double PrefillSeconds,
    double DecodeSeconds,
    double TokensPerSecond,
    long? WeightsResidentBytes,
    long? PeakResidentGrowthBytes,
    double DecodeProcessorSeconds);

/// <summary>
/// Measures what the deployment planner estimates for the CPU: a model built from a <see cref="ModelConfig"/> (fp32,
/// random weights — decode speed and memory do not depend on their values) decodes greedily through
/// <see cref="SequenceGenerator"/> over its KV cache, and the rate of the steps after the prefill and the process's
/// resident set growth are reported.
/// </summary>
/// <remarks>
/// Memory comes from <see cref="ProcessMemory"/>: the peak is reset before the model is built, so the growth covers the
/// weights, the KV cache, libtorch's working buffers and the allocator's slack, but also any other work of the process
/// at the same time (run it alone). No stop tokens are set, so every sequence produces exactly <c>newTokens</c>.
/// </remarks>
public static class DecodeMeasurement
{
    /// <summary>Builds the model of <paramref name="config"/> and decodes <paramref name="newTokens"/> tokens for each of <paramref name="sequences"/> prompts.</summary>
    /// <param name="config">The model; validated first.</param>
    /// <param name="sequences">Sequences decoded together, ≥ 1.</param>
    /// <param name="promptTokens">Tokens of each prompt, ≥ 1 (fixed pseudo-random ids below the vocabulary).</param>
    /// <param name="newTokens">Tokens to generate per sequence, ≥ 2 (the first comes out of the prefill).</param>
    /// <param name="seed">Seeds the weights and the prompts.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public static async Task<DecodeMeasurementResult> MeasureAsync(
        ModelConfig config, int sequences, int promptTokens, int newTokens, int seed = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequences, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(promptTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(newTokens, 2);
        config.ThrowIfInvalid();
        if (promptTokens + newTokens > config.MaxPositionEmbeddings)
            throw new ArgumentException($"Prompt ({promptTokens}) plus new tokens ({newTokens}) exceed the model's {config.MaxPositionEmbeddings} positions.", nameof(newTokens));

        GC.Collect();
        GC.WaitForPendingFinalizers();
        ProcessMemory.ResetPeak();
        var before = ProcessMemory.Read();

        using var model = CausalLM.Create(config);
        using (var generator = new Generator((ulong)seed))
            model.InitializeWeights(generator);
        var afterWeights = ProcessMemory.Read();
        long parameters = model.ParameterCount();

        var random = new Random(seed);
        var prompts = Enumerable.Range(0, sequences)
            .Select(_ => (IReadOnlyList<long>)Enumerable.Range(0, promptTokens).Select(_ => (long)random.Next(config.VocabSize)).ToArray())
            .ToArray();
        var options = new SamplingOptions { MaxNewTokens = newTokens, Temperature = 0, Seed = seed };
        var generatorRun = new SequenceGenerator(model);

        var clock = Stopwatch.StartNew();
        double prefillSeconds = 0;
        TimeSpan processorAtPrefill = TimeSpan.Zero;
        long decoded = 0;
        await foreach (var token in generatorRun.StreamAsync(prompts, options, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (token.Index == 0)
            {
                if (token.Sequence == 0)
                {
                    prefillSeconds = clock.Elapsed.TotalSeconds;
                    processorAtPrefill = Process.GetCurrentProcess().TotalProcessorTime;
                }
                continue;
            }
            decoded++;
        }
        double total = clock.Elapsed.TotalSeconds;
        var processor = Process.GetCurrentProcess().TotalProcessorTime - processorAtPrefill;
        var after = ProcessMemory.Read();
        double decodeSeconds = total - prefillSeconds;

        return new DecodeMeasurementResult(
            parameters, sequences, promptTokens, newTokens, prefillSeconds, decodeSeconds,
            decodeSeconds > 0 ? decoded / decodeSeconds : 0,
            before is not null && afterWeights is not null ? afterWeights.ResidentBytes - before.ResidentBytes : null,
            before is not null && afterWeights is not null && after is not null
                // The kernel folds the resident set into its high-water mark lazily (on unmap, not on madvise), so the
                // mark can read below a resident set seen earlier in the run: the peak is at least every reading.
                ? Math.Max(after.PeakResidentBytes, Math.Max(afterWeights.ResidentBytes, after.ResidentBytes)) - before.ResidentBytes
                : null,
            processor.TotalSeconds);
    }
}
