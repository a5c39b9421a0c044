using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training.Mixing;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// Where the trainer's sequences come from: either all training texts packed together and shuffled
/// (<see cref="Packed"/>, the behaviour without a mixture) or a <see cref="TrainingMixture"/> (<see cref="Mixed"/>).
/// A step is bracketed by <see cref="BeginStep"/> and <see cref="CompleteStep"/> (or <see cref="RollBackStep"/> when
/// cancelled mid-step, so the checkpoint's data position is the last completed step's).
/// </summary>
internal abstract class TrainingBatches
{
    public static TrainingBatches Create(TrainingRequest request, Tokenizer tokenizer, TrainingOptions options) =>
        request.Mixture is { } mixture
            ? new Mixed(mixture, tokenizer, options)
            : new Packed(PackedSequences.Build(tokenizer, request.TrainTexts, options.SequenceLength, request.SupervisedExamples, request.SupervisedLayout), options.Seed);

    /// <summary>All texts the tokenizer is trained on.</summary>
    public static IEnumerable<string> TokenizerTexts(TrainingRequest request) =>
        request.Mixture is { } mixture
            ? mixture.Sources.SelectMany(s => s.Texts)
            : request.TrainTexts.Concat((request.SupervisedExamples ?? []).Select(e => e.Text));

    /// <summary>Sequences drawn so far (completed steps only, once a step is rolled back).</summary>
    public abstract long Consumed { get; }

    /// <summary>Whether <see cref="Observe"/> needs the logits (per-sequence losses).</summary>
    public virtual bool ObservesLosses => false;

    /// <summary>Fills <paramref name="batch"/> with the next sequences.</summary>
    public abstract void Next(MicroBatch batch);

    /// <summary>Takes note of the micro-batch just filled by <see cref="Next"/>: its logits and labels.</summary>
    public virtual void Observe(Tensor logits, Tensor labels) { }

    public abstract void BeginStep();

    public abstract void RollBackStep();

    /// <summary>Ends an optimizer step; the mixture's per-source report, or <c>null</c>.</summary>
    public virtual IReadOnlyList<SourceProgress>? CompleteStep() => null;

    /// <summary>The checkpoint state with this data position written into it.</summary>
    public abstract TrainerState Record(TrainerState state);

    /// <summary>Continues from a checkpoint's data position.</summary>
    public abstract void Restore(TrainerState state);

    private sealed class Packed(PackedSequences train, int seed) : TrainingBatches
    {
        private readonly BlockSampler sampler = new(train.Count, seed);
        private long consumedAtStart;

        public override long Consumed => sampler.Consumed;

        public override void Next(MicroBatch batch)
        {
            for (int row = 0; row < batch.Rows; row++) train.FillRow(row, sampler.Next(), batch);
        }

        public override void BeginStep() => consumedAtStart = sampler.Consumed;

        public override void RollBackStep() => sampler.Consumed = consumedAtStart;

        public override TrainerState Record(TrainerState state) => state with { SamplesConsumed = sampler.Consumed };

        public override void Restore(TrainerState state)
        {
            if (state.Mixture is not null) throw new InvalidDataException("The checkpoint is of a mixture run, this run has no mixture.");
            sampler.Consumed = state.SamplesConsumed;
        }
    }

    /// <summary>
    /// One packed stream and shuffled block order per source; a <see cref="MixtureSampler"/> seeded by the run's seed
    /// picks each sequence's source. A source's loss in a step is the mean cross-entropy per target token over all
    /// its sequences in that step's micro-batches (token-weighted), fed to the sampler once per optimizer step.
    /// </summary>
    private sealed class Mixed : TrainingBatches
    {
        private readonly string[] names;
        private readonly PackedSequences[] sources;
        private readonly BlockSampler[] samplers;
        private MixtureSampler mixture;
        private readonly double[] lossSums;
        private readonly long[] targetCounts;
        private readonly int[] sequenceCounts;
        private readonly List<int> rowSources = [];
        private MixtureCheckpoint? atStart;
        private long consumed;

