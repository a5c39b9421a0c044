using DeepSeek.Portal.Engine.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// The precision part of a run: which dtype activations and matmuls use, and for fp16 the dynamic loss scaler.
/// Master weights, their gradients and AdamW state always stay fp32: the model casts weights to
/// <see cref="ComputeDType"/> inside each linear, so the cast's backward returns fp32 gradients to the master weights.
/// bf16 has fp32's exponent range and needs no scaling.
/// </summary>
internal sealed class TrainingPrecisionPolicy
{
    public TrainingPrecisionPolicy(TrainingOptions options)
    {
        ComputeDType = options.Precision switch
        {
            TrainingPrecision.Bf16 => ScalarType.BFloat16,
            TrainingPrecision.Fp16 => ScalarType.Float16,
            _ => ScalarType.Float32,
        };
        if (options.Precision == TrainingPrecision.Fp16)
            Scaler = new DynamicLossScaler(options.InitialLossScale, options.LossScaleGrowthInterval);
    }

    public ScalarType ComputeDType { get; }

    /// <summary>The fp16 loss scaler, or <c>null</c> (fp32, bf16).</summary>
    public DynamicLossScaler? Scaler { get; }

    public void Apply(CausalLM model) => model.ComputeDType = ComputeDType;

    /// <summary>The loss to call <c>backward()</c> on.</summary>
    public Tensor ScaleLoss(Tensor loss) => Scaler?.ScaleLoss(loss) ?? loss;

    /// <summary>Readies accumulated gradients for the update (unscaling them); false when the step must be skipped.</summary>
    public bool PrepareGradients(IReadOnlyList<Parameter> parameters) => Scaler?.UnscaleAndUpdate(parameters) ?? true;

    /// <summary>The checkpoint state with the scaler's position written into it.</summary>
    public TrainerState Record(TrainerState state) => Scaler is null ? state : state with { LossScaler = Scaler.Capture() };

    /// <summary>Continues from a checkpoint's scaler position.</summary>
    public void Restore(TrainerState state)
    {
        if (Scaler is null) return;
        Scaler.Restore(state.LossScaler ?? throw new InvalidDataException("The checkpoint of an fp16 run lacks the loss scaler's state."));
    }
}
