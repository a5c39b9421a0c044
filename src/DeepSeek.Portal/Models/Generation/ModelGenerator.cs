using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Generation;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Models.Generation;

/// <summary>
/// Generates from a model folder with the engine's <see cref="SequenceGenerator"/> (KV cache), streaming each token
/// as it is produced. One generation at a time per source: a second caller gets <see cref="GenerationBusyException"/>
/// rather than a queue, so nobody waits behind a long generation without knowing it. The weights are loaded (memory
/// mapped) for each generation and released after it.
/// </summary>
public sealed class ModelGenerator(IOptions<ModelRegistryOptions> options, ILogger<ModelGenerator> logger)
{
    private readonly ConcurrentDictionary<string, byte> busy = new(StringComparer.Ordinal);

    /// <summary>Most new tokens a request may ask for.</summary>
    public int MaxNewTokensCap => options.Value.MaxNewTokens;

    /// <summary>Whether <paramref name="key"/> is generating now.</summary>
    public bool IsBusy(string key) => busy.ContainsKey(key);

    /// <summary>
    /// Streams the generation. Everything that makes the request invalid (<see cref="GenerationRequestException"/>) or
    /// the source busy (<see cref="GenerationBusyException"/>) is thrown by the first <c>MoveNextAsync</c>, before any
    /// event, so an HTTP caller can still answer with a status code. Cancelling stops after the current step.
    /// </summary>
    public async IAsyncEnumerable<GenerationEvent> StreamAsync(GenerationSource source, GenerateRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        if (!busy.TryAdd(source.Key, 0)) throw new GenerationBusyException(source.Key);
        try
        {
            var (config, tokenizer, promptIds, sampling) = Prepare(source, request);
            using var model = await Task.Run(() => Load(source, config, logger), ct);
            yield return new GenerationEvent { Type = "start", PromptTokenIds = promptIds };

            string Decode(IReadOnlyList<long> ids) => tokenizer.Decode(ids.Select(i => (int)i));
            var generator = new SequenceGenerator(model, Decode, Math.Max(tokenizer.PadId, 0));
            GenerationResult? result = null;
            var ids = new List<long>();
            int emitted = 0;
            await foreach (var token in generator.StreamAsync([promptIds], sampling, f => result = f.Result, ct))
            {
                ids.Add(token.TokenId);
                var text = Decode(ids);
                // Hold back an incomplete UTF-8 character and any tail that may be the start of a stop string.
                int visible = text.EndsWith('\uFFFD') ? text.Length - 1 : text.Length;
                foreach (var stop in sampling.StopStrings)
                {
                    int at = text.IndexOf(stop, StringComparison.Ordinal);
                    if (at >= 0) visible = Math.Min(visible, at);
                }
                visible -= HeldBack(text.AsSpan(0, visible), sampling.StopStrings);
                var delta = visible > emitted ? text[emitted..visible] : "";
                emitted = Math.Max(emitted, visible);
                yield return new GenerationEvent { Type = "token", Index = token.Index, TokenId = token.TokenId, Text = delta };
            }
            yield return new GenerationEvent { Type = "done", Reason = result?.Reason.ToString(), TokenIds = result?.TokenIds ?? ids, Text = result?.Text ?? Decode(ids) };
        }
        finally
        {
            busy.TryRemove(source.Key, out _);
        }
    }

