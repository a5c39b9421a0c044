using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using TorchSharp;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>What <see cref="RunExport.Export"/> wrote.</summary>
/// <param name="Folder">The Hugging Face folder (full path).</param>
/// <param name="Step">The checkpoint's optimizer step.</param>
/// <param name="MergedLora">Whether a LoRA adapter was merged into the base weights.</param>
/// <param name="Parameters">Parameters in the exported weights.</param>
public sealed record RunExportResult(string Folder, int Step, bool MergedLora, long Parameters);

/// <summary>
/// Turns a training run's latest checkpoint into a Hugging Face folder that loads again with the normal loader
/// (<see cref="CheckpointLoader"/>), here or in transformers: <c>config.json</c>, <c>model.safetensors</c> under the
/// family's HF tensor names, <c>generation_config.json</c>, <c>tokenizer.json</c> and <c>tokenizer_config.json</c>.
/// </summary>
/// <remarks>
/// A LoRA run's checkpoint holds each adapted layer's <c>lora_A</c>/<c>lora_B</c> beside its frozen weight; the export
/// rebuilds the adapted model, loads the checkpoint into it and merges (<c>W + scaling·B·A</c>) before saving, so the
/// folder has the plain model's names and nothing else. Files a fine-tuning run kept from its base model
/// (<see cref="BaseModelFolder.CarriedFiles"/>: the chat template in tokenizer_config.json, generation defaults) are
/// carried on. The folder is built under a temporary name beside the target and renamed into place.
/// </remarks>
public static class RunExport
{
    /// <summary>The tokenizer settings file transformers reads beside tokenizer.json.</summary>
    public const string TokenizerConfigFile = "tokenizer_config.json";

    /// <summary>Exports the newest checkpoint in <paramref name="runDirectory"/> to <paramref name="targetDirectory"/>, which must not exist yet.</summary>
    /// <exception cref="InvalidOperationException">The run has no checkpoint, or the target exists.</exception>
    /// <exception cref="InvalidDataException">The checkpoint holds adapter tensors but no adapter settings.</exception>
    public static RunExportResult Export(string runDirectory, string targetDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(targetDirectory);
        var run = Path.GetFullPath(runDirectory);
        var checkpoint = TrainingCheckpoint.FindLatest(run)
            ?? throw new InvalidOperationException($"{run} holds no checkpoint to export.");
        var target = Path.GetFullPath(targetDirectory);
        if (Directory.Exists(target) || File.Exists(target))
            throw new InvalidOperationException($"{target} already exists; an export never overwrites a folder.");
        var state = TrainingCheckpoint.ReadState(checkpoint);

        var configJson = File.ReadAllText(Path.Combine(checkpoint, TrainingCheckpoint.ConfigFile));
        var config = ModelConfig.FromJson(configJson);
        var weights = Path.Combine(checkpoint, TrainingCheckpoint.ModelFile);
        var lora = ReadLoraConfig(checkpoint, run);
        if (lora is null)
        {
            using var header = SafeTensorsCheckpoint.Open(weights);
            if (header.TensorNames.Any(n => n.Contains(".lora_A.", StringComparison.Ordinal) || n.Contains(".lora_B.", StringComparison.Ordinal)))
                throw new InvalidDataException($"{weights} holds LoRA tensors but neither the checkpoint nor the run has {LoraAdapter.ConfigFile}; the adapter cannot be merged.");
        }

        using var model = CausalLM.Create(config);
        var adapter = lora is null ? null : LoraAdapter.Apply(model, lora);
        CheckpointLoader.LoadInto(model, weights);
        adapter?.MergeAndUnload();

        var temp = target + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            var generation = Path.Combine(run, HuggingFaceFolder.GenerationConfigFile);
            HuggingFaceFolder.Save(temp, model, new HuggingFaceSaveOptions
            {
                ConfigJson = configJson,
                GenerationConfigJson = File.Exists(generation) ? File.ReadAllText(generation) : null,
                Metadata = new Dictionary<string, string>
                {
                    ["step"] = state.Step.ToString(CultureInfo.InvariantCulture),
                    ["merged_lora"] = lora is null ? "false" : "true",
                },
            });
            var tokenizerJson = File.ReadAllText(Path.Combine(checkpoint, TrainingCheckpoint.TokenizerFile), Encoding.UTF8);
            WriteText(Path.Combine(temp, TrainingCheckpoint.TokenizerFile), tokenizerJson);
            var carried = Path.Combine(run, TokenizerConfigFile);
            WriteText(Path.Combine(temp, TokenizerConfigFile), File.Exists(carried)
                ? File.ReadAllText(carried, Encoding.UTF8)
                : MinimalTokenizerConfig(Tokenizer.FromJson(tokenizerJson), config));
            Directory.Move(temp, target);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        return new RunExportResult(target, state.Step, lora is not null, model.ParameterCount());
    }

    /// <summary>The adapter settings the checkpoint was written with, or (older checkpoints) those of the run's saved adapter, or null for a full run.</summary>
    private static LoraConfig? ReadLoraConfig(string checkpoint, string run)
    {
        foreach (var path in new[] { Path.Combine(checkpoint, LoraAdapter.ConfigFile), Path.Combine(run, Trainer.AdapterFolder, LoraAdapter.ConfigFile) })
            if (File.Exists(path)) return LoraConfig.FromJson(File.ReadAllText(path)) with { BaseModelNameOrPath = null };
        return null;
    }

    /// <summary>
    /// The settings transformers needs to build a fast tokenizer from tokenizer.json alone: the special tokens, no
    /// extra BOS/EOS beyond what the template adds (as DeepSeek's own files say), and the context length.
    /// </summary>
    private static string MinimalTokenizerConfig(Tokenizer tokenizer, ModelConfig config)
    {
        string? Token(int id) => id >= 0 && id < tokenizer.VocabSize ? tokenizer.TokenText(id) : null;
        var root = new JsonObject
        {
            ["tokenizer_class"] = "LlamaTokenizerFast",
            ["add_bos_token"] = true,
            ["add_eos_token"] = false,
            ["bos_token"] = Token(tokenizer.BosId),
            ["eos_token"] = Token(tokenizer.EosId),
            ["pad_token"] = Token(tokenizer.PadId),
            ["clean_up_tokenization_spaces"] = false,
            ["legacy"] = true,
            ["model_max_length"] = config.MaxPositionEmbeddings,
        };
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    private static void WriteText(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        stream.Write(new UTF8Encoding(false).GetBytes(text));
        stream.Flush(flushToDisk: true);
    }
}
