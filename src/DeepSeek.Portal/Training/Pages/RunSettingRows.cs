using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Training;
using System.Globalization;
using DeepSeek.Portal.Components.Shared;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Training.Pages;

/// <summary>One setting of a run as a person reads it: a stable key, a localised label and the formatted value.</summary>
public sealed record RunSettingRow(string Key, string Label, string Value);

/// <summary>A setting across several runs, flagged when the runs disagree.</summary>
public sealed record RunSettingComparison(string Key, string Label, IReadOnlyList<string> Values)
{
    /// <summary>True when at least two runs have different values.</summary>
    public bool Differs => Values.Distinct(StringComparer.Ordinal).Count() > 1;
}

/// <summary>
/// The settings a run page shows and a comparison lines up, in one place: adding a run option means adding a row
/// here, and both views follow.
/// </summary>
public static class RunSettingRows
{
    public static IReadOnlyList<RunSettingRow> For(RunSummary run, IStringLocalizer l)
    {
        var c = CultureInfo.CurrentCulture;
        var o = run.Settings;
        return
        [
            new("dataset", l["Dataset"], run.DatasetName ?? "–"),
            new("mixture", l["Mixture"], run.Mixture is null ? "–" : MixtureText(run.Mixture, l)),
            new("startFrom", l["StartFrom"], run.BaseModel is null ? l["StartFromDemo"] : run.BaseModel.Name),
            new("effectiveBatch", l["EffectiveBatch"], $"{o.EffectiveBatchSize.ToString("N0", c)} = {o.MicroBatchSize} × {o.GradientAccumulationSteps}"),
            new("learningRate", l["LearningRate"], o.LearningRate.ToString("G4", c)),
            new("schedule", l["Schedule"], l[o.LearningRateDecay == LearningRateDecay.Linear ? "WarmupLinear" : "WarmupCosine", o.WarmupSteps]),
            new("steps", l["Steps"], run.Steps.ToString("N0", c)),
            new("sequenceLength", l["SequenceLength"], o.SequenceLength.ToString("N0", c)),
            new("precision", l["Precision"], o.Precision.Name()),
            new("lossScaling", l["LossScaling"], o.Precision == TrainingPrecision.Fp16
                ? l["LossScalingValue", o.InitialLossScale.ToString("G6", c), o.LossScaleGrowthInterval.ToString("N0", c)] : "–"),
            new("activationCheckpointing", l["ActivationCheckpointing"], o.ActivationCheckpointing ? l["SettingOn"] : l["SettingOff"]),
            new("lora", l["Lora"], o.Lora is { } lora ? LoraText(lora, l) : l["SettingOff"]),
            new("weightDecay", l["WeightDecay"], o.WeightDecay.ToString("G4", c)),
            new("maxGradNorm", l["MaxGradNorm"], o.MaxGradNorm.ToString("G4", c)),
            new("checkpointEvery", l["CheckpointEvery"], o.CheckpointEvery.ToString("N0", c)),
            new("tokenizerVocabSize", l["TokenizerVocabSize"], o.TokenizerVocabSize?.ToString("N0", c) ?? l["AutomaticVocabSize"]),
            new("seed", l["Seed"], o.Seed.ToString(CultureInfo.InvariantCulture)),
            new("device", l["Device"], run.Device is null ? "–" : DeviceText.Describe(run.Device, l)),
            new("parameters", l["Parameters"], run.ParameterCount?.ToString("N0", c) ?? "–"),
            new("peakMemory", l["PeakMemory"], run.PeakMemoryBytes is long bytes ? MemoryText(bytes) : "–"),
        ];
    }

    /// <summary>A LoRA configuration in one line: rank, alpha, dropout, rsLoRA and the adapted layers.</summary>
    public static string LoraText(DeepSeek.Portal.Engine.Adapters.LoraConfig lora, IStringLocalizer l)
    {
        var c = CultureInfo.CurrentCulture;
        var targets = lora.TargetModulesRegex ?? string.Join(", ", lora.TargetModules);
        var text = l["LoraValue", lora.R.ToString(c), lora.LoraAlpha.ToString("G4", c), lora.LoraDropout.ToString("G3", c), targets].Value;
        return lora.UseRsLora ? $"{text}; rsLoRA" : text;
    }

    /// <summary>Bytes as MB (binary, one decimal below 10 MB) or GB.</summary>
    public static string MemoryText(long bytes)
    {
        var c = CultureInfo.CurrentCulture;
        double mb = bytes / (double)(1L << 20);
        return mb >= 1024 ? $"{(mb / 1024).ToString("0.0", c)} GB" : $"{mb.ToString(mb < 10 ? "0.0" : "N0", c)} MB";
    }

    /// <summary>A mixture in one line: the policy, each source with its starting weight, and the dynamic policy's learning rate.</summary>
    public static string MixtureText(RunMixture mixture, IStringLocalizer l)
    {
        var c = CultureInfo.CurrentCulture;
        var sources = string.Join(", ", mixture.Sources.Select(s => $"{s.DatasetName} {l["VersionNumber", s.Number]} × {s.Weight.ToString("G4", c)}"));
        var text = l["MixtureSettingValue", PolicyLabel(mixture.Policy, l), sources].Value;
        return mixture.Policy == "dynamic" ? $"{text}; {l["FeederLearningRate"]} {mixture.FeederLearningRate.ToString("G4", c)}" : text;
    }

    /// <summary>A mixture's sources by dataset and version, for lists: "bank v2 + general v1".</summary>
    public static string SourcesText(RunMixture mixture, IStringLocalizer l) =>
        string.Join(" + ", mixture.Sources.Select(s => $"{s.DatasetName} {l["VersionNumber", s.Number]}"));

    /// <summary>A mixture policy's name in the reader's language.</summary>
    public static string PolicyLabel(string policy, IStringLocalizer l) => policy switch
    {
        "static" => l["MixturePolicyStatic"],
        "uniform" => l["MixturePolicyUniform"],
        _ => l["MixturePolicyDynamic"],
    };

    /// <summary>Lines up the settings of several runs (one value per run, in the order given).</summary>
    public static IReadOnlyList<RunSettingComparison> Compare(IReadOnlyList<RunSummary> runs, IStringLocalizer l)
    {
        var perRun = runs.Select(r => For(r, l)).ToList();
        if (perRun.Count == 0)
            return [];
        return perRun[0].Select((row, i) => new RunSettingComparison(row.Key, row.Label, perRun.Select(rows => rows[i].Value).ToList())).ToList();
    }
}
