using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// Activation checkpointing of one decoder layer through a custom autograd function (TorchSharp's
/// <c>torch.autograd.MultiTensorFunction</c>, the counterpart of PyTorch's <c>torch.autograd.Function</c>): the
/// forward runs without recording a graph and keeps only the layer's input; the backward recomputes the layer with
/// grad enabled and back-propagates through the recomputation (re-entrantly, as PyTorch's reentrant
/// <c>torch.utils.checkpoint</c> does), accumulating the parameters' gradients and returning the input's.
/// </summary>
/// <remarks>
/// The layer may also return an auxiliary loss (the MoE balance loss); it is a second output of the function, so its
/// gradient reaches the router through the recomputation too. The recomputation must be deterministic: the
/// engine's layers have no dropout; a layer with dropout would need the RNG state replayed, which this does not do.
/// </remarks>
public static class ActivationCheckpoint
{
    /// <summary>
    /// Runs <paramref name="layer"/> on <paramref name="input"/> without storing its activations; returns its output
    /// and auxiliary loss (or <c>null</c>), both attached to the graph through the checkpoint node.
    /// </summary>
    public static (Tensor Output, Tensor? Aux) Run(Tensor input, Func<Tensor, (Tensor Output, Tensor? Aux)> layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(layer);
        // The function's outputs join the graph only when its input does. With LoRA the embeddings are frozen, so the
        // first layer's input needs no gradient and the checkpointed layers' adapters would get none ("element 0 of
        // tensors does not require grad"): mark such an input as needing one (PEFT's enable_input_require_grads).
        if (is_grad_enabled() && !input.requires_grad)
            input = input.detach().requires_grad_(true);
        var outputs = RecomputedLayer.apply(input, layer);
        return (outputs[0], outputs.Count > 1 ? outputs[1] : null);
    }

    private sealed class RecomputedLayer : MultiTensorFunction<RecomputedLayer>
    {
        private const string LayerKey = "layer";

        public override string Name => nameof(RecomputedLayer);

        // Called by TorchSharp with grad disabled: nothing inside the layer is recorded.
        public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
        {
            var input = (Tensor)vars[0];
            var layer = (Func<Tensor, (Tensor, Tensor?)>)vars[1];
            ctx.save_for_backward([input]);
            ctx.save_data(LayerKey, layer);
            // The layer's intermediate tensors die here: a caller's dispose scope would otherwise hold them until it
            // ends, and checkpointing would save nothing.
            using var scope = NewDisposeScope();
            var (output, aux) = layer(input);
            output.MoveToOuterDisposeScope();
            aux?.MoveToOuterDisposeScope();
            return aux is null ? [output] : [output, aux];
        }

        public override List<Tensor> backward(AutogradContext ctx, List<Tensor> grad_outputs)
        {
            var input = ctx.get_saved_variables()[0];
            var layer = (Func<Tensor, (Tensor, Tensor?)>)ctx.get_data(LayerKey);
            using var gradMode = enable_grad();
            // The recomputed layer's activations are freed as soon as this backward is done with them.
            using var scope = NewDisposeScope();
            var x = input.detach().requires_grad_(true);
            var (output, aux) = layer(x);
            // d(Σ output·g)/d output = g exactly, so this back-propagates the incoming gradients unchanged.
            var objective = (output * grad_outputs[0]).sum();
            if (aux is not null) objective = objective + (aux * grad_outputs[1]).sum();
            objective.backward();
            // One gradient per argument of apply(): the input's, and none for the layer delegate.
            var grad = x.grad!.detach().MoveToOuterDisposeScope();
            return [grad, null!];
        }
    }
}
