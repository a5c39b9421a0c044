using System.Globalization;
using System.Security.Cryptography;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// The Hugging Face folder a fine-tuning run starts from (<see cref="TrainingRequest.BaseModel"/>): its
/// <c>config.json</c> gives the architecture, its <c>tokenizer.json</c> the tokenizer (none is trained) and its
/// safetensors weights (single or sharded) are copied from the memory mapping into the model before LoRA is applied.
/// </summary>
public static class BaseModelFolder
{
    /// <summary>The tokenizer file a base model must have.</summary>
    public const string TokenizerFile = "tokenizer.json";

    /// <summary>Files beside the weights that a run keeps from its base model (copied into the run's folder) so an export carries them on.</summary>
    public static readonly IReadOnlyList<string> CarriedFiles = ["tokenizer_config.json", HuggingFaceFolder.GenerationConfigFile];

    /// <summary>Bytes hashed at each end of every weights file for <see cref="Identity"/>.</summary>
    private const int SampledBytes = 1 << 20;

    /// <summary>Why <paramref name="folder"/> cannot be a base model (missing files), or <c>null</c> when it has what a run needs.</summary>
    public static string? Problem(string folder)
    {
        if (!Directory.Exists(folder)) return $"BaseModel '{folder}' is not a folder.";
        if (!File.Exists(Path.Combine(folder, HuggingFaceFolder.ConfigFile))) return $"BaseModel '{folder}' has no {HuggingFaceFolder.ConfigFile}.";
        if (!File.Exists(Path.Combine(folder, TokenizerFile))) return $"BaseModel '{folder}' has no {TokenizerFile}; a fine-tuning run uses the model's own tokenizer.";
        if (!File.Exists(Path.Combine(folder, SafeTensorsCheckpoint.SingleFile)) && !File.Exists(Path.Combine(folder, SafeTensorsCheckpoint.IndexFile)))
            return $"BaseModel '{folder}' has neither {SafeTensorsCheckpoint.SingleFile} nor {SafeTensorsCheckpoint.IndexFile}.";
        return null;
    }

    /// <summary>The architecture in the folder's <c>config.json</c>.</summary>
    public static ModelConfig ReadConfig(string folder) => ModelConfig.FromJson(File.ReadAllText(Path.Combine(folder, HuggingFaceFolder.ConfigFile)));

    /// <summary>The folder's own tokenizer.</summary>
    public static Tokenizer ReadTokenizer(string folder) => Tokenizer.Load(Path.Combine(folder, TokenizerFile));

    /// <summary>Copies the folder's weights into <paramref name="model"/> (strict; layers past num_hidden_layers, V3's MTP layer, are ignored).</summary>
    public static void LoadWeights(CausalLM model, string folder) =>
        CheckpointLoader.LoadInto(model, folder, new CheckpointLoadOptions { IgnoreLayersFrom = model.ModelConfig.NumHiddenLayers });

    /// <summary>
    /// A hash that tells one base model from another without reading all of its weights: config.json, tokenizer.json,
    /// and for every safetensors file (and the index) its name, length and first and last megabyte (the header, with
    /// every tensor's name, dtype, shape and offsets, is at the start). The folder's path is not part of it, so a
    /// moved folder is the same base.
    /// </summary>
    public static string Identity(string folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(ReadOnlySpan<byte> bytes)
        {
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        Add(File.ReadAllBytes(Path.Combine(folder, HuggingFaceFolder.ConfigFile)));
        Add(File.ReadAllBytes(Path.Combine(folder, TokenizerFile)));
        var weights = Directory.EnumerateFiles(folder)
            .Select(Path.GetFileName)
            .Where(n => n!.EndsWith(".safetensors", StringComparison.Ordinal) || n == SafeTensorsCheckpoint.IndexFile)
            .Order(StringComparer.Ordinal);
        var buffer = new byte[SampledBytes];
        foreach (var name in weights)
        {
            using var stream = File.OpenRead(Path.Combine(folder, name!));
            Add(System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{name}:{stream.Length}")));
            int head = stream.ReadAtLeast(buffer, (int)Math.Min(stream.Length, SampledBytes), throwOnEndOfStream: false);
            Add(buffer.AsSpan(0, head));
            if (stream.Length > SampledBytes)
            {
                stream.Seek(-SampledBytes, SeekOrigin.End);
                int tail = stream.ReadAtLeast(buffer, SampledBytes, throwOnEndOfStream: false);
                Add(buffer.AsSpan(0, tail));
            }
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
