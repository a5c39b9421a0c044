using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// Rotary position embedding for the decoupled RoPE dimensions of MLA.
/// </summary>
/// <remarks>
/// Convention: <b>interleaved pairs</b>. Dimensions (2i, 2i+1) form one pair rotated by the angle
/// <c>position · θ^(−2i/d)</c>, which is the layout DeepSeek checkpoints store (HF-native code does the same with
/// complex multiplication; the original remote code de-interleaves first and then applies rotate_half, which gives
/// the same scores because queries and keys are permuted alike). Weights trained here therefore load unchanged
/// into either implementation. No YaRN scaling.
/// </remarks>
public sealed class RotaryEmbedding
{
    private readonly int dim;
    private readonly double theta;

    /// <summary>Creates a rotary embedding over <paramref name="dim"/> (even) dimensions with base <paramref name="theta"/>.</summary>
    public RotaryEmbedding(int dim, double theta)
    {
        if (dim < 2 || dim % 2 != 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "RoPE needs a positive even number of dimensions.");
        this.dim = dim;
        this.theta = theta;
    }

    /// <summary>Number of rotated dimensions.</summary>
    public int Dim => dim;

    /// <summary>
    /// Cosines and sines for the given positions (int64, shape <c>[S]</c>), each <c>[S, dim/2]</c> in fp32 on the
    /// positions' device.
    /// </summary>
    public (Tensor Cos, Tensor Sin) Frequencies(Tensor positions)
    {
        // inv_freq_i = θ^(−2i/d), i = 0 .. d/2−1
        var exponents = arange(0, dim, 2, dtype: ScalarType.Float64, device: positions.device) / dim;
        var invFreq = (exponents * -Math.Log(theta)).exp();
        var angles = outer(positions.to(ScalarType.Float64), invFreq).to(ScalarType.Float32); // [S, d/2]
        return (angles.cos(), angles.sin());
    }

    /// <summary>
    /// Rotates the last dimension of <paramref name="x"/> (<c>[..., S, dim]</c>) by the frequencies from
    /// <see cref="Frequencies"/>; computed in fp32 and returned in the input dtype.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var inputType = x.dtype;
        var shape = x.shape;
        long half = shape[^1] / 2;
        var pairs = x.to(ScalarType.Float32).reshape([.. shape[..^1], half, 2]); // [..., S, d/2, 2]
        var even = pairs.select(-1, 0);
        var odd = pairs.select(-1, 1);
        var rotatedEven = even * cos - odd * sin;
        var rotatedOdd = even * sin + odd * cos;
        return stack([rotatedEven, rotatedOdd], -1).reshape(shape).to(inputType);
    }
}
