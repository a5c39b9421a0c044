using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Feeding.Composer;

namespace DeepSeek.Portal.Evaluation.Scoring;

/// <summary>The metric names used everywhere (API, tables, charts, targets).</summary>
public static class MetricNames
{
    /// <summary>Tier 1: token-weighted perplexity, exp(mean NLL).</summary>
    public const string Perplexity = "ppl";
    /// <summary>Tier 1: corpus BLEU, sacrebleu-identical (13a; zh for Chinese references).</summary>
    public const string Bleu = "bleu";
    /// <summary>Tier 1: ROUGE-L F-measure (character-level for Chinese), × 100.</summary>
    public const string RougeL = "rougeL";
    /// <summary>Tier 2: SQuAD token F1, × 100.</summary>
    public const string F1 = "f1";
    /// <summary>Tier 2: SQuAD exact match, × 100.</summary>
    public const string ExactMatch = "em";
    /// <summary>Tier 2: classification accuracy, × 100.</summary>
    public const string Accuracy = "accuracy";
    /// <summary>Tier 2: macro-averaged F1 over classes, × 100.</summary>
    public const string MacroF1 = "macroF1";
    /// <summary>Tier 2: micro-averaged F1 over classes, × 100.</summary>
    public const string MicroF1 = "microF1";
    /// <summary>Tier 2: relative drop of the domain score on adversarial items, × 100 (PromptBench's PDR).</summary>
    public const string RobustnessDrop = "robustnessDrop";
    /// <summary>Tier 3: task completion rate, × 100, with an adjusted-Wald interval.</summary>
    public const string TaskCompletion = "tcr";
    /// <summary>Tier 3: net promoter score, −100..100.</summary>
    public const string Nps = "nps";

    /// <summary>The tier (1 basic, 2 domain, 3 business) of a metric.</summary>
    public static int TierOf(string metric) => metric switch
    {
        Perplexity or Bleu or RougeL => 1,
        F1 or ExactMatch or Accuracy or MacroF1 or MicroF1 or RobustnessDrop => 2,
        TaskCompletion or Nps => 3,
        _ => throw new ArgumentException($"Unknown metric '{metric}'.", nameof(metric)),
    };

    /// <summary>Whether a lower value is better (perplexity, robustness drop).</summary>
    public static bool LowerIsBetter(string metric) => metric is Perplexity or RobustnessDrop;

    /// <summary>Every metric, in display order.</summary>
    public static readonly IReadOnlyList<string> All = [Perplexity, Bleu, RougeL, F1, ExactMatch, Accuracy, MacroF1, MicroF1, RobustnessDrop, TaskCompletion, Nps];
}

/// <summary>
/// One figure of an evaluation: a metric over a scope of its items. Scopes: <c>all</c>, <c>slice:general</c>,
/// <c>slice:domain</c>, <c>slice:adversarial</c>, <c>domain:&lt;name&gt;</c>.
/// </summary>
/// <param name="Metric">One of <see cref="MetricNames"/>.</param>
/// <param name="Scope">Which items.</param>
/// <param name="Value">The figure.</param>
/// <param name="Count">Items it was computed from (failed items never count; for perplexity the items with a measured NLL, their tokens in <see cref="Tokens"/>).</param>
public sealed record MetricValue(string Metric, string Scope, double Value, int Count)
{
    /// <summary>Lower end of the 95 % interval, where the metric has one.</summary>
    public double? Lower { get; init; }

    /// <summary>Upper end of the 95 % interval, where the metric has one.</summary>
    public double? Upper { get; init; }

    /// <summary>For perplexity: the tokens it is weighted by.</summary>
    public long? Tokens { get; init; }

    /// <summary>The tier of <see cref="Metric"/>.</summary>
    public int Tier => MetricNames.TierOf(Metric);
}

/// <summary>An item's own scores (for drill-down): metric name → value (sentence BLEU, ROUGE-L, F1, EM, correct 0/100, completed 0/100, NLL and tokens).</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Slice">Its slice.</param>
/// <param name="Domain">Its domain.</param>
/// <param name="Values">Its scores; empty when it failed.</param>
/// <param name="Failed">Whether the item failed (nothing scored).</param>
public sealed record ItemScore(string ItemId, ItemKind Kind, EvaluationSlice Slice, string? Domain, IReadOnlyDictionary<string, double> Values, bool Failed);
