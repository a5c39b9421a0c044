using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Training;

/// <summary>The one mapping between a run's stored settings and the engine's options.</summary>
public static class TrainingRunSettings
{
    public static void Apply(this TrainingRun run, TrainingOptions options)
    {
        run.MicroBatchSize = options.MicroBatchSize;
        run.GradientAccumulationSteps = options.GradientAccumulationSteps;
        run.LearningRate = options.LearningRate;
        run.Steps = options.Steps;
        run.Precision = options.Precision;
        run.Seed = options.Seed;
        run.WarmupSteps = options.WarmupSteps;
        run.SequenceLength = options.SequenceLength;
    }

    public static TrainingOptions ToOptions(this TrainingRun run) => RunService.Defaults with
    {
        MicroBatchSize = run.MicroBatchSize,
        GradientAccumulationSteps = run.GradientAccumulationSteps,
        LearningRate = run.LearningRate,
        Steps = run.Steps,
        Precision = run.Precision,
        Seed = run.Seed,
        WarmupSteps = run.WarmupSteps,
        SequenceLength = run.SequenceLength,
    };
}
