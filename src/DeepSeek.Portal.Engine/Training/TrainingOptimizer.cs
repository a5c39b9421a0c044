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
        var decayed = named.Where(p => p.parameter.dim() >= 2).ToList();
        var undecayed = named.Where(p => p.parameter.dim() < 2).ToList();
        Ordered = decayed.Concat(undecayed).Select(p => (p.name, p.parameter)).ToList();
        Parameters = named.Select(p => p.parameter).ToList();
        AdamW = optim.AdamW(
            [
                new AdamW.ParamGroup(decayed.Select(p => p.parameter), options.LearningRate, 0.9, 0.95, 1e-8, options.WeightDecay, false, false),
                new AdamW.ParamGroup(undecayed.Select(p => p.parameter), options.LearningRate, 0.9, 0.95, 1e-8, 0.0, false, false),
            ],
            options.LearningRate, 0.9, 0.95, 1e-8, options.WeightDecay, false, false);
    }

    /// <summary>The optimiser (its state goes into checkpoints).</summary>
    public AdamW AdamW { get; }

    /// <summary>Optimised parameters with their names, in the optimiser's state order (decayed first).</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Ordered { get; }

    /// <summary>Optimised parameters in module order (what clipping and loss scaling walk).</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Sets the scheduled rate of optimizer step <paramref name="step"/> (1-based) and returns it.</summary>
    public double BeginStep(int step)
    {
        double rate = LearningRateSchedule.At(step, options);
        foreach (var group in AdamW.ParamGroups) group.LearningRate = rate;
        return rate;
    }

    /// <summary>Clips the gradients to <see cref="TrainingOptions.MaxGradNorm"/>, updates and clears them; the norm before clipping.</summary>
    public double Step()
    {
        double norm = nn.utils.clip_grad_norm_(Parameters, options.MaxGradNorm);
        AdamW.step();
        ClearGradients();
        return norm;
    }

    /// <summary>Drops the accumulated gradients without updating.</summary>
    public void Discard() => ClearGradients();

    /// <summary>
    /// Gradients go back to none, not to zero (PyTorch's default): a parameter that gets no gradient in a step (an
    /// expert no token was routed to) is then skipped by AdamW — no decay, no moment update — whether or not it had
    /// a gradient before. Zeroed gradients would make that depend on history a checkpoint does not hold: a resumed
    /// run starts with no gradients, so it would skip such an expert where the uninterrupted run updated it.
    /// </summary>
    private void ClearGradients()
    {
        foreach (var parameter in Parameters)
        {
            if (parameter.grad is { } grad)
            {
                parameter.grad = null;
                grad.Dispose();
            }
        }
    }

    public void Dispose() => AdamW.Dispose();
}
