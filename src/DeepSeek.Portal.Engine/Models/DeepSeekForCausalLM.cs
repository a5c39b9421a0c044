using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Models;

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
    public override Tensor forward(Tensor inputIds) => Forward(inputIds, AttentionContext.Causal(inputIds.shape[1], inputIds.device));

    /// <summary>The stack under <paramref name="context"/> (positions, mask, cache).</summary>
    public Tensor Forward(Tensor inputIds, AttentionContext context) => Forward(inputIds, context, checkpoint: false);

    /// <summary>The stack under <paramref name="context"/>, each layer recomputed in backward when <paramref name="checkpoint"/> is set.</summary>
    public Tensor Forward(Tensor inputIds, AttentionContext context, bool checkpoint)
    {
        var h = embed_tokens.call(inputIds);
        if (h.dtype != ComputeDType) h = h.to(ComputeDType);
        foreach (var layer in layers)
        {
            if (!checkpoint)
            {
                h = layer.Forward(h, context);
                continue;
            }
            var current = layer;
            var (output, aux) = ActivationCheckpoint.Run(h, x => (current.Forward(x, context), current.Moe?.LastAuxLoss));
            // The balance loss the model collects must be the one attached to the graph through the checkpoint.
            if (current.Moe is { } moe) moe.LastAuxLoss = aux;
            h = output;
        }
        return norm.call(h);
    }
}

/// <summary>
/// DeepSeek-V2/V3 causal language model (<c>DeepseekV2ForCausalLM</c> / <c>DeepseekV3ForCausalLM</c>): <c>model</c>
/// plus an untied <c>lm_head</c>. Parameter names are the HF ones
/// (<c>model.layers.0.self_attn.kv_a_proj_with_mqa.weight</c>, <c>model.layers.1.mlp.experts.0.gate_proj.weight</c>,
/// <c>lm_head.weight</c> …).
/// </summary>
public sealed class DeepSeekForCausalLM : CausalLM
{
    private readonly DeepSeekModel model;
    private readonly CastLinear lm_head; // [vocab, hidden]

    /// <summary>Creates the model with uninitialised weights; call <see cref="CausalLM.InitializeWeights"/> or load a state dict.</summary>
    public DeepSeekForCausalLM(DeepSeekConfig config) : base(nameof(DeepSeekForCausalLM), config)
    {
        Config = config;
        model = new DeepSeekModel(config);
        lm_head = new CastLinear(config.HiddenSize, config.VocabSize);
        RegisterComponents();
    }

    /// <summary>The architecture this instance was built for.</summary>
    public DeepSeekConfig Config { get; }

    /// <summary>The decoder stack.</summary>
    public DeepSeekModel Model => model;

    /// <inheritdoc />
    protected override Tensor Hidden(Tensor inputIds, AttentionContext context)
    {
        model.ComputeDType = ComputeDType;
        return model.Forward(inputIds, context, CheckpointLayers(context));
    }

    /// <inheritdoc />
    protected override Tensor Logits(Tensor hidden) => lm_head.call(hidden);

    /// <inheritdoc />
    protected override Tensor? AuxLoss()
    {
        Tensor? aux = null;
        foreach (var layer in model.Layers)
        {
            if (layer.Moe?.LastAuxLoss is Tensor layerAux) aux = aux is null ? layerAux : aux + layerAux;
        }
        return aux;
    }
}
