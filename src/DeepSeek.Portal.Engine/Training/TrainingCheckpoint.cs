using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>Contents of <c>trainer_state.json</c>: where a run stands, enough to resume it exactly.</summary>
internal sealed record TrainerState
{
    public int FormatVersion { get; init; } = 1;
    public int Step { get; init; }
    public int TotalSteps { get; init; }
    /// <summary>Blocks drawn from the shuffled data order so far (the sampler's whole state).</summary>
    public long SamplesConsumed { get; init; }
    public double ElapsedSeconds { get; init; }
    /// <summary>Hash of everything that determines the run's trajectory; a resume requires it to match.</summary>
    public string Fingerprint { get; init; } = "";
    public int Seed { get; init; }
    public string Precision { get; init; } = "fp32";
    public double? LastLoss { get; init; }
    public double? LastLearningRate { get; init; }
    /// <summary>A mixture run's sampler and per-source positions; absent without a mixture.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public MixtureCheckpoint? Mixture { get; init; }
    /// <summary>
    /// CPU intra-op threads the run trained with: reductions split by thread count, so a resume with another count
    /// would differ in the last digits. Absent in checkpoints written before it was recorded.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Threads { get; init; }
    /// <summary>An fp16 run's loss scale and growth tracker; absent otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public LossScalerState? LossScaler { get; init; }
}

/// <summary>
/// Checkpoint folders <c>checkpoint-NNNNNN</c> inside a run's output directory, each holding
/// <c>model.safetensors</c>, <c>optimizer.safetensors</c>, <c>config.json</c>, <c>tokenizer.json</c> and
/// <c>trainer_state.json</c> (and for a LoRA run <c>adapter_config.json</c>). A folder is written under a temporary name and renamed into place, so a crash never
/// leaves a half-written checkpoint under a real name; the two newest are kept.
/// </summary>
internal static partial class TrainingCheckpoint
{
    public const string ModelFile = "model.safetensors";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string ConfigFile = "config.json";
    public const string TokenizerFile = "tokenizer.json";
    public const string StateFile = "trainer_state.json";
    private const int Keep = 2;

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    [GeneratedRegex(@"^checkpoint-(\d{6,})$")]
    private static partial Regex FolderPattern();

    public static string FolderName(int step) => $"checkpoint-{step.ToString("D6", CultureInfo.InvariantCulture)}";

    /// <summary>The newest complete checkpoint folder, or <c>null</c>.</summary>
    public static string? FindLatest(string outputDirectory)
    {
        if (!Directory.Exists(outputDirectory)) return null;
        return Directory.EnumerateDirectories(outputDirectory)
            .Select(d => (Path: d, Match: FolderPattern().Match(Path.GetFileName(d))))
            .Where(x => x.Match.Success && File.Exists(Path.Combine(x.Path, StateFile)))
            .OrderByDescending(x => long.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture))
            .Select(x => x.Path)
            .FirstOrDefault();
    }

    /// <summary>Removes temporary folders that an interrupted save left behind.</summary>
    public static void RemoveIncomplete(string outputDirectory)
    {
        foreach (var dir in Directory.EnumerateDirectories(outputDirectory, "checkpoint-*.tmp*"))
            Directory.Delete(dir, recursive: true);
    }

    public static TrainerState ReadState(string checkpointDirectory)
    {
        var json = File.ReadAllText(Path.Combine(checkpointDirectory, StateFile), Encoding.UTF8);
        return JsonSerializer.Deserialize<TrainerState>(json, JsonOptions)
            ?? throw new InvalidDataException($"{StateFile} in {checkpointDirectory} is empty.");
    }

    public static string Save(
        string outputDirectory,
        CausalLM model,
        FlatAdamW optimizer,
        Tokenizer tokenizer,
        TrainerState state,
        Adapters.LoraConfig? lora = null)
    {
        var final = Path.Combine(outputDirectory, FolderName(state.Step));
        var temp = final + ".tmp-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        var stepText = state.Step.ToString(CultureInfo.InvariantCulture);

        SafeTensors.SaveModule(model, Path.Combine(temp, ModelFile), new Dictionary<string, string> { ["step"] = stepText });
        SaveOptimizer(optimizer, Path.Combine(temp, OptimizerFile), stepText);
        File.WriteAllText(Path.Combine(temp, ConfigFile), model.ModelConfig.ToJson(tokenizer.BosId, tokenizer.EosId), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(temp, TokenizerFile), tokenizer.ToJson(), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, JsonOptions), new UTF8Encoding(false));
        // A LoRA run's model.safetensors holds each adapted layer's lora_A/lora_B beside its weight; the adapter's
        // settings (rank, alpha per layer) let an export merge them without the run's options.
        if (lora is not null)
            File.WriteAllText(Path.Combine(temp, Adapters.LoraAdapter.ConfigFile), lora.ToJson(), new UTF8Encoding(false));

        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(temp, final);
        Prune(outputDirectory);
        return final;
    }

    public static void LoadInto(string checkpointDirectory, CausalLM model, FlatAdamW optimizer)
    {
        SafeTensors.LoadModule(model, Path.Combine(checkpointDirectory, ModelFile), strict: true);
        var loaded = SafeTensors.Load(Path.Combine(checkpointDirectory, OptimizerFile));
        try
        {
            using var noGrad = no_grad();
            foreach (var state in optimizer.States)
            {
                state.Step = Require(loaded, state.Name + ".step").item<long>();
                state.ExpAvg.copy_(Require(loaded, state.Name + ".exp_avg"));
                state.ExpAvgSq.copy_(Require(loaded, state.Name + ".exp_avg_sq"));
            }
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    /// <summary>Per parameter name: <c>.step</c>, <c>.exp_avg</c>, <c>.exp_avg_sq</c> (the layout TorchSharp's AdamW state was saved in before).</summary>
    private static void SaveOptimizer(FlatAdamW optimizer, string path, string stepText)
    {
        using var scope = NewDisposeScope();
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var state in optimizer.States)
        {
            tensors.Add(new(state.Name + ".step", tensor(state.Step)));
            tensors.Add(new(state.Name + ".exp_avg", state.ExpAvg));
            tensors.Add(new(state.Name + ".exp_avg_sq", state.ExpAvgSq));
        }
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["optimizer"] = "AdamW", ["step"] = stepText });
    }

    private static Tensor Require(Dictionary<string, Tensor> tensors, string name) =>
        tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"{OptimizerFile} lacks tensor '{name}'.");

    private static void Prune(string outputDirectory)
    {
        var old = Directory.EnumerateDirectories(outputDirectory)
            .Select(d => (Path: d, Match: FolderPattern().Match(Path.GetFileName(d))))
            .Where(x => x.Match.Success)
            .OrderByDescending(x => long.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture))
            .Skip(Keep);
        foreach (var (path, _) in old) Directory.Delete(path, recursive: true);
    }
}
