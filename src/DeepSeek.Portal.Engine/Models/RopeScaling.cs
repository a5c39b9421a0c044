namespace DeepSeek.Portal.Engine.Models;

/// <summary>
/// The <c>rope_scaling</c> block of a Hugging Face <c>config.json</c>: how RoPE frequencies are stretched for
/// contexts longer than the model was pre-trained on.
/// </summary>
/// <remarks>
/// Two kinds are implemented. <c>"yarn"</c> (DeepSeek-V2/V3, <c>DeepseekV2YarnRotaryEmbedding</c> of the remote
/// modelling code): frequencies are blended between the original and the <see cref="Factor"/>-stretched ones with a
/// linear ramp between the correction dimensions of <see cref="BetaFast"/> and <see cref="BetaSlow"/>; cos/sin are
/// multiplied by <c>get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)</c> and the softmax scale by
/// <c>get_mscale(factor, mscale_all_dim)²</c>. <c>"linear"</c> (position interpolation): every frequency is divided
/// by <see cref="Factor"/>. The defaults of the optional fields are the remote code's constructor defaults.
/// </remarks>
public sealed record RopeScaling
{
    /// <summary>The YaRN kind.</summary>
    public const string Yarn = "yarn";

    /// <summary>The linear (position interpolation) kind.</summary>
    public const string Linear = "linear";

    /// <summary><c>"yarn"</c> or <c>"linear"</c> (<c>type</c>, or <c>rope_type</c> in newer files).</summary>
    public string Type { get; init; } = Yarn;

    /// <summary>Context stretch factor <c>s</c>.</summary>
    public double Factor { get; init; } = 1.0;

    /// <summary>Context length of pre-training (YaRN; default 4096).</summary>
    public int OriginalMaxPositionEmbeddings { get; init; } = 4096;

    /// <summary>Rotations below which a dimension is fully extrapolated (YaRN β_fast; default 32).</summary>
    public double BetaFast { get; init; } = 32;

    /// <summary>Rotations above which a dimension is fully interpolated (YaRN β_slow; default 1).</summary>
    public double BetaSlow { get; init; } = 1;

    /// <summary>YaRN <c>mscale</c> for cos/sin (default 1).</summary>
    public double Mscale { get; init; } = 1;

    /// <summary>YaRN <c>mscale_all_dim</c> (default 0, which leaves the softmax scale alone).</summary>
    public double MscaleAllDim { get; init; }

    /// <summary><c>yarn_get_mscale</c>: 1 for <paramref name="scale"/> ≤ 1, else <c>0.1 · mscale · ln(scale) + 1</c>.</summary>
    public static double GetMscale(double scale, double mscale) => scale <= 1 ? 1.0 : 0.1 * mscale * Math.Log(scale) + 1.0;

    /// <summary>Multiplier on cos and sin: <c>get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)</c> for YaRN, else 1.</summary>
    public double CosSinFactor => Type == Yarn ? GetMscale(Factor, Mscale) / GetMscale(Factor, MscaleAllDim) : 1.0;

    /// <summary>
    /// Multiplier on the attention softmax scale: <c>get_mscale(factor, mscale_all_dim)²</c> when
    /// <c>mscale_all_dim</c> is non-zero (the remote DeepSeek code applies it whenever rope_scaling is set), else 1.
    /// </summary>
    public double SoftmaxScaleFactor
    {
        get
        {
            if (MscaleAllDim == 0) return 1.0;
            double m = GetMscale(Factor, MscaleAllDim);
            return m * m;
        }
    }

    /// <summary>
    /// Inverse frequencies for <paramref name="dim"/> rotated dimensions with base <paramref name="theta"/>:
    /// <c>θ^(−2i/d)</c>, then scaled as this kind prescribes (<paramref name="scaling"/> <c>null</c>: unscaled).
    /// </summary>
    public static double[] InverseFrequencies(int dim, double theta, RopeScaling? scaling)
    {
        int half = dim / 2;
        var extra = new double[half];
        for (int i = 0; i < half; i++) extra[i] = 1.0 / Math.Pow(theta, 2.0 * i / dim);
        if (scaling is null) return extra;
        if (scaling.Type == Linear) return [.. extra.Select(f => f / scaling.Factor)];

        // YaRN: keep high frequencies (few rotations over the original context), interpolate low ones, ramp between.
        double CorrectionDim(double rotations) =>
            dim * Math.Log(scaling.OriginalMaxPositionEmbeddings / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double low = Math.Max(Math.Floor(CorrectionDim(scaling.BetaFast)), 0);
        double high = Math.Min(Math.Ceiling(CorrectionDim(scaling.BetaSlow)), dim - 1);
        if (low == high) high += 0.001;
        var result = new double[half];
        for (int i = 0; i < half; i++)
        {
            double ramp = Math.Clamp((i - low) / (high - low), 0, 1);
            double extrapolate = 1 - ramp; // mask: 1 keeps freq_extra
            double inter = extra[i] / scaling.Factor;
            result[i] = inter * (1 - extrapolate) + extra[i] * extrapolate;
        }
        return result;
    }
}
