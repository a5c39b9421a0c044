using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>Which dimensions RoPE rotates together.</summary>
public enum RopeLayout
{
    /// <summary>Pairs (2i, 2i+1): the layout DeepSeek-V2/V3 checkpoints store for the decoupled rope dimensions.</summary>
    Interleaved,

    /// <summary>Pairs (i, i + d/2), <c>rotate_half</c> with cos/sin = cat(freqs, freqs): HF Llama and Qwen2.</summary>
    Half,
}

/// <summary>
/// Rotary position embedding, optionally with <see cref="RopeScaling"/> (YaRN or linear).
/// </summary>
/// <remarks>
/// <see cref="RopeLayout.Interleaved"/> is what DeepSeek checkpoints store: HF-native code rotates the pairs with
/// complex multiplication; the original remote code de-interleaves first and then applies rotate_half, which gives
/// the same scores because queries and keys are permuted alike. Llama-family checkpoints use
/// <see cref="RopeLayout.Half"/>. Angles are computed in fp64 and rounded once to fp32.
/// </remarks>
public sealed class RotaryEmbedding
{
    private readonly int dim;
    private readonly double[] inverseFrequencies;

    /// <summary>Creates a rotary embedding over <paramref name="dim"/> (even) dimensions with base <paramref name="theta"/>.</summary>
    public RotaryEmbedding(int dim, double theta, RopeScaling? scaling = null, RopeLayout layout = RopeLayout.Interleaved)
    {
        if (dim < 2 || dim % 2 != 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "RoPE needs a positive even number of dimensions.");
        this.dim = dim;
        Layout = layout;
        inverseFrequencies = RopeScaling.InverseFrequencies(dim, theta, scaling);
        CosSinFactor = scaling?.CosSinFactor ?? 1.0;
    }

    /// <summary>Number of rotated dimensions.</summary>
    public int Dim => dim;

    /// <summary>Which dimensions are rotated together.</summary>
    public RopeLayout Layout { get; }

    /// <summary>The inverse frequency of each pair, <c>[dim/2]</c>, after scaling.</summary>
    public IReadOnlyList<double> InverseFrequencies => inverseFrequencies;

    /// <summary>Multiplier on cos and sin (YaRN mscale ratio; 1 otherwise).</summary>
    public double CosSinFactor { get; }

    /// <summary>
    /// Cosines and sines for the given positions (int64). Positions <c>[S]</c> give <c>[S, dim/2]</c>; positions
    /// <c>[B, S]</c> give <c>[B, 1, S, dim/2]</c>, which broadcasts over heads of <c>[B, heads, S, dim]</c>.
    /// fp32 on the positions' device.
    /// </summary>
    public (Tensor Cos, Tensor Sin) Frequencies(Tensor positions)
    {
        var invFreq = tensor(inverseFrequencies, dtype: ScalarType.Float64, device: positions.device);
        var angles = positions.to(ScalarType.Float64).unsqueeze(-1) * invFreq; // [..., S, d/2]
        if (positions.dim() == 2) angles = angles.unsqueeze(1);
        angles = angles.to(ScalarType.Float32);
        var cos = angles.cos();
        var sin = angles.sin();
        if (CosSinFactor != 1.0)
        {
            cos = cos * CosSinFactor;
            sin = sin * CosSinFactor;
        }
        return (cos, sin);
    }

    /// <summary>Rotates the last dimension of <paramref name="x"/> (<c>[..., S, dim]</c>) in this embedding's layout.</summary>
    public Tensor Rotate(Tensor x, Tensor cos, Tensor sin) =>
        Layout == RopeLayout.Interleaved ? Apply(x, cos, sin) : ApplyHalf(x, cos, sin);

    /// <summary>
    /// Rotates interleaved pairs (2i, 2i+1) of the last dimension of <paramref name="x"/> (<c>[..., S, dim]</c>) by
    /// the frequencies from <see cref="Frequencies"/>; computed in fp32 and returned in the input dtype.
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

    /// <summary>
    /// HF Llama convention: <c>x·cat(cos,cos) + rotate_half(x)·cat(sin,sin)</c> with
    /// <c>rotate_half(x) = cat(−x[d/2:], x[:d/2])</c>; computed in fp32 and returned in the input dtype.
    /// </summary>
    public static Tensor ApplyHalf(Tensor x, Tensor cos, Tensor sin)
    {
        var inputType = x.dtype;
        long half = x.shape[^1] / 2;
        var h = x.to(ScalarType.Float32);
        var first = h.narrow(-1, 0, half);
        var second = h.narrow(-1, half, half);
        return cat([first * cos - second * sin, second * cos + first * sin], -1).to(inputType);
    }
}
