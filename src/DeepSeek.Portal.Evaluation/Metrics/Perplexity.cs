namespace DeepSeek.Portal.Evaluation.Metrics;

/// <summary>
/// Token-weighted perplexity: exp(Σ NLL / Σ tokens) over everything added (reference §4). Texts are weighted by their
/// tokens, never averaged per text: a long reference counts for more than a short one. One accumulator per scope
/// (all, a slice, a domain). Not thread-safe.
/// </summary>
public sealed class PerplexityAccumulator
{
    /// <summary>Summed negative log-likelihood, in nats.</summary>
    public double TotalNll { get; private set; }

    /// <summary>Tokens the NLL is summed over.</summary>
    public long Tokens { get; private set; }

    /// <summary>Texts added.</summary>
    public int Count { get; private set; }

    /// <summary>Adds a text's summed NLL (nats) over its tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative or non-finite NLL, or fewer than one token.</exception>
    public void Add(double nll, long tokens)
    {
        if (!double.IsFinite(nll) || nll < 0) throw new ArgumentOutOfRangeException(nameof(nll), nll, "A negative log-likelihood must be finite and not negative.");
        if (tokens < 1) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "A text needs at least one token.");
        TotalNll += nll;
        Tokens += tokens;
        Count++;
    }

    /// <summary>Adds one text given its tokens' probabilities.</summary>
    public void AddProbabilities(IEnumerable<double> probabilities)
    {
        double nll = 0;
        long n = 0;
        foreach (var p in probabilities)
        {
            if (!(p > 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(probabilities), p, "A token probability must be in (0, 1].");
            nll -= Math.Log(p);
            n++;
        }
        Add(nll, n);
    }

    /// <summary>Mean NLL per token (nats); NaN before anything is added.</summary>
    public double MeanNll => Tokens == 0 ? double.NaN : TotalNll / Tokens;

    /// <summary>exp(mean NLL); NaN before anything is added.</summary>
    public double Value => Tokens == 0 ? double.NaN : Math.Exp(TotalNll / Tokens);
}

/// <summary>Perplexity shortcuts.</summary>
public static class Perplexity
{
    /// <summary>Perplexity of one sequence from its tokens' probabilities ([0.5, 0.25, 0.125] → 4).</summary>
    public static double FromProbabilities(IEnumerable<double> probabilities)
    {
        var acc = new PerplexityAccumulator();
        acc.AddProbabilities(probabilities);
        return acc.Value;
    }
}
