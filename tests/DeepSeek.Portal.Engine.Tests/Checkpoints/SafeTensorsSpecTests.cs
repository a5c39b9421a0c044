using System.Buffers.Binary;
using System.Text;
using DeepSeek.Portal.Engine.Checkpoints;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Checkpoints;

/// <summary>The rules of the safetensors reader not covered by SafeTensorsTests, and the memory-mapped path.</summary>
public class SafeTensorsSpecTests
{
    private static byte[] File(byte[] json, int dataBytes)
    {
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] File(string json, int dataBytes) => File(Encoding.UTF8.GetBytes(json), dataBytes);

    private static string Reject(byte[] bytes) => Assert.Throws<SafeTensorsException>(() => SafeTensors.Deserialize(bytes)).Message;

    [Fact]
    public void Header_that_is_not_utf8_is_rejected()
    {
        var json = Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}");
        json[3] = 0xFF; // inside the name: not a valid UTF-8 byte anywhere
        Assert.Contains("not valid UTF-8", Reject(File(json, 1)));
    }

    [Fact]
    public void Metadata_values_must_be_strings()
    {
        Assert.Contains("__metadata__ value of 'step' must be a string", Reject(File("{\"__metadata__\":{\"step\":3}}", 0)));
    }

    [Fact]
    public void Offsets_with_end_before_begin_are_rejected_naming_the_tensor()
    {
        Assert.Contains("Tensor 'w' data_offsets must be non-negative integers with begin ≤ end",
            Reject(File("{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4)));
    }

    [Fact]
    public void Negative_dimensions_and_missing_fields_are_rejected_naming_the_tensor()
    {
        Assert.Contains("Tensor 'w' shape entries must be non-negative", Reject(File("{\"w\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0)));
        Assert.Contains("Tensor 'w' has no string 'dtype'", Reject(File("{\"w\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1)));
        Assert.Contains("Tensor 'w' has no 'shape' array", Reject(File("{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1)));
        Assert.Contains("Tensor 'w' needs 'data_offsets'", Reject(File("{\"w\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1)));
    }

    [Fact]
    public void Unsorted_but_contiguous_offsets_are_accepted_in_buffer_order()
    {
        // The rule is on the offsets once sorted, not on the order of keys in the JSON.
        var bytes = File("{\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 2);
        bytes[^2] = 7;
        bytes[^1] = 9;
        var tensors = SafeTensors.Deserialize(bytes);
        Assert.Equal(7, tensors["a"].item<byte>());
        Assert.Equal(9, tensors["b"].item<byte>());
    }

    [Fact]
    public void Memory_mapped_open_rejects_a_malformed_file_naming_file_and_tensor()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "bad.safetensors");
        System.IO.File.WriteAllBytes(path, File("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,20]}}", 20));
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("bad.safetensors", e.Message);
        Assert.Contains("'attn.0'", e.Message);
        Assert.Contains("needs 24 bytes", e.Message);
    }

    [Fact]
    public void Files_round_trip_through_the_memory_mapped_reader_for_every_dtype_scalars_and_empty_tensors()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var original = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 4),
            ["f16"] = randn(5).to(ScalarType.Float16),
            ["bf16"] = randn(2, 3).to(ScalarType.BFloat16),
            ["i64"] = tensor(new long[] { long.MinValue, 0, long.MaxValue }),
            ["u8"] = tensor(new byte[] { 0, 128, 255 }),
            ["bool"] = tensor(new[] { true, false }),
            ["scalar"] = tensor(-1.25f),
            ["empty"] = zeros(0, 7, ScalarType.BFloat16),
        };
        var path = Path.Combine(temp.Path, "all.safetensors");
        SafeTensors.Save(path, original, new Dictionary<string, string> { ["format"] = "pt" });

        var loaded = SafeTensors.Load(path);
        Assert.Equal(original.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, value) in original) TensorAssert.Equal(value, loaded[name], name);
        // The tensors own their memory: the mapping is gone and the file can be removed.
        System.IO.File.Delete(path);
        Assert.Equal(-1.25f, loaded["scalar"].item<float>());
    }

    [Fact]
    public void Reading_converts_dtype_on_the_way_in_chunks_equal_to_a_torch_cast()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var f32 = randn(37, 5);
        var bf16 = randn(37, 5).to(ScalarType.BFloat16);
        var f16 = randn(37, 5).to(ScalarType.Float16);
        var path = Path.Combine(temp.Path, "mixed.safetensors");
        SafeTensors.Save(path, [new("f32", f32), new("bf16", bf16), new("f16", f16)]);

        int staging = SafeTensorsFile.StagingBytes;
        SafeTensorsFile.StagingBytes = 48; // a few rows per chunk, so chunk edges are crossed
        try
        {
            using var file = SafeTensorsFile.Open(path);
            TensorAssert.Equal(bf16.to(ScalarType.Float32), file.Read("bf16", ScalarType.Float32));
            TensorAssert.Equal(f16.to(ScalarType.Float32), file.Read("f16", ScalarType.Float32));
            TensorAssert.Equal(f32.to(ScalarType.BFloat16), file.Read("f32", ScalarType.BFloat16));
            TensorAssert.Equal(f32.to(ScalarType.Float16), file.Read("f32", ScalarType.Float16));
            TensorAssert.Equal(f32, file.Read("f32"));
        }
        finally
        {
            SafeTensorsFile.StagingBytes = staging;
        }
    }

    [Fact]
    public void Writer_can_store_float_tensors_in_another_dtype_and_leaves_integers_alone()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "bf16.safetensors");
        var weights = randn(4, 4);
        SafeTensors.Save(path, [new("w", weights), new("ids", tensor(new long[] { 1, 2 }))], null, ScalarType.BFloat16);
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal("BF16", file.Entry("w").DType);
        Assert.Equal("I64", file.Entry("ids").DType);
        TensorAssert.Equal(weights.to(ScalarType.BFloat16), file.Read("w"));
    }
}
