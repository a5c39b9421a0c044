using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;

namespace DeepSeek.Portal.Models;

/// <summary>
/// What a model folder holds, computed from its config.json, the safetensors headers (no weights are read) and its
/// tokenizer files.
/// </summary>
/// <param name="ModelType">config.json's <c>model_type</c> (deepseek_v2, deepseek_v3, llama, qwen2).</param>
/// <param name="Family">The engine family that builds it.</param>
/// <param name="Architecture"><c>architectures[0]</c>, or null when config.json names none.</param>
/// <param name="Parameters">Parameters the engine builds (tensors of layers past <c>num_hidden_layers</c>, i.e. V3's multi-token-prediction layer, and FP8 scales excluded).</param>
/// <param name="ActiveParameters">Parameters one token passes through: all but the routed experts a token is not sent to (MoE: shared experts + top-k of the routed ones). Equals <paramref name="Parameters"/> for dense models.</param>
/// <param name="NotBuiltParameters">Parameters on disk the engine does not build (V3's multi-token-prediction layer).</param>
/// <param name="DTypes">Parameter count per dtype on disk (e.g. BF16, F8_E4M3).</param>
/// <param name="Layers">num_hidden_layers.</param>
/// <param name="HiddenSize">hidden_size.</param>
/// <param name="AttentionHeads">num_attention_heads.</param>
/// <param name="RoutedExperts">Routed experts per MoE layer (0: dense).</param>
/// <param name="SharedExperts">Shared experts per MoE layer.</param>
/// <param name="ExpertsPerToken">Routed experts chosen per token (top-k).</param>
/// <param name="MoeLayers">Layers that use DeepSeekMoE.</param>
/// <param name="ContextLength">max_position_embeddings.</param>
/// <param name="RopeScaling">rope_scaling type (yarn, linear) or null.</param>
/// <param name="RopeScalingFactor">rope_scaling factor or null.</param>
/// <param name="OriginalContextLength">rope_scaling original_max_position_embeddings (YaRN) or null.</param>
/// <param name="VocabSize">vocab_size.</param>
/// <param name="Sharded">Whether the weights are shards behind model.safetensors.index.json.</param>
/// <param name="WeightFiles">Number of safetensors files.</param>
/// <param name="WeightBytes">Bytes of the safetensors files.</param>
/// <param name="TokenizerPresent">Whether the folder has tokenizer.json.</param>
/// <param name="TokenizerRules">Which family's pre-tokenizer rules tokenizer.json has (DeepSeekV3, DeepSeekLlm, Qwen2), "custom" for others, null without a tokenizer.</param>
/// <param name="TokenizerVocabSize">Tokens in tokenizer.json (added tokens included), or null.</param>
/// <param name="TokenizerError">Why tokenizer.json cannot be used, or null.</param>
/// <param name="ChatTemplate">The chat format prompts are rendered with (see <see cref="Engine.Tokenization.ChatTemplate"/>), or null when the model has none the engine knows.</param>
/// <param name="Semantics">Key of the reference semantics the engine follows for this family (docs/decisions/0008-model-family-semantics.md).</param>
/// <param name="SemanticsDescription">Those semantics in one English sentence (the UI shows its own translation of <paramref name="Semantics"/>).</param>
public sealed record ModelCard(
    string ModelType,
    string Family,
    string? Architecture,
    long Parameters,
    long ActiveParameters,
    long NotBuiltParameters,
    IReadOnlyDictionary<string, long> DTypes,
    int Layers,
    int HiddenSize,
    int AttentionHeads,
    int RoutedExperts,
    int SharedExperts,
    int ExpertsPerToken,
    int MoeLayers,
    int ContextLength,
    string? RopeScaling,
    double? RopeScalingFactor,
    int? OriginalContextLength,
    int VocabSize,
    bool Sharded,
    int WeightFiles,
    long WeightBytes,
    bool TokenizerPresent,
    string? TokenizerRules,
    int? TokenizerVocabSize,
    string? TokenizerError,
    string? ChatTemplate,
    string Semantics,
    string SemanticsDescription)
{
    /// <summary>Format of the stored card; bump when a field changes meaning.</summary>
    public const int Version = 1;

    /// <summary>Whether the model routes tokens through a subset of experts.</summary>
    public bool IsMixtureOfExperts => RoutedExperts > 0 && MoeLayers > 0;
}

