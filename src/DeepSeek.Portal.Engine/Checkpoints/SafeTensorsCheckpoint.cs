using System.Text.Json;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Checkpoints;

/// <summary>
/// The weights of a model as Hugging Face lays them out: one <c>model.safetensors</c>, or shards resolved only
/// through <c>model.safetensors.index.json</c>'s <c>weight_map</c> (DeepSeek names shards with a six-digit total,
/// e.g. <c>model-00001-of-000004.safetensors</c>; the names are never guessed). Shards are memory-mapped lazily and
/// kept open until disposal.
/// </summary>
/// <remarks>
/// Float8 weights (<c>F8_E4M3</c>, <c>F8_E5M2</c>) that come with a <c>&lt;name&gt;_scale_inv</c> tensor (DeepSeek-V3's
/// <c>weight_scale_inv</c>, <c>[⌈out/128⌉, ⌈in/128⌉]</c>) are dequantised on read as <c>W = W_fp8 · scale</c> per
/// 128×128 block; the scale tensors are then part of their weight, not tensors of their own (see
/// <see cref="ScaleNames"/>).
/// </remarks>
public sealed class SafeTensorsCheckpoint : IDisposable
{
    /// <summary>The single-file weights name.</summary>
    public const string SingleFile = "model.safetensors";

    /// <summary>The shard index name.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Suffix that DeepSeek-V3 appends to a float8 tensor's name for its inverse block scales.</summary>
    public const string ScaleSuffix = "_scale_inv";

    private readonly string _directory;
    private readonly Dictionary<string, string> _shardOf; // tensor → shard file name
    private readonly Dictionary<string, SafeTensorsFile> _open = new(StringComparer.Ordinal);
    private readonly string _source;

    private SafeTensorsCheckpoint(string directory, Dictionary<string, string> shardOf, string source, IReadOnlyList<string> shards)
    {
        _directory = directory;
        _shardOf = shardOf;
        _source = source;
        ShardFiles = shards;
    }

    /// <summary>Shard file names (one entry for a single-file checkpoint), in order of first appearance.</summary>
    public IReadOnlyList<string> ShardFiles { get; }

    /// <summary>Whether the weights came through an index.</summary>
    public bool IsSharded => _source.EndsWith(".json", StringComparison.Ordinal);

    /// <summary>Every tensor name the checkpoint lists, scale tensors included.</summary>
    public IReadOnlyCollection<string> AllNames => _shardOf.Keys;

    /// <summary>
    /// Opens a checkpoint from a folder (its <see cref="IndexFile"/> if present, else <see cref="SingleFile"/>),
    /// an index file, or a single <c>.safetensors</c> file.
    /// </summary>
    /// <exception cref="SafeTensorsException">The index or a file breaks the format.</exception>
    /// <exception cref="FileNotFoundException">Neither file exists, or a shard the index names is missing.</exception>
    public static SafeTensorsCheckpoint Open(string path)
    {
        if (Directory.Exists(path))
        {
            var index = Path.Combine(path, IndexFile);
            if (File.Exists(index)) return OpenIndex(index);
            var single = Path.Combine(path, SingleFile);
            if (File.Exists(single)) return OpenSingle(single);
            throw new FileNotFoundException($"{path} holds neither {IndexFile} nor {SingleFile}.", single);
        }
        if (path.EndsWith(".index.json", StringComparison.Ordinal)) return OpenIndex(path);
        return OpenSingle(path);
    }

    private static SafeTensorsCheckpoint OpenSingle(string file)
    {
        var opened = SafeTensorsFile.Open(file);
        var name = Path.GetFileName(file);
        var map = opened.Names.ToDictionary(n => n, _ => name, StringComparer.Ordinal);
        var checkpoint = new SafeTensorsCheckpoint(Path.GetDirectoryName(Path.GetFullPath(file))!, map, file, [name]);
        checkpoint._open[name] = opened;
        return checkpoint;
    }

    private static SafeTensorsCheckpoint OpenIndex(string indexPath)
    {
        var indexName = Path.GetFileName(indexPath);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (JsonException e)
        {
            throw new SafeTensorsException($"{indexName} is not valid JSON: {e.Message}", e);
        }
        using var _ = document;
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("weight_map", out var weightMap)
            || weightMap.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsException($"{indexName} has no 'weight_map' object.");

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var shards = new List<string>();
        foreach (var item in weightMap.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new SafeTensorsException($"{indexName}: weight_map entry of tensor '{item.Name}' must be a shard file name.");
            var shard = item.Value.GetString()!;
            // A shard is a file beside the index, never a path that could lead elsewhere.
            if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or "..")
                throw new SafeTensorsException($"{indexName}: tensor '{item.Name}' is mapped to '{shard}', which is not a plain file name.");
            if (!map.TryAdd(item.Name, shard))
                throw new SafeTensorsException($"{indexName}: tensor '{item.Name}' appears more than once in weight_map.");
            if (!shards.Contains(shard)) shards.Add(shard);
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        foreach (var shard in shards)
        {
            if (!File.Exists(Path.Combine(directory, shard)))
            {
                var example = map.First(kv => kv.Value == shard).Key;
                throw new FileNotFoundException(
                    $"Shard '{shard}' named in {indexName} (e.g. for tensor '{example}') does not exist in {directory}.", Path.Combine(directory, shard));
            }
        }
        return new SafeTensorsCheckpoint(directory, map, indexPath, shards);
    }

