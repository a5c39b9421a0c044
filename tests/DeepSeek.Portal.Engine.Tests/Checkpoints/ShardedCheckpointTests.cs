using System.Text.Json;
using DeepSeek.Portal.Engine.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Checkpoints;

public class ShardedCheckpointTests
{
    /// <summary>Writes <paramref name="source"/>'s tensors into DeepSeek-style shards (six-digit total) with an index.</summary>
    private static Dictionary<string, string> WriteShards(string folder, TinyCausalLM source, int shardCount, Action<Dictionary<string, string>>? editMap = null)
    {
        var state = source.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var map = new Dictionary<string, string>();
        for (int s = 0; s < shardCount; s++)
        {
            var name = $"model-{s + 1:D5}-of-{shardCount:D6}.safetensors";
            var part = state.Where((_, i) => i % shardCount == s).ToList();
            SafeTensors.Save(Path.Combine(folder, name), part, new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var (tensorName, _) in part) map[tensorName] = name;
        }
        editMap?.Invoke(map);
        var index = new { metadata = new { total_size = 0 }, weight_map = map };
        File.WriteAllText(Path.Combine(folder, SafeTensorsCheckpoint.IndexFile), JsonSerializer.Serialize(index));
        return map;
    }

    [Fact]
    public void Sharded_checkpoint_with_six_digit_totals_loads_every_tensor_through_the_index()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var source = new TinyCausalLM(seed: 1);
        WriteShards(temp.Path, source, shardCount: 4);
        using var target = new TinyCausalLM(seed: 2);

        var report = CheckpointLoader.LoadInto(target, temp.Path);

