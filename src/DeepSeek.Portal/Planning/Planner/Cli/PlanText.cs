using System.Globalization;
using System.Text;
using DeepSeek.Portal.Planning.Estimates;

namespace DeepSeek.Portal.Planning.Planner.Cli;

/// <summary>A plan as the command line prints it: a headline, the memory lines with their formulas, the derived figures.</summary>
internal static class PlanText
{
    private static CultureInfo C => CultureInfo.InvariantCulture;

    /// <summary>Sizes as the planner writes them in its formulas (decimal units, as GPU memory is sold).</summary>
    public static string Gigabytes(double bytes) => Estimates.Planner.Size(bytes);

    public static string Describe(Plan plan)
    {
        var r = plan.Request;
        var text = new StringBuilder();
        text.AppendLine(C, $"{plan.Model.Name} · {r.Precision.ToString().ToUpperInvariant()} · {Mode(r.Mode)} · {plan.GpuCount} × {plan.Gpu.Name} " +
                           $"(tensor parallel {plan.TensorParallel}, pipeline {plan.PipelineParallel}, {plan.Nodes} node{(plan.Nodes == 1 ? "" : "s")}) — {(plan.Fits ? "fits" : "DOES NOT FIT")}");
        text.AppendLine(C, $"context {r.ContextLength} tokens × {r.ConcurrentSequences} sequence{(r.ConcurrentSequences == 1 ? "" : "s")}");
        text.AppendLine();
        var width = Math.Max(plan.Memory.Select(m => m.Key.Length).DefaultIfEmpty(0).Max(), "per device".Length);
        var sizes = plan.Memory.Select(m => Gigabytes(m.Bytes)).Append(Gigabytes(plan.TotalBytes)).Append(Gigabytes(plan.PerGpuBytes)).ToList();
        var sizeWidth = sizes.Max(s => s.Length);
        foreach (var line in plan.Memory)
        {
            text.AppendLine(C, $"{line.Key.PadRight(width)}  {Gigabytes(line.Bytes).PadLeft(sizeWidth)}  {line.Formula}");
            if (line.Note is { } note)
                text.AppendLine(C, $"{"".PadRight(width)}  {"".PadLeft(sizeWidth)}  ({note})");
        }
        text.AppendLine(C, $"{"total".PadRight(width)}  {Gigabytes(plan.TotalBytes).PadLeft(sizeWidth)}");
        text.AppendLine(C, $"{"per device".PadRight(width)}  {Gigabytes(plan.PerGpuBytes).PadLeft(sizeWidth)}  of {plan.Gpu.MemoryGB.ToString("0.##", C)} GB on {plan.Gpu.Name}");
        text.AppendLine();
        text.AppendLine(C, $"GPUs needed: {plan.GpusNeeded}; planned on {plan.GpuCount}");
        foreach (var (key, formula) in plan.Formulas)
            text.AppendLine(C, $"{key}: {formula}");
        if (plan.DecodeTokensPerSecond is { } rate)
            text.AppendLine(C, $"decode: {rate.ToString(rate >= 100 ? "0" : "0.#", C)} tokens/s (bandwidth bound){(plan.DecodeFormula is { } f ? " = " + f : "")}");
        if (plan.Warnings.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("warnings:");
            foreach (var warning in plan.Warnings)
                text.AppendLine("  - " + warning.Text);
        }
        return text.ToString().TrimEnd();
    }

    private static string Mode(Catalogue.PlanMode mode) => mode switch
    {
        Catalogue.PlanMode.FullFineTune => "full fine-tune",
        Catalogue.PlanMode.Lora => "LoRA",
        Catalogue.PlanMode.QLora => "QLoRA",
        _ => "inference",
    };
}
