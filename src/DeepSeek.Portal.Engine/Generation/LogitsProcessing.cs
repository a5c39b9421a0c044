namespace DeepSeek.Portal.Engine.Generation;

/// <summary>
/// The per-token steps of sampling, on one row of fp32 logits in place, in HF order: repetition penalty,
/// temperature, top-k, top-p; then a draw (or argmax). Removed tokens get −∞.
/// </summary>
public static class LogitsProcessing
{
    /// <summary>Divides positive and multiplies negative logits of every token in <paramref name="seen"/> by <paramref name="penalty"/>.</summary>
    public static void ApplyRepetitionPenalty(float[] logits, IEnumerable<long> seen, double penalty)
    {
        if (penalty == 1) return;
        foreach (long id in seen.Distinct())
        {
            if (id < 0 || id >= logits.Length) continue;
            float v = logits[id];
            logits[id] = (float)(v < 0 ? v * penalty : v / penalty);
        }
    }

    /// <summary>Divides every logit by <paramref name="temperature"/> (&gt; 0).</summary>
    public static void ApplyTemperature(float[] logits, double temperature)
    {
        if (temperature == 1) return;
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(logits[i] / temperature);
    }

    /// <summary>Keeps the <paramref name="k"/> largest logits (ties at the k-th value kept too, as HF does); 0 keeps all.</summary>
    public static void ApplyTopK(float[] logits, int k)
    {
        if (k <= 0 || k >= logits.Length) return;
        float threshold = logits.OrderByDescending(v => v).ElementAt(k - 1);
        for (int i = 0; i < logits.Length; i++) if (logits[i] < threshold) logits[i] = float.NegativeInfinity;
    }

    /// <summary>
    /// Keeps the most likely tokens until their probability reaches <paramref name="p"/> (at least one token): HF's
    /// TopPLogitsWarper removes, in ascending order, tokens whose cumulative probability is at most 1 − p.
    /// </summary>
    public static void ApplyTopP(float[] logits, double p)
    {
        if (p >= 1) return;
        var probabilities = Softmax(logits);
        var ascending = Enumerable.Range(0, logits.Length).OrderBy(i => probabilities[i]).ThenByDescending(i => i).ToArray();
        double cumulative = 0;
        for (int r = 0; r < ascending.Length - 1; r++)
        {
            cumulative += probabilities[ascending[r]];
            if (cumulative <= 1 - p) logits[ascending[r]] = float.NegativeInfinity;
            else break;
        }
    }

    /// <summary>Softmax in double precision (−∞ → 0).</summary>
    public static double[] Softmax(float[] logits)
    {
        float max = logits.Max();
        var e = logits.Select(v => float.IsNegativeInfinity(v) ? 0 : Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }

    /// <summary>Index of the largest logit (the lowest index among ties).</summary>
    public static long ArgMax(float[] logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>Draws an index with probability softmax(<paramref name="logits"/>) using <paramref name="random"/>.</summary>
    public static long Sample(float[] logits, Random random)
    {
        var probabilities = Softmax(logits);
        double u = random.NextDouble(), cumulative = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            cumulative += probabilities[i];
            if (u < cumulative && probabilities[i] > 0) return i;
        }
        return ArgMax(logits);
    }

    /// <summary>Runs every step of <paramref name="options"/> on <paramref name="logits"/> and picks the next token.</summary>
    public static long Choose(float[] logits, IEnumerable<long> seen, SamplingOptions options, Random random)
    {
        ApplyRepetitionPenalty(logits, seen, options.RepetitionPenalty);
        if (options.IsGreedy) return ArgMax(logits);
        ApplyTemperature(logits, options.Temperature);
        ApplyTopK(logits, options.TopK);
        ApplyTopP(logits, options.TopP);
        return Sample(logits, random);
    }
}
