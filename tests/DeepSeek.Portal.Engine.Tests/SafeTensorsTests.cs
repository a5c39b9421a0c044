using System.Buffers.Binary;
using System.Text;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests;

public class SafeTensorsTests
{
    private const string ReferenceHeader = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";

    /// <summary>The byte test vector of safetensors/src/tensor.rs: 64-byte header, f32 values 0..5.</summary>
    private static byte[] ReferenceFile()
    {
        var bytes = new List<byte> { 64, 0, 0, 0, 0, 0, 0, 0 };
        bytes.AddRange(Encoding.ASCII.GetBytes(ReferenceHeader));
        for (int i = 0; i < 6; i++)
        {
            var value = new byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(value, i);
            bytes.AddRange(value);
        }
        return [.. bytes];
    }

    private static byte[] File(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void Reference_vector_parses_to_one_f32_tensor_with_values_0_to_5()
    {
        using var scope = NewDisposeScope();
        var tensors = SafeTensors.Deserialize(ReferenceFile());
        var t = Assert.Single(tensors);
        Assert.Equal("attn.0", t.Key);
        Assert.Equal(ScalarType.Float32, t.Value.dtype);
        Assert.Equal(new long[] { 1, 2, 3 }, t.Value.shape);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, t.Value.data<float>().ToArray());
    }

    [Fact]
    public void Writer_reproduces_the_reference_vector_byte_for_byte()
    {
        using var scope = NewDisposeScope();
        var bytes = SafeTensors.Serialize([new("attn.0", arange(6, dtype: ScalarType.Float32).reshape(1, 2, 3))]);
        Assert.Equal(ReferenceFile(), bytes);
    }

    [Fact]
    public void Empty_file_vector_parses_and_is_what_the_writer_emits()
    {
        byte[] expected = [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32];
        Assert.Empty(SafeTensors.Deserialize(expected));
        Assert.Equal(expected, SafeTensors.Serialize([]));
    }

    [Fact]
    public void Writer_pads_the_header_to_8_bytes_and_orders_by_alignment_then_name()
    {
        using var scope = NewDisposeScope();
        var bytes = SafeTensors.Serialize(
        [
            new("b.bytes", ones(3, dtype: ScalarType.Byte)),
            new("a.half", ones(2, dtype: ScalarType.BFloat16)),
            new("z.long", ones(1, dtype: ScalarType.Int64)),
            new("c.float", ones(2, 2)),
            new("a.float", zeros(1)),
            new("flag", tensor(true)),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        var json = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.EndsWith("}", json.TrimEnd(' '));
        Assert.InRange(json.Length - json.TrimEnd(' ').Length, 0, 7);

        using var stream = new MemoryStream(bytes);
        var header = SafeTensors.ReadHeader(stream);
        Assert.Equal(["z.long", "a.float", "c.float", "a.half", "b.bytes", "flag"], header.Tensors.Select(t => t.Name));
        Assert.Equal("pt", header.Metadata["format"]);
        Assert.Equal(Array.Empty<long>(), header.Tensors.Single(t => t.Name == "flag").Shape);
    }

    [Fact]
    public void Model_state_dict_round_trips_through_a_file_with_all_values_equal()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var config = TestModels.TwoLayer(qLoraRank: 8);
        using var source = new DeepSeekForCausalLM(config);
        using (var g = new Generator(1)) source.InitializeWeights(g);
        using var target = new DeepSeekForCausalLM(config);
        using (var g = new Generator(2)) target.InitializeWeights(g);
        var path = Path.Combine(temp.Path, "model.safetensors");

        SafeTensors.SaveModule(source, path, new Dictionary<string, string> { ["step"] = "3" });
        var metadata = SafeTensors.LoadModule(target, path);

        Assert.Equal("pt", metadata["format"]);
        Assert.Equal("3", metadata["step"]);
        var expected = source.state_dict();
        foreach (var (name, value) in target.state_dict())
            Assert.True(value.eq(expected[name]).all().item<bool>(), $"{name} differs after the round trip");
        Assert.False(System.IO.File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Round_trip_keeps_dtypes_and_bit_patterns()
    {
        using var scope = NewDisposeScope();
        var original = new Dictionary<string, Tensor>
        {
            ["bf16"] = randn(3, 5).to(ScalarType.BFloat16),
            ["f16"] = randn(4).to(ScalarType.Float16),
            ["i64"] = tensor(new long[] { long.MinValue, -1, long.MaxValue }),
            ["i32"] = tensor(new[] { int.MinValue, 7 }),
            ["u8"] = tensor(new byte[] { 0, 255 }),
            ["bool"] = tensor(new[] { true, false, true }),
            ["empty"] = zeros(0, 3),
            ["scalar"] = tensor(2.5f),
        };
        var loaded = SafeTensors.Deserialize(SafeTensors.Serialize(original));
        foreach (var (name, value) in original)
        {
            Assert.Equal(value.dtype, loaded[name].dtype);
            Assert.Equal(value.shape, loaded[name].shape);
            Assert.True(value.eq(loaded[name]).all().item<bool>(), name);
        }
    }

    [Fact]
    public void Overlapping_offsets_are_rejected_naming_the_tensor()
    {
        var bytes = File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(bytes));
        Assert.Contains("'b'", e.Message);
        Assert.Contains("overlap", e.Message);
    }

    [Fact]
    public void Non_contiguous_offsets_are_rejected_naming_the_tensor()
    {
        var bytes = File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(bytes));
        Assert.Contains("'b'", e.Message);
        Assert.Contains("gap", e.Message);
    }

    [Fact]
    public void Offsets_that_disagree_with_shape_and_dtype_are_rejected()
    {
        var bytes = File("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,20]}}", 20);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(bytes));
        Assert.Contains("'attn.0'", e.Message);
        Assert.Contains("needs 24 bytes", e.Message);
    }

    [Fact]
    public void Data_buffer_of_the_wrong_size_is_rejected()
    {
        var bytes = File(ReferenceHeader, 28);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(bytes));
        Assert.Contains("cover 24 bytes", e.Message);
        Assert.Contains("holds 28 bytes", e.Message);
    }

    [Fact]
    public void Header_length_beyond_the_limit_or_the_file_is_rejected()
    {
        var huge = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(huge, 100_000_001);
        Assert.Contains("exceeds the limit", Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(huge)).Message);

        var pastEnd = ReferenceFile()[..40];
        Assert.Contains("runs past the end", Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(pastEnd)).Message);

        Assert.Contains("too small", Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize([1, 2, 3])).Message);
    }

    [Fact]
    public void Duplicate_names_unknown_dtypes_and_non_json_headers_are_rejected()
    {
        var duplicate = File("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2);
        Assert.Contains("'a' appears more than once", Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(duplicate)).Message);

        var unknown = File("{\"w\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        Assert.Contains("unknown dtype 'F99'", Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(unknown)).Message);

        var notJson = File("not json", 0);
        Assert.Contains("not valid JSON", Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(notJson)).Message);

        var array = File("[]      ", 0);
        Assert.Contains("must be a JSON object", Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(array)).Message);
    }

    [Fact]
    public void Strict_module_load_reports_missing_and_unexpected_tensors()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "other.safetensors");
        SafeTensors.Save(path, [new("lm_head.weight", zeros(97, 32)), new("extra.weight", zeros(1))]);
        using var model = new DeepSeekForCausalLM(TestModels.TwoLayer());
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.LoadModule(model, path));
        Assert.Contains("model.norm.weight", e.Message);
        Assert.Contains("extra.weight", e.Message);
    }
}
