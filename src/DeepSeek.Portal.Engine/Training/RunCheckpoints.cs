using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// The checkpoint part of a run: the run's fingerprint, finding and validating the checkpoint to resume from,
/// restoring it, and writing new ones (through <see cref="TrainingCheckpoint"/>).
/// </summary>
internal sealed class RunCheckpoints
{
    private readonly TrainingRequest request;
    private readonly string fingerprint;

    public RunCheckpoints(TrainingRequest request)
    {
        this.request = request;
        Output = Path.GetFullPath(request.OutputDirectory);
        Directory.CreateDirectory(Output);
        TrainingCheckpoint.RemoveIncomplete(Output);
        fingerprint = Fingerprint(request);
        ResumeFrom = TrainingCheckpoint.FindLatest(Output);
        if (ResumeFrom is not null)
        {
            Resumed = TrainingCheckpoint.ReadState(ResumeFrom);
            if (Resumed.Fingerprint != fingerprint)
                throw new InvalidOperationException(
                    $"{Output} holds a checkpoint of a different run ({Path.GetFileName(ResumeFrom)}); use a new output directory.");
        }
        Latest = ResumeFrom;
    }

    /// <summary>The run's output folder (full path).</summary>
    public string Output { get; }

    /// <summary>The checkpoint this attempt resumes from, or <c>null</c> for a fresh run.</summary>
    public string? ResumeFrom { get; }

    /// <summary>The resumed checkpoint's state, or <c>null</c>.</summary>
    public TrainerState? Resumed { get; }

    /// <summary>The newest checkpoint folder written or resumed.</summary>
    public string? Latest { get; private set; }

    /// <summary>
    /// The resumed run's tokenizer, the base model's (fine-tuning), or one trained on the run's texts; saved into the
    /// output folder either way. A base model's tokenizer_config.json and generation_config.json are copied there too,
    /// so an export of the run carries them on.
    /// </summary>
    public Tokenizer LoadOrTrainTokenizer(TrainingOptions options)
    {
        var tokenizer = ResumeFrom is not null
            ? Tokenizer.Load(Path.Combine(ResumeFrom, TrainingCheckpoint.TokenizerFile))
            : request.BaseModel is { } baseModel
                ? BaseModelFolder.ReadTokenizer(baseModel)
                : Tokenizer.Train(TrainingBatches.TokenizerTexts(request), options.TokenizerVocabSize);
        tokenizer.Save(Path.Combine(Output, TrainingCheckpoint.TokenizerFile));
        if (request.BaseModel is { } folder)
        {
            foreach (var name in BaseModelFolder.CarriedFiles)
                if (File.Exists(Path.Combine(folder, name))) File.Copy(Path.Combine(folder, name), Path.Combine(Output, name), overwrite: true);
        }
        return tokenizer;
    }

    /// <summary>Loads the resumed checkpoint's weights, optimiser state and data position.</summary>
    public void Restore(CausalLM model, TrainingOptimizer optimizer, TrainingBatches batches, TrainingPrecisionPolicy precision)
    {
        if (ResumeFrom is null || Resumed is null) return;
        TrainingCheckpoint.LoadInto(ResumeFrom, model, optimizer.AdamW);
        batches.Restore(Resumed);
        precision.Restore(Resumed);
    }

    /// <summary>Writes checkpoint <paramref name="step"/> atomically and returns its folder.</summary>
    public string Save(CausalLM model, TrainingOptimizer optimizer, Tokenizer tokenizer, TrainingBatches batches,
        TrainingPrecisionPolicy precision, int step, TimeSpan elapsed, double loss, double rate)
    {
        var options = request.Options;
        var state = new TrainerState
        {
            Step = step,
            TotalSteps = options.Steps,
            ElapsedSeconds = elapsed.TotalSeconds,
            Fingerprint = fingerprint,
            Seed = options.Seed,
            Threads = TorchSharp.torch.get_num_threads(),
            Precision = options.Precision.Name(),
            LastLoss = double.IsFinite(loss) ? loss : null,
            LastLearningRate = step > 0 ? rate : null,
        };
        Latest = TrainingCheckpoint.Save(Output, model, optimizer.AdamW, tokenizer, batches.Record(precision.Record(state)), options.Lora);
        return Latest;
    }

    /// <summary>Options added after checkpoints existed; hashed only when set away from their default.</summary>
    private static readonly HashSet<string> AddedLater =
    [
        nameof(TrainingOptions.InitialLossScale),
        nameof(TrainingOptions.LossScaleGrowthInterval),
        nameof(TrainingOptions.ActivationCheckpointing),
        nameof(TrainingOptions.Lora),
        nameof(TrainingOptions.LearningRateDecay),
    ];

    /// <summary>
    /// Serialises options for the fingerprint so that a run interrupted before a setting existed still resumes: a
    /// setting in <see cref="AddedLater"/> at its default is left out, as it was before it existed.
    /// </summary>
    private static readonly JsonSerializerOptions FingerprintJson = new()
    {
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    if (info.Type != typeof(TrainingOptions)) return;
                    var defaults = new TrainingOptions();
                    foreach (var property in info.Properties.Where(p => AddedLater.Contains(p.Name)))
                    {
                        var get = property.Get!;
                        object? standard = get(defaults);
                        property.ShouldSerialize = (_, value) => !Equals(value, standard);
                    }
                },
            },
        },
    };

    /// <summary>SHA-256 over the options that shape the trajectory, the model config (or the base model's identity) and the training texts.</summary>
    private static string Fingerprint(TrainingRequest request)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        Add(JsonSerializer.Serialize(request.Options with { CheckpointEvery = 1 }, FingerprintJson));
        Add(request.Model is null ? "tiny" : request.Model.ToJson());
        // Only fine-tuning runs hash this, so other runs' fingerprints are what they always were.
        if (request.BaseModel is { } baseModel) Add("base:" + BaseModelFolder.Identity(baseModel));
        Add(request.TrainTexts.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var text in request.TrainTexts) Add(text ?? "");
        if (request.SupervisedExamples is { Count: > 0 } examples)
        {
            // Only runs with examples hash these, so other runs' fingerprints are what they always were.
            Add(string.Create(CultureInfo.InvariantCulture, $"supervised:{examples.Count}"));
            foreach (var example in examples)
            {
                Add(example.Prompt ?? "");
                Add(example.Response ?? "");
                if (example.Turns is { } turns)
                {
                    // Only conversations hash their turns, so pair runs' fingerprints are what they always were.
                    Add(string.Create(CultureInfo.InvariantCulture, $"turns:{turns.Count}"));
                    foreach (var turn in turns) Add($"{turn.Role}:{turn.Content}");
                }
            }
            if (request.SupervisedLayout is { } layout && layout != SupervisedLayout.Plain) Add("layout:" + layout.Name);
        }
        if (request.Mixture is { } mixture)
        {
            // Only mixture runs hash these, so the fingerprints of runs without one are what they always were.
            Add(string.Create(CultureInfo.InvariantCulture, $"mixture:{mixture.Policy}:{mixture.FeederLearningRate:R}:{mixture.LossSmoothing:R}:{mixture.Sources.Count}"));
            foreach (var source in mixture.Sources)
            {
                Add(string.Create(CultureInfo.InvariantCulture, $"{source.Name}:{source.Weight:R}:{source.Texts.Count}"));
                foreach (var text in source.Texts) Add(text ?? "");
            }
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
