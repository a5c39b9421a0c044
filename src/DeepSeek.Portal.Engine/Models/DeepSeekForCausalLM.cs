using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

/// <summary>Result of <see cref="DeepSeekForCausalLM.Forward"/>.</summary>
/// <param name="Logits">fp32 logits <c>[batch, seq, vocab]</c>.</param>
/// <param name="Loss">Mean next-token cross-entropy over labels ≠ −100, or <c>null</c> without labels.</param>
/// <param name="AuxLoss">Sum of the MoE balance losses (training mode only), or <c>null</c>.</param>
public sealed record CausalLMOutput(Tensor Logits, Tensor? Loss, Tensor? AuxLoss);

/// <summary>
/// The decoder stack (<c>model.*</c> in HF names): token embedding, decoder layers, final norm.
/// </summary>
public sealed class DeepSeekModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RMSNorm norm;

    /// <summary>Creates the decoder stack for <paramref name="config"/>.</summary>
    public DeepSeekModel(DeepSeekConfig config) : base(nameof(DeepSeekModel))
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new DecoderLayer(config, i)).ToArray());
        norm = new RMSNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    /// <summary>The decoder layers in order.</summary>
    public IReadOnlyList<DecoderLayer> Layers => new System.Collections.ObjectModel.ReadOnlyCollection<DecoderLayer>(layers);

    /// <summary>
    /// Activation dtype: <see cref="ScalarType.Float32"/>, or <see cref="ScalarType.BFloat16"/> for mixed precision
    /// (every linear casts its fp32 weight to the activation dtype; norms and the router stay fp32 inside).
    /// </summary>
    public ScalarType ComputeDType { get; set; } = ScalarType.Float32;

    /// <summary>Token ids <c>[batch, seq]</c> (int64) → final hidden states <c>[batch, seq, hidden]</c> in <see cref="ComputeDType"/>.</summary>
    public override Tensor forward(Tensor inputIds)
    {
        var h = embed_tokens.call(inputIds);
        if (h.dtype != ComputeDType) h = h.to(ComputeDType);
        foreach (var layer in layers) h = layer.call(h);
        return norm.call(h);
    }
}

/// <summary>
/// DeepSeek-V2 causal language model (<c>DeepseekV2ForCausalLM</c>): <c>model</c> plus an untied <c>lm_head</c>.
/// <c>named_parameters()</c> yields the Hugging Face tensor names directly
/// (<c>model.layers.0.self_attn.kv_a_proj_with_mqa.weight</c>, <c>model.layers.1.mlp.experts.0.gate_proj.weight</c>,
/// <c>lm_head.weight</c> …), so state dicts load from and save to HF safetensors without renaming.
/// </summary>
public sealed class DeepSeekForCausalLM : nn.Module<Tensor, Tensor>
{
    /// <summary>Label value excluded from the loss (padding).</summary>
    public const long IgnoreIndex = -100;

    private readonly DeepSeekModel model;
    private readonly CastLinear lm_head; // [vocab, hidden]

    /// <summary>Creates the model with uninitialised weights; call <see cref="InitializeWeights"/> or load a state dict.</summary>
    public DeepSeekForCausalLM(DeepSeekConfig config) : base(nameof(DeepSeekForCausalLM))
    {
        config.ThrowIfInvalid();
        Config = config;
        model = new DeepSeekModel(config);
        lm_head = new CastLinear(config.HiddenSize, config.VocabSize);
        RegisterComponents();
    }

    /// <summary>The architecture this instance was built for.</summary>
    public DeepSeekConfig Config { get; }

    /// <summary>The decoder stack.</summary>
    public DeepSeekModel Model => model;

    /// <summary>Activation dtype (see <see cref="DeepSeekModel.ComputeDType"/>).</summary>
    public ScalarType ComputeDType
    {
        get => model.ComputeDType;
        set => model.ComputeDType = value;
    }

    /// <summary>
    /// HF-style initialisation: normal(0, 0.02) for every matrix (linears, embedding), ones for norm weights, zeros for
    /// the router's correction bias. Uses <paramref name="generator"/> so the result depends only on its seed, not on
    /// other users of the global RNG.
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

    /// <summary>Token ids <c>[batch, seq]</c> → fp32 logits <c>[batch, seq, vocab]</c>.</summary>
    public override Tensor forward(Tensor inputIds) => Forward(inputIds, null).Logits;

    /// <summary>
    /// Runs the model and, when <paramref name="labels"/> (<c>[batch, seq]</c>, int64) are given, the mean
    /// cross-entropy against them. Labels are the next-token targets already aligned with the inputs
    /// (<c>labels[:, i]</c> is the token after <c>inputIds[:, i]</c>); <see cref="IgnoreIndex"/> marks padding.
    /// </summary>
    public CausalLMOutput Forward(Tensor inputIds, Tensor? labels)
    {
        var hidden = model.call(inputIds);
        var logits = lm_head.call(hidden);
        if (logits.dtype != ScalarType.Float32) logits = logits.to(ScalarType.Float32);

        Tensor? aux = null;
        if (training)
        {
            foreach (var layer in model.Layers)
            {
                if (layer.Moe?.LastAuxLoss is Tensor layerAux) aux = aux is null ? layerAux : aux + layerAux;
            }
        }

        Tensor? loss = null;
        if (labels is not null)
        {
            loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), labels.reshape(-1), ignore_index: IgnoreIndex);
        }
        return new CausalLMOutput(logits, loss, aux);
    }

    /// <summary>Total number of parameters.</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());
}
