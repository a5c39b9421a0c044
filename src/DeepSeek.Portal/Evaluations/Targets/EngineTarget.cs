using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Generation;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Models;
using DeepSeek.Portal.Models.Generation;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Evaluations.Targets;

/// <summary>
/// The built-in engine as an evaluation target: a succeeded run's last checkpoint or a registered model folder, loaded
/// once per evaluation. Every torch call (loading, forward passes, disposal) runs on one dedicated thread that lives as
/// long as the target, so no request or pool thread becomes an OpenMP team; calls from the suite runner queue for it
/// (the engine evaluates one item at a time whatever the runner's concurrency). Generation is greedy
/// (<see cref="SequenceGenerator"/> with temperature 0, KV cache) — the generator schedules its own steps on the thread
/// pool, as it does for "try the model". Log-likelihood is one forward pass over context + continuation, summing the
/// log-softmax of each continuation token.
/// </summary>
public sealed class EngineTarget : IEvaluationTarget, IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;
    private readonly GenerationSource _source;
    private ModelConfig _config = default!;
    private HuggingFaceTokenizer _tokenizer = default!;
    private CausalLM? _model;
    private ChatTemplate? _template;
    private bool _disposed;

    private EngineTarget(GenerationSource source, string label)
    {
        _source = source;
        Label = label;
        _thread = new Thread(Loop) { Name = "evaluation-engine", IsBackground = true };
        _thread.Start();
    }

    public string Label { get; }

    public string CacheIdentity { get; private set; } = "";

    public TargetCapabilities Capabilities { get; } = new(LogLikelihood: true);

    /// <summary>Loads the folder's config, tokenizer and weights on the target's thread.</summary>
    /// <exception cref="TargetException">The folder cannot be evaluated (no tokenizer, unreadable config or weights): <see cref="FailureKind.InvalidItem"/> is not right for that, so <see cref="FailureKind.NotSupported"/>.</exception>
    public static async Task<EngineTarget> OpenAsync(GenerationSource source, string label, ILogger logger, CancellationToken ct)
    {
        var target = new EngineTarget(source, label);
        try
        {
            await target.OnThreadAsync(() => target.Load(logger), ct);
            return target;
        }
        catch (Exception e) when (e is not (TargetException or OperationCanceledException))
        {
            // Unreadable weights or an I/O error: the evaluation fails with the reason instead of staying Running.
            target.Dispose();
            throw new TargetException(FailureKind.NotSupported, $"The model cannot be loaded: {e.Message}", e);
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }

    private void Load(ILogger logger)
    {
        ModelConfig config;
        try { config = ModelCardReader.ReadConfig(_source.Folder); }
        catch (ModelFolderException e) { throw new TargetException(FailureKind.NotSupported, e.Message, e); }
        var tokenizerPath = Path.Combine(_source.Folder, ModelCardReader.TokenizerFile);
        if (!File.Exists(tokenizerPath))
            throw new TargetException(FailureKind.NotSupported, "The model folder has no tokenizer.json, so text cannot be encoded.");
        try { _tokenizer = HuggingFaceTokenizer.FromJson(File.ReadAllText(_source.CheckFile(tokenizerPath))); }
        catch (FormatException e) { throw new TargetException(FailureKind.NotSupported, $"The model's tokenizer.json cannot be read: {e.Message}", e); }
        _config = config;
        var template = ModelCardReader.Read(_source.Folder, _source.CheckFile).ChatTemplate;
        _template = template is not null && Enum.TryParse<ChatTemplate>(template, out var t) ? t : null;
        _model = ModelGenerator.Load(_source, config, logger);
        _model.eval();
        CacheIdentity = $"engine:{_source.Key}:{Fingerprint(_source.Folder)}";
    }

    /// <summary>What the outputs depend on: the folder's config and weight files, by name, size and time written.</summary>
    private static string Fingerprint(string folder)
    {
        var files = Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => new FileInfo(f)).Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', files))))[..16];
    }

    public Task<GenerationOutput> GenerateAsync(GenerationCall call, CancellationToken ct) =>
        OnThreadAsync(() =>
        {
            var prompt = PromptIds(call);
            var room = Math.Max(1, _config.MaxPositionEmbeddings - call.MaxNewTokens);
            if (prompt.Count > room)
                prompt = prompt.Skip(prompt.Count - room).ToList(); // keep the end: it holds the question
            var sampling = new SamplingOptions
            {
                MaxNewTokens = Math.Max(1, call.MaxNewTokens),
                Temperature = call.Temperature,
                TopP = 1.0,
                StopStrings = call.Stop.Where(s => s.Length > 0).ToList(),
                StopTokenIds = _tokenizer.EosId >= 0 ? [_tokenizer.EosId] : [],
            };
            string Decode(IReadOnlyList<long> ids) => _tokenizer.Decode(ids.Select(i => (int)i));
            var generator = new SequenceGenerator(_model!, Decode, Math.Max(_tokenizer.PadId, 0));
            var result = generator.GenerateAsync([prompt], sampling, ct).GetAwaiter().GetResult()[0];
            return new GenerationOutput(result.Text ?? Decode(result.TokenIds), prompt.Count, result.TokenIds.Count);
        }, ct);

    /// <summary>Chat messages through the model's template when it has one; otherwise the turns as "role: content" lines.</summary>
    private List<long> PromptIds(GenerationCall call)
    {
        int[] ids;
        if (call.Messages is { Count: > 0 } messages && _template is { } template)
        {
            var chat = messages.Select(m => new ChatMessage(m.Role switch { "system" => ChatRole.System, "assistant" => ChatRole.Assistant, _ => ChatRole.User }, m.Content)).ToList();
            ids = ChatTemplates.RenderIds(_tokenizer, template, chat, addGenerationPrompt: true);
        }
        else
        {
            var text = call.Messages is { Count: > 0 } turns
                ? string.Join('\n', turns.Select(m => $"{m.Role}: {m.Content}")) + "\nassistant:"
                : call.Prompt ?? "";
            ids = Encode(text, bos: true);
        }
        if (ids.Length == 0)
            ids = [_tokenizer.BosId >= 0 ? _tokenizer.BosId : Math.Max(_tokenizer.EosId, 0)];
        if (ids.Any(i => i < 0 || i >= _config.VocabSize))
            throw new TargetException(FailureKind.InvalidItem, $"The tokenizer produced ids outside the model's vocabulary of {_config.VocabSize}.");
        return [.. ids.Select(i => (long)i)];
    }

    private int[] Encode(string text, bool bos) => bos && _tokenizer.BosId >= 0 ? _tokenizer.Encode(text, addBos: true) : _tokenizer.Encode(text);

    public Task<LogLikelihoodOutput> LogLikelihoodAsync(string context, string continuation, CancellationToken ct) =>
        OnThreadAsync(() =>
        {
            var contextIds = Encode(context, bos: true).ToList();
            var continuationIds = _tokenizer.Encode(continuation).ToList();
            if (continuationIds.Count == 0)
                throw new TargetException(FailureKind.InvalidItem, "The continuation has no tokens.");
            // Without BOS and context the first token has nothing to be predicted from: it is left out of the sum.
            if (contextIds.Count == 0)
            {
                contextIds.Add(continuationIds[0]);
                continuationIds.RemoveAt(0);
                if (continuationIds.Count == 0)
                    throw new TargetException(FailureKind.InvalidItem, "The continuation has a single token and nothing precedes it.");
            }
            var all = contextIds.Concat(continuationIds).ToList();
            int max = _config.MaxPositionEmbeddings > 0 ? _config.MaxPositionEmbeddings : all.Count;
            if (continuationIds.Count >= max)
                throw new TargetException(FailureKind.InvalidItem, $"The continuation has {continuationIds.Count} tokens; the model's context is {max}.");
            if (all.Count > max)
                all = all.Skip(all.Count - max).ToList(); // drop the start of the context
            int first = all.Count - continuationIds.Count;
            if (all.Any(i => i < 0 || i >= _config.VocabSize))
                throw new TargetException(FailureKind.InvalidItem, $"The tokenizer produced ids outside the model's vocabulary of {_config.VocabSize}.");

            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = tensor(all.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64).reshape(1, all.Count);
            var logits = _model!.Forward(input, null).Logits[0]; // [L, V]
            var logProbs = nn.functional.log_softmax(logits.to(ScalarType.Float32), -1);
            // Position i predicts token i + 1.
            var predicting = logProbs.narrow(0, first - 1, continuationIds.Count);
            var targets = tensor(continuationIds.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64).unsqueeze(1);
            var picked = predicting.gather(1, targets).squeeze(1).to(ScalarType.Float64);
            double sum = picked.sum().item<double>();
            var greedy = predicting.argmax(1).data<long>().ToArray();
            bool isGreedy = greedy.Select((g, i) => g == continuationIds[i]).All(x => x);
            return new LogLikelihoodOutput(sum, continuationIds.Count, isGreedy);
        }, ct);

    private Task<T> OnThreadAsync<T>(Func<T> work, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _work.Add(() =>
            {
                if (ct.IsCancellationRequested) { done.TrySetCanceled(ct); return; }
                try { done.TrySetResult(work()); }
                catch (Exception e) { done.TrySetException(e); }
            }, ct);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(EngineTarget));
        }
        return done.Task;
    }

    private Task OnThreadAsync(Action work, CancellationToken ct) => OnThreadAsync(() => { work(); return true; }, ct);

    private void Loop()
    {
        foreach (var work in _work.GetConsumingEnumerable())
            work();
        // The weights are released on the thread that used them.
        _model?.Dispose();
        _model = null;
    }

    /// <summary>Finishes the queued calls, releases the weights and ends the thread.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _work.CompleteAdding();
        if (Thread.CurrentThread != _thread)
            _thread.Join();
        _work.Dispose();
    }
}
