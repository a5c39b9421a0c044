using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>Inputs of a forward pass beyond the token ids; every member is optional.</summary>
public sealed record ForwardOptions
{
    /// <summary>
    /// <c>[batch, seq]</c>, 1 for a real token and 0 for padding (left or right), for the tokens of this call only;
    /// earlier tokens' padding is remembered by <see cref="Cache"/>. Padding keys are never attended to, and default
    /// positions count real tokens only, so a left-padded row gets the positions it would have alone.
    /// </summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary>Explicit int64 positions <c>[batch, seq]</c> for RoPE; overrides the defaults described on the other members.</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>
    /// Packed sequences: int64 <c>[batch, seq]</c> document id of each token. A token attends only to earlier tokens
    /// of the same document, and default positions restart at 0 where a document starts (a change of id). Not
    /// combinable with a <see cref="Cache"/> that already holds tokens.
    /// </summary>
    public Tensor? DocumentIds { get; init; }

    /// <summary>Key/value cache to read earlier tokens from and append this call's tokens to (inference).</summary>
    public KvCache? Cache { get; init; }
}

/// <summary>
/// Per-layer key/value state of earlier tokens, for incremental decoding. Owns its tensors (detached from any
/// dispose scope); dispose it when generation ends.
/// </summary>
/// <remarks>
/// Each layer keeps two tensors whose meaning belongs to the attention that wrote them: MLA keeps the compressed
/// latent <c>kv_a_layernorm(c)</c> <c>[B, T, kv_lora_rank]</c> and the rotated shared rope key <c>[B, T, rope_dim]</c>
/// (the MLA compressed cache, about <c>(kv_lora + rope) / (heads · (qk + v))</c> of an expanded cache); Llama and
/// Qwen2 keep rotated keys and values <c>[B, kv_heads, T, head_dim]</c>. The cache also remembers which earlier
/// tokens were padding and the next position of each row.
/// </remarks>
public sealed class KvCache : IDisposable
{
    private readonly (Tensor First, Tensor Second)?[] layers;

    /// <summary>Creates an empty cache for a model of <paramref name="numLayers"/> layers.</summary>
    public KvCache(int numLayers) => layers = new (Tensor, Tensor)?[numLayers];

    /// <summary>Tokens held per row (padding included).</summary>
    public long Length { get; private set; }

    /// <summary>Which held tokens are real, bool <c>[B, Length]</c>; <c>null</c> while empty.</summary>
    public Tensor? KeyMask { get; private set; }

    /// <summary>Position the next real token of each row gets, int64 <c>[B]</c>; <c>null</c> while empty.</summary>
    public Tensor? NextPositions { get; private set; }

    /// <summary>Appends this call's tensors of layer <paramref name="layer"/> along dimension <paramref name="dim"/> and returns the full ones.</summary>
    public (Tensor First, Tensor Second) Append(int layer, Tensor first, Tensor second, int dim)
    {
        var updated = layers[layer] is var (oldFirst, oldSecond)
            ? (cat([oldFirst, first], dim), cat([oldSecond, second], dim))
            : (first.alias(), second.alias());
        Keep(ref layers[layer], updated);
        return updated;
    }

    /// <summary>Records the tokens of a finished forward pass: their padding mask and the positions they used.</summary>
    internal void Advance(Tensor valid, Tensor positions)
    {
        var mask = KeyMask is null ? valid.alias() : cat([KeyMask, valid], 1);
        KeyMask?.Dispose();
        KeyMask = mask.DetachFromDisposeScope();
        // Rows whose new tokens were all padding keep their next position.
        var last = positions.select(1, -1) + 1;
        var next = NextPositions is null ? last : where(valid.any(1), last, NextPositions);
        NextPositions?.Dispose();
        NextPositions = next.DetachFromDisposeScope();
        Length += valid.shape[1];
    }

    private static void Keep(ref (Tensor First, Tensor Second)? slot, (Tensor First, Tensor Second) updated)
    {
        if (slot is var (a, b))
        {
            a.Dispose();
            b.Dispose();
        }
        updated.First.DetachFromDisposeScope();
        updated.Second.DetachFromDisposeScope();
        slot = updated;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        for (int i = 0; i < layers.Length; i++)
        {
            if (layers[i] is var (a, b))
            {
                a.Dispose();
                b.Dispose();
            }
            layers[i] = null;
        }
        KeyMask?.Dispose();
        NextPositions?.Dispose();
        KeyMask = NextPositions = null;
        Length = 0;
    }
}