        public Mixed(TrainingMixture request, Tokenizer tokenizer, TrainingOptions options)
        {
            names = request.Sources.Select(s => s.Name).ToArray();
            sources = request.Sources.Select(s => PackedSequences.Build(tokenizer, s.Texts, options.SequenceLength)).ToArray();
            // Distinct per-source streams: source i's order is seeded by (seed, i); the mixture's by the seed alone.
            samplers = sources.Select((s, i) => new BlockSampler(Math.Max(1, s.Count), unchecked(options.Seed * 31 + i + 1))).ToArray();
            var weights = request.Sources.Select((s, i) => sources[i].Count == 0 ? 0 : s.Weight).ToArray();
            if (!weights.Any(w => w > 0))
                throw new ArgumentException("No mixture source with a positive weight yields a training sequence.");
            mixture = new MixtureSampler(request.Policy, weights, unchecked((ulong)options.Seed), request.FeederLearningRate, request.LossSmoothing);
            lossSums = new double[names.Length];
            targetCounts = new long[names.Length];
            sequenceCounts = new int[names.Length];
        }

        public override long Consumed => consumed;

        public override bool ObservesLosses => true;

        public override void Next(MicroBatch batch)
        {
            rowSources.Clear();
            for (int row = 0; row < batch.Rows; row++)
            {
                int source = mixture.Next();
                sources[source].FillRow(row, samplers[source].Next(), batch);
                rowSources.Add(source);
                consumed++;
            }
        }

        public override void Observe(Tensor logits, Tensor labels)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // [rows, L] token losses, 0 at ignored positions.
            var tokenLoss = nn.functional.cross_entropy(
                logits.detach().view(-1, logits.shape[^1]), labels.view(-1),
                ignore_index: CausalLM.IgnoreIndex, reduction: nn.Reduction.None).view(labels.shape);
            var rowSums = tokenLoss.sum(1).to(float64).cpu().data<double>().ToArray();
            var rowTargets = labels.ne(CausalLM.IgnoreIndex).sum(1).cpu().data<long>().ToArray();
            for (int row = 0; row < rowSources.Count; row++)
            {
                int source = rowSources[row];
                lossSums[source] += rowSums[row];
                targetCounts[source] += rowTargets[row];
                sequenceCounts[source]++;
            }
        }

        public override void BeginStep()
        {
            atStart = Capture();
            Array.Clear(lossSums);
            Array.Clear(targetCounts);
            Array.Clear(sequenceCounts);
        }

        public override void RollBackStep()
        {
            if (atStart is not null) Apply(atStart);
        }

        public override IReadOnlyList<SourceProgress> CompleteStep()
        {
            var losses = new double?[names.Length];
            for (int i = 0; i < names.Length; i++)
                losses[i] = targetCounts[i] > 0 ? lossSums[i] / targetCounts[i] : null;
            mixture.ObserveLosses(losses);
            var weights = mixture.Weights;
            var probabilities = mixture.Probabilities();
            return names.Select((name, i) => new SourceProgress(name, weights[i], probabilities[i], losses[i], sequenceCounts[i])).ToArray();
        }

        public override TrainerState Record(TrainerState state) => state with { SamplesConsumed = consumed, Mixture = Capture() };

        public override void Restore(TrainerState state) =>
            Apply(state.Mixture ?? throw new InvalidDataException("The checkpoint is of a run without a mixture."));

        private MixtureCheckpoint Capture() => new(mixture.CaptureState(), samplers.Select(s => s.Consumed).ToArray(), consumed);

        private void Apply(MixtureCheckpoint state)
        {
            if (state.SourceConsumed.Length != samplers.Length)
                throw new InvalidDataException($"The checkpoint's mixture has {state.SourceConsumed.Length} sources, this run {samplers.Length}.");
            mixture = MixtureSampler.Restore(state.Sampler);
            for (int i = 0; i < samplers.Length; i++) samplers[i].Consumed = state.SourceConsumed[i];
            consumed = state.Consumed;
        }
    }
}

/// <summary>A mixture run's data position in <c>trainer_state.json</c>.</summary>
/// <param name="Sampler">The source sampler's state.</param>
/// <param name="SourceConsumed">Blocks drawn from each source's shuffled order.</param>
/// <param name="Consumed">Sequences drawn in total.</param>
internal sealed record MixtureCheckpoint(MixtureSamplerState Sampler, long[] SourceConsumed, long Consumed);
