using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// The precision part of a run: which dtype activations and matmuls use. Master weights and AdamW state always
/// stay fp32; the model casts weights to <see cref="ComputeDType"/> inside each linear.
/// </summary>
internal sealed class TrainingPrecisionPolicy(TrainingPrecision precision)
{
    public ScalarType ComputeDType { get; } = precision == TrainingPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

    public void Apply(CausalLM model) => model.ComputeDType = ComputeDType;

    /// <summary>The loss to call <c>backward()</c> on.</summary>
    public Tensor ScaleLoss(Tensor loss) => loss;

    /// <summary>Readies accumulated gradients for the update; false when the step must be skipped.</summary>
    public bool PrepareGradients(IReadOnlyList<TorchSharp.Modules.Parameter> parameters) => true;
}
