using DeepSeek.Portal.Planning.Catalogue;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Planning.Planner.Pages;

/// <summary>The planner page's display names: what the core's enums and keys are called in the UI.</summary>
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

    /// <summary>A device's name: the catalogue's product names as they are, this machine in the UI language.</summary>
    public static string DeviceName(IStringLocalizer l, GpuSpec gpu) => gpu.Id == PlannerService.CpuId ? l["PlCpuDevice"] : gpu.Name;

    /// <summary>Bytes as GB (10⁹, as vendors state device memory), one decimal from 10 GB up.</summary>
    public static string Gb(double bytes)
    {
        var gb = bytes / 1e9;
        return gb >= 10 ? gb.ToString("N1") : gb >= 0.1 ? gb.ToString("N2") : gb.ToString("G3");
    }

    /// <summary>The errors of a form field, the service's names (camelCase, possibly prefixed <c>plan.</c>/<c>options.</c>) matched case-insensitively.</summary>
    public static string[]? ErrorsOf(IReadOnlyDictionary<string, string[]> errors, string field) =>
        errors.FirstOrDefault(e => string.Equals(e.Key, field, StringComparison.OrdinalIgnoreCase)).Value;
}