    private (ModelConfig Config, HuggingFaceTokenizer Tokenizer, long[] PromptIds, SamplingOptions Sampling) Prepare(GenerationSource source, GenerateRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        var config = ModelCardReader.ReadConfig(source.Folder);
        var tokenizerPath = Path.Combine(source.Folder, ModelCardReader.TokenizerFile);
        if (!File.Exists(tokenizerPath))
            throw new GenerationRequestException(new Dictionary<string, string[]> { ["tokenizer"] = ["The model folder has no tokenizer.json, so text cannot be encoded."] });
        HuggingFaceTokenizer tokenizer;
        try
        {
            tokenizer = HuggingFaceTokenizer.FromJson(File.ReadAllText(source.CheckFile(tokenizerPath)));
        }
        catch (FormatException e)
        {
            throw new GenerationRequestException(new Dictionary<string, string[]> { ["tokenizer"] = [e.Message] });
        }

        int[] prompt = [];
        if (request.Messages is { Count: > 0 } messages)
        {
            var template = ModelCardReader.Read(source.Folder, source.CheckFile).ChatTemplate;
            var roles = messages.Select(m => Enum.TryParse<ChatRole>(m.Role, ignoreCase: true, out var r) ? r : (ChatRole?)null).ToList();
            if (template is null) errors["messages"] = ["This model has no chat template the engine knows; send a plain prompt."];
            else if (roles.Any(r => r is null)) errors["messages"] = ["Each message's role must be system, user or assistant."];
            else
                prompt = ChatTemplates.RenderIds(tokenizer, Enum.Parse<ChatTemplate>(template),
                    [.. messages.Select((m, i) => new ChatMessage(roles[i]!.Value, m.Content ?? ""))], addGenerationPrompt: true);
        }
        else if (!string.IsNullOrEmpty(request.Prompt))
        {
            prompt = tokenizer.BosId >= 0 ? tokenizer.Encode(request.Prompt, addBos: true) : tokenizer.Encode(request.Prompt);
        }
        else
        {
            errors["prompt"] = ["Give a prompt or chat messages."];
        }
        if (prompt.Length > options.Value.MaxPromptTokens)
            errors["prompt"] = [$"The prompt has {prompt.Length} tokens; at most {options.Value.MaxPromptTokens} are accepted (Portal:Models:MaxPromptTokens)."];
        if (prompt.Any(id => id < 0 || id >= config.VocabSize))
            errors["tokenizer"] = [$"The tokenizer produced ids outside the model's vocabulary of {config.VocabSize}."];

        var sampling = new SamplingOptions
        {
            MaxNewTokens = request.MaxNewTokens ?? Math.Min(64, MaxNewTokensCap),
            Temperature = request.Temperature ?? 0.7,
            TopK = request.TopK ?? 0,
            TopP = request.TopP ?? 0.95,
            RepetitionPenalty = request.RepetitionPenalty ?? 1.0,
            StopStrings = request.StopStrings?.Where(s => s.Length > 0).ToList() ?? [],
            StopTokenIds = tokenizer.EosId >= 0 ? [tokenizer.EosId] : [],
            Seed = request.Seed ?? 0,
        };
        foreach (var (field, problems) in sampling.Validate()) errors[field] = problems;
        if (sampling.MaxNewTokens > MaxNewTokensCap)
            errors[nameof(SamplingOptions.MaxNewTokens)] = [$"MaxNewTokens may be at most {MaxNewTokensCap} (Portal:Models:MaxNewTokens); was {sampling.MaxNewTokens}."];
        if (errors.Count > 0) throw new GenerationRequestException(errors);
        return (config, tokenizer, [.. prompt.Select(i => (long)i)], sampling);
    }

    /// <summary>Creates the model and loads the folder's weights (a LoRA checkpoint merged); evaluations load the same way.</summary>
    internal static CausalLM Load(GenerationSource source, ModelConfig config, ILogger logger)
    {
        var weights = File.Exists(Path.Combine(source.Folder, SafeTensorsCheckpoint.IndexFile))
            ? Path.Combine(source.Folder, SafeTensorsCheckpoint.IndexFile)
            : Path.Combine(source.Folder, SafeTensorsCheckpoint.SingleFile);
        var model = CausalLM.Create(config);
        try
        {
            using var checkpoint = SafeTensorsCheckpoint.Open(source.CheckFile(weights));
            foreach (var shard in checkpoint.ShardFiles) source.CheckFile(Path.Combine(source.Folder, shard));
            // A LoRA run's checkpoint holds each adapter beside its frozen weight, with adapter_config.json: merged on load.
            var adapterConfig = Path.Combine(source.Folder, Engine.Adapters.LoraAdapter.ConfigFile);
            var adapter = File.Exists(adapterConfig) && checkpoint.TensorNames.Any(n => n.EndsWith(".lora_A.weight", StringComparison.Ordinal))
                ? Engine.Adapters.LoraAdapter.Apply(model, Engine.Adapters.LoraConfig.FromJson(File.ReadAllText(source.CheckFile(adapterConfig))))
                : null;
            CheckpointLoader.LoadInto(model, checkpoint, new CheckpointLoadOptions { IgnoreLayersFrom = config.NumHiddenLayers });
            adapter?.MergeAndUnload();
            logger.LogInformation("Loaded {Key} from {Folder} for generation", source.Key, source.Folder);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of a stop string.</summary>
    internal static int HeldBack(ReadOnlySpan<char> text, IReadOnlyList<string> stops)
    {
        int held = 0;
        foreach (var stop in stops)
        {
            for (int n = Math.Min(stop.Length - 1, text.Length); n > held; n--)
            {
                if (text[^n..].SequenceEqual(stop.AsSpan(0, n))) { held = n; break; }
            }
        }
        return held;
    }
}
