using System.Diagnostics;
using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// Trains a causal language model of any supported family (<see cref="CausalLM.Create"/>; the DeepSeek demo model by
/// default) on a set of texts and chat/SFT examples: tokenizer, document-aware packing, AdamW with warm-up + cosine
/// decay, gradient accumulation and clipping, fp32/bf16/fp16 (with dynamic loss scaling), activation checkpointing,
/// full fine-tuning or LoRA, MoE balance loss, periodic safetensors checkpoints, exact resume, and a held-out
/// evaluation at the end. Each concern is its own part: <see cref="RunCheckpoints"/>, <see cref="TrainingBatches"/>,
/// <see cref="TrainingStepLoop"/>, <see cref="TrainingPrecisionPolicy"/>, <see cref="TrainingOptimizer"/>.
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
            if (request.TrainTexts is { Count: > 0 } || request.SupervisedExamples is { Count: > 0 })
                throw new ArgumentException("TrainTexts and SupervisedExamples must be empty when a Mixture is given: its sources hold the training texts.", nameof(request));
        }
        else if (request.TrainTexts is null
            || (!request.TrainTexts.Any(t => !string.IsNullOrWhiteSpace(t)) && !(request.SupervisedExamples ?? []).Any(e => e.IsUsable)))
            throw new ArgumentException("TrainTexts must contain at least one non-empty text (or SupervisedExamples one with a response).", nameof(request));
        if (request.EvaluateHeldOutEvery is < 1)
            throw new ArgumentException($"EvaluateHeldOutEvery must be at least 1 when set (was {request.EvaluateHeldOutEvery}).", nameof(request));
        if (string.IsNullOrWhiteSpace(request.OutputDirectory))
            throw new ArgumentException("OutputDirectory is required.", nameof(request));
        if (request.BaseModel is { } baseModel)
        {
            if (request.Model is not null)
                throw new ArgumentException("Model must be null when BaseModel is set: the architecture comes from the base model's config.json.", nameof(request));
            if (request.Options.TokenizerVocabSize is not null)
                throw new ArgumentException("TokenizerVocabSize must be left unset when BaseModel is set: a fine-tuning run uses the base model's own tokenizer.", nameof(request));
            if (BaseModelFolder.Problem(baseModel) is { } problem)
                throw new ArgumentException(problem, nameof(request));
        }

        return Task.Factory.StartNew(
            () => new TrainingRun(request, onProgress, cancellationToken).Execute(),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    /// <summary>
    /// One attempt at a run: wires the parts together (checkpoints, data, precision, optimiser, step loop, held-out
    /// evaluation) and reports progress after each step.
    /// </summary>
    /// <summary>Folder of the run's output that receives a LoRA run's adapter.</summary>
    public const string AdapterFolder = "adapter";

    private sealed class TrainingRun(TrainingRequest request, Action<TrainingProgress> onProgress, CancellationToken cancellationToken)
    {
        private const double ThroughputSmoothing = 0.3;
        private readonly TrainingOptions options = request.Options;

        public TrainingOutcome Execute()
        {
            // The run's peak starts here (the process's earlier peaks, e.g. a previous run's, are not this run's).
            ProcessMemory.ResetPeak();
            var checkpoints = new RunCheckpoints(request);
            var tokenizer = checkpoints.LoadOrTrainTokenizer(options);
            var config = ResolveConfig(tokenizer);
            var device = EngineDevice.Device;
            // A resumed run computes with the thread count it started with, whatever this start measured, so its
            // losses continue those of the uninterrupted run exactly; set on this (the training) thread.
            using var threads = ThreadCount.Use(checkpoints.Resumed?.Threads ?? EngineDevice.Current.Threads);
            var precision = new TrainingPrecisionPolicy(options);

            using var model = CreateModel(config, device);
            var adapter = ApplyLora(model);
            precision.Apply(model);
            long parameterCount = model.ParameterCount();
            using var optimizer = new TrainingOptimizer(model, options);
            var batches = TrainingBatches.Create(request, tokenizer, options);
            checkpoints.Restore(model, optimizer, batches, precision);
            var heldOut = new HeldOutEvaluation(request.HeldOutTexts, tokenizer, options);
            var loop = new TrainingStepLoop(model, batches, optimizer, precision, options, device);

            int step = checkpoints.Resumed?.Step ?? 0;
            var previousElapsed = TimeSpan.FromSeconds(checkpoints.Resumed?.ElapsedSeconds ?? 0);
            long tokensPerStep = (long)options.MicroBatchSize * options.SequenceLength * options.GradientAccumulationSteps;
            var clock = Stopwatch.StartNew();
            double smoothedThroughput = 0, stepSeconds = 0;
            int stepsThisAttempt = 0, lastSavedStep = checkpoints.Resumed?.Step ?? -1;
            double lastLoss = double.NaN, lastRate = 0;
            (int Step, double? Loss) lastHeldOut = (-1, null);
            bool cancelled = false;
            long? peakResident = null;

            model.train();
            while (step < options.Steps)
            {
                int nextStep = step + 1;
                double rate = optimizer.BeginStep(nextStep);
                var stepClock = Stopwatch.StartNew();
                if (loop.Run(nextStep, cancellationToken) is not { } result)
                {
                    cancelled = true;
                    break;
                }

                step = nextStep;
                stepsThisAttempt++;
                double seconds = stepClock.Elapsed.TotalSeconds;
                stepSeconds += seconds;
                double throughput = tokensPerStep / Math.Max(seconds, 1e-9);
                smoothedThroughput = stepsThisAttempt == 1 ? throughput : ThroughputSmoothing * throughput + (1 - ThroughputSmoothing) * smoothedThroughput;
                lastLoss = result.Loss;
                lastRate = rate;
                var sources = batches.CompleteStep();
                double? heldOutNow = request.EvaluateHeldOutEvery is int every && step % every == 0 ? heldOut.Evaluate(model, device) : null;
                if (heldOutNow is not null) lastHeldOut = (step, heldOutNow);
                var memory = ProcessMemory.Read();
                if (memory is not null) peakResident = Math.Max(peakResident ?? 0, memory.PeakResidentBytes);
                onProgress(new TrainingProgress(step, options.Steps, lastLoss, rate, smoothedThroughput, result.GradNorm, previousElapsed + clock.Elapsed)
                {
                    AuxLoss = result.AuxLoss,
                    LossScale = precision.Scaler?.Scale,
                    StepSkipped = !result.Applied,
                    ParameterCount = parameterCount,
                    Sources = sources,
                    HeldOutLoss = heldOutNow,
                    ResidentBytes = memory?.ResidentBytes,
                    PeakResidentBytes = peakResident,
                });

                if (step % options.CheckpointEvery == 0 && step < options.Steps)
                {
                    checkpoints.Save(model, optimizer, tokenizer, batches, precision, step, previousElapsed + clock.Elapsed, lastLoss, lastRate);
                    lastSavedStep = step;
                }
            }

            if (step != lastSavedStep)
                checkpoints.Save(model, optimizer, tokenizer, batches, precision, step, previousElapsed + clock.Elapsed, lastLoss, lastRate);

            string? adapterDirectory = null;
            if (adapter is not null && !cancelled)
            {
                adapterDirectory = Path.Combine(checkpoints.Output, AdapterFolder);
                adapter.Save(adapterDirectory, request.BaseModel);
            }

            double? heldOutLoss = null;
            if (!cancelled && heldOut.HasTexts)
                heldOutLoss = lastHeldOut.Step == step ? lastHeldOut.Loss : heldOut.Evaluate(model, device);
            if (ProcessMemory.Read() is { } final) peakResident = Math.Max(peakResident ?? 0, final.PeakResidentBytes);

            return new TrainingOutcome(
                StepsCompleted: step,
                Cancelled: cancelled,
                HeldOutLoss: heldOutLoss,
                HeldOutPerplexity: heldOutLoss is double l ? Math.Exp(l) : null,
                CheckpointDirectory: checkpoints.Latest,
                ParameterCount: model.ParameterCount(),
                Device: EngineDevice.Current.Description,
                TokensPerSecond: stepSeconds > 0 ? tokensPerStep * stepsThisAttempt / stepSeconds : 0,
                ModelFlopsPerToken: ModelFlops.TrainingFlopsPerToken(config, options.SequenceLength))
            {
                AdapterDirectory = adapterDirectory,
                PeakResidentBytes = peakResident,
            };
        }

        /// <summary>
        /// With <see cref="TrainingOptions.Lora"/>, wraps the targeted linears and freezes everything else (after the
        /// model is on its device, as <see cref="LoraAdapter"/> requires), so the optimiser sees only A and B.
        /// </summary>
        private LoraAdapter? ApplyLora(CausalLM model)
        {
            if (options.Lora is not { } lora) return null;
            using var generator = new Generator(unchecked((ulong)options.Seed + 1));
            return LoraAdapter.Apply(model, lora, generator);
        }

        private CausalLM CreateModel(ModelConfig config, Device device)
        {
            var model = CausalLM.Create(config);
            if (request.BaseModel is { } baseModel)
            {
                // Fine-tuning: every weight comes from the base model (copied from its memory mapping, on the CPU).
                try
                {
                    BaseModelFolder.LoadWeights(model, baseModel);
                }
                catch
                {
                    model.Dispose();
                    throw;
                }
            }
            else
            {
                using var generator = new Generator((ulong)options.Seed);
                // Initialised on the CPU with a private generator, so weights depend on the seed alone.
                model.InitializeWeights(generator);
            }
            model.to(device);
            model.ActivationCheckpointing = options.ActivationCheckpointing;
            return model;
        }

        private ModelConfig ResolveConfig(Tokenizer tokenizer)
        {
            ModelConfig config = request.BaseModel is { } baseModel
                ? BaseModelFolder.ReadConfig(baseModel)
                : request.Model ?? DeepSeekConfig.Tiny(tokenizer.VocabSize);
            if (config.VocabSize == 0) config = config with { VocabSize = tokenizer.VocabSize };
            if (config.VocabSize < tokenizer.VocabSize)
                throw new ArgumentException($"Model VocabSize {config.VocabSize} is smaller than the tokenizer's {tokenizer.VocabSize}.");
            if (config.MaxPositionEmbeddings < options.SequenceLength)
                throw new ArgumentException($"Model MaxPositionEmbeddings {config.MaxPositionEmbeddings} is shorter than SequenceLength {options.SequenceLength}.");
            config.ThrowIfInvalid();
            return config;
        }
    }
}
