using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Components.Shared;

/// <summary>
/// The engine's device description in the UI language. The engine words it in English for logs and /health
/// ("CPU (2 threads, libtorch 2.10.0)", "CUDA GPU ×1 (libtorch 2.10.0)"); people get the same facts in their words.
/// </summary>
public static partial class DeviceText
{
    public static string Describe(string description, IStringLocalizer l)
    {
        if (CpuPattern().Match(description) is { Success: true } cpu)
        {
            var threads = int.Parse(cpu.Groups[1].Value, CultureInfo.InvariantCulture);
            return l[threads == 1 ? "DeviceCpuOne" : "DeviceCpu", threads, cpu.Groups[2].Value];
        }
        if (GpuPattern().Match(description) is { Success: true } gpu)
            return l["DeviceGpu", int.Parse(gpu.Groups[1].Value, CultureInfo.InvariantCulture), gpu.Groups[2].Value];
        return description;
    }

    [GeneratedRegex(@"^CPU \((\d+) threads?, libtorch ([^)]+)\)$")]
    private static partial Regex CpuPattern();

    [GeneratedRegex(@"^CUDA GPU ×(\d+) \(libtorch ([^)]+)\)$")]
    private static partial Regex GpuPattern();
}
