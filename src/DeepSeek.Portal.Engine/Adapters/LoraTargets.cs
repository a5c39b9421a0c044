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
    public static IReadOnlyList<LoraTarget> Of(ModelConfig config)
    {
        using var model = CausalLM.Create(config);
        var found = new List<(string Name, bool InAttention)>();
        foreach (var (path, module) in model.named_modules())
        {
            if (!module.GetType().Name.EndsWith("Linear", StringComparison.Ordinal)) continue;
            var name = path[(path.LastIndexOf('.') + 1)..];
            if (name == "lm_head") continue;
            found.Add((name, path.Contains(".self_attn.", StringComparison.Ordinal)));
        }
        return found.GroupBy(f => f.Name)
            .Select(g => new LoraTarget(g.Key, g.Count(), g.All(f => f.InAttention)))
            .ToList();
    }

    /// <summary>The default targets: every attention projection (PEFT's usual q/v pair does not exist in MLA, whose projections are named differently).</summary>
    public static IReadOnlyList<string> Defaults(IReadOnlyList<LoraTarget> targets) =>
        targets.Where(t => t.InAttention).Select(t => t.Name).ToList() is { Count: > 0 } attention ? attention : targets.Select(t => t.Name).ToList();
}
