using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Checkpoints;

/// <summary>How <see cref="CheckpointLoader.LoadInto(nn.Module, string, CheckpointLoadOptions?)"/> matches checkpoint tensors to a module.</summary>
public sealed record CheckpointLoadOptions
{
    /// <summary>Refuse (before copying anything) when a module tensor is missing or a checkpoint tensor is unexpected. Default true.</summary>
    public bool Strict { get; init; } = true;

    /// <summary>
    /// The model's <c>num_hidden_layers</c> when the checkpoint may carry DeepSeek-V3's multi-token-prediction layer:
    /// tensors under <c>model.layers.{n}.</c> for n ≥ this value are ignored, as Hugging Face inference does.
    /// </summary>
    public int? IgnoreLayersFrom { get; init; }

    /// <summary>Regular expressions; checkpoint tensors whose name matches one are ignored rather than unexpected.</summary>
    public IReadOnlyList<string> IgnoreUnexpected { get; init; } = [];

    /// <summary>Block edge of float8 <c>weight_scale_inv</c> scales (DeepSeek-V3: 128).</summary>
    public int Float8BlockSize { get; init; } = Float8.DefaultBlockSize;
}

/// <summary>What a load did: tensors copied, module tensors with no checkpoint tensor, checkpoint tensors with no home, and those ignored.</summary>
/// <param name="Loaded">Module tensors filled from the checkpoint.</param>
/// <param name="Missing">Module tensors the checkpoint does not have (left as they were).</param>
/// <param name="Unexpected">Checkpoint tensors the module does not have.</param>
/// <param name="Ignored">Checkpoint tensors skipped by <see cref="CheckpointLoadOptions.IgnoreLayersFrom"/> or <see cref="CheckpointLoadOptions.IgnoreUnexpected"/>.</param>
public sealed record CheckpointLoadReport(
    IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> Ignored);

/// <summary>
/// Loads safetensors checkpoints (single file or sharded) into any TorchSharp module by <c>state_dict</c> name,
/// copying each tensor once from the memory mapping into the module's own parameter or buffer, converting dtype
/// (e.g. BF16 on disk into an F32 model) and dequantising float8 weights on the way.
/// </summary>
public static partial class CheckpointLoader
{
    [GeneratedRegex(@"^model\.layers\.(\d+)\.")]
    private static partial Regex LayerPrefix();

    /// <summary>Loads the checkpoint at <paramref name="path"/> (folder, index file or single file) into <paramref name="module"/>.</summary>
    /// <exception cref="SafeTensorsException">Strict and the names differ, or a shape differs; nothing has been copied then.</exception>
    public static CheckpointLoadReport LoadInto(nn.Module module, string path, CheckpointLoadOptions? options = null)
    {
        using var checkpoint = SafeTensorsCheckpoint.Open(path);
        return LoadInto(module, checkpoint, options);
    }

    /// <summary>Loads an opened checkpoint into <paramref name="module"/>.</summary>
    public static CheckpointLoadReport LoadInto(nn.Module module, SafeTensorsCheckpoint checkpoint, CheckpointLoadOptions? options = null)
    {
        options ??= new CheckpointLoadOptions();
        var target = module.state_dict();
        var ignorePatterns = options.IgnoreUnexpected.Select(p => new Regex(p, RegexOptions.CultureInvariant)).ToList();

        var ignored = new List<string>();
        var unexpected = new List<string>();
        var loadable = new List<string>();
        foreach (var name in checkpoint.TensorNames)
        {
            if (target.ContainsKey(name)) loadable.Add(name);
            else if (IsIgnored(name, options, ignorePatterns)) ignored.Add(name);
            else unexpected.Add(name);
        }
        var available = new HashSet<string>(checkpoint.TensorNames, StringComparer.Ordinal);
        var missing = target.Keys.Where(k => !available.Contains(k)).ToList();
        unexpected.Sort(StringComparer.Ordinal);
        missing.Sort(StringComparer.Ordinal);

        if (options.Strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new SafeTensorsException($"The checkpoint does not match the model: {missing.Count} missing [{string.Join(", ", missing)}], {unexpected.Count} unexpected [{string.Join(", ", unexpected)}].");
        foreach (var name in loadable)
        {
            var entry = checkpoint.Entry(name);
            if (!entry.Shape.SequenceEqual(target[name].shape))
                throw new SafeTensorsException($"Tensor '{name}' has shape [{string.Join(", ", entry.Shape)}] in {checkpoint.ShardOf(name)} but [{string.Join(", ", target[name].shape)}] in the model.");
        }

        // Shard by shard, so each mapping's pages are touched in one sweep.
        foreach (var name in loadable.OrderBy(checkpoint.ShardOf, StringComparer.Ordinal).ThenBy(n => checkpoint.Entry(n).Begin))
            checkpoint.CopyTo(name, target[name], options.Float8BlockSize);
        return new CheckpointLoadReport(loadable, missing, unexpected, ignored);
    }

    /// <summary>Reads every tensor of a checkpoint into new tensors (float8 weights dequantised, their scales folded in).</summary>
    public static Dictionary<string, Tensor> LoadTensors(string path, ScalarType? dtype = null, Device? device = null)
    {
        using var checkpoint = SafeTensorsCheckpoint.Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var name in checkpoint.TensorNames)
            {
                var entry = checkpoint.Entry(name);
                // Only floating tensors follow a requested dtype; integer and bool tensors keep theirs.
                bool floating = entry.DType is "F16" or "BF16" or "F32" or "F64" || Float8.TableFor(entry.DType) is not null;
                result[name] = checkpoint.Read(name, floating ? dtype : null, device);
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    private static bool IsIgnored(string name, CheckpointLoadOptions options, List<Regex> patterns)
    {
        if (options.IgnoreLayersFrom is int first)
        {
            var match = LayerPrefix().Match(name);
            if (match.Success && long.TryParse(match.Groups[1].ValueSpan, out long layer) && layer >= first) return true;
        }
        return patterns.Any(p => p.IsMatch(name));
    }
}
