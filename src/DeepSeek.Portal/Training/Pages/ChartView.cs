using DeepSeek.Portal.Training;

namespace DeepSeek.Portal.Training.Pages;

/// <summary>What the horizontal axis of a training chart counts.</summary>
public enum ChartXAxis
{
    /// <summary>Optimizer steps.</summary>
    Step,
    /// <summary>Seconds of training since the run started.</summary>
    Time,
    /// <summary>Training tokens seen (steps × effective batch × sequence length).</summary>
    Tokens,
}

/// <summary>How a training chart is drawn: smoothing weight (0 = raw, up to 0.99), log-scaled loss, horizontal axis.</summary>
public sealed record ChartView(double Smoothing = 0.6, bool LogScale = false, ChartXAxis XAxis = ChartXAxis.Step)
{
    /// <summary>Horizontal position of a point on this view's axis.</summary>
    public double X(RunPoint point, long tokensPerStep) => XAxis switch
    {
        ChartXAxis.Time => point.ElapsedSeconds,
        ChartXAxis.Tokens => (double)point.Step * tokensPerStep,
        _ => point.Step,
    };
}

/// <summary>
/// Exponential moving average of a loss curve, debiased like TensorBoard's smoothing so the first points are not
/// pulled towards zero: s_t = w·s_{t−1} + (1−w)·x_t, shown as s_t / (1 − w^t). Fed one point at a time so live
/// points continue the same curve without recomputing it.
/// </summary>
public sealed class EmaSmoother(double weight)
{
    private double _ema;
    private double _decay = 1;

    /// <summary>Smoothing weight in [0, 1): 0 returns the raw values.</summary>
    public double Weight { get; } = Math.Clamp(weight, 0, 0.999);

    /// <summary>The smoothed value after adding <paramref name="value"/>; non-finite values are passed through.</summary>
    public double Next(double value)
    {
        if (!double.IsFinite(value))
            return value;
        _ema = Weight * _ema + (1 - Weight) * value;
        _decay *= Weight;
        return _ema / (1 - _decay);
    }

    /// <summary>Smooths a whole series.</summary>
    public static IReadOnlyList<double> Smooth(IEnumerable<double> values, double weight)
    {
        var smoother = new EmaSmoother(weight);
        return values.Select(smoother.Next).ToList();
    }
}
