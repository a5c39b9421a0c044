namespace DeepSeek.Portal.Engine.Training;

/// <summary>Linear warm-up to the peak rate, then cosine or linear decay (<see cref="TrainingOptions.LearningRateDecay"/>) to 10 % of it at the last step.</summary>
public static class LearningRateSchedule
{
    /// <summary>Fraction of the peak rate reached at the end of the run.</summary>
    public const double FinalFraction = 0.1;

    /// <summary>Learning rate for optimizer step <paramref name="step"/> (1-based).</summary>
    public static double At(int step, TrainingOptions options)
    {
        double peak = options.LearningRate;
        int warmup = options.WarmupSteps, total = options.Steps;
        if (warmup > 0 && step <= warmup) return peak * step / warmup;
        int decaySteps = total - warmup;
        if (decaySteps <= 0) return peak;
        double progress = Math.Clamp((double)(step - warmup) / decaySteps, 0, 1);
        double minimum = peak * FinalFraction;
        double remaining = options.LearningRateDecay == LearningRateDecay.Linear ? 1 - progress : 0.5 * (1 + Math.Cos(Math.PI * progress));
        return minimum + (peak - minimum) * remaining;
    }
}
