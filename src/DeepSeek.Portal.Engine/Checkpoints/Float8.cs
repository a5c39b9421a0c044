namespace DeepSeek.Portal.Engine.Checkpoints;

/// <summary>
/// Exact decoding of the two 8-bit float formats that safetensors stores (<c>F8_E4M3</c> and <c>F8_E5M2</c>) and the
/// block-wise dequantisation of DeepSeek-V3's FP8 weights. TorchSharp 0.107 has no float8 dtype, so decoding is
/// done here in C# through 256-entry tables computed from the bit layout.
/// </summary>
/// <remarks>
/// <para><b>E4M3</b> (the "fn" variant that PyTorch calls <c>float8_e4m3fn</c>): 1 sign, 4 exponent bits (bias 7), 3
/// mantissa bits; exponent 0 encodes subnormals (m/8 · 2⁻⁶); there are no infinities and only <c>S.1111.111</c> is
/// NaN, so the largest finite value is 1.75 · 2⁸ = 448.</para>
/// <para><b>E5M2</b>: 1 sign, 5 exponent bits (bias 15), 2 mantissa bits, IEEE-like (exponent 31 is ∞ or NaN);
/// it is exactly the upper byte of an IEEE half, largest finite value 57344.</para>
/// </remarks>
public static class Float8
{
    /// <summary>Block edge of DeepSeek-V3's <c>weight_block_size</c> [128, 128].</summary>
    public const int DefaultBlockSize = 128;

    private static readonly float[] E4M3Table = BuildE4M3();
    private static readonly float[] E5M2Table = BuildE5M2();

    /// <summary>Decodes one <c>F8_E4M3</c> byte.</summary>
    public static float DecodeE4M3(byte value) => E4M3Table[value];

    /// <summary>Decodes one <c>F8_E5M2</c> byte.</summary>
    public static float DecodeE5M2(byte value) => E5M2Table[value];

    /// <summary>The decoding table of a safetensors float8 dtype tag (<c>F8_E4M3</c> or <c>F8_E5M2</c>), or null for any other tag.</summary>
    public static IReadOnlyList<float>? TableFor(string dtype) => dtype switch
    {
        "F8_E4M3" => E4M3Table,
        "F8_E5M2" => E5M2Table,
        _ => null,
    };

    /// <summary>
    /// Dequantises rows <c>[firstRow, firstRow + rowCount)</c> of a row-major <c>[rows, columns]</c> float8 matrix into
    /// <paramref name="destination"/> (row-major, <c>rowCount · columns</c> floats): <c>W[i, j] = decode(q[i, j]) ·
    /// scale[i / block, j / block]</c>, where <paramref name="scales"/> is the row-major
    /// <c>[⌈rows/block⌉, ⌈columns/block⌉]</c> <c>weight_scale_inv</c> matrix. With <paramref name="scales"/> empty the
    /// values are only decoded (scale 1).
    /// </summary>
    public static void Dequantize(
        ReadOnlySpan<byte> quantizedRows, string dtype, long columns, long firstRow, int rowCount,
        ReadOnlySpan<float> scales, int blockSize, Span<float> destination)
    {
        var table = dtype switch
        {
            "F8_E4M3" => E4M3Table,
            "F8_E5M2" => E5M2Table,
            _ => throw new ArgumentException($"'{dtype}' is not a float8 dtype.", nameof(dtype)),
        };
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        long count = rowCount * columns;
        if (quantizedRows.Length < count || destination.Length < count)
            throw new ArgumentException("Source or destination is shorter than rowCount · columns.");
        long blockColumns = (columns + blockSize - 1) / blockSize;
        bool scaled = !scales.IsEmpty;
        for (int r = 0; r < rowCount; r++)
        {
            var source = quantizedRows.Slice((int)(r * columns), (int)columns);
            var target = destination.Slice((int)(r * columns), (int)columns);
            if (!scaled)
            {
                for (int j = 0; j < source.Length; j++) target[j] = table[source[j]];
                continue;
            }
            var scaleRow = scales.Slice((int)((firstRow + r) / blockSize * blockColumns), (int)blockColumns);
            for (int j = 0; j < source.Length; j++) target[j] = table[source[j]] * scaleRow[j / blockSize];
        }
    }

    private static float[] BuildE4M3()
    {
        var table = new float[256];
        for (int b = 0; b < 256; b++)
        {
            int sign = b >> 7, exponent = (b >> 3) & 0xF, mantissa = b & 0x7;
            float magnitude = exponent == 0xF && mantissa == 0x7
                ? float.NaN
                : exponent == 0
                    ? mantissa / 8f * MathF.Pow(2, -6)
                    : (1 + mantissa / 8f) * MathF.Pow(2, exponent - 7);
            table[b] = sign == 1 ? -magnitude : magnitude;
        }
        return table;
    }

    private static float[] BuildE5M2()
    {
        var table = new float[256];
        for (int b = 0; b < 256; b++)
        {
            int sign = b >> 7, exponent = (b >> 2) & 0x1F, mantissa = b & 0x3;
            float magnitude = exponent == 0x1F
                ? mantissa == 0 ? float.PositiveInfinity : float.NaN
                : exponent == 0
                    ? mantissa / 4f * MathF.Pow(2, -14)
                    : (1 + mantissa / 4f) * MathF.Pow(2, exponent - 15);
            table[b] = sign == 1 ? -magnitude : magnitude;
        }
        return table;
    }
}
