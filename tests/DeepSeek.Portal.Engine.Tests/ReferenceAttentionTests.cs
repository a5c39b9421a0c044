using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests;

/// <summary>
/// MLA checked against a scalar re-implementation of the reference formulas (arrays and loops, no torch ops),
/// so that reshapes, splits, RoPE pairing, the shared rope key and the softmax scale are all pinned.
/// </summary>
public class ReferenceAttentionTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(6)]
    public void Latent_attention_matches_a_direct_implementation_of_the_reference(int? qLoraRank)
    {
        using var scope = NewDisposeScope();
        var config = TestModels.TwoLayer(qLoraRank: qLoraRank) with { RmsNormEps = 1e-6 };
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

    /// <summary>Rotates interleaved pairs (2i, 2i+1) of v by position·θ^(−2i/d) as complex numbers.</summary>
    private static double[] Rope(double[] v, int position, double theta)
    {
        int d = v.Length;
        var result = new double[d];
        for (int i = 0; i < d / 2; i++)
        {
            var z = new System.Numerics.Complex(v[2 * i], v[2 * i + 1])
                * System.Numerics.Complex.FromPolarCoordinates(1, position * Math.Pow(theta, -2.0 * i / d));
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
            : Linear(RmsNorm(Linear(x, w["q_a_proj.weight"]), w["q_a_layernorm.weight"], c.RmsNormEps), w["q_b_proj.weight"]);
        var compressed = Linear(x, w["kv_a_proj_with_mqa.weight"]);
        var latent = new double[seq, c.KvLoraRank];
        for (int s = 0; s < seq; s++)
            for (int k = 0; k < c.KvLoraRank; k++) latent[s, k] = compressed[s, k];
        var kv = Linear(RmsNorm(latent, w["kv_a_layernorm.weight"], c.RmsNormEps), w["kv_b_proj.weight"]);

        double scale = 1 / Math.Sqrt(nope + rope);
        var heads = new double[seq, nh * vd];
        for (int h = 0; h < nh; h++)
        {
            for (int i = 0; i < seq; i++)
            {
                var qPe = Rope(Enumerable.Range(0, rope).Select(k => q[i, h * (nope + rope) + nope + k]).ToArray(), i, c.RopeTheta);
                var scores = new double[i + 1];
                for (int j = 0; j <= i; j++)
                {
                    // One rope key per position, shared by every head.
                    var kPe = Rope(Enumerable.Range(0, rope).Select(k => compressed[j, c.KvLoraRank + k]).ToArray(), j, c.RopeTheta);
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
