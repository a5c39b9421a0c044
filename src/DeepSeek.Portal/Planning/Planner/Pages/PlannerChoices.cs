using System.Text.Json;
using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Deployment;
using DeepSeek.Portal.Planning.Estimates;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Planning.Planner.Pages;

/// <summary>A model the planner form offers: a catalogue entry or a registered folder read from its config.json.</summary>
/// <param name="Id">The planner's model id (<c>deepseek-v3</c>, <c>registered:12</c>).</param>
/// <param name="Name">What the list shows.</param>
/// <param name="Registered">True for a registered folder (the second group of the list).</param>
/// <param name="Architecture">The architecture, or null where the folder's config.json could not be read.</param>
/// <param name="Problem">Why the folder cannot be planned, if it cannot.</param>
/// <param name="FolderPath">A registered folder's path on the server (mounted read-only by the generated files).</param>
public sealed record PlannerModelChoice(string Id, string Name, bool Registered, ModelArchitecture? Architecture, string? Problem, string? FolderPath);

/// <summary>The planner page's display names and defaults: what the core's enums and keys are called in the UI.</summary>
public static class PlannerChoices
{
    /// <summary>Precisions in the order the form lists them.</summary>
    public static readonly Precision[] Precisions = [Precision.Fp32, Precision.Bf16, Precision.Fp16, Precision.Fp8, Precision.Int8, Precision.Int4];

    /// <summary>Modes in the order the form lists them.</summary>
    public static readonly PlanMode[] Modes = [PlanMode.Inference, PlanMode.FullFineTune, PlanMode.Lora, PlanMode.QLora];

    /// <summary>FP8, BF16, …: format names stay as they are in every language.</summary>
    public static string PrecisionName(Precision p) => p.ToString().ToUpperInvariant();

    public static string ModeName(IStringLocalizer l, PlanMode mode) => l["PlMode" + mode];

    /// <summary>The memory line's name (weights, KV cache, …); an unknown key shows as it is.</summary>
    public static string LineName(IStringLocalizer l, string key)
    {
        var s = l["PlLine_" + key];
        return s.ResourceNotFound ? key : s.Value;
    }

    /// <summary>Bytes as GB (10⁹, as vendors state device memory), one decimal from 10 GB up.</summary>
    public static string Gb(double bytes)
    {
        var gb = bytes / 1e9;
        return gb >= 10 ? gb.ToString("N1") : gb >= 0.1 ? gb.ToString("N2") : gb.ToString("G3");
    }

    /// <summary>Reads a registered folder's config.json into an architecture (the core checks the fields).</summary>
    public static PlannerModelChoice Registered(int id, string name, string folder)
    {
        var planId = "registered:" + id;
        var config = Path.Combine(folder, "config.json");
        try
        {
            var architecture = ModelCatalogue.FromConfigJson(planId, name, File.ReadAllText(config));
            return new(planId, name, true, architecture, null, folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or JsonException)
        {
            return new(planId, name, true, null, e.Message, folder);
        }
    }

    /// <summary>The default image of each engine (the tag the reference commands were written for is not pinned by the core).</summary>
    public static string DefaultImage(ServingEngine engine) => engine == ServingEngine.Vllm ? "vllm/vllm-openai:latest" : "lmsysorg/sglang:latest";

    /// <summary>The port each engine's OpenAI-compatible server listens on by default.</summary>
    public static int DefaultPort(ServingEngine engine) => engine == ServingEngine.Vllm ? 8000 : 30000;

    /// <summary>
    /// The engine's quantisation flag for the planned precision: none for the checkpoint's own format (V3's FP8 is already
    /// FP8: the SGLang notes say not to pass it), <c>fp8</c> for on-the-fly FP8, <c>awq</c> for 4-bit weights.
    /// </summary>
    public static string? Quantization(Plan plan) => plan.Request.Precision switch
    {
        var p when p == plan.Model.NativePrecision => null,
        Precision.Fp8 => "fp8",
        Precision.Int4 => "awq",
        Precision.Int8 => "w8a8_int8",
        _ => null,
    };

    /// <summary>The Hugging Face repository a catalogue model is served from, where its source names one; else null.</summary>
    public static string? Repository(ModelArchitecture model)
    {
        var match = System.Text.RegularExpressions.Regex.Match(model.Source, @"huggingface\.co/([\w.-]+/[\w.-]+)");
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>A DNS-label-safe slug of a model name for <c>--served-model-name</c> and Kubernetes names.</summary>
    public static string Slug(string name)
    {
        var chars = name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var slug = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length == 0 ? "model" : slug.Length > 40 ? slug[..40].TrimEnd('-') : slug;
    }

    /// <summary>The core's field name (camelCase or PascalCase) matched to a form field, case-insensitively.</summary>
    public static string[]? ErrorsOf(IReadOnlyDictionary<string, string[]> errors, string field) =>
        errors.FirstOrDefault(e => string.Equals(e.Key, field, StringComparison.OrdinalIgnoreCase)).Value;
}