/// <summary>
/// What every attention layer of one forward pass needs besides its hidden states: positions, the additive mask
/// (or <c>null</c> for plain causal attention over positions 0..S−1) and the cache.
/// </summary>
/// <param name="Positions">int64 <c>[S]</c> (same for every row) or <c>[B, S]</c>.</param>
/// <param name="Mask">Additive fp32 mask <c>[B, 1, S, past + S]</c> (0 or −∞), or <c>null</c>: causal, no cache.</param>
/// <param name="Cache">The cache to extend, or <c>null</c>.</param>
public sealed record AttentionContext(Tensor Positions, Tensor? Mask, KvCache? Cache)
{
    /// <summary>Plain causal attention over positions 0..<paramref name="seq"/>−1.</summary>
    public static AttentionContext Causal(long seq, Device device) =>
        new(arange(seq, dtype: ScalarType.Int64, device: device), null, null);

    /// <summary>Validity of this call's tokens (bool <c>[B, S]</c>).</summary>
    internal Tensor? Valid { get; init; }

    /// <summary>
    /// Builds the context for token ids <c>[B, S]</c> and <paramref name="options"/>: positions (explicit, per
    /// document, after the cache and counting real tokens only) and a mask that is causal, hides padding keys and
    /// keeps documents apart. Every token may attend to itself, so padding rows stay finite.
    /// </summary>
    public static AttentionContext Create(Tensor inputIds, ForwardOptions? options)
    {
        long batch = inputIds.shape[0], seq = inputIds.shape[1];
        var device = inputIds.device;
        var cache = options?.Cache;
        long past = cache?.Length ?? 0;
        if (options?.DocumentIds is not null && past > 0)
            throw new NotSupportedException("DocumentIds cannot be combined with a cache that already holds tokens.");
        if (options is null || (options.AttentionMask is null && options.DocumentIds is null && cache is null))
        {
            return options?.PositionIds is { } explicitPositions
                ? new AttentionContext(explicitPositions, null, null)
                : Causal(seq, device);
        }

        long[]? documentIds = options.DocumentIds is { } docIds ? docIds.cpu().to(ScalarType.Int64).data<long>().ToArray() : null;
        if (documentIds is not null && options.AttentionMask is null && cache is null && EveryRowIsOneDocument(documentIds, seq))
        {
            // Packed rows that each hold one document need no mask: plain causal attention (SDPA's is_causal path)
            // over positions 0..S−1 is the same computation, without building and reading a [B, 1, S, S] mask.
            return options.PositionIds is { } explicitPositions
                ? new AttentionContext(explicitPositions, null, null)
                : Causal(seq, device);
        }

        var valid = options.AttentionMask is { } m ? m.ne(0) : ones(batch, seq, dtype: ScalarType.Bool, device: device);
        Tensor positions;
        if (options.PositionIds is { } given) positions = given;
        else if (documentIds is not null) positions = DocumentPositions(documentIds, batch, seq, device);
        else
        {
            var counted = (valid.to(ScalarType.Int64).cumsum(1) - 1).clamp_min(0); // [B, S]
            positions = cache?.NextPositions is { } next ? counted + next.unsqueeze(1) : counted;
        }

        var keyValid = cache?.KeyMask is { } pastValid ? cat([pastValid, valid], 1) : valid; // [B, past + S]
        var queryIndex = arange(past, past + seq, dtype: ScalarType.Int64, device: device).unsqueeze(1); // [S, 1]
        var keyIndex = arange(past + seq, dtype: ScalarType.Int64, device: device).unsqueeze(0);        // [1, past + S]
        var allowed = keyIndex.le(queryIndex).unsqueeze(0) & keyValid.unsqueeze(1);                    // [B, S, past + S]
        if (options.DocumentIds is { } docs) allowed = allowed & docs.unsqueeze(2).eq(docs.unsqueeze(1));
        allowed = allowed | keyIndex.eq(queryIndex).unsqueeze(0);
        var mask = zeros(batch, 1, seq, past + seq, device: device)
            .masked_fill(allowed.unsqueeze(1).logical_not(), double.NegativeInfinity);
        return new AttentionContext(positions, mask, cache) { Valid = valid };
    }

    /// <summary>Position of each token inside its document: the index since the last change of document id.</summary>
    private static Tensor DocumentPositions(long[] ids, long batch, long seq, Device device)
    {
        var positions = new long[ids.Length];
        for (long b = 0; b < batch; b++)
        {
            long start = 0;
            for (long i = 0; i < seq; i++)
            {
                long k = b * seq + i;
                if (i > 0 && ids[k] != ids[k - 1]) start = i;
                positions[k] = i - start;
            }
        }
        return tensor(positions, [batch, seq], device: device);
    }

    /// <summary>Whether no row of the host copy of <c>[B, S]</c> document ids changes document.</summary>
    private static bool EveryRowIsOneDocument(long[] ids, long seq)
    {
        for (long k = 0; k < ids.Length; k++)
            if (k % seq != 0 && ids[k] != ids[k - 1]) return false;
        return true;
    }

    /// <summary>Positions as <c>[B, S]</c> (expanding the shared <c>[S]</c> form).</summary>
    internal Tensor PositionsFor(long batch) => Positions.dim() == 2 ? Positions : Positions.unsqueeze(0).expand(batch, -1);
}
