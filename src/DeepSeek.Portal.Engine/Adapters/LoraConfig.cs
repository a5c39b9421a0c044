using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepSeek.Portal.Engine.Adapters;

/// <summary>
/// A LoRA adapter's settings, read from and written to PEFT's <c>adapter_config.json</c>
/// (<c>peft_type</c> "LORA", <c>task_type</c> "CAUSAL_LM", <c>r</c>, <c>lora_alpha</c>, <c>lora_dropout</c>,
/// <c>target_modules</c>, <c>use_rslora</c>, <c>rank_pattern</c>, <c>alpha_pattern</c>, …).
/// </summary>
public sealed record LoraConfig
{
    /// <summary>Default rank r.</summary>
    public int R { get; init; } = 8;

    /// <summary>Default lora_alpha.</summary>
    public double LoraAlpha { get; init; } = 8;

    /// <summary>Dropout on the adapter's input.</summary>
    public double LoraDropout { get; init; }

    /// <summary>
    /// Module names to adapt, matched as PEFT does against the end of a module path: <c>q_proj</c> matches
    /// <c>model.layers.0.self_attn.q_proj</c>. Ignored when <see cref="TargetModulesRegex"/> is set.
    /// </summary>
    public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];

    /// <summary>A regular expression that must match a whole module path (PEFT's string form of <c>target_modules</c>).</summary>
    public string? TargetModulesRegex { get; init; }

    /// <summary>Scale by alpha/√r rather than alpha/r.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>Per-module ranks: a key matches a module path that ends with it (as a regular expression after a dot).</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>Per-module alphas, matched like <see cref="RankPattern"/>.</summary>
    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    /// <summary>The base model's name or path, written to <c>base_model_name_or_path</c>.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>PEFT task type; causal language modelling here.</summary>
    public string TaskType { get; init; } = "CAUSAL_LM";

    /// <summary>Whether <paramref name="modulePath"/> is one this adapter targets.</summary>
    public bool Targets(string modulePath)
    {
        if (TargetModulesRegex is not null)
            return Regex.IsMatch(modulePath, $"^(?:{TargetModulesRegex})$", RegexOptions.CultureInvariant);
        return TargetModules.Any(t => modulePath == t || modulePath.EndsWith("." + t, StringComparison.Ordinal));
    }

    /// <summary>The rank for <paramref name="modulePath"/>: the first matching <see cref="RankPattern"/> key, else <see cref="R"/>.</summary>
    public int RankFor(string modulePath) => PatternValue(RankPattern, modulePath, R);

    /// <summary>The alpha for <paramref name="modulePath"/>: the first matching <see cref="AlphaPattern"/> key, else <see cref="LoraAlpha"/>.</summary>
    public double AlphaFor(string modulePath) => PatternValue(AlphaPattern, modulePath, LoraAlpha);

    private static T PatternValue<T>(IReadOnlyDictionary<string, T> patterns, string modulePath, T fallback)
    {
        foreach (var (key, value) in patterns)
            if (Regex.IsMatch(modulePath, $"^(?:.*\\.)?(?:{key})$", RegexOptions.CultureInvariant)) return value;
        return fallback;
    }

    /// <summary>Writes PEFT's <c>adapter_config.json</c>.</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(AlphaPattern.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = BaseModelNameOrPath,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layer_replication"] = null,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["loftq_config"] = new JsonObject(),
            ["lora_alpha"] = LoraAlpha,
            ["lora_dropout"] = LoraDropout,
            ["megatron_config"] = null,
            ["megatron_core"] = "megatron.core",
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = R,
            ["rank_pattern"] = new JsonObject(RankPattern.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            ["revision"] = null,
            ["target_modules"] = TargetModulesRegex is not null ? JsonValue.Create(TargetModulesRegex) : new JsonArray([.. TargetModules.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["task_type"] = TaskType,
            ["use_dora"] = false,
            ["use_rslora"] = UseRsLora,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads PEFT's <c>adapter_config.json</c>; refuses adapters this engine cannot apply (not LoRA, DoRA, fan_in_fan_out, biases).</summary>
    /// <exception cref="FormatException">The JSON is malformed or describes an adapter this engine does not support.</exception>
    public static LoraConfig FromJson(string json)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("adapter_config.json must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new FormatException($"adapter_config.json is not valid JSON: {e.Message}", e);
        }
        var peftType = root["peft_type"]?.GetValue<string>();
        if (peftType != "LORA") throw new FormatException($"adapter_config.json has peft_type '{peftType}'; only LORA is supported.");
        if (root["use_dora"]?.GetValue<bool>() == true) throw new FormatException("adapter_config.json asks for DoRA (use_dora), which is not supported.");
        if (root["fan_in_fan_out"]?.GetValue<bool>() == true) throw new FormatException("adapter_config.json sets fan_in_fan_out, which applies to GPT-2 Conv1D layers only and is not supported.");
        var bias = root["bias"]?.GetValue<string>() ?? "none";
        if (bias != "none") throw new FormatException($"adapter_config.json has bias '{bias}'; only \"none\" is supported.");

        var config = new LoraConfig
        {
            R = root["r"]?.GetValue<int>() ?? 8,
            LoraAlpha = Number(root["lora_alpha"]) ?? 8,
            LoraDropout = Number(root["lora_dropout"]) ?? 0,
            UseRsLora = root["use_rslora"]?.GetValue<bool>() ?? false,
            BaseModelNameOrPath = root["base_model_name_or_path"]?.GetValue<string>(),
            TaskType = root["task_type"]?.GetValue<string>() ?? "CAUSAL_LM",
            RankPattern = (root["rank_pattern"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<int>()) ?? [],
            AlphaPattern = (root["alpha_pattern"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => Number(kv.Value) ?? 0) ?? [],
        };
        return root["target_modules"] switch
        {
            JsonArray list => config with { TargetModules = [.. list.Select(n => n!.GetValue<string>())] },
            JsonValue single => config with { TargetModulesRegex = single.GetValue<string>() },
            _ => throw new FormatException("adapter_config.json has no target_modules."),
        };
    }

    private static double? Number(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out double d) => d,
        JsonValue v when v.TryGetValue(out string? s) => double.Parse(s, CultureInfo.InvariantCulture),
        _ => throw new FormatException($"Expected a number, found {node.ToJsonString()}."),
    };
}
