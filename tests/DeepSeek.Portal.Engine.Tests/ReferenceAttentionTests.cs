using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests;

/// <summary>
/// MLA checked against a scalar re-implementation of the reference formulas (arrays and loops, no torch ops),
/// so that reshapes, splits, RoPE pairing, the shared rope key, YaRN and the softmax scale are all pinned.
/// </summary>
public class ReferenceAttentionTests
{
    /// <summary>A small YaRN block: factor 4 over an original context of 16, mscale ≠ mscale_all_dim so cos/sin are scaled too.</summary>
    private static readonly RopeScaling SmallYarn = new()
    {
        Type = RopeScaling.Yarn, Factor = 4, OriginalMaxPositionEmbeddings = 16, BetaFast = 32, BetaSlow = 1, Mscale = 0.707, MscaleAllDim = 1.0,
    };

    [Theory]
    [InlineData(null, false)]
    [InlineData(6, false)]
    [InlineData(null, true)]
    [InlineData(6, true)]
    public void Latent_attention_matches_a_direct_implementation_of_the_reference(int? qLoraRank, bool yarn)
    {
        using var scope = NewDisposeScope();
        // rms_norm_eps is large on purpose: the latent norms must ignore it and use 1e-6, as the reference does.
        var config = TestModels.TwoLayer(qLoraRank: qLoraRank) with { RmsNormEps = 0.05, RopeScaling = yarn ? SmallYarn : null };
        using var attention = new MultiHeadLatentAttention(config);
        using (no_grad())
        {
            using var generator = new Generator(3);
            foreach (var (name, p) in attention.named_parameters())
            {
                if (name.Contains("layernorm")) p.uniform_(0.5, 1.5, generator);
                else p.normal_(0, 0.2, generator);
            }
        }
        const int seq = 5;
        var x = randn(1, seq, config.HiddenSize);
        var actual = attention.call(x).reshape(seq, config.HiddenSize).to(ScalarType.Float64).data<double>().ToArray();

        var w = attention.named_parameters().ToDictionary(p => p.name, p => Matrix(p.parameter));
        var expected = Reference(config, Matrix(x.reshape(seq, config.HiddenSize)), w);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-4);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void Grouped_query_attention_matches_a_direct_implementation_of_hf_llama(string family)
    {
        using var scope = NewDisposeScope();
        var config = (LlamaConfig)TestModels.Family(family) with { RopeScaling = new RopeScaling { Type = RopeScaling.Linear, Factor = 2 } };
        using var attention = new LlamaAttention(config);
        using (no_grad())
        {
            using var generator = new Generator(8);
            foreach (var (_, p) in attention.named_parameters()) p.normal_(0, 0.2, generator);
        }
        const int seq = 6;
        var x = randn(1, seq, config.HiddenSize);
        var actual = attention.call(x).reshape(seq, config.HiddenSize).to(ScalarType.Float64).data<double>().ToArray();

        var w = attention.named_parameters().ToDictionary(p => p.name, p => Matrix(p.parameter));
        var expected = LlamaReference(config, Matrix(x.reshape(seq, config.HiddenSize)), w);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-4);
    }

    /// <summary>
    /// HF LlamaAttention written out: q/k/v = xWᵀ (+b); rotate_half RoPE pairs (i, i+d/2) with angle
    /// position·θ^(−2i/d)/factor; query head h reads key/value head h / (heads/kv_heads); softmax(qkᵀ/√d) over j ≤ i.
    /// </summary>
    private static double[] LlamaReference(LlamaConfig c, double[,] x, Dictionary<string, double[,]> w)
    {
        int seq = x.GetLength(0), nh = c.NumAttentionHeads, nkv = c.KeyValueHeads, d = c.ResolvedHeadDim;
        double[,] Project(string name)
        {
            var y = Linear(x, w[name + ".weight"]);
            if (w.TryGetValue(name + ".bias", out var b))
                for (int i = 0; i < seq; i++)
                    for (int o = 0; o < y.GetLength(1); o++) y[i, o] += b[0, o];
            return y;
        }
        var q = Project("q_proj");
        var k = Project("k_proj");
        var v = Project("v_proj");
        double[] Rotate(double[,] m, int row, int head, int position)
        {
            var r = new double[d];
            for (int i = 0; i < d / 2; i++)
            {
                double angle = position * Math.Pow(c.RopeTheta, -2.0 * i / d) / c.RopeScaling!.Factor;
                double a = m[row, head * d + i], b = m[row, head * d + i + d / 2];
                r[i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                r[i + d / 2] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
            return r;
        }
        var heads = new double[seq, nh * d];
        for (int h = 0; h < nh; h++)
        {
            int kvHead = h / (nh / nkv);
            for (int i = 0; i < seq; i++)
            {
                var qi = Rotate(q, i, h, i);
                var scores = new double[i + 1];
                for (int j = 0; j <= i; j++)
                {
                    var kj = Rotate(k, j, kvHead, j);
                    scores[j] = qi.Zip(kj, (a, b) => a * b).Sum() / Math.Sqrt(d);
                }
                double max = scores.Max();
                var p = scores.Select(s => Math.Exp(s - max)).ToArray();
                double total = p.Sum();
                for (int t = 0; t < d; t++)
                {
                    double sum = 0;
                    for (int j = 0; j <= i; j++) sum += p[j] / total * v[j, kvHead * d + t];
                    heads[i, h * d + t] = sum;
                }
            }
        }
        var output = Linear(heads, w["o_proj.weight"]);
        if (w.TryGetValue("o_proj.bias", out var ob))
            for (int i = 0; i < seq; i++)
                for (int o = 0; o < output.GetLength(1); o++) output[i, o] += ob[0, o];
        return output.Cast<double>().ToArray();
    }

    private static double[,] Matrix(Tensor t)
    {
        var t2 = t.dim() == 1 ? t.reshape(1, -1) : t;
        var data = t2.to(ScalarType.Float64).data<double>().ToArray();
        int rows = (int)t2.shape[0], cols = (int)t2.shape[1];
        var m = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) m[r, c] = data[r * cols + c];
        return m;
    }

    /// <summary>y = x · Wᵀ for x [n, in], W [out, in].</summary>
    private static double[,] Linear(double[,] x, double[,] weight)
    {
        int n = x.GetLength(0), inDim = x.GetLength(1), outDim = weight.GetLength(0);
        var y = new double[n, outDim];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < outDim; o++)
            {
                double sum = 0;
                for (int k = 0; k < inDim; k++) sum += x[i, k] * weight[o, k];
                y[i, o] = sum;
            }
        return y;
    }

    private static double[,] RmsNorm(double[,] x, double[,] weight, double eps)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var y = new double[n, d];
        for (int i = 0; i < n; i++)
        {
            double mean = 0;
            for (int k = 0; k < d; k++) mean += x[i, k] * x[i, k] / d;
            double scale = 1 / Math.Sqrt(mean + eps);
            for (int k = 0; k < d; k++) y[i, k] = x[i, k] * scale * weight[0, k];
        }
        return y;
    }

    /// <summary>
    /// Inverse frequencies as DeepseekV2YarnRotaryEmbedding builds them: freq_extra = θ^(−2i/d), freq_inter =
    /// freq_extra/factor, low/high = floor/ceil of the correction dims of β_fast/β_slow clamped to [0, d−1], ramp =
    /// clamp((i−low)/(high−low), 0, 1), mask = 1 − ramp, inv_freq = freq_inter·(1−mask) + freq_extra·mask.
    /// </summary>
    internal static double[] YarnInverseFrequencies(int d, double theta, RopeScaling? s)
    {
        var extra = Enumerable.Range(0, d / 2).Select(i => 1 / Math.Pow(theta, 2.0 * i / d)).ToArray();
        if (s is null) return extra;
        double Cd(double r) => d * Math.Log(s.OriginalMaxPositionEmbeddings / (2 * Math.PI * r)) / (2 * Math.Log(theta));
        double low = Math.Max(Math.Floor(Cd(s.BetaFast)), 0), high = Math.Min(Math.Ceiling(Cd(s.BetaSlow)), d - 1);
        if (low == high) high += 0.001;
        return extra.Select((e, i) =>
        {
            double mask = 1 - Math.Clamp((i - low) / (high - low), 0, 1);
            return e / s.Factor * (1 - mask) + e * mask;
        }).ToArray();
    }

    private static double Mscale(double s, double m) => s <= 1 ? 1 : 0.1 * m * Math.Log(s) + 1;

    /// <summary>Rotates interleaved pairs (2i, 2i+1) of v by position·inv_freq_i as complex numbers of modulus <paramref name="magnitude"/>.</summary>
    private static double[] Rope(double[] v, int position, double[] invFreq, double magnitude)
    {
        int d = v.Length;
        var result = new double[d];
        for (int i = 0; i < d / 2; i++)
        {
            var z = new System.Numerics.Complex(v[2 * i], v[2 * i + 1])
                * System.Numerics.Complex.FromPolarCoordinates(magnitude, position * invFreq[i]);
            result[2 * i] = z.Real;
            result[2 * i + 1] = z.Imaginary;
        }
        return result;
    }

    private static double[] Reference(DeepSeekConfig c, double[,] x, Dictionary<string, double[,]> w)
    {
        int seq = x.GetLength(0), nh = c.NumAttentionHeads, nope = c.QkNopeHeadDim, rope = c.QkRopeHeadDim, vd = c.VHeadDim;
        var q = c.QLoraRank is null
            ? Linear(x, w["q_proj.weight"])
            : Linear(RmsNorm(Linear(x, w["q_a_proj.weight"]), w["q_a_layernorm.weight"], 1e-6), w["q_b_proj.weight"]);
        var compressed = Linear(x, w["kv_a_proj_with_mqa.weight"]);
        var latent = new double[seq, c.KvLoraRank];
        for (int s = 0; s < seq; s++)
            for (int k = 0; k < c.KvLoraRank; k++) latent[s, k] = compressed[s, k];
        var kv = Linear(RmsNorm(latent, w["kv_a_layernorm.weight"], 1e-6), w["kv_b_proj.weight"]);

        var invFreq = YarnInverseFrequencies(rope, c.RopeTheta, c.RopeScaling);
        var y = c.RopeScaling;
        double magnitude = y is null ? 1 : Mscale(y.Factor, y.Mscale) / Mscale(y.Factor, y.MscaleAllDim);
        double scale = 1 / Math.Sqrt(nope + rope);
        if (y is { MscaleAllDim: not 0 }) scale *= Mscale(y.Factor, y.MscaleAllDim) * Mscale(y.Factor, y.MscaleAllDim);
        var heads = new double[seq, nh * vd];
        for (int h = 0; h < nh; h++)
        {
            for (int i = 0; i < seq; i++)
            {
                var qPe = Rope(Enumerable.Range(0, rope).Select(k => q[i, h * (nope + rope) + nope + k]).ToArray(), i, invFreq, magnitude);
                var scores = new double[i + 1];
                for (int j = 0; j <= i; j++)
                {
                    // One rope key per position, shared by every head.
                    var kPe = Rope(Enumerable.Range(0, rope).Select(k => compressed[j, c.KvLoraRank + k]).ToArray(), j, invFreq, magnitude);
                    double dot = 0;
                    for (int k = 0; k < nope; k++) dot += q[i, h * (nope + rope) + k] * kv[j, h * (nope + vd) + k];
                    for (int k = 0; k < rope; k++) dot += qPe[k] * kPe[k];
                    scores[j] = dot * scale;
                }
                double max = scores.Max();
                var p = scores.Select(s => Math.Exp(s - max)).ToArray();
                double total = p.Sum();
                for (int k = 0; k < vd; k++)
                {
                    double sum = 0;
                    for (int j = 0; j <= i; j++) sum += p[j] / total * kv[j, h * (nope + vd) + nope + k];
                    heads[i, h * vd + k] = sum;
                }
            }
        }
        var output = Linear(heads, w["o_proj.weight"]);
        return output.Cast<double>().ToArray();
    }
}
