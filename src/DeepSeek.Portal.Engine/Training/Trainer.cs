using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// Trains a causal language model of any supported family (<see cref="CausalLM.Create"/>; the DeepSeek demo model by
/// default) from scratch on a set of texts: tokenizer, packing, AdamW with warm-up +
/// cosine decay, gradient accumulation and clipping, MoE balance loss, periodic safetensors checkpoints, resume, and
/// a held-out evaluation at the end.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Runs training on a dedicated long-running thread and completes with the outcome.
    /// </summary>
    /// <remarks>
    /// <para><paramref name="onProgress"/> is called synchronously on the training thread after every optimizer
    /// step; keep it cheap (hand the value to another thread).</para>
    /// <para>Cancellation is honoured between micro-batches: a partly accumulated step is discarded, a checkpoint of
    /// the last completed step is written, and the task completes with <see cref="TrainingOutcome.Cancelled"/> set
    /// (it does not throw <see cref="OperationCanceledException"/>).</para>
    /// <para>Resume: when <see cref="TrainingRequest.OutputDirectory"/> already holds a checkpoint of the same run
    /// (same options except <see cref="TrainingOptions.CheckpointEvery"/>, same model, same training texts), training
    /// continues from it with the saved weights, AdamW state, step and data position, and the tokenizer saved there.
    /// A checkpoint of a different run in the folder is an error rather than being overwritten.</para>
    /// <para>Mixture: with <see cref="TrainingRequest.Mixture"/> each sequence is drawn from a source picked by a
    /// <see cref="Mixing.MixtureSampler"/>; progress carries per-source weight, probability and loss
    /// (<see cref="TrainingProgress.Sources"/>), and the sampler's state is part of the checkpoint and the fingerprint.</para>
    /// <para>Invalid options or empty training data throw <see cref="ArgumentException"/> before any work starts.</para>
    /// </remarks>
    public static Task<TrainingOutcome> RunAsync(TrainingRequest request, Action<TrainingProgress> onProgress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(onProgress);
        ArgumentNullException.ThrowIfNull(request.Options);
        var errors = request.Options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid training options: " + string.Join(" ", errors.SelectMany(e => e.Value)), nameof(request));
        if (request.Mixture is { } mixture)
        {
            var mixtureErrors = mixture.Validate();
            if (mixtureErrors.Count > 0)
                throw new ArgumentException("Invalid mixture: " + string.Join(" ", mixtureErrors), nameof(request));
            if (request.TrainTexts is { Count: > 0 })
                throw new ArgumentException("TrainTexts must be empty when a Mixture is given: its sources hold the training texts.", nameof(request));
        }
        else if (request.TrainTexts is null || !request.TrainTexts.Any(t => !string.IsNullOrWhiteSpace(t)))
            throw new ArgumentException("TrainTexts must contain at least one non-empty text.", nameof(request));
        if (request.EvaluateHeldOutEvery is < 1)
            throw new ArgumentException($"EvaluateHeldOutEvery must be at least 1 when set (was {request.EvaluateHeldOutEvery}).", nameof(request));
        if (string.IsNullOrWhiteSpace(request.OutputDirectory))
            throw new ArgumentException("OutputDirectory is required.", nameof(request));

        return Task.Factory.StartNew(
            () => new TrainingRun(request, onProgress, cancellationToken).Execute(),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    private sealed class TrainingRun(TrainingRequest request, Action<TrainingProgress> onProgress, CancellationToken cancellationToken)
    {
        private const double ThroughputSmoothing = 0.3;
        private readonly TrainingOptions options = request.Options;

        public TrainingOutcome Execute()
        {
            var output = Path.GetFullPath(request.OutputDirectory);
            Directory.CreateDirectory(output);
            TrainingCheckpoint.RemoveIncomplete(output);
            var fingerprint = Fingerprint();

            var resumeFrom = TrainingCheckpoint.FindLatest(output);
            TrainerState? resumed = null;
            Tokenizer tokenizer;
            if (resumeFrom is not null)
            {
                resumed = TrainingCheckpoint.ReadState(resumeFrom);
                if (resumed.Fingerprint != fingerprint)
                    throw new InvalidOperationException(
                        $"{output} holds a checkpoint of a different run ({Path.GetFileName(resumeFrom)}); use a new output directory.");
                tokenizer = Tokenizer.Load(Path.Combine(resumeFrom, TrainingCheckpoint.TokenizerFile));
            }
            else
            {
                tokenizer = Tokenizer.Train(TrainingBatches.TokenizerTexts(request), options.TokenizerVocabSize);
            }
            tokenizer.Save(Path.Combine(output, TrainingCheckpoint.TokenizerFile));

            var config = ResolveConfig(tokenizer);
            var device = EngineDevice.Device;
            var precision = options.Precision == TrainingPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

            using var model = CausalLM.Create(config);
            using (var generator = new Generator((ulong)options.Seed))
            {
                // Initialised on the CPU with a private generator, so weights depend on the seed alone.
                model.InitializeWeights(generator);
            }
            model.to(device);
            model.ComputeDType = precision;
            long parameterCount = model.ParameterCount();

            // Only what gradients train: V3's routing correction bias is a parameter in the HF layout but never has a gradient.
            var named = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
            var decayed = named.Where(p => p.parameter.dim() >= 2).ToList();
            var undecayed = named.Where(p => p.parameter.dim() < 2).ToList();
            var ordered = decayed.Concat(undecayed).Select(p => (p.name, p.parameter)).ToList();
            using var optimizer = optim.AdamW(
                [
                    new AdamW.ParamGroup(decayed.Select(p => p.parameter), options.LearningRate, 0.9, 0.95, 1e-8, options.WeightDecay, false, false),
                    new AdamW.ParamGroup(undecayed.Select(p => p.parameter), options.LearningRate, 0.9, 0.95, 1e-8, 0.0, false, false),
                ],
                options.LearningRate, 0.9, 0.95, 1e-8, options.WeightDecay, false, false);

            var batches = TrainingBatches.Create(request, tokenizer, options);
            int step = 0;
            var previousElapsed = TimeSpan.Zero;
            string? checkpoint = null;
            if (resumed is not null)
            {
                TrainingCheckpoint.LoadInto(resumeFrom!, model, optimizer, ordered);
                step = resumed.Step;
                batches.Restore(resumed);
                previousElapsed = TimeSpan.FromSeconds(resumed.ElapsedSeconds);
                checkpoint = resumeFrom;
            }

            var parameters = named.Select(p => p.parameter).ToList();
            int batch = options.MicroBatchSize, length = options.SequenceLength, accumulation = options.GradientAccumulationSteps;
            long tokensPerStep = (long)batch * length * accumulation;
            var inputs = new long[batch * length];
            var labels = new long[batch * length];
            var clock = Stopwatch.StartNew();
            double smoothedThroughput = 0, stepSeconds = 0;
            int stepsThisAttempt = 0, lastSavedStep = resumed?.Step ?? -1;
            double lastLoss = double.NaN, lastRate = 0;
            (int Step, double? Loss) lastHeldOut = (-1, null);
            bool cancelled = false;

            model.train();
            while (step < options.Steps)
            {
                int nextStep = step + 1;
                double rate = LearningRateSchedule.At(nextStep, options);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = rate;
                batches.BeginStep();
                var stepClock = Stopwatch.StartNew();
                double lossSum = 0, auxSum = 0, gradNorm;

                using (var scope = NewDisposeScope())
                {
                    for (int micro = 0; micro < accumulation; micro++)
                    {
                        if (cancellationToken.IsCancellationRequested)
                        {
                            cancelled = true;
                            break;
                        }
                        batches.Next(inputs, labels);
                        var x = tensor(inputs, [batch, length], device: device);
                        var y = tensor(labels, [batch, length], device: device);
                        var result = model.Forward(x, y);
                        if (batches.ObservesLosses) batches.Observe(result.Logits, y);
                        var total = result.AuxLoss is null ? result.Loss! : result.Loss! + result.AuxLoss;
                        (total / accumulation).backward();
                        lossSum += result.Loss!.item<float>();
                        if (result.AuxLoss is not null) auxSum += result.AuxLoss.item<float>();
                    }
                    if (cancelled)
                    {
                        optimizer.zero_grad();
                        batches.RollBackStep();
                        break;
                    }
                    gradNorm = nn.utils.clip_grad_norm_(parameters, options.MaxGradNorm);
                    optimizer.step();
                    optimizer.zero_grad();
                }

                step = nextStep;
                stepsThisAttempt++;
                double seconds = stepClock.Elapsed.TotalSeconds;
                stepSeconds += seconds;
                double throughput = tokensPerStep / Math.Max(seconds, 1e-9);
                smoothedThroughput = stepsThisAttempt == 1 ? throughput : ThroughputSmoothing * throughput + (1 - ThroughputSmoothing) * smoothedThroughput;
                lastLoss = lossSum / accumulation;
                lastRate = rate;
                var sources = batches.CompleteStep();
                double? heldOutNow = request.EvaluateHeldOutEvery is int every && step % every == 0 && request.HeldOutTexts is { Count: > 0 }
                    ? Evaluate(model, tokenizer, device)
                    : null;
                if (heldOutNow is not null) lastHeldOut = (step, heldOutNow);
                onProgress(new TrainingProgress(step, options.Steps, lastLoss, rate, smoothedThroughput, gradNorm, previousElapsed + clock.Elapsed)
                {
                    AuxLoss = auxSum / accumulation,
                    ParameterCount = parameterCount,
                    Sources = sources,
                    HeldOutLoss = heldOutNow,
                });

                if (step % options.CheckpointEvery == 0 && step < options.Steps)
                {
                    checkpoint = Save(output, model, optimizer, ordered, tokenizer, step, batches, previousElapsed + clock.Elapsed, fingerprint, lastLoss, lastRate);
                    lastSavedStep = step;
                }
            }

            if (step != lastSavedStep)
                checkpoint = Save(output, model, optimizer, ordered, tokenizer, step, batches, previousElapsed + clock.Elapsed, fingerprint, lastLoss, lastRate);

            double? heldOutLoss = null;
            if (!cancelled && request.HeldOutTexts is { Count: > 0 })
                heldOutLoss = lastHeldOut.Step == step ? lastHeldOut.Loss : Evaluate(model, tokenizer, device);

            return new TrainingOutcome(
                StepsCompleted: step,
                Cancelled: cancelled,
                HeldOutLoss: heldOutLoss,
                HeldOutPerplexity: heldOutLoss is double l ? Math.Exp(l) : null,
                CheckpointDirectory: checkpoint,
                ParameterCount: model.ParameterCount(),
                Device: EngineDevice.Current.Description,
                TokensPerSecond: stepSeconds > 0 ? tokensPerStep * stepsThisAttempt / stepSeconds : 0,
                ModelFlopsPerToken: ModelFlops.TrainingFlopsPerToken(config, options.SequenceLength));
        }

        private string Save(string output, CausalLM model, AdamW optimizer, IReadOnlyList<(string, Parameter)> ordered,
            Tokenizer tokenizer, int step, TrainingBatches batches, TimeSpan elapsed, string fingerprint, double loss, double rate)
        {
            var state = new TrainerState
            {
                Step = step,
                TotalSteps = options.Steps,
                ElapsedSeconds = elapsed.TotalSeconds,
                Fingerprint = fingerprint,
                Seed = options.Seed,
                Precision = options.Precision.Name(),
                LastLoss = double.IsFinite(loss) ? loss : null,
                LastLearningRate = step > 0 ? rate : null,
            };
            return TrainingCheckpoint.Save(output, model, optimizer, ordered, tokenizer, batches.Record(state));
        }

        /// <summary>Mean cross-entropy per target token over the held-out texts, packed like the training data.</summary>
        private double? Evaluate(CausalLM model, Tokenizer tokenizer, Device device)
        {
            var heldOut = PackedSequences.Build(tokenizer, request.HeldOutTexts, options.SequenceLength);
            if (heldOut.Count == 0) return null;
            model.eval();
            using var noGrad = no_grad();
            int batch = options.MicroBatchSize, length = options.SequenceLength;
            double lossSum = 0;
            long targets = 0;
            for (int start = 0; start < heldOut.Count; start += batch)
            {
                using var scope = NewDisposeScope();
                int rows = Math.Min(batch, heldOut.Count - start);
                var blocks = Enumerable.Range(start, rows).ToArray();
                var inputs = new long[rows * length];
                var labels = new long[rows * length];
                heldOut.Fill(blocks, inputs, labels);
                var x = tensor(inputs, [rows, length], device: device);
                var y = tensor(labels, [rows, length], device: device);
                var logits = model.forward(x);
                var sum = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), y.view(-1),
                    ignore_index: CausalLM.IgnoreIndex, reduction: nn.Reduction.Sum);
                lossSum += sum.item<float>();
                targets += labels.Count(l => l != CausalLM.IgnoreIndex);
            }
            model.train();
            return targets == 0 ? null : lossSum / targets;
        }

        private ModelConfig ResolveConfig(Tokenizer tokenizer)
        {
            ModelConfig config = request.Model ?? DeepSeekConfig.Tiny(tokenizer.VocabSize);
            if (config.VocabSize == 0) config = config with { VocabSize = tokenizer.VocabSize };
            if (config.VocabSize < tokenizer.VocabSize)
                throw new ArgumentException($"Model VocabSize {config.VocabSize} is smaller than the tokenizer's {tokenizer.VocabSize}.");
            if (config.MaxPositionEmbeddings < options.SequenceLength)
                throw new ArgumentException($"Model MaxPositionEmbeddings {config.MaxPositionEmbeddings} is shorter than SequenceLength {options.SequenceLength}.");
            config.ThrowIfInvalid();
            return config;
        }

        /// <summary>SHA-256 over the options that shape the trajectory, the model config and the training texts.</summary>
        private string Fingerprint()
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            void Add(string s)
            {
                var bytes = Encoding.UTF8.GetBytes(s);
                hash.AppendData(BitConverter.GetBytes(bytes.Length));
                hash.AppendData(bytes);
            }
            Add(JsonSerializer.Serialize(options with { CheckpointEvery = 1 }));
            Add(request.Model is null ? "tiny" : request.Model.ToJson());
            Add(request.TrainTexts.Count.ToString(CultureInfo.InvariantCulture));
            foreach (var text in request.TrainTexts) Add(text ?? "");
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
}
