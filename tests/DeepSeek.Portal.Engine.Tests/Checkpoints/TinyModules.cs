using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Checkpoints;

/// <summary>An attention-shaped block whose projections sit in fields typed as the module base class (so a wrapper fits).</summary>
internal sealed class TinyAttention : nn.Module<Tensor, Tensor>
{
    private nn.Module<Tensor, Tensor> q_proj;
    private nn.Module<Tensor, Tensor> v_proj;
    private readonly Linear o_proj;

    public TinyAttention(long hidden) : base(nameof(TinyAttention))
    {
        q_proj = nn.Linear(hidden, hidden, hasBias: true);
        v_proj = nn.Linear(hidden, hidden, hasBias: false);
        o_proj = nn.Linear(hidden, hidden, hasBias: false);
        RegisterComponents();
    }

    public nn.Module<Tensor, Tensor> QProj => q_proj;

    public override Tensor forward(Tensor x) => o_proj.call(q_proj.call(x) * nn.functional.sigmoid(v_proj.call(x)));
}

/// <summary>The same block with projections in sealed-type fields (as the engine's CastLinear fields are).</summary>
internal sealed class SealedFieldAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear q_proj;
    private readonly Linear v_proj;

    public SealedFieldAttention(long hidden) : base(nameof(SealedFieldAttention))
    {
        q_proj = nn.Linear(hidden, hidden, hasBias: true);
        v_proj = nn.Linear(hidden, hidden, hasBias: false);
        RegisterComponents();
    }

    public Linear QProj => q_proj;

    public override Tensor forward(Tensor x) => q_proj.call(x) + v_proj.call(x);
}

internal sealed class TinyLayer : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> self_attn;
    private readonly Parameter input_layernorm_weight;

    public TinyLayer(long hidden, bool sealedFields) : base(nameof(TinyLayer))
    {
        self_attn = sealedFields ? new SealedFieldAttention(hidden) : new TinyAttention(hidden);
        input_layernorm_weight = new Parameter(ones(hidden));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x + self_attn.call(x * input_layernorm_weight);
}

internal sealed class TinyBody : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<TinyLayer> layers;

    public TinyBody(long vocab, long hidden, int layerCount, bool sealedFields) : base(nameof(TinyBody))
    {
        embed_tokens = nn.Embedding(vocab, hidden);
        layers = new ModuleList<TinyLayer>([.. Enumerable.Range(0, layerCount).Select(_ => new TinyLayer(hidden, sealedFields))]);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        var h = embed_tokens.call(ids);
        foreach (var layer in layers) h = layer.call(h);
        return h;
    }
}

/// <summary>
/// A two-layer causal-LM-shaped module with HF-style names (<c>model.embed_tokens.weight</c>,
/// <c>model.layers.N.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>): enough to exercise loaders and adapters
/// without depending on the engine's model classes.
/// </summary>
internal sealed class TinyCausalLM : nn.Module<Tensor, Tensor>
{
    private readonly TinyBody model;
    private readonly Linear lm_head;

    public TinyCausalLM(long vocab = 11, long hidden = 8, int layers = 2, bool sealedFields = false, int seed = 1) : base(nameof(TinyCausalLM))
    {
        manual_seed(seed);
        model = new TinyBody(vocab, hidden, layers, sealedFields);
        lm_head = nn.Linear(hidden, vocab, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids) => lm_head.call(model.call(ids));
}

/// <summary>Builds safetensors files by hand (any dtype tag, raw bytes), so tests do not depend on the writer under test.</summary>
internal static class RawSafeTensors
{
    public static byte[] Build(params (string Name, string DType, long[] Shape, byte[] Data)[] tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, dtype, shape, data) in tensors)
        {
            header[name] = new { dtype, shape, data_offsets = new[] { offset, offset + data.Length } };
            offset += data.Length;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var bytes = new List<byte>(new byte[8]);
        BinaryPrimitives.WriteUInt64LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes), (ulong)json.Length);
        bytes.AddRange(json);
        foreach (var t in tensors) bytes.AddRange(t.Data);
        return [.. bytes];
    }

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }
}

internal static class TensorAssert
{
    public static void Equal(Tensor expected, Tensor actual, string because = "")
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.True(expected.eq(actual).all().item<bool>(), $"tensors differ {because}");
    }

    public static void SameParameters(nn.Module expected, nn.Module actual)
    {
        var e = expected.state_dict();
        var a = actual.state_dict();
        Assert.Equal(e.Keys.Order(), a.Keys.Order());
        foreach (var (name, value) in e) Equal(value, a[name], name);
    }
}
