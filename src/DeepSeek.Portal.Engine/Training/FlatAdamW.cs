using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// AdamW (decoupled weight decay, PyTorch's <c>torch.optim.AdamW</c> without amsgrad) over parameters that live in
/// one contiguous buffer per group, so an update is a handful of large tensor ops rather than about ten small ones per
/// parameter (TorchSharp's <c>AdamW.step</c> walks the parameters in .NET: at hidden 512 / 8 layers it took 3.1× as
/// long as PyTorch's). The arithmetic is TorchSharp's/PyTorch's, element by element.
/// </summary>
/// <remarks>
/// <para>On construction each group's parameters are copied into one flat fp32 buffer and re-pointed at views of it
/// (<c>set_</c>): weights keep their values, shapes and identity (the model, LoRA and checkpoint loading still see
/// the same <see cref="Parameter"/> objects). The moments are flat buffers of the same layout, viewed per parameter
/// for checkpoints. Gradients stay where autograd puts them; a step copies them into a kept flat buffer, and the
/// update's denominator is computed in a kept scratch buffer: flat temporaries would be fresh allocations above
/// glibc's mmap threshold, page-faulted in on every step.</para>
/// <para>As in PyTorch, a parameter without a gradient in a step is not updated (no decay, no moment update, its
/// step count unchanged). A group in which that happens, or whose parameters' step counts differ (after such a
/// step), takes the per-parameter path for that step, which is the same arithmetic one parameter at a time.</para>
/// </remarks>
internal sealed class FlatAdamW : IDisposable
{
    private readonly Group[] groups;

    /// <summary>One parameter's optimiser state: views into its group's flat moments, and its own step count.</summary>
    internal sealed class ParameterState(string name, Parameter parameter, Tensor expAvg, Tensor expAvgSq)
    {
        public string Name { get; } = name;
        public Parameter Parameter { get; } = parameter;
        public Tensor ExpAvg { get; } = expAvg;
        public Tensor ExpAvgSq { get; } = expAvgSq;
        public long Step { get; set; }
    }

    private sealed class Group(double weightDecay, ParameterState[] states, Tensor weights, Tensor expAvg, Tensor expAvgSq, long[] offsets,
        Tensor gradients, Tensor[] gradientViews, Tensor scratch)
    {
        /// <summary>Flat gradients, gathered into <see cref="GradientViews"/> every step (kept, so no step allocates).</summary>
        public Tensor Gradients { get; } = gradients;
        public Tensor[] GradientViews { get; } = gradientViews;
        /// <summary>The update's denominator, computed in place.</summary>
        public Tensor Scratch { get; } = scratch;
        public double WeightDecay { get; } = weightDecay;
        public ParameterState[] States { get; } = states;
        public Tensor Weights { get; } = weights;
        public Tensor ExpAvg { get; } = expAvg;
        public Tensor ExpAvgSq { get; } = expAvgSq;
        public long[] Offsets { get; } = offsets;
    }