        TensorAssert.SameParameters(source, target);
        Assert.Equal(source.state_dict().Count, report.Loaded.Count);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        using var checkpoint = SafeTensorsCheckpoint.Open(temp.Path);
        Assert.True(checkpoint.IsSharded);
        Assert.Equal(4, checkpoint.ShardFiles.Count);
        Assert.Equal("model-00003-of-000004.safetensors", checkpoint.ShardFiles[2]);
    }

    [Fact]
    public void Shards_are_found_only_through_the_weight_map_not_by_file_name()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var source = new TinyCausalLM(seed: 1);
        // Everything in one shard whose name does not follow any pattern; a decoy with another pattern beside it.
        SafeTensors.Save(Path.Combine(temp.Path, "weights-part-a.safetensors"), source.state_dict());
        SafeTensors.Save(Path.Combine(temp.Path, "model-00001-of-000001.safetensors"), [new("lm_head.weight", zeros(11, 8))]);
        var map = source.state_dict().Keys.ToDictionary(k => k, _ => "weights-part-a.safetensors");
        File.WriteAllText(Path.Combine(temp.Path, SafeTensorsCheckpoint.IndexFile), JsonSerializer.Serialize(new { weight_map = map }));
        using var target = new TinyCausalLM(seed: 2);

        CheckpointLoader.LoadInto(target, Path.Combine(temp.Path, SafeTensorsCheckpoint.IndexFile));

        TensorAssert.SameParameters(source, target);
    }

    [Fact]
    public void A_missing_shard_is_an_error_naming_the_shard_and_a_tensor()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var source = new TinyCausalLM();
        var map = WriteShards(temp.Path, source, shardCount: 2);
        File.Delete(Path.Combine(temp.Path, "model-00002-of-000002.safetensors"));

        var e = Assert.Throws<FileNotFoundException>(() => SafeTensorsCheckpoint.Open(temp.Path));
        Assert.Contains("'model-00002-of-000002.safetensors'", e.Message);
        Assert.Contains(map.First(kv => kv.Value.StartsWith("model-00002", StringComparison.Ordinal)).Key, e.Message);
    }

    [Fact]
    public void A_tensor_absent_from_the_weight_map_is_missing_and_reading_it_names_the_index()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var source = new TinyCausalLM();
        WriteShards(temp.Path, source, 2, map => map.Remove("model.embed_tokens.weight"));
        using var target = new TinyCausalLM(seed: 3);

        var strict = Assert.Throws<SafeTensorsException>(() => CheckpointLoader.LoadInto(target, temp.Path));
        Assert.Contains("1 missing [model.embed_tokens.weight]", strict.Message);
        using var checkpoint = SafeTensorsCheckpoint.Open(temp.Path);
        var read = Assert.Throws<SafeTensorsException>(() => checkpoint.Read("model.embed_tokens.weight"));
        Assert.Contains("not in the weight_map of model.safetensors.index.json", read.Message);

        var report = CheckpointLoader.LoadInto(target, temp.Path, new CheckpointLoadOptions { Strict = false });
        Assert.Equal(["model.embed_tokens.weight"], report.Missing);
    }

    [Fact]
    public void A_weight_map_entry_whose_shard_lacks_the_tensor_is_an_error()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var source = new TinyCausalLM();
        WriteShards(temp.Path, source, 2, map => map["lm_head.weight"] = map.Values.First(v => v != map["lm_head.weight"]));
        using var target = new TinyCausalLM(seed: 3);
        var e = Assert.Throws<SafeTensorsException>(() => CheckpointLoader.LoadInto(target, temp.Path));
        Assert.Contains("'lm_head.weight'", e.Message);
        Assert.Contains("has no such tensor", e.Message);
    }

    [Fact]
    public void Shard_names_that_are_paths_are_rejected()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(Path.Combine(temp.Path, SafeTensorsCheckpoint.IndexFile), "{\"weight_map\":{\"w\":\"../elsewhere.safetensors\"}}");
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensorsCheckpoint.Open(temp.Path));
        Assert.Contains("not a plain file name", e.Message);
    }

    [Fact]
    public void The_mtp_layer_is_ignored_only_when_asked_and_reported()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var source = new TinyCausalLM(layers: 2);
        var tensors = source.state_dict().ToList();
        tensors.Add(new("model.layers.2.eh_proj.weight", ones(8, 16)));
        tensors.Add(new("model.layers.2.enorm.weight", ones(8)));
        var path = Path.Combine(temp.Path, "model.safetensors");
        SafeTensors.Save(path, tensors);
        using var target = new TinyCausalLM(layers: 2, seed: 4);

        var strict = Assert.Throws<SafeTensorsException>(() => CheckpointLoader.LoadInto(target, path));
        Assert.Contains("2 unexpected [model.layers.2.eh_proj.weight, model.layers.2.enorm.weight]", strict.Message);

        var report = CheckpointLoader.LoadInto(target, path, new CheckpointLoadOptions { IgnoreLayersFrom = 2 });
        Assert.Equal(["model.layers.2.eh_proj.weight", "model.layers.2.enorm.weight"], report.Ignored.Order());
        Assert.Empty(report.Unexpected);
        TensorAssert.SameParameters(source, target);
    }

    [Fact]
    public void A_shape_mismatch_names_the_tensor_and_copies_nothing()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var source = new TinyCausalLM();
        var tensors = source.state_dict().Where(kv => kv.Key != "lm_head.weight").ToList();
        tensors.Add(new("lm_head.weight", zeros(11, 9)));
        var path = Path.Combine(temp.Path, "model.safetensors");
        SafeTensors.Save(path, tensors);
        using var target = new TinyCausalLM(seed: 9);
        var before = target.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var e = Assert.Throws<SafeTensorsException>(() => CheckpointLoader.LoadInto(target, path));
        Assert.Contains("'lm_head.weight' has shape [11, 9]", e.Message);
        foreach (var (name, value) in target.state_dict()) TensorAssert.Equal(before[name], value, name);
    }

    [Fact]
    public void Bf16_checkpoint_loads_into_an_f32_model_and_f32_into_a_bf16_model()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var source = new TinyCausalLM(seed: 1);
        var path = Path.Combine(temp.Path, "model.safetensors");
        SafeTensors.Save(path, source.state_dict(), null, ScalarType.BFloat16);

        using var f32 = new TinyCausalLM(seed: 2);
        CheckpointLoader.LoadInto(f32, path);
        foreach (var (name, value) in source.state_dict())
            TensorAssert.Equal(value.to(ScalarType.BFloat16).to(ScalarType.Float32), f32.state_dict()[name], name);

        var f32Path = Path.Combine(temp.Path, "f32.safetensors");
        SafeTensors.Save(f32Path, source.state_dict());
        using var bf16 = new TinyCausalLM(seed: 3);
        bf16.to(ScalarType.BFloat16);
        CheckpointLoader.LoadInto(bf16, f32Path);
        foreach (var (name, value) in source.state_dict())
            TensorAssert.Equal(value.to(ScalarType.BFloat16), bf16.state_dict()[name], name);
    }
}
