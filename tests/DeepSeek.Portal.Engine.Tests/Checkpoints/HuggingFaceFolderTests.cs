using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Engine.Checkpoints;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Checkpoints;

public class HuggingFaceFolderTests
{
    private const string Config = "{\"model_type\":\"llama\",\"hidden_size\":8,\"bos_token_id\":1,\"eos_token_id\":2}";

    /// <summary>The header of a safetensors file, parsed here with System.Text.Json rather than by the reader under test.</summary>
    private static JsonElement Header(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        return JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n)).RootElement.Clone();
    }

    [Fact]
    public void Small_model_is_one_file_with_config_generation_config_and_format_pt()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var model = new TinyCausalLM(seed: 1);
        var folder = HuggingFaceFolder.Save(Path.Combine(temp.Path, "out"), model, new HuggingFaceSaveOptions { ConfigJson = Config });

        Assert.Equal(["config.json", "generation_config.json", "model.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Equal(Config, File.ReadAllText(Path.Combine(folder, "config.json")));
        var generation = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "generation_config.json"))).RootElement;
        Assert.Equal(1, generation.GetProperty("bos_token_id").GetInt32());
        Assert.Equal(2, generation.GetProperty("eos_token_id").GetInt32());
        var header = Header(Path.Combine(folder, "model.safetensors"));
        Assert.Equal("pt", header.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.Equal("F32", header.GetProperty("lm_head.weight").GetProperty("dtype").GetString());
        Assert.Equal([Path.Combine(temp.Path, "out")], Directory.GetDirectories(temp.Path));
    }

    [Fact]
    public void Model_above_the_threshold_is_sharded_with_an_index_and_loads_back_identically()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var model = new TinyCausalLM(seed: 1);
        var options = new HuggingFaceSaveOptions { ConfigJson = Config, MaxShardBytes = 400, GenerationConfigJson = "{\"do_sample\":false}" };
        var folder = HuggingFaceFolder.Save(Path.Combine(temp.Path, "out"), model, options);

        var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "model.safetensors.index.json"))).RootElement;
        var weightMap = index.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(model.state_dict().Keys.Order(), weightMap.Keys.Order());
        var shards = weightMap.Values.Distinct().Order().ToList();
        Assert.True(shards.Count > 1);
        Assert.Equal($"model-00001-of-{shards.Count:D5}.safetensors", shards[0]);
        long expectedTotal = model.state_dict().Values.Sum(t => t.numel() * 4);
        Assert.Equal(expectedTotal, index.GetProperty("metadata").GetProperty("total_size").GetInt64());
        foreach (var shard in shards)
        {
            var header = Header(Path.Combine(folder, shard));
            var names = header.EnumerateObject().Select(p => p.Name).Where(n => n != "__metadata__");
            Assert.All(names, n => Assert.Equal(shard, weightMap[n]));
        }
        Assert.Equal("{\"do_sample\":false}", File.ReadAllText(Path.Combine(folder, "generation_config.json")));

        using var fresh = new TinyCausalLM(seed: 2);
        CheckpointLoader.LoadInto(fresh, folder);
        TensorAssert.SameParameters(model, fresh);
    }

    [Fact]
    public void Saving_again_replaces_the_folder_and_leaves_no_temporary_folders()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var target = Path.Combine(temp.Path, "out");
        using var first = new TinyCausalLM(seed: 1);
        using var second = new TinyCausalLM(seed: 2);
        HuggingFaceFolder.Save(target, first, new HuggingFaceSaveOptions { ConfigJson = Config, MaxShardBytes = 400 });
        HuggingFaceFolder.Save(target, second, new HuggingFaceSaveOptions { ConfigJson = Config, DType = ScalarType.BFloat16 });

        Assert.Equal([target], Directory.GetDirectories(temp.Path));
        Assert.False(File.Exists(Path.Combine(target, "model.safetensors.index.json")));
        Assert.Equal("BF16", Header(Path.Combine(target, "model.safetensors")).GetProperty("lm_head.weight").GetProperty("dtype").GetString());
        using var fresh = new TinyCausalLM(seed: 3);
        CheckpointLoader.LoadInto(fresh, target);
        foreach (var (name, value) in second.state_dict())
            TensorAssert.Equal(value.to(ScalarType.BFloat16).to(ScalarType.Float32), fresh.state_dict()[name], name);
    }

    [Fact]
    public void A_config_that_is_not_a_json_object_is_refused_before_anything_is_written()
    {
        using var temp = new TempDirectory();
        using var model = new TinyCausalLM();
        Assert.Throws<ArgumentException>(() => HuggingFaceFolder.Save(Path.Combine(temp.Path, "out"), model, new HuggingFaceSaveOptions { ConfigJson = "[1]" }));
        Assert.Empty(Directory.GetDirectories(temp.Path));
    }
}