    /// <summary>Names of the <c>*_scale_inv</c> tensors that belong to a float8 weight (and so are read as part of it).</summary>
    public IReadOnlySet<string> ScaleNames
    {
        get
        {
            var result = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in _shardOf.Keys)
            {
                if (!name.EndsWith(ScaleSuffix, StringComparison.Ordinal)) continue;
                var weight = name[..^ScaleSuffix.Length];
                if (_shardOf.ContainsKey(weight) && Float8.TableFor(Entry(weight).DType) is not null) result.Add(name);
            }
            return result;
        }
    }

    /// <summary>Tensor names a model would see: every name except the block scales folded into float8 weights.</summary>
    public IReadOnlyList<string> TensorNames
    {
        get
        {
            var scales = ScaleNames;
            return [.. _shardOf.Keys.Where(n => !scales.Contains(n))];
        }
    }

    /// <summary>Whether the checkpoint lists <paramref name="name"/>.</summary>
    public bool Contains(string name) => _shardOf.ContainsKey(name);

    /// <summary>The shard file that holds <paramref name="name"/>.</summary>
    /// <exception cref="SafeTensorsException">The name is not in the weight map (or the single file).</exception>
    public string ShardOf(string name) =>
        _shardOf.TryGetValue(name, out var shard) ? shard
        : throw new SafeTensorsException(IsSharded
            ? $"Tensor '{name}' is not in the weight_map of {Path.GetFileName(_source)}."
            : $"Tensor '{name}' is not in {Path.GetFileName(_source)}.");

    /// <summary>The header entry (dtype, shape, offsets) of <paramref name="name"/>.</summary>
    public SafeTensorEntry Entry(string name) => FileOf(name).Entry(name);

    /// <summary>Reads <paramref name="name"/> into a new tensor (float8 weights dequantised to F32 unless <paramref name="dtype"/> says otherwise).</summary>
    public Tensor Read(string name, ScalarType? dtype = null, Device? device = null, int blockSize = Float8.DefaultBlockSize)
    {
        var entry = Entry(name);
        if (Float8.TableFor(entry.DType) is null) return FileOf(name).Read(name, dtype, device);
        var result = empty(entry.Shape, dtype ?? ScalarType.Float32, device: device ?? CPU);
        try
        {
            CopyTo(name, result, blockSize);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Copies <paramref name="name"/> into <paramref name="destination"/>, converting dtype and dequantising float8 on the way.</summary>
    public void CopyTo(string name, Tensor destination, int blockSize = Float8.DefaultBlockSize)
    {
        var file = FileOf(name);
        var scaleName = name + ScaleSuffix;
        if (Float8.TableFor(file.Entry(name).DType) is not null && _shardOf.ContainsKey(scaleName))
        {
            using var scale = FileOf(scaleName).Read(scaleName, ScalarType.Float32);
            file.CopyTo(name, destination, scale, blockSize);
            return;
        }
        file.CopyTo(name, destination);
    }

    /// <summary>The <c>__metadata__</c> of the first shard (HF writes the same into every shard).</summary>
    public IReadOnlyDictionary<string, string> Metadata =>
        ShardFiles.Count == 0 ? new Dictionary<string, string>() : Shard(ShardFiles[0]).Header.Metadata;

    private SafeTensorsFile FileOf(string name) => Shard(ShardOf(name), name);

    private SafeTensorsFile Shard(string shard, string? forTensor = null)
    {
        if (!_open.TryGetValue(shard, out var file))
        {
            file = SafeTensorsFile.Open(Path.Combine(_directory, shard));
            _open[shard] = file;
            // The index is the authority on where a tensor lives; a shard that lacks one of its tensors is broken.
            var absent = _shardOf.Where(kv => kv.Value == shard && !file.Contains(kv.Key)).Select(kv => kv.Key).FirstOrDefault();
            if (absent is not null)
                throw new SafeTensorsException($"{Path.GetFileName(_source)} maps tensor '{absent}' to shard '{shard}', but that shard has no such tensor.");
        }
        if (forTensor is not null && !file.Contains(forTensor))
            throw new SafeTensorsException($"Tensor '{forTensor}' is mapped to shard '{shard}', but that shard has no such tensor.");
        return file;
    }

    /// <summary>Unmaps every opened shard.</summary>
    public void Dispose()
    {
        foreach (var file in _open.Values) file.Dispose();
        _open.Clear();
    }
}
