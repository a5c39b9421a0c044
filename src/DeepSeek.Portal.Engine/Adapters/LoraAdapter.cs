using System.Reflection;
using System.Text;
using DeepSeek.Portal.Engine.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Adapters;

/// <summary>
/// A LoRA adapter applied to a module tree: every targeted linear layer is replaced in place by a
/// <see cref="LoraLinear"/>, every other parameter is frozen, and the adapter saves and loads in PEFT's format
/// (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c> with keys
/// <c>base_model.model.&lt;module path&gt;.lora_A.weight</c> [r, in] and <c>.lora_B.weight</c> [out, r]).
/// </summary>
/// <remarks>
/// <para>Replacing a submodule in TorchSharp takes two steps: the parent's registry (<c>register_module</c> refuses a
/// name that is taken, so the old entry is removed first by registering null) and the parent's field, which its
/// <c>forward</c> reads. When the field's declared type can hold a <see cref="LoraLinear"/>
/// (e.g. <c>nn.Module&lt;Tensor, Tensor&gt;</c>) it is reassigned. When it cannot — a field of a sealed type such as
/// the engine's <c>CastLinear</c> or TorchSharp's <c>Linear</c> — the original layer stays in the field and gets a
/// forward hook that adds the adapter's term, so parents that call <c>call()</c> (which runs hooks) see the adapted
/// output. In both cases the registry holds the wrapper, so <c>state_dict</c>, <c>parameters()</c>, <c>train()</c> and
/// <c>eval()</c> see it.</para>
/// <para>Move the model to its device and dtype before applying an adapter: in the hooked case the original layer is
/// no longer registered, so a later <c>to()</c> would move the wrapper's copy of the weight and not the layer's.</para>
/// </remarks>
public sealed class LoraAdapter
{
    /// <summary>The adapter settings file.</summary>
    public const string ConfigFile = "adapter_config.json";

    /// <summary>The adapter weights file.</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Prefix PEFT puts before module paths in saved keys (PeftModel.base_model.model).</summary>
    public const string KeyPrefix = "base_model.model.";

    private readonly nn.Module _model;
    private readonly List<Site> _sites;
    private readonly List<(Parameter Parameter, bool RequiresGrad)> _frozen;

    private sealed record Site(string Path, nn.Module Parent, string Name, nn.Module<Tensor, Tensor> Original, LoraLinear Wrapper, FieldInfo? Field, IDisposable? Hook);

    private LoraAdapter(nn.Module model, LoraConfig config, List<Site> sites, List<(Parameter, bool)> frozen)
    {
        _model = model;
        Config = config;
        _sites = sites;
        _frozen = frozen;
    }

    /// <summary>The settings the adapter was applied with.</summary>
    public LoraConfig Config { get; }

    /// <summary>The adapted layers by module path (e.g. <c>model.layers.0.self_attn.q_proj</c>).</summary>
    public IReadOnlyDictionary<string, LoraLinear> Layers => _sites.ToDictionary(s => s.Path, s => s.Wrapper);

    /// <summary>
    /// Wraps every linear layer of <paramref name="model"/> whose path <paramref name="config"/> targets, and freezes
    /// every parameter that is not an adapter's A or B.
    /// </summary>
    /// <exception cref="ArgumentException">Nothing matched, or a matched module is not a plain linear layer.</exception>
    public static LoraAdapter Apply(nn.Module model, LoraConfig config, Generator? generator = null)
    {
        var targets = model.named_modules().Where(m => config.Targets(m.name)).ToList();
        if (targets.Count == 0)
            throw new ArgumentException($"No module of {model.GetType().Name} matches the LoRA targets [{string.Join(", ", config.TargetModulesRegex is null ? config.TargetModules : [config.TargetModulesRegex])}].", nameof(config));

        // Which parameters trained before, so that Unload can restore it.
        var before = model.named_parameters().Select(p => (p.parameter, p.parameter.requires_grad)).ToList();
        var sites = new List<Site>();
        foreach (var (path, module) in targets)
        {
            if (module is not nn.Module<Tensor, Tensor> layer)
                throw new ArgumentException($"'{path}' is a {module.GetType().Name}, not a Tensor → Tensor layer; LoRA wraps linear layers only.", nameof(config));
            if (module is not Linear && !module.GetType().Name.EndsWith("Linear", StringComparison.Ordinal))
                throw new ArgumentException($"'{path}' is a {module.GetType().Name}; LoRA wraps linear layers only.", nameof(config));
            var (parent, name) = Parent(model, path);
            var wrapper = new LoraLinear(layer, config.RankFor(path), config.AlphaFor(path), config.LoraDropout, config.UseRsLora, generator);
            sites.Add(Replace(path, parent, name, layer, wrapper));
        }

        foreach (var (parameter, _) in before) parameter.requires_grad = false;
        return new LoraAdapter(model, config, sites, before);
    }

    /// <summary>The parameters an optimiser should train: each adapted layer's A and B, by their module names.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters() =>
        [.. _model.named_parameters().Where(p => p.parameter.requires_grad)];

