using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>What one optimizer step did.</summary>
/// <param name="Loss">Mean LM loss over the micro-batches.</param>
/// <param name="AuxLoss">Mean MoE balance loss over the micro-batches.</param>
/// <param name="GradNorm">Gradient norm before clipping (0 when the update was skipped).</param>
/// <param name="Applied">Whether the optimiser updated the weights (false when the precision part skipped the step).</param>
internal readonly record struct StepResult(double Loss, double AuxLoss, double GradNorm, bool Applied);

/// <summary>
/// The step loop of a run: for one optimizer step, draws <see cref="TrainingOptions.GradientAccumulationSteps"/>
/// micro-batches, runs forward and backward on each, and hands the accumulated gradients to the precision part and
/// the optimiser. Cancellation is honoured between micro-batches: a partial step is discarded and rolled back.
/// </summary>
internal sealed class TrainingStepLoop(
    CausalLM model,
    TrainingBatches batches,
    TrainingOptimizer optimizer,
    TrainingPrecisionPolicy precision,
    TrainingOptions options,
    Device device)
{
    private readonly MicroBatch buffer = new(options.MicroBatchSize, options.SequenceLength);

    /// <summary>Runs optimizer step <paramref name="step"/> (1-based); <c>null</c> when cancelled part-way.</summary>
    public StepResult? Run(int step, CancellationToken cancellationToken)
    {
        int accumulation = options.GradientAccumulationSteps;
        batches.BeginStep();
        double lossSum = 0, auxSum = 0;
        using var scope = NewDisposeScope();
        for (int micro = 0; micro < accumulation; micro++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                optimizer.Discard();
                batches.RollBackStep();
                return null;
            }
            // One scope per micro-batch: a scope holds every tensor made in it, so a scope around the whole step would
            // keep all micro-batches' activations alive until the update (autograd frees them after backward only
            // when nothing else references them). Gradients live on the parameters, outside any scope.
            using var microScope = NewDisposeScope();
            batches.Next(buffer);
            var (x, y, forward) = buffer.ToDevice(device);
            var result = model.Forward(x, y, forward);
            if (batches.ObservesLosses) batches.Observe(result.Logits, y);
            var total = result.AuxLoss is null ? result.Loss! : result.Loss! + result.AuxLoss;
            precision.ScaleLoss(total / accumulation).backward();
            lossSum += result.Loss!.item<float>();
            if (result.AuxLoss is not null) auxSum += result.AuxLoss.item<float>();
        }

        bool applied = precision.PrepareGradients(optimizer.Parameters);
        double gradNorm = 0;
        if (applied) gradNorm = optimizer.Step();
        else optimizer.Discard();
        return new StepResult(lossSum / accumulation, auxSum / accumulation, gradNorm, applied);
    }
}