/// <summary>Reads a model folder into a <see cref="ModelCard"/>, or explains with a <see cref="ModelFolderException"/> why it cannot.</summary>
public static partial class ModelCardReader
{
    /// <summary>The tokenizer file name.</summary>
    public const string TokenizerFile = "tokenizer.json";

    /// <summary>The tokenizer config (holds the Jinja chat template, which tells R1 from V3).</summary>
    public const string TokenizerConfigFile = "tokenizer_config.json";

    [GeneratedRegex(@"^model\.layers\.(\d+)\.")]
    private static partial Regex LayerPrefix();

    [GeneratedRegex(@"^model\.layers\.(\d+)\.mlp\.experts\.(\d+)\.")]
    private static partial Regex RoutedExpert();

    /// <summary>Reads config.json into the engine's config, or throws the specific <see cref="ModelFolderException"/>.</summary>
    public static ModelConfig ReadConfig(string folder)
    {
        var configPath = Path.Combine(folder, HuggingFaceFolder.ConfigFile);
        if (!File.Exists(configPath))
            throw new ModelFolderException(ModelFolderException.MissingConfig, "The folder has no config.json.", $"'{folder}' has no {HuggingFaceFolder.ConfigFile}.");
        ModelConfig config;
        try
        {
            config = ModelConfig.FromJson(File.ReadAllText(configPath));
        }
        catch (NotSupportedException e)
        {
            throw new ModelFolderException(ModelFolderException.UnsupportedConfig, "config.json describes a model this engine does not build.", e.Message);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new ModelFolderException(ModelFolderException.MalformedConfig, "config.json is malformed.", e.Message);
        }
        var errors = config.Validate();
        if (errors.Count > 0)
            throw new ModelFolderException(ModelFolderException.MalformedConfig, "config.json is malformed.", string.Join(" ", errors.SelectMany(e => e.Value)));
        return config;
    }