    /// <param name="parameterGroups">Named parameters and the weight decay of each group; every parameter fp32 and on one device.</param>
    /// <param name="learningRate">Initial rate (the trainer sets it every step).</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="eps">Added to the denominator.</param>
    public FlatAdamW(IEnumerable<(IReadOnlyList<(string Name, Parameter Parameter)> Parameters, double WeightDecay)> parameterGroups,
        double learningRate, double beta1, double beta2, double eps)
    {
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        var built = new List<Group>();
        using var noGrad = no_grad();
        foreach (var (parameters, weightDecay) in parameterGroups)
        {
            if (parameters.Count == 0) continue;
            var first = parameters[0].Parameter;
            foreach (var (name, p) in parameters)
                if (p.dtype != ScalarType.Float32 || p.device_type != first.device_type)
                    throw new ArgumentException($"Parameter '{name}' is {p.dtype} on {p.device}; the flat optimiser needs fp32 parameters on one device.");
            var offsets = new long[parameters.Count + 1];
            for (int i = 0; i < parameters.Count; i++) offsets[i + 1] = offsets[i] + parameters[i].Parameter.numel();
            var weights = empty(offsets[^1], dtype: ScalarType.Float32, device: first.device).DetachFromDisposeScope();
            var expAvg = zeros(offsets[^1], dtype: ScalarType.Float32, device: first.device).DetachFromDisposeScope();
            var expAvgSq = zeros(offsets[^1], dtype: ScalarType.Float32, device: first.device).DetachFromDisposeScope();
            var states = new ParameterState[parameters.Count];
            for (int i = 0; i < parameters.Count; i++)
            {
                var (name, p) = parameters[i];
                long n = offsets[i + 1] - offsets[i];
                var shape = p.shape;
                using (var segment = weights.narrow(0, offsets[i], n))
                {
                    segment.copy_(p.reshape(-1));
                    using var view = segment.view(shape);
                    p.set_(view);
                }
                states[i] = new ParameterState(name, p,
                    expAvg.narrow(0, offsets[i], n).view(shape).DetachFromDisposeScope(),
                    expAvgSq.narrow(0, offsets[i], n).view(shape).DetachFromDisposeScope());
            }
            var gradients = zeros(offsets[^1], dtype: ScalarType.Float32, device: first.device).DetachFromDisposeScope();
            var gradientViews = new Tensor[parameters.Count];
            for (int i = 0; i < parameters.Count; i++)
                gradientViews[i] = gradients.narrow(0, offsets[i], offsets[i + 1] - offsets[i]).view(parameters[i].Parameter.shape).DetachFromDisposeScope();
            var scratch = empty(offsets[^1], dtype: ScalarType.Float32, device: first.device).DetachFromDisposeScope();
            built.Add(new Group(weightDecay, states, weights, expAvg, expAvgSq, offsets, gradients, gradientViews, scratch));
        }
        groups = [.. built];
        States = groups.SelectMany(g => g.States).ToArray();
    }

    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }

    /// <summary>Every parameter's state, group by group in the order given (the checkpoint order).</summary>
    public IReadOnlyList<ParameterState> States { get; }

    /// <summary>
    /// Clips the gradients to a global norm of <paramref name="maxNorm"/> (as <c>clip_grad_norm_</c>: coefficient
    /// maxNorm / (norm + 1e-6), applied only when below 1), applies one AdamW update and clears the gradients.
    /// Returns the norm before clipping.
    /// </summary>
    public double ClipAndStep(double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool[] complete = new bool[groups.Length];
        Tensor? squaredNorm = null;
        for (int g = 0; g < groups.Length; g++)
        {
            var states = groups[g].States;
            bool all = true;
            for (int i = 0; i < states.Length; i++)
            {
                // A memcpy into the kept flat buffer: gradients of this size would otherwise be a fresh mmap (page
                // faults on every step) for each flat temporary.
                using var grad = states[i].Parameter.grad;
                if (grad is null) { all = false; groups[g].GradientViews[i].zero_(); }
                else groups[g].GradientViews[i].copy_(grad);
            }
            long step0 = states[0].Step;
            complete[g] = all && states.All(s => s.Step == step0);
            var flat = groups[g].Gradients;
            var sq = flat.dot(flat);
            squaredNorm = squaredNorm is null ? sq : squaredNorm + sq;
        }
        if (squaredNorm is null) return 0;
        double norm = Math.Sqrt(squaredNorm.item<float>());
        double coefficient = maxNorm / (norm + 1e-6);

        for (int g = 0; g < groups.Length; g++)
        {
            var group = groups[g];
            var grad = group.Gradients;
            if (coefficient < 1) grad.mul_(coefficient);
            if (complete[g])
            {
                long step = ++group.States[0].Step;
                for (int i = 1; i < group.States.Length; i++) group.States[i].Step = step;
                Update(group.Weights, grad, group.ExpAvg, group.ExpAvgSq, group.Scratch, step, group.WeightDecay);
            }
            else
            {
                for (int i = 0; i < group.States.Length; i++)
                {
                    var state = group.States[i];
                    if (state.Parameter.grad is null) continue;
                    long n = group.Offsets[i + 1] - group.Offsets[i];
                    state.Step++;
                    Update(group.Weights.narrow(0, group.Offsets[i], n), grad.narrow(0, group.Offsets[i], n),
                        group.ExpAvg.narrow(0, group.Offsets[i], n), group.ExpAvgSq.narrow(0, group.Offsets[i], n),
                        group.Scratch.narrow(0, group.Offsets[i], n), state.Step, group.WeightDecay);
                }
            }
        }
        ZeroGrad();
        return norm;
    }

    /// <summary>TorchSharp's/PyTorch's AdamW arithmetic on (views of) the flat buffers.</summary>
    private void Update(Tensor weights, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor scratch, long step, double weightDecay)
    {
        double biasCorrection1 = 1 - Math.Pow(Beta1, step);
        double biasCorrection2 = 1 - Math.Pow(Beta2, step);
        if (weightDecay != 0) weights.mul_(1 - LearningRate * weightDecay);
        expAvg.mul_(Beta1).add_(grad, alpha: 1 - Beta1);
        expAvgSq.mul_(Beta2).addcmul_(grad, grad, value: 1 - Beta2);
        var denominator = scratch.copy_(expAvgSq).sqrt_().div_(Math.Sqrt(biasCorrection2)).add_(Eps);
        weights.addcdiv_(expAvg, denominator, value: -(LearningRate / biasCorrection1));
    }

    /// <summary>
    /// Drops every gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>). None rather than zero matters for exact
    /// resume: a parameter without a gradient in a step (an expert no token was routed to) is then skipped whatever
    /// came before, while with zeroed gradients an uninterrupted run would decay it and a resumed one — which starts
    /// with no gradients — would not (<c>KilledProcessResumeTests</c>).
    /// </summary>
    public void ZeroGrad()
    {
        foreach (var state in States)
        {
            if (state.Parameter.grad is { } grad)
            {
                state.Parameter.grad = null;
                grad.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var group in groups)
        {
            group.ExpAvg.Dispose();
            group.ExpAvgSq.Dispose();
            group.Scratch.Dispose();
            foreach (var view in group.GradientViews) view.Dispose();
            group.Gradients.Dispose();
            // The weights buffer stays alive through the parameters' views; drop only this handle.
            group.Weights.Dispose();
        }
        foreach (var state in States)
        {
            state.ExpAvg.Dispose();
            state.ExpAvgSq.Dispose();
        }
    }
}
