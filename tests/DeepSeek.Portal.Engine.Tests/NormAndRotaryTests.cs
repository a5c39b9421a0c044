using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests;

public class NormAndRotaryTests
{
    [Fact]
    public void RMSNorm_matches_a_hand_computation()
    {
        using var scope = NewDisposeScope();
        using var norm = new RMSNorm(4, 1e-6);
        using (no_grad()) norm.Weight.copy_(tensor(new float[] { 1f, 0.5f, 2f, 1f }));
        var output = norm.call(tensor(new float[] { 1, 2, 3, 4 }).reshape(1, 4));
        // mean(x²) = 30/4 = 7.5, rms = 2.7386128; y = x / rms · w
        var expected = new[] { 0.36514837f, 0.36514837f, 2.1908903f, 1.4605935f };
        var actual = output.data<float>().ToArray();
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], actual[i], 1e-5);
    }

    [Fact]
    public void RMSNorm_returns_the_input_dtype()
    {
        using var scope = NewDisposeScope();
        using var norm = new RMSNorm(8, 1e-6);
        var output = norm.call(randn(2, 8).to(ScalarType.BFloat16));
        Assert.Equal(ScalarType.BFloat16, output.dtype);
    }

    [Fact]
    public void Rotary_embedding_preserves_norms_and_is_identity_at_position_zero()
    {
        using var scope = NewDisposeScope();
        var rotary = new RotaryEmbedding(16, 10000.0);
        var x = randn(2, 3, 10, 16); // [B, heads, S, d]
        var (cos, sin) = rotary.Frequencies(arange(10, dtype: ScalarType.Int64));
        var rotated = RotaryEmbedding.Apply(x, cos, sin);

        Assert.True(allclose(rotated.norm(-1), x.norm(-1), rtol: 1e-5, atol: 1e-5));
        Assert.True(allclose(rotated[.., .., 0], x[.., .., 0], rtol: 0, atol: 1e-7));
        Assert.False(allclose(rotated[.., .., 1], x[.., .., 1], rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void Rotary_embedding_rotates_interleaved_pairs()
    {
        using var scope = NewDisposeScope();
        var rotary = new RotaryEmbedding(4, 10000.0);
        var (cos, sin) = rotary.Frequencies(tensor(new long[] { 1 }));
        var x = tensor(new float[] { 1, 0, 1, 0 }).reshape(1, 4);
        var y = RotaryEmbedding.Apply(x, cos, sin).data<float>().ToArray();
        // Pair (0,1) turns by 1 rad (θ^0); pair (2,3) by 1/√10000 = 0.01 rad.
        Assert.Equal(Math.Cos(1.0), y[0], 1e-5);
        Assert.Equal(Math.Sin(1.0), y[1], 1e-5);
        Assert.Equal(Math.Cos(0.01), y[2], 1e-5);
        Assert.Equal(Math.Sin(0.01), y[3], 1e-5);
    }

    [Fact]
    public void Rotary_scores_depend_only_on_relative_position()
    {
        using var scope = NewDisposeScope();
        var rotary = new RotaryEmbedding(8, 10000.0);
        var q = randn(8);
        var k = randn(8);
        float Score(long pq, long pk)
        {
            var (cq, sq) = rotary.Frequencies(tensor(new[] { pq }));
            var (ck, sk) = rotary.Frequencies(tensor(new[] { pk }));
            return (RotaryEmbedding.Apply(q.reshape(1, 8), cq, sq) * RotaryEmbedding.Apply(k.reshape(1, 8), ck, sk)).sum().item<float>();
        }
        Assert.Equal(Score(3, 1), Score(10, 8), 1e-4);
    }
}
