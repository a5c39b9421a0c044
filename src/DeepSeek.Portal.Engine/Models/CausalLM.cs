using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>Result of <see cref="CausalLM.Forward"/>.</summary>
/// <param name="Logits">fp32 logits <c>[batch, seq, vocab]</c>.</param>
/// <param name="Loss">Mean next-token cross-entropy over labels ≠ −100, or <c>null</c> without labels.</param>
/// <param name="AuxLoss">Sum of the MoE balance losses (training mode only), or <c>null</c>.</param>
public sealed record CausalLMOutput(Tensor Logits, Tensor? Loss, Tensor? AuxLoss);

/// <summary>
/// A causal language model of any supported family: what the trainer, the checkpoints and generation use.
/// <c>named_parameters()</c> yields the Hugging Face tensor names of the family's checkpoints, so state dicts load
/// from and save to HF safetensors without renaming.
/// </summary>
public abstract class CausalLM : nn.Module<Tensor, Tensor>
{
    /// <summary>Label value excluded from the loss (padding).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Creates the base; derived classes build their modules and call <c>RegisterComponents()</c>.</summary>
    protected CausalLM(string name, ModelConfig config) : base(name)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.ThrowIfInvalid();
        ModelConfig = config;
    }

    /// <summary>The architecture this instance was built for.</summary>
    public ModelConfig ModelConfig { get; }

    /// <summary>Number of decoder layers (cache slots).</summary>
    public int NumLayers => ModelConfig.NumHiddenLayers;

    /// <summary>
    /// Activation dtype: <see cref="ScalarType.Float32"/>, or <see cref="ScalarType.BFloat16"/> for mixed precision
    /// (every linear casts its fp32 weight to the activation dtype; norms and routers stay fp32 inside).
    /// </summary>
    public ScalarType ComputeDType { get; set; } = ScalarType.Float32;

    /// <summary>
    /// Recompute each decoder layer's forward in backward instead of keeping its activations
    /// (<see cref="ActivationCheckpoint"/>): less memory, one more forward per step. Applies to training-mode forwards
    /// with grad enabled and no KV cache; gradients are the same as without it.
    /// </summary>
    public bool ActivationCheckpointing { get; set; }

    /// <summary>Whether the forward now running should checkpoint its layers.</summary>
    protected bool CheckpointLayers(AttentionContext context) =>
        ActivationCheckpointing && training && is_grad_enabled() && context.Cache is null;

    /// <summary>Builds the model <paramref name="config"/> describes (weights uninitialised).</summary>
    public static CausalLM Create(ModelConfig config) => config switch
    {
        DeepSeekConfig deepSeek => new DeepSeekForCausalLM(deepSeek),
        LlamaConfig llama => new LlamaForCausalLM(llama),
        null => throw new ArgumentNullException(nameof(config)),
        _ => throw new NotSupportedException($"No model is implemented for {config.GetType().Name}."),
    };

    /// <summary>Builds the model a Hugging Face <c>config.json</c> describes (family from model_type / architectures).</summary>
    public static CausalLM FromConfigJson(string json) => Create(ModelConfig.FromJson(json));

    /// <summary>A cache sized for this model.</summary>
    public KvCache NewCache() => new(NumLayers);

    /// <summary>
    /// HF-style initialisation: normal(0, 0.02) for every matrix (linears, embedding), ones for norm weights, zeros for
    /// biases (projection biases, the V3 router's correction bias). Uses <paramref name="generator"/> so the result
    /// depends only on its seed, not on other users of the global RNG.
    /// </summary>
    public void InitializeWeights(Generator generator)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.EndsWith("bias", StringComparison.Ordinal)) parameter.zero_();
            else if (parameter.dim() == 1) parameter.fill_(1.0);
            else parameter.normal_(0.0, 0.02, generator);
        }
    }

    /// <summary>Total number of parameters.</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>Token ids <c>[batch, seq]</c> → fp32 logits <c>[batch, seq, vocab]</c>.</summary>
    public override Tensor forward(Tensor inputIds) => Forward(inputIds, null).Logits;

    /// <summary>
    /// Runs the model and, when <paramref name="labels"/> (<c>[batch, seq]</c>, int64) are given, the mean
    /// cross-entropy against them. Labels are the next-token targets already aligned with the inputs
    /// (<c>labels[:, i]</c> is the token after <c>inputIds[:, i]</c>); <see cref="IgnoreIndex"/> marks padding.
    /// <paramref name="options"/> adds positions, a padding mask, packed-document ids and a KV cache.
    /// </summary>
    public CausalLMOutput Forward(Tensor inputIds, Tensor? labels, ForwardOptions? options = null)
    {
        var context = AttentionContext.Create(inputIds, options);
        var hidden = Hidden(inputIds, context);
        if (context.Cache is { } cache)
            cache.Advance(context.Valid ?? ones(inputIds.shape[0], inputIds.shape[1], dtype: ScalarType.Bool, device: inputIds.device),
                context.PositionsFor(inputIds.shape[0]));
        var logits = Logits(hidden);
        if (logits.dtype != ScalarType.Float32) logits = logits.to(ScalarType.Float32);

        Tensor? loss = null;
        if (labels is not null)
            loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), labels.reshape(-1), ignore_index: IgnoreIndex);
        return new CausalLMOutput(logits, loss, training ? AuxLoss() : null);
    }

    /// <summary>Final hidden states <c>[batch, seq, hidden]</c> (after the final norm) in <see cref="ComputeDType"/>.</summary>
    protected abstract Tensor Hidden(Tensor inputIds, AttentionContext context);

    /// <summary>Language-model head over final hidden states.</summary>
    protected abstract Tensor Logits(Tensor hidden);

    /// <summary>Auxiliary training loss of the latest forward (MoE balance), or <c>null</c>.</summary>
    protected virtual Tensor? AuxLoss() => null;
}