    /// <summary>The adapter tensors under PEFT's keys (<c>base_model.model.&lt;path&gt;.lora_A.weight</c> …), sharing storage with the layers.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> PeftStateDict() =>
    [
        .. _sites.SelectMany(s => new[]
        {
            KeyValuePair.Create(KeyPrefix + s.Path + ".lora_A.weight", (Tensor)s.Wrapper.LoraA),
            KeyValuePair.Create(KeyPrefix + s.Path + ".lora_B.weight", (Tensor)s.Wrapper.LoraB),
        }),
    ];

    /// <summary>Writes <see cref="ConfigFile"/> and <see cref="WeightsFile"/> into <paramref name="directory"/> (created if needed).</summary>
    public void Save(string directory, string? baseModelNameOrPath = null)
    {
        Directory.CreateDirectory(directory);
        var config = baseModelNameOrPath is null ? Config : Config with { BaseModelNameOrPath = baseModelNameOrPath };
        SafeTensors.Save(Path.Combine(directory, WeightsFile), PeftStateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        var temp = Path.Combine(directory, ConfigFile + ".tmp");
        File.WriteAllText(temp, config.ToJson(), new UTF8Encoding(false));
        File.Move(temp, Path.Combine(directory, ConfigFile), overwrite: true);
    }

    /// <summary>
    /// Applies the adapter saved in <paramref name="directory"/> to <paramref name="model"/> (honouring rank_pattern
    /// and alpha_pattern) and copies its A and B in. Every adapted layer must find both tensors, of the configured
    /// shapes, and the file may hold no others.
    /// </summary>
    /// <exception cref="SafeTensorsException">The weights file does not match the adapter the config describes.</exception>
    public static LoraAdapter Load(nn.Module model, string directory)
    {
        var config = LoraConfig.FromJson(File.ReadAllText(Path.Combine(directory, ConfigFile)));
        using var checkpoint = SafeTensorsCheckpoint.Open(Path.Combine(directory, WeightsFile));
        var adapter = Apply(model, config);
        try
        {
            var expected = adapter.PeftStateDict();
            var expectedNames = expected.Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
            var missing = expectedNames.Where(n => !checkpoint.Contains(n)).Order(StringComparer.Ordinal).ToList();
            var unexpected = checkpoint.TensorNames.Where(n => !expectedNames.Contains(n)).Order(StringComparer.Ordinal).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new SafeTensorsException($"{WeightsFile} does not match {ConfigFile} applied to this model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
            foreach (var (name, tensor) in expected)
            {
                var entry = checkpoint.Entry(name);
                if (!entry.Shape.SequenceEqual(tensor.shape))
                    throw new SafeTensorsException($"Tensor '{name}' is [{string.Join(", ", entry.Shape)}] in {WeightsFile} but the adapter expects [{string.Join(", ", tensor.shape)}] (check r and rank_pattern).");
                checkpoint.CopyTo(name, tensor);
            }
            return adapter;
        }
        catch
        {
            adapter.Unload();
            throw;
        }
    }

    /// <summary>Adds every adapter into its base weight and puts the original layers back; the model is plain again, with merged weights.</summary>
    public nn.Module MergeAndUnload()
    {
        foreach (var site in _sites) site.Wrapper.Merge();
        return Unload();
    }

    /// <summary>Puts the original layers back without merging (the adapters are discarded) and restores which parameters train.</summary>
    public nn.Module Unload()
    {
        foreach (var site in _sites)
        {
            site.Hook?.Dispose();
            site.Field?.SetValue(site.Parent, site.Original);
            site.Parent.register_module(site.Name, null!);
            site.Parent.register_module(site.Name, site.Original);
        }
        foreach (var (parameter, requiresGrad) in _frozen) parameter.requires_grad = requiresGrad;
        _sites.Clear();
        return _model;
    }

    private static Site Replace(string path, nn.Module parent, string name, nn.Module<Tensor, Tensor> original, LoraLinear wrapper)
    {
        var field = Fields(parent.GetType()).FirstOrDefault(f => ReferenceEquals(f.GetValue(parent), original));
        IDisposable? hook = null;
        if (field is not null && field.FieldType.IsAssignableFrom(typeof(LoraLinear)))
        {
            field.SetValue(parent, wrapper);
        }
        else
        {
            field = null;
            var remover = original.register_forward_hook((_, input, output) => wrapper.IsMerged ? output : output + wrapper.Delta(input));
            hook = new HookHandle(remover.remove);
        }
        parent.register_module(name, null!);
        parent.register_module(name, wrapper);
        return new Site(path, parent, name, original, wrapper, field, hook);
    }

    private static IEnumerable<FieldInfo> Fields(Type? type)
    {
        for (; type is not null && type != typeof(nn.Module); type = type.BaseType)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (typeof(nn.Module).IsAssignableFrom(field.FieldType) || field.FieldType == typeof(object)) yield return field;
    }

    private static (nn.Module Parent, string Name) Parent(nn.Module model, string path)
    {
        int dot = path.LastIndexOf('.');
        if (dot < 0) return (model, path);
        var parentPath = path[..dot];
        var parent = model.named_modules().First(m => m.name == parentPath).module;
        return (parent, path[(dot + 1)..]);
    }

    private sealed class HookHandle(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
