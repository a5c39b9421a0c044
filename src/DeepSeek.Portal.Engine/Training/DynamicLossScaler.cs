using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>A loss scaler's position: what a checkpoint stores so a resumed fp16 run scales exactly as before.</summary>
/// <param name="Scale">Current loss scale.</param>
/// <param name="GrowthTracker">Consecutive finite steps since the scale last changed.</param>
public sealed record LossScalerState(double Scale, int GrowthTracker);

/// <summary>
/// Dynamic loss scaling for fp16 training, with PyTorch <c>GradScaler</c>'s rules: the loss is multiplied by the
/// scale before <c>backward()</c>; before the update the gradients are divided by it and checked; a step whose
/// gradients hold an inf or NaN is skipped and the scale multiplied by <see cref="BackoffFactor"/>; after
/// <see cref="GrowthInterval"/> consecutive finite steps the scale is multiplied by <see cref="GrowthFactor"/>.
/// </summary>
public sealed class DynamicLossScaler
{
    /// <summary>PyTorch's default initial scale, 2^16.</summary>
    public const double DefaultInitialScale = 65536.0;

    /// <summary>PyTorch's default number of finite steps before the scale grows.</summary>
    public const int DefaultGrowthInterval = 2000;

    /// <summary>Creates a scaler starting at <paramref name="initialScale"/>.</summary>
    public DynamicLossScaler(double initialScale = DefaultInitialScale, int growthInterval = DefaultGrowthInterval,
        double growthFactor = 2.0, double backoffFactor = 0.5)
    {
        if (!(initialScale > 0) || double.IsInfinity(initialScale)) throw new ArgumentOutOfRangeException(nameof(initialScale));
        if (growthInterval < 1) throw new ArgumentOutOfRangeException(nameof(growthInterval));
        if (!(growthFactor > 1)) throw new ArgumentOutOfRangeException(nameof(growthFactor));
        if (!(backoffFactor > 0 && backoffFactor < 1)) throw new ArgumentOutOfRangeException(nameof(backoffFactor));
        Scale = initialScale;
        GrowthInterval = growthInterval;
        GrowthFactor = growthFactor;
        BackoffFactor = backoffFactor;
    }

    /// <summary>Current loss scale.</summary>
    public double Scale { get; private set; }

    /// <summary>Consecutive finite steps since the scale last changed.</summary>
    public int GrowthTracker { get; private set; }

    /// <summary>Finite steps after which the scale grows.</summary>
    public int GrowthInterval { get; }

    /// <summary>Factor the scale grows by.</summary>
    public double GrowthFactor { get; }

    /// <summary>Factor the scale shrinks by on an overflow.</summary>
    public double BackoffFactor { get; }

    /// <summary>Steps skipped so far because of an overflow.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>The loss to call <c>backward()</c> on: <paramref name="loss"/> × scale.</summary>
    public Tensor ScaleLoss(Tensor loss) => loss * Scale;

    /// <summary>
    /// Divides every gradient by the scale in place and reports whether all are finite; then updates the scale
    /// (back off on an overflow, grow after <see cref="GrowthInterval"/> finite steps). When it returns false the
    /// caller must skip the optimizer step and clear the gradients.
    /// </summary>
    public bool UnscaleAndUpdate(IEnumerable<Parameter> parameters)
    {
        bool finite;
        using (NewDisposeScope())
        using (no_grad())
        {
            Tensor? overflow = null;
            double inverse = 1.0 / Scale;
            foreach (var parameter in parameters)
            {
                if (parameter.grad is not { } grad) continue;
                grad.mul_(inverse);
                var bad = grad.isfinite().logical_not().any();
                overflow = overflow is null ? bad : overflow.logical_or(bad);
            }
            finite = overflow is null || !overflow.item<bool>();
        }

        if (finite)
        {
            if (++GrowthTracker >= GrowthInterval)
            {
                Scale *= GrowthFactor;
                GrowthTracker = 0;
            }
        }
        else
        {
            Scale *= BackoffFactor;
            GrowthTracker = 0;
            SkippedSteps++;
        }
        return finite;
    }

    /// <summary>The state a checkpoint stores.</summary>
    public LossScalerState Capture() => new(Scale, GrowthTracker);

    /// <summary>Continues from a checkpoint's state.</summary>
    public void Restore(LossScalerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Scale = state.Scale;
        GrowthTracker = state.GrowthTracker;
    }
}
