using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests;

/// <summary>
/// Positions, padding masks, packed documents and the KV cache give the same logits as plain full forwards, for every
/// family. Weights are drawn with std 0.2 so that logits are of order one and attention is far from uniform: a
/// wrong mask or position then moves logits by far more than the tolerance (1e-5 absolute plus 1e-5 relative, fp32).
/// </summary>
public class CacheAndMaskTests
{
    public static TheoryData<string> Families => ["deepseek_v2", "deepseek_v3", "llama", "llama_tied", "qwen2"];

    private const double Tolerance = 1e-5;

    private static CausalLM Model(string family)
    {
        var model = TestModels.NewModel(TestModels.Family(family));
        using (no_grad())
        {
            using var generator = new Generator(21);
            foreach (var (name, p) in model.named_parameters())
            {
                if (name.EndsWith("correction_bias", StringComparison.Ordinal)) p.uniform_(-0.1, 0.1, generator);
                else if (p.dim() == 2 || name.EndsWith(".bias", StringComparison.Ordinal)) p.normal_(0, 0.2, generator);
            }
        }
        model.eval();
        return model;
    }

    private static Tensor Ids(int vocab, int length, int seed)
    {
        using var generator = new Generator((ulong)seed);
        return randint(1, vocab, [1, length], generator: generator);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        double excess = ((expected - actual).abs() - expected.abs() * Tolerance).max().item<float>();
        Assert.True(excess <= Tolerance, $"max |Δ| − 1e-5·|expected| = {excess}");
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Incremental_decoding_with_the_cache_matches_full_recompute(string family)
    {
        using var scope = NewDisposeScope();
        using var model = Model(family);
        using var _ = no_grad();
        var ids = Ids(model.ModelConfig.VocabSize, 9, seed: 5);
        var full = model.call(ids); // [1, 9, V]
        Assert.True((full[0, 0] - full[0, 8]).abs().max().item<float>() > 0.1f, "logits should vary along the sequence");

        using var cache = model.NewCache();
        // Prefill 4 tokens in one call, then 2 in one call, then one at a time.
        var parts = new (int Start, int Length)[] { (0, 4), (4, 2), (6, 1), (7, 1), (8, 1) };
        foreach (var (start, length) in parts)
        {
            var logits = model.Forward(ids[.., start..(start + length)], null, new ForwardOptions { Cache = cache }).Logits;
            AssertClose(full[.., start..(start + length)], logits);
        }
        Assert.Equal(9, cache.Length);
        Assert.Equal(9, cache.NextPositions!.item<long>());
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void A_packed_batch_of_two_documents_gives_each_document_its_own_logits(string family)
    {
        using var scope = NewDisposeScope();
        using var model = Model(family);
        using var _ = no_grad();
        int vocab = model.ModelConfig.VocabSize;
        var first = Ids(vocab, 5, seed: 1);
        var second = Ids(vocab, 4, seed: 2);
        var packed = cat([first, second], 1);
        var documents = tensor(new long[] { 7, 7, 7, 7, 7, 9, 9, 9, 9 }).reshape(1, 9);

        var logits = model.Forward(packed, null, new ForwardOptions { DocumentIds = documents }).Logits;
        AssertClose(model.call(first), logits[.., ..5]);
        AssertClose(model.call(second), logits[.., 5..]);

        // Without document ids the second document sees the first: the comparison above is not vacuous.
        var unpacked = model.call(packed);
        Assert.True((unpacked[.., 5..] - model.call(second)).abs().max().item<float>() > 1e-3f);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Packed_rows_of_one_document_each_take_the_unmasked_causal_path_with_the_same_logits(string family)
    {
        using var scope = NewDisposeScope();
        using var model = Model(family);
        using var _ = no_grad();
        int vocab = model.ModelConfig.VocabSize;
        var ids = cat([Ids(vocab, 6, seed: 3), Ids(vocab, 6, seed: 4)], 0); // [2, 6]
        var oneEach = tensor(new long[] { 3, 3, 3, 3, 3, 3, 8, 8, 8, 8, 8, 8 }).reshape(2, 6);
        var split = tensor(new long[] { 3, 3, 3, 3, 3, 3, 8, 8, 8, 9, 9, 9 }).reshape(2, 6);

        var fast = AttentionContext.Create(ids, new ForwardOptions { DocumentIds = oneEach });
        Assert.Null(fast.Mask);
        Assert.NotNull(AttentionContext.Create(ids, new ForwardOptions { DocumentIds = split }).Mask);
        Assert.NotNull(AttentionContext.Create(ids, new ForwardOptions { DocumentIds = oneEach, AttentionMask = ones(2, 6) }).Mask);

        var logits = model.Forward(ids, null, new ForwardOptions { DocumentIds = oneEach }).Logits;
        AssertClose(model.call(ids), logits);
        // The masked path on the same rows (a mask of all ones forces it) agrees too.
        var masked = model.Forward(ids, null, new ForwardOptions { DocumentIds = oneEach, AttentionMask = ones(2, 6) }).Logits;
        AssertClose(masked, logits);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void A_left_padded_batch_matches_the_unpadded_sequences_and_keeps_matching_while_decoding(string family)
    {
        using var scope = NewDisposeScope();
        using var model = Model(family);
        using var _ = no_grad();
        int vocab = model.ModelConfig.VocabSize;
        var shortIds = Ids(vocab, 4, seed: 3);
        var longIds = Ids(vocab, 7, seed: 4);
        const long pad = 0;
        var batch = cat([cat([full(1, 3, pad, dtype: ScalarType.Int64), shortIds], 1), longIds], 0); // [2, 7]
        var mask = tensor(new long[] { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }).reshape(2, 7);

        var padded = model.Forward(batch, null, new ForwardOptions { AttentionMask = mask }).Logits;
        AssertClose(model.call(shortIds), padded[0..1, 3..]);
        AssertClose(model.call(longIds), padded[1..2]);

        // Same batch through the cache, then two decoding steps of one token per row.
        using var cache = model.NewCache();
        model.Forward(batch, null, new ForwardOptions { AttentionMask = mask, Cache = cache });
        var next = Ids(vocab, 4, seed: 6).reshape(2, 2);
        var shortSoFar = shortIds;
        var longSoFar = longIds;
        for (int step = 0; step < 2; step++)
        {
            var token = next[.., step..(step + 1)]; // [2, 1]
            var logits = model.Forward(token, null, new ForwardOptions { AttentionMask = ones(2, 1, dtype: ScalarType.Int64), Cache = cache }).Logits;
            shortSoFar = cat([shortSoFar, token[0..1]], 1);
            longSoFar = cat([longSoFar, token[1..2]], 1);
            AssertClose(model.call(shortSoFar)[.., ^1..], logits[0..1]);
            AssertClose(model.call(longSoFar)[.., ^1..], logits[1..2]);
        }
        Assert.Equal(new long[] { 6, 9 }, cache.NextPositions!.data<long>().ToArray());

        // Without the mask the padded row attends to padding and drifts.
        var unmasked = model.call(batch);
        Assert.True((unmasked[0..1, 3..] - model.call(shortIds)).abs().max().item<float>() > 1e-3f);
    }

    [Fact]
    public void Explicit_positions_shift_rope_and_default_positions_are_zero_based()
    {
        using var scope = NewDisposeScope();
        using var model = Model("llama");
        using var _ = no_grad();
        var ids = Ids(model.ModelConfig.VocabSize, 5, seed: 8);
        var plain = model.call(ids);
        var same = model.Forward(ids, null, new ForwardOptions { PositionIds = arange(5, dtype: ScalarType.Int64).unsqueeze(0) }).Logits;
        AssertClose(plain, same);
        // RoPE scores depend on relative positions only, so a uniform shift keeps the logits.
        var shifted = model.Forward(ids, null, new ForwardOptions { PositionIds = arange(100, 105, dtype: ScalarType.Int64).unsqueeze(0) }).Logits;
        Assert.True((plain - shifted).abs().max().item<float>() < 1e-4f);
        var stretched = model.Forward(ids, null, new ForwardOptions { PositionIds = (arange(5, dtype: ScalarType.Int64) * 3).unsqueeze(0) }).Logits;
        Assert.True((plain - stretched).abs().max().item<float>() > 1e-3f);
    }

    [Fact]
    public void Document_ids_with_a_filled_cache_are_refused()
    {
        using var scope = NewDisposeScope();
        using var model = Model("llama");
        using var _ = no_grad();
        using var cache = model.NewCache();
        var ids = Ids(model.ModelConfig.VocabSize, 3, seed: 9);
        model.Forward(ids, null, new ForwardOptions { Cache = cache });
        Assert.Throws<NotSupportedException>(() =>
            model.Forward(ids, null, new ForwardOptions { Cache = cache, DocumentIds = zeros(1, 3, dtype: ScalarType.Int64) }));
    }
}
