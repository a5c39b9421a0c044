using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// The optimiser part of a run: AdamW over the parameters that gradients train (decay on matrices only), the
/// learning-rate schedule, gradient clipping and the update itself.
/// </summary>
internal sealed class TrainingOptimizer : IDisposable
{
    private readonly TrainingOptions options;

    public TrainingOptimizer(nn.Module model, TrainingOptions options)
    {
        this.options = options;
        // Only what gradients train: V3's routing correction bias is a parameter in the HF layout but never has a gradient.
        var named = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var decayed = named.Where(p => p.parameter.dim() >= 2).Select(p => (p.name, p.parameter)).ToList();
        var undecayed = named.Where(p => p.parameter.dim() < 2).Select(p => (p.name, p.parameter)).ToList();
        Parameters = named.Select(p => p.parameter).ToList();
        AdamW = new FlatAdamW([(decayed, options.WeightDecay), (undecayed, 0.0)], options.LearningRate, 0.9, 0.95, 1e-8);
    }

    /// <summary>The optimiser (its state goes into checkpoints, in its <see cref="FlatAdamW.States"/> order: decayed first).</summary>
    public FlatAdamW AdamW { get; }

    /// <summary>Optimised parameters in module order (what loss scaling walks).</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Sets the scheduled rate of optimizer step <paramref name="step"/> (1-based) and returns it.</summary>
    public double BeginStep(int step)
    {
        double rate = LearningRateSchedule.At(step, options);
        AdamW.LearningRate = rate;
        return rate;
    }

    /// <summary>Clips the gradients to <see cref="TrainingOptions.MaxGradNorm"/>, updates and clears them; the norm before clipping.</summary>
    public double Step()
    {
        return AdamW.ClipAndStep(options.MaxGradNorm);
    }

    /// <summary>Drops the accumulated gradients without updating.</summary>
    public void Discard() => AdamW.ZeroGrad();

    public void Dispose() => AdamW.Dispose();
}
