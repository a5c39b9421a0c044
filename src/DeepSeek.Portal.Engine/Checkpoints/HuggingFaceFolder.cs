using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Checkpoints;

/// <summary>What <see cref="HuggingFaceFolder.Save(string, nn.Module, HuggingFaceSaveOptions)"/> writes beside the weights.</summary>
public sealed record HuggingFaceSaveOptions
{
    /// <summary>The model's <c>config.json</c>, written as given (it must be a JSON object).</summary>
    public required string ConfigJson { get; init; }

    /// <summary>
    /// <c>generation_config.json</c> as given; when null a minimal one is derived from the config's
    /// <c>bos_token_id</c>, <c>eos_token_id</c> and <c>pad_token_id</c>, as transformers does for a model without one.
    /// </summary>
    public string? GenerationConfigJson { get; init; }

    /// <summary>Above this many bytes of tensor data the weights are split into shards plus an index. HF's default is 5 GB.</summary>
    public long MaxShardBytes { get; init; } = 5_000_000_000;

    /// <summary>Store floating-point tensors in this dtype (e.g. BF16); null keeps each tensor's own.</summary>
    public ScalarType? DType { get; init; }

    /// <summary>Extra <c>__metadata__</c> entries for every weights file (<c>format: pt</c> is always written).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>
/// Writes a model in the Hugging Face folder layout — <c>config.json</c>, <c>generation_config.json</c> and
/// <c>model.safetensors</c>, or shards <c>model-0000k-of-0000n.safetensors</c> plus
/// <c>model.safetensors.index.json</c> above <see cref="HuggingFaceSaveOptions.MaxShardBytes"/> — atomically: the
/// folder is built under a temporary name beside the target and renamed into place, so readers never see half of it.
/// </summary>
public static class HuggingFaceFolder
{
    /// <summary>The config file name.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The generation config file name.</summary>
    public const string GenerationConfigFile = "generation_config.json";

    /// <summary>Shard file name as transformers writes it (five-digit index and total).</summary>
    public static string ShardName(int index, int total) =>
        string.Create(CultureInfo.InvariantCulture, $"model-{index:D5}-of-{total:D5}.safetensors");

    /// <summary>Saves a module's <c>state_dict</c> (parameters and persistent buffers, HF names) to <paramref name="directory"/>.</summary>
    /// <returns>The folder written.</returns>
    public static string Save(string directory, nn.Module module, HuggingFaceSaveOptions options) =>
        Save(directory, module.state_dict(), options);

    /// <summary>Saves named tensors to <paramref name="directory"/>, replacing any folder already there.</summary>
    /// <returns>The folder written.</returns>
    public static string Save(string directory, IEnumerable<KeyValuePair<string, Tensor>> tensors, HuggingFaceSaveOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var config = ParseObject(options.ConfigJson, ConfigFile);
        var generation = options.GenerationConfigJson is null ? DeriveGenerationConfig(config) : ParseObject(options.GenerationConfigJson, GenerationConfigFile);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxShardBytes, 1);

        var final = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(parent);
        var temp = final + ".tmp-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        try
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (options.Metadata is not null) foreach (var (k, v) in options.Metadata) metadata[k] = v;
            metadata["format"] = "pt";
            WriteWeights(temp, [.. tensors], metadata, options);
            WriteText(Path.Combine(temp, ConfigFile), options.ConfigJson);
            WriteText(Path.Combine(temp, GenerationConfigFile), options.GenerationConfigJson ?? generation.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

            if (Directory.Exists(final))
            {
                var old = final + ".old-" + Guid.NewGuid().ToString("N");
                Directory.Move(final, old);
                Directory.Move(temp, final);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, final);
            }
            return final;
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    private static void WriteWeights(string folder, List<KeyValuePair<string, Tensor>> tensors, Dictionary<string, string> metadata, HuggingFaceSaveOptions options)
    {
        // Greedy packing in state_dict order, as transformers does: a new shard starts when the next tensor would overflow.
        var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long current = 0, total = 0;
        foreach (var item in tensors)
        {
            long size = item.Value.numel() * StoredElementSize(item.Value.dtype, options.DType);
            if (shards[^1].Count > 0 && current + size > options.MaxShardBytes)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(item);
            current += size;
            total += size;
        }
        if (shards.Count == 1)
        {
            SafeTensors.Save(Path.Combine(folder, SafeTensorsCheckpoint.SingleFile), shards[0], metadata, options.DType);
            return;
        }
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            var name = ShardName(i + 1, shards.Count);
            SafeTensors.Save(Path.Combine(folder, name), shards[i], metadata, options.DType);
            foreach (var (tensorName, _) in shards[i]) weightMap[tensorName] = name;
        }
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = total },
            ["weight_map"] = new JsonObject(weightMap.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
        };
        WriteText(Path.Combine(folder, SafeTensorsCheckpoint.IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static long StoredElementSize(ScalarType type, ScalarType? floatDType)
    {
        bool floating = type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;
        var stored = floating && floatDType is ScalarType f ? f : type;
        return stored switch
        {
            ScalarType.Bool or ScalarType.Byte or ScalarType.Int8 => 1,
            ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
            ScalarType.Int32 or ScalarType.Float32 => 4,
            _ => 8,
        };
    }

    private static JsonObject ParseObject(string json, string file)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException($"{file} must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{file} is not valid JSON: {e.Message}", e);
        }
    }

    private static JsonObject DeriveGenerationConfig(JsonObject config)
    {
        var result = new JsonObject { ["_from_model_config"] = true };
        foreach (var key in new[] { "bos_token_id", "eos_token_id", "pad_token_id" })
            if (config[key] is JsonNode value) result[key] = value.DeepClone();
        return result;
    }

    private static void WriteText(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        stream.Write(new UTF8Encoding(false).GetBytes(text));
        stream.Flush(flushToDisk: true);
    }
}
