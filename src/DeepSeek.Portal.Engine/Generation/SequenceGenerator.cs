using System.Runtime.CompilerServices;
using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Generation;

/// <summary>
/// Generates continuations of a batch of prompts with any <see cref="CausalLM"/>, over its KV cache: prompts of
/// different lengths are left-padded and prefilled in one call, then every step feeds one token per row.
/// </summary>
/// <remarks>
/// Named so as not to clash with <c>torch.Generator</c>, which every engine file imports. Sampling follows HF's
/// order (repetition penalty, temperature, top-k, top-p; see <see cref="LogitsProcessing"/>) and runs on the CPU with
/// a seeded <see cref="Random"/>, so output depends only on the model, prompts and options. Rows that stopped feed
/// padding (masked) until the whole batch is done. The model is put in eval mode.
/// </remarks>
public sealed class SequenceGenerator
{
    private readonly CausalLM model;
    private readonly Func<IReadOnlyList<long>, string>? decode;
    private readonly long padTokenId;

    /// <summary>Creates a generator over <paramref name="model"/>.</summary>
    /// <param name="model">The model; generation switches it to eval mode.</param>
    /// <param name="decode">Token ids → text, needed for <see cref="SamplingOptions.StopStrings"/> and <see cref="GenerationResult.Text"/>.</param>
    /// <param name="padTokenId">Id fed at padded positions (never attended to, so any valid id works).</param>
    public SequenceGenerator(CausalLM model, Func<IReadOnlyList<long>, string>? decode = null, long padTokenId = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        this.decode = decode;
        this.padTokenId = padTokenId;
    }

    /// <summary>Generates for every prompt and returns the outputs in prompt order.</summary>
    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<IReadOnlyList<long>> prompts, SamplingOptions options, CancellationToken cancellationToken = default)
    {
        var results = new GenerationResult[prompts.Count];
        await foreach (var _ in StreamAsync(prompts, options, r => results[r.Sequence] = r.Result, cancellationToken).ConfigureAwait(false)) { }
        return results;
    }

    /// <summary>
    /// Streams each generated token as soon as its step is done (rows in prompt order within a step); when a row
    /// stops, <paramref name="onFinished"/> receives its result. Steps run on the thread pool.
    /// </summary>
    public async IAsyncEnumerable<GeneratedToken> StreamAsync(
        IReadOnlyList<IReadOnlyList<long>> prompts,
        SamplingOptions options,
        Action<(int Sequence, GenerationResult Result)>? onFinished = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException("Invalid sampling options: " + string.Join(" ", errors.SelectMany(e => e.Value)), nameof(options));
        if (prompts.Count == 0) yield break;
        if (prompts.Any(p => p is null || p.Count == 0)) throw new ArgumentException("Every prompt needs at least one token.", nameof(prompts));
        if (options.StopStrings.Count > 0 && decode is null) throw new ArgumentException("StopStrings need a decoder.", nameof(options));

        using var run = new Run(this, prompts, options);
        var step = await Task.Run(run.Prefill, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            foreach (var token in step) yield return token;
            foreach (var finished in run.TakeFinished()) onFinished?.Invoke(finished);
            if (run.Done) yield break;
            cancellationToken.ThrowIfCancellationRequested();
            step = await Task.Run(run.Decode, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>State of one batch: the cache, each row's tokens and whether it stopped.</summary>
    private sealed class Run : IDisposable
    {
        private readonly SequenceGenerator owner;
        private readonly SamplingOptions options;
        private readonly IReadOnlyList<IReadOnlyList<long>> prompts;
        private readonly List<long>[] outputs;
        private readonly FinishReason?[] finished;
        private readonly string?[] texts;
        private readonly bool[] reported;
        private readonly Random random;
        private readonly KvCache cache;
        private readonly Device device;
        private long[] lastTokens;

        public Run(SequenceGenerator owner, IReadOnlyList<IReadOnlyList<long>> prompts, SamplingOptions options)
        {
            this.owner = owner;
            this.options = options;
            this.prompts = prompts;
            outputs = [.. prompts.Select(_ => new List<long>())];
            finished = new FinishReason?[prompts.Count];
            texts = new string?[prompts.Count];
            reported = new bool[prompts.Count];
            random = new Random(options.Seed);
            cache = owner.model.NewCache();
            device = owner.model.parameters().First().device;
            lastTokens = new long[prompts.Count];
        }

        public bool Done => reported.All(r => r);

        public List<GeneratedToken> Prefill()
        {
            int rows = prompts.Count, length = prompts.Max(p => p.Count);
            var ids = new long[rows * length];
            var mask = new long[rows * length];
            for (int r = 0; r < rows; r++)
            {
                int offset = length - prompts[r].Count; // left padding
                for (int j = 0; j < length; j++)
                {
                    ids[r * length + j] = j < offset ? owner.padTokenId : prompts[r][j - offset];
                    mask[r * length + j] = j < offset ? 0 : 1;
                }
            }
            return Step(ids, mask, length);
        }

        public List<GeneratedToken> Decode()
        {
            var mask = finished.Select(f => f is null ? 1L : 0L).ToArray();
            var ids = lastTokens.Select((t, r) => finished[r] is null ? t : owner.padTokenId).ToArray();
            return Step(ids, mask, 1);
        }

        private List<GeneratedToken> Step(long[] ids, long[] mask, int length)
        {
            int rows = prompts.Count;
            float[] logits;
            long vocab;
            owner.model.eval();
            using (no_grad())
            using (NewDisposeScope())
            {
                var input = tensor(ids, [rows, length], device: device);
                var attention = tensor(mask, [rows, length], device: device);
                var output = owner.model.Forward(input, null, new ForwardOptions { AttentionMask = attention, Cache = cache }).Logits;
                var last = output.select(1, -1); // [B, V], fp32
                vocab = last.shape[1];
                logits = last.cpu().data<float>().ToArray();
            }

            var produced = new List<GeneratedToken>();
            for (int r = 0; r < rows; r++)
            {
                if (finished[r] is not null) continue;
                var row = logits.AsSpan((int)(r * vocab), (int)vocab).ToArray();
                long token = LogitsProcessing.Choose(row, prompts[r].Concat(outputs[r]), options, random);
                outputs[r].Add(token);
                lastTokens[r] = token;
                produced.Add(new GeneratedToken(r, outputs[r].Count - 1, token));
                finished[r] = Stop(r, token);
            }
            return produced;
        }

        private FinishReason? Stop(int row, long token)
        {
            if (owner.decode is { } decode && (options.StopStrings.Count > 0 || outputs[row].Count >= options.MaxNewTokens || options.StopTokenIds.Contains(token)))
            {
                string text = decode(outputs[row]);
                foreach (var stop in options.StopStrings)
                {
                    int at = text.IndexOf(stop, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        texts[row] = text[..at];
                        return FinishReason.StopString;
                    }
                }
                texts[row] = text;
            }
            if (options.StopTokenIds.Contains(token)) return FinishReason.StopToken;
            if (outputs[row].Count >= options.MaxNewTokens) return FinishReason.Length;
            return null;
        }

        public IEnumerable<(int Sequence, GenerationResult Result)> TakeFinished()
        {
            for (int r = 0; r < prompts.Count; r++)
            {
                if (reported[r] || finished[r] is not FinishReason reason) continue;
                reported[r] = true;
                yield return (r, new GenerationResult(outputs[r].ToArray(), reason, texts[r]));
            }
        }

        public void Dispose() => cache.Dispose();
    }
}
