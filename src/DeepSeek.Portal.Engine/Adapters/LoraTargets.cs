using DeepSeek.Portal.Engine.Models;

namespace DeepSeek.Portal.Engine.Adapters;

/// <summary>A linear layer name LoRA can target, as <see cref="LoraConfig.TargetModules"/> takes it.</summary>
/// <param name="Name">The module's own name (<c>q_proj</c>): it matches that layer in every decoder layer and expert.</param>
/// <param name="Count">How many layers of the model carry that name.</param>
/// <param name="InAttention">Whether the layers are attention projections (the usual LoRA targets).</param>
public sealed record LoraTarget(string Name, int Count, bool InAttention);

/// <summary>The linear layers of a model that LoRA can wrap, read from the model itself rather than from a list per family.</summary>
public static class LoraTargets
{
    /// <summary>
    /// Every linear layer name of a model built from <paramref name="config"/>, in module order, with the output head
    /// (<c>lm_head</c>) left out: adapting the vocabulary projection is rarely what a fine-tune wants and its shape
    /// follows the tokenizer.
    /// </summary>
    /// <remarks>
    /// The names are read from a <see cref="Skeleton"/> of the model — the same family and structure with every size
    /// shrunk and only the layers that differ (the leading dense ones and one more) — so listing the targets of a
    /// 671B-parameter checkpoint builds a model of a few thousand parameters. Counts are scaled back to the real
    /// number of layers.
    /// </remarks>
    public static IReadOnlyList<LoraTarget> Of(ModelConfig config)
    {
        var (skeleton, representative) = Skeleton(config);
        int repeats = config.NumHiddenLayers - skeleton.NumHiddenLayers + 1; // layers the last skeleton layer stands for
        using var model = CausalLM.Create(skeleton);
        var found = new List<(string Name, bool InAttention, int Weight)>();
        foreach (var (path, module) in model.named_modules())
        {
            if (!module.GetType().Name.EndsWith("Linear", StringComparison.Ordinal)) continue;
            var name = path[(path.LastIndexOf('.') + 1)..];
            if (name == "lm_head") continue;
            found.Add((name, path.Contains(".self_attn.", StringComparison.Ordinal), path.StartsWith(representative, StringComparison.Ordinal) ? repeats : 1));
        }
        return found.GroupBy(f => f.Name)
            .Select(g => new LoraTarget(g.Key, g.Sum(f => f.Weight), g.All(f => f.InAttention)))
            .ToList();
    }

    /// <summary>
    /// A tiny config of the same family and structure (which projections exist, q low-rank path or not, GQA or not,
    /// biases, experts and routing) with the dense leading layers plus one, and the module-path prefix of that last
    /// layer, which stands for every later one.
    /// </summary>
    internal static (ModelConfig Skeleton, string Representative) Skeleton(ModelConfig config)
    {
        int lead = config is DeepSeekConfig d ? Math.Min(d.FirstKDenseReplace, d.NumHiddenLayers - 1) : 0;
        int layers = Math.Min(config.NumHiddenLayers, lead + 1);
        ModelConfig skeleton = config switch
        {
            DeepSeekConfig ds => ds with
            {
                QLoraRank = ds.QLoraRank is null ? null : 4,
                KvLoraRank = 4,
                QkNopeHeadDim = ds.QkNopeHeadDim > 0 ? 4 : 0,
                QkRopeHeadDim = 4,
                VHeadDim = 4,
                MoeIntermediateSize = 4,
                MoeLayerFreq = 1,
            },
            LlamaConfig ll => ll with
            {
                NumKeyValueHeads = ll.KeyValueHeads == ll.NumAttentionHeads ? 2 : 1,
                HeadDim = ll.HeadDim is null ? null : 4,
            },
            _ => config,
        };
        skeleton = skeleton with
        {
            VocabSize = 8,
            HiddenSize = 8,
            IntermediateSize = 4,
            NumAttentionHeads = 2,
            NumHiddenLayers = layers,
            MaxPositionEmbeddings = Math.Min(config.MaxPositionEmbeddings, 64),
            RopeScaling = null,
        };
        return (skeleton, $"model.layers.{layers - 1}.");
    }

    /// <summary>The default targets: every attention projection (PEFT's usual q/v pair does not exist in MLA, whose projections are named differently).</summary>
    public static IReadOnlyList<string> Defaults(IReadOnlyList<LoraTarget> targets) =>
        targets.Where(t => t.InAttention).Select(t => t.Name).ToList() is { Count: > 0 } attention ? attention : targets.Select(t => t.Name).ToList();
}
