using System.Collections.Concurrent;
using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Models;

namespace DeepSeek.Portal.Training;

/// <summary>A linear layer a run can adapt with LoRA, and whether it is among the defaults.</summary>
/// <param name="Name">The name <c>lora.targetModules</c> takes (<c>q_proj</c>).</param>
/// <param name="Layers">How many layers of the model carry it (one per decoder layer, or per expert).</param>
/// <param name="InAttention">Whether it is an attention projection.</param>
/// <param name="IsDefault">Whether a LoRA run without <c>targetModules</c> adapts it.</param>
public sealed record RunLoraTargetChoice(string Name, int Layers, bool InAttention, bool IsDefault);

/// <summary>
/// The linear layers of the model a run trains (the DeepSeek demo architecture, or a registered model's), read once per
/// config from the model itself so the form's choices and the API's validation cannot drift from what
/// <see cref="LoraAdapter"/> will find.
/// </summary>
public static class RunLoraTargets
{
    private static readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<RunLoraTargetChoice>>> ByConfig = new(StringComparer.Ordinal);

    // Layer names do not depend on the vocabulary: the smallest one a tokenizer can have builds the model fastest.
    private static readonly ModelConfig Demo = DeepSeekConfig.Tiny(vocabSize: 259);

    /// <summary>Every name a run of the demo model may target, in module order.</summary>
    public static IReadOnlyList<RunLoraTargetChoice> All => For(null);

    /// <summary>The names a LoRA run of the demo model adapts when the request names none.</summary>
    public static IReadOnlyList<string> Defaults => DefaultsOf(All);

    /// <summary>The names a LoRA run adapts when the request names none, of a model's choices.</summary>
    public static IReadOnlyList<string> DefaultsOf(IReadOnlyList<RunLoraTargetChoice> choices) =>
        choices.Where(c => c.IsDefault).Select(c => c.Name).ToList();

    /// <summary>The choices of a registered model's config (<c>null</c>: the demo model), listed once per distinct config.</summary>
    public static IReadOnlyList<RunLoraTargetChoice> For(ModelConfig? config)
    {
        config ??= Demo;
        return ByConfig.GetOrAdd(config.ToJson(), _ => new Lazy<IReadOnlyList<RunLoraTargetChoice>>(() => Read(config))).Value;
    }

    private static IReadOnlyList<RunLoraTargetChoice> Read(ModelConfig config)
    {
        _ = EngineDevice.Current; // fixes the thread count before the first torch work
        // Built on a short-lived thread: torch work on a long-lived request thread would leave it an OpenMP team
        // (see the engine README on CPU threads). The engine builds a skeleton of the model, not the model.
        IReadOnlyList<LoraTarget> targets;
        try { targets = EngineDevice.OnShortLivedThread("lora-targets", () => LoraTargets.Of(config)); }
        catch (Exception e) { throw new InvalidOperationException("The model's linear layers could not be listed.", e); }
        var defaults = LoraTargets.Defaults(targets);
        return targets.Select(t => new RunLoraTargetChoice(t.Name, t.Count, t.InAttention, defaults.Contains(t.Name))).ToList();
    }
}