    /// <summary>
    /// Computes the card of the folder <paramref name="folder"/> (already canonical and checked against the roots).
    /// <paramref name="checkFile"/> is called with each file the card reads, so a file that is a symlink out of the
    /// roots is refused too.
    /// </summary>
    public static ModelCard Read(string folder, Func<string, string> checkFile)
    {
        if (!Directory.Exists(folder))
            throw new ModelFolderException(ModelFolderException.NotFound, "No folder at that path.", $"'{folder}' is not a folder.");
        if (File.Exists(Path.Combine(folder, HuggingFaceFolder.ConfigFile))) checkFile(Path.Combine(folder, HuggingFaceFolder.ConfigFile));
        var config = ReadConfig(folder);
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, HuggingFaceFolder.ConfigFile)))!.AsObject();
        string modelType = root["model_type"]?.GetValue<string>() ?? config switch
        {
            DeepSeekConfig d => d.ModelType,
            LlamaConfig l => l.ModelType,
            _ => config.Family.ToString(),
        };
        string? architecture = root["architectures"] is JsonArray { Count: > 0 } a ? a[0]?.GetValue<string>() : null;

        bool single = File.Exists(Path.Combine(folder, SafeTensorsCheckpoint.SingleFile));
        bool indexed = File.Exists(Path.Combine(folder, SafeTensorsCheckpoint.IndexFile));
        if (!single && !indexed)
            throw new ModelFolderException(ModelFolderException.MissingWeights, "The folder has no safetensors weights.",
                $"'{folder}' has neither {SafeTensorsCheckpoint.SingleFile} nor {SafeTensorsCheckpoint.IndexFile}.");
        var source = Path.Combine(folder, indexed ? SafeTensorsCheckpoint.IndexFile : SafeTensorsCheckpoint.SingleFile);
        checkFile(source);

        SafeTensorsCheckpoint checkpoint;
        try
        {
            checkpoint = SafeTensorsCheckpoint.Open(source);
        }
        catch (Exception e) when (e is FormatException or IOException or JsonException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ModelFolderException(ModelFolderException.MalformedWeights, "The safetensors weights are malformed.", e.Message);
        }
        using (checkpoint)
        {
            foreach (var shard in checkpoint.ShardFiles) checkFile(Path.Combine(folder, shard));
            try
            {
                return Compute(folder, config, modelType, architecture, checkpoint, checkFile);
            }
            catch (Exception e) when (e is FormatException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                // Shards behind an index are opened (header only) on first use.
                throw new ModelFolderException(ModelFolderException.MalformedWeights, "The safetensors weights are malformed.", e.Message);
            }
        }
    }

    private static ModelCard Compute(string folder, ModelConfig config, string modelType, string? architecture, SafeTensorsCheckpoint checkpoint, Func<string, string> checkFile)
    {
        long total = 0, notBuilt = 0;
        var dtypes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var routedPerLayer = new Dictionary<int, (long Parameters, HashSet<int> Experts)>();
        foreach (var name in checkpoint.TensorNames)
        {
            var entry = checkpoint.Entry(name);
            long count = entry.Shape.Aggregate(1L, (p, d) => p * d);
            var layer = LayerPrefix().Match(name);
            if (layer.Success && int.Parse(layer.Groups[1].ValueSpan) >= config.NumHiddenLayers)
            {
                notBuilt += count;
                continue;
            }
            total += count;
            dtypes[entry.DType] = dtypes.GetValueOrDefault(entry.DType) + count;
            var expert = RoutedExpert().Match(name);
            if (expert.Success)
            {
                int l = int.Parse(expert.Groups[1].ValueSpan);
                var (p, experts) = routedPerLayer.TryGetValue(l, out var v) ? v : (0L, new HashSet<int>());
                experts.Add(int.Parse(expert.Groups[2].ValueSpan));
                routedPerLayer[l] = (p + count, experts);
            }
        }

        if (checkpoint.Contains("model.embed_tokens.weight"))
        {
            var shape = checkpoint.Entry("model.embed_tokens.weight").Shape;
            if (shape.Length != 2 || shape[0] != config.VocabSize || shape[1] != config.HiddenSize)
                throw new ModelFolderException(ModelFolderException.WeightsMismatch, "The weights do not match config.json.",
                    $"model.embed_tokens.weight has shape [{string.Join(", ", shape)}]; config.json says [{config.VocabSize}, {config.HiddenSize}].");
        }
        else
        {
            throw new ModelFolderException(ModelFolderException.WeightsMismatch, "The weights do not match config.json.", "The checkpoint has no model.embed_tokens.weight.");
        }

        int routed = 0, shared = 0, topK = 0, moeLayers = 0;
        long active = total;
        if (config is DeepSeekConfig d && d.NRoutedExperts > 0)
        {
            routed = d.NRoutedExperts;
            shared = d.NSharedExperts;
            topK = d.NumExpertsPerTok;
            moeLayers = Enumerable.Range(0, d.NumHiddenLayers).Count(d.IsMoeLayer);
            // Every routed expert of a layer has the same shape, so a token uses top-k / n of the layer's routed weights.
            foreach (var (_, (parameters, experts)) in routedPerLayer)
                active -= parameters - parameters * Math.Min(topK, experts.Count) / Math.Max(experts.Count, 1);
        }

        var (tokenizerPresent, rules, tokenizerVocab, tokenizerError, hasUserTag) = ReadTokenizer(folder, checkFile);
        string? template = !tokenizerPresent || tokenizerError is not null ? null : ChooseTemplate(folder, config.Family, hasUserTag, checkFile)?.ToString();
        var (semantics, description) = SemanticsOf(config.Family);
        long bytes = checkpoint.ShardFiles.Sum(f => new FileInfo(Path.Combine(folder, f)).Length);
        return new ModelCard(
            modelType, config.Family.ToString(), architecture, total, active, notBuilt, dtypes,
            config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads, routed, shared, topK, moeLayers,
            config.MaxPositionEmbeddings, config.RopeScaling?.Type, config.RopeScaling?.Factor,
            config.RopeScaling is { Type: Engine.Models.RopeScaling.Yarn } y ? y.OriginalMaxPositionEmbeddings : null,
            config.VocabSize, checkpoint.IsSharded, checkpoint.ShardFiles.Count, bytes,
            tokenizerPresent, rules, tokenizerVocab, tokenizerError, template, semantics, description);
    }

    private static (bool Present, string? Rules, int? VocabSize, string? Error, bool HasUserTag) ReadTokenizer(string folder, Func<string, string> checkFile)
    {
        var path = Path.Combine(folder, TokenizerFile);
        if (!File.Exists(path)) return (false, null, null, null, false);
        checkFile(path);
        try
        {
            var json = File.ReadAllText(path);
            var tokenizer = HuggingFaceTokenizer.FromJson(json);
            var preTokenizer = JsonNode.Parse(json)?["pre_tokenizer"];
            string rules = Enum.GetValues<TokenizerFamily>()
                .Where(f => JsonNode.DeepEquals(TokenizerFamilies.PreTokenizer(f), preTokenizer))
                .Select(f => f.ToString()).FirstOrDefault() ?? "custom";
            return (true, rules, tokenizer.VocabSize, null, tokenizer.TokenToId(ChatTemplates.UserTag) is not null);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            return (true, null, null, e.Message, false);
        }
    }

    /// <summary>
    /// The chat format: V3-style tags in the vocabulary mean V3/R1 (R1 when the Jinja template mentions &lt;/think&gt;),
    /// or R1-Distill for llama/qwen2; otherwise the deepseek-llm/V2 format, which Qwen2 does not use.
    /// </summary>
    private static ChatTemplate? ChooseTemplate(string folder, ModelFamily family, bool hasUserTag, Func<string, string> checkFile)
    {
        if (hasUserTag)
        {
            if (family is ModelFamily.Llama or ModelFamily.Qwen2) return ChatTemplate.DeepSeekR1Distill;
            var configPath = Path.Combine(folder, TokenizerConfigFile);
            bool reasoning = File.Exists(configPath) && File.ReadAllText(checkFile(configPath)).Contains(ChatTemplates.ThinkEnd, StringComparison.Ordinal);
            return reasoning ? ChatTemplate.DeepSeekR1 : ChatTemplate.DeepSeekV3;
        }
        return family == ModelFamily.Qwen2 ? null : ChatTemplate.DeepSeekLlm;
    }

    /// <summary>The reference semantics of each family, as ADR 0008 pins them.</summary>
    public static (string Key, string Description) SemanticsOf(ModelFamily family) => family switch
    {
        ModelFamily.DeepSeekV2 => ("deepseek-v2-remote-code", "DeepSeek-V2's own modeling_deepseek.py: softmax routing (greedy or group-limited), norm_topk_prob renormalises and then skips routed_scaling_factor, MLA softmax scale with the YaRN mscale."),
        ModelFamily.DeepSeekV3 => ("deepseek-v3-remote-code", "DeepSeek-V3's own modeling_deepseek.py: sigmoid noaux_tc routing with the correction bias, renormalise then multiply by routed_scaling_factor; multi-token-prediction layers are not built."),
        ModelFamily.Llama => ("hf-llama", "Hugging Face transformers' modeling_llama.py (LlamaForCausalLM)."),
        ModelFamily.Qwen2 => ("hf-qwen2", "Hugging Face transformers' modeling_qwen2.py (Qwen2ForCausalLM, q/k/v bias)."),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };
}
