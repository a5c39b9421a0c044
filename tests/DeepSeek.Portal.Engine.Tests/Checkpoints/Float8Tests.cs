using DeepSeek.Portal.Engine.Checkpoints;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Checkpoints;

public class Float8Tests
{
    [Theory]
    [InlineData(0x00, 0f)]
    [InlineData(0x38, 1f)]         // 0.0111.000: 2^(7-7)
    [InlineData(0x3C, 1.5f)]       // mantissa 100 = 1.5
    [InlineData(0x40, 2f)]
    [InlineData(0xC0, -2f)]
    [InlineData(0x7E, 448f)]       // largest finite: 1.75 · 2^8
    [InlineData(0xFE, -448f)]
    [InlineData(0x08, 0.015625f)]  // smallest normal 2^-6
    [InlineData(0x07, 0.013671875f)] // largest subnormal 7/8 · 2^-6
    [InlineData(0x01, 0.001953125f)] // smallest subnormal 2^-9
    [InlineData(0x81, -0.001953125f)]
    [InlineData(0x78, 256f)]       // 0.1111.000: exponent 15 is a normal exponent in E4M3 (no infinities)
    public void E4M3_decodes_known_bytes_exactly(int value, float expected)
    {
        Assert.Equal(expected, Float8.DecodeE4M3((byte)value));
    }

    [Fact]
    public void E4M3_has_exactly_two_nans_and_no_infinities_and_is_monotonic()
    {
        var all = Enumerable.Range(0, 256).Select(b => Float8.DecodeE4M3((byte)b)).ToArray();
        Assert.Equal([0x7F, 0xFF], Enumerable.Range(0, 256).Where(b => float.IsNaN(all[b])));
        Assert.DoesNotContain(all, float.IsInfinity);
        for (int b = 1; b < 0x7F; b++) Assert.True(all[b] > all[b - 1], $"0x{b:X2}");
        Assert.True(float.IsNegative(Float8.DecodeE4M3(0x80))); // negative zero
    }

    [Theory]
    [InlineData(0x3C, 1f)]
    [InlineData(0x7B, 57344f)]     // largest finite: 1.75 · 2^15
    [InlineData(0x04, 6.103515625e-05f)] // smallest normal 2^-14
    [InlineData(0x01, 1.52587890625e-05f)] // smallest subnormal 2^-16
    [InlineData(0x7C, float.PositiveInfinity)]
    [InlineData(0xFC, float.NegativeInfinity)]
    public void E5M2_decodes_known_bytes_exactly(int value, float expected)
    {
        Assert.Equal(expected, Float8.DecodeE5M2((byte)value));
    }

    [Fact]
    public void E5M2_is_the_upper_byte_of_an_ieee_half()
    {
        for (int b = 0; b < 256; b++)
        {
            float half = (float)BitConverter.UInt16BitsToHalf((ushort)(b << 8));
            float decoded = Float8.DecodeE5M2((byte)b);
            Assert.True(half.Equals(decoded), $"0x{b:X2}: {decoded} vs {half}");
        }
    }

    private static string WriteFp8(TempDirectory temp, byte[] weight, long rows, long cols, float[]? scale, long[]? scaleShape = null)
    {
        var tensors = new List<(string, string, long[], byte[])> { ("layer.weight", "F8_E4M3", [rows, cols], weight) };
        if (scale is not null)
            tensors.Add(("layer.weight_scale_inv", "F32", scaleShape ?? [(rows + 127) / 128, (cols + 127) / 128], RawSafeTensors.Floats(scale)));
        var path = Path.Combine(temp.Path, "model.safetensors");
        System.IO.File.WriteAllBytes(path, RawSafeTensors.Build([.. tensors]));
        return path;
    }

    [Fact]
    public void Block_scales_multiply_each_128_by_128_block()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        const long rows = 130, cols = 129; // scale grid [2, 2]; the last blocks are partial
        var weight = Enumerable.Repeat((byte)0x38, (int)(rows * cols)).ToArray(); // all 1.0
        var path = WriteFp8(temp, weight, rows, cols, [2f, 3f, 5f, 7f]);

        using var checkpoint = SafeTensorsCheckpoint.Open(path);
        Assert.Equal(["layer.weight"], checkpoint.TensorNames);
        var w = checkpoint.Read("layer.weight");
        Assert.Equal(ScalarType.Float32, w.dtype);
        Assert.Equal(2f, w[0, 0].item<float>());
        Assert.Equal(2f, w[127, 127].item<float>());
        Assert.Equal(3f, w[0, 128].item<float>());
        Assert.Equal(5f, w[128, 0].item<float>());
        Assert.Equal(7f, w[129, 128].item<float>());
    }

    [Fact]
    public void Dequantised_weights_equal_decode_times_block_scale_for_random_bytes_in_small_chunks()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        const long rows = 260, cols = 140;
        var random = new Random(5);
        var weight = new byte[rows * cols];
        random.NextBytes(weight);
        for (int i = 0; i < weight.Length; i++) if ((weight[i] & 0x7F) == 0x7F) weight[i] = 0x38; // no NaN
        var scale = Enumerable.Range(0, 3 * 2).Select(i => 0.5f + i).ToArray();
        var path = WriteFp8(temp, weight, rows, cols, scale);

        var expected = new float[rows * cols];
        for (long i = 0; i < rows; i++)
            for (long j = 0; j < cols; j++)
                expected[i * cols + j] = Float8.DecodeE4M3(weight[i * cols + j]) * scale[i / 128 * 2 + j / 128];

        int staging = SafeTensorsFile.StagingBytes;
        SafeTensorsFile.StagingBytes = 4 * (int)cols * 3; // three rows per chunk
        try
        {
            using var checkpoint = SafeTensorsCheckpoint.Open(path);
            Assert.Equal(expected, checkpoint.Read("layer.weight").data<float>().ToArray());
            // Straight into a bf16 parameter: decode, scale, then one rounding.
            var bf16 = empty(rows, cols, ScalarType.BFloat16);
            checkpoint.CopyTo("layer.weight", bf16);
            TensorAssert.Equal(tensor(expected).reshape(rows, cols).to(ScalarType.BFloat16), bf16);
        }
        finally
        {
            SafeTensorsFile.StagingBytes = staging;
        }
    }

    [Fact]
    public void A_scale_of_the_wrong_shape_is_rejected_naming_both_shapes()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var path = WriteFp8(temp, new byte[130 * 4], 130, 4, [1f, 1f], scaleShape: [1, 2]);
        using var checkpoint = SafeTensorsCheckpoint.Open(path);
        var e = Assert.Throws<SafeTensorsException>(() => checkpoint.Read("layer.weight"));
        Assert.Contains("'layer.weight'", e.Message);
        Assert.Contains("must be [2, 1]", e.Message);
        Assert.Contains("[1, 2]", e.Message);
    }

    [Fact]
    public void Float8_without_a_scale_decodes_unscaled()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var path = WriteFp8(temp, [0x38, 0x7E, 0xC0, 0x01], 2, 2, null);
        var w = SafeTensors.Load(path)["layer.weight"];
        Assert.Equal(new[] { 1f, 448f, -2f, 0.001953125f }, w.data<float>().ToArray());
    }
}
