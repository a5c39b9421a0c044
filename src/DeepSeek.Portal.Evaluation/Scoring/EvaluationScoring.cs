using System.Globalization;
using System.Text;
using DeepSeek.Portal.Evaluation.Metrics;
using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Feeding.Composer;

namespace DeepSeek.Portal.Evaluation.Scoring;

/// <summary>
/// Scores items and summarises an evaluation into <see cref="MetricValue"/>s. The definitions (and why each is
/// computed as it is) are in docs/EVALUATION.md; the anchors there are the metric names.
/// </summary>
public static class EvaluationScoring
{
    /// <summary>Item value: summed NLL (nats) of the first reference.</summary>
    public const string Nll = "nll";
    /// <summary>Item value: tokens of the first reference.</summary>
    public const string Tokens = "tokens";
    /// <summary>Item value: 100 when a classification item's prediction is right, else 0.</summary>
    public const string Correct = "correct";
    /// <summary>Item value: the index of the choice predicted (absent when the answer matched no choice).</summary>
    public const string Predicted = "predicted";
    /// <summary>Item value: 100 when a conversation met its completion criteria, else 0.</summary>
    public const string Completed = "completed";

    /// <summary>The scope of every item.</summary>
    public const string AllScope = "all";

    /// <summary>The scope of a slice: <c>slice:general</c>, <c>slice:domain</c>, <c>slice:adversarial</c>.</summary>
    public static string SliceScope(EvaluationSlice slice) => "slice:" + slice.ToString().ToLowerInvariant();

    /// <summary>The scope of a domain: <c>domain:&lt;name&gt;</c>.</summary>
    public static string DomainScope(string domain) => "domain:" + domain;

    /// <summary>One item's scores from its output.</summary>
    /// <exception cref="ArgumentException">The output belongs to another item.</exception>
    public static ItemScore Score(SuiteItem item, ItemOutput output)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(output);
        if (!string.Equals(item.Id, output.ItemId, StringComparison.Ordinal))
            throw new ArgumentException($"The output is for item '{output.ItemId}', not '{item.Id}'.", nameof(output));
        if (output.Failure is not null) return new ItemScore(item.Id, item.Kind, item.Slice, item.Domain, new Dictionary<string, double>(), true);

        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        var text = output.Text ?? "";
        var references = item.References.Where(r => !string.IsNullOrEmpty(r)).ToList();
        switch (item.Kind)
        {
            case ItemKind.Generation:
                if (references.Count > 0)
                {
                    var options = BleuOptions.Sentence with { Tokenizer = Bleu.TokenizerFor(references) };
                    values[MetricNames.Bleu] = Bleu.Sentence(text, references, options).Score;
                    values[MetricNames.RougeL] = 100 * RougeL.Best(text, references).FMeasure;
                }
                break;
            case ItemKind.Extraction:
                if (references.Count > 0)
                {
                    values[MetricNames.F1] = SquadMetrics.BestF1(text, references);
                    values[MetricNames.ExactMatch] = SquadMetrics.BestExactMatch(text, references);
                    values[MetricNames.RougeL] = 100 * RougeL.Best(text, references).FMeasure;
                }
                break;
            case ItemKind.Classification:
                var predicted = PredictChoice(item, output);
                if (predicted is int p) values[Predicted] = p;
                if (item.Answer is int answer) values[Correct] = predicted == answer ? 100 : 0;
                break;
            case ItemKind.Conversation:
                values[Completed] = IsCompleted(text, item.CompletionCriteria) ? 100 : 0;
                break;
        }
        // log p ≤ 0, so an NLL below zero is a target's rounding (a hair under 0) or a broken reply (left unscored).
        if (output.ReferenceNll is double nll && output.ReferenceTokens is int tokens && tokens > 0 && double.IsFinite(nll) && nll > -1e-6)
        {
            values[Nll] = Math.Max(0, nll);
            values[Tokens] = tokens;
        }
        return new ItemScore(item.Id, item.Kind, item.Slice, item.Domain, values, false);
    }

    /// <summary>
    /// The choice a classification output picks: by log-likelihood when the output has one per choice (the highest;
    /// ties go to the first), else from the text: the choice equal to it after SQuAD normalisation, else the only
    /// choice it contains (as whole words, or whole characters for Chinese); null when none or several match.
    /// </summary>
    public static int? PredictChoice(SuiteItem item, ItemOutput output)
    {
        var choices = item.Choices;
        if (choices is null || choices.Count == 0) return null;
        if (output.ChoiceLogLikelihoods is { } ll && ll.Count == choices.Count)
        {
            int best = -1;
            for (int i = 0; i < ll.Count; i++)
                if (!double.IsNaN(ll[i]) && (best < 0 || ll[i] > ll[best])) best = i;
            if (best >= 0) return best;
        }
        if (string.IsNullOrWhiteSpace(output.Text)) return null;
        bool zh = ChineseText.ContainsHan(output.Text) || choices.Any(ChineseText.ContainsHan);
        var text = SquadMetrics.Normalize(output.Text, zh);
        var normalised = choices.Select(c => SquadMetrics.Normalize(c, zh)).ToList();
        for (int i = 0; i < normalised.Count; i++)
            if (normalised[i].Length > 0 && string.Equals(normalised[i], text, StringComparison.Ordinal)) return i;
        var padded = " " + text + " ";
        int? found = null;
        for (int i = 0; i < normalised.Count; i++)
        {
            if (normalised[i].Length == 0 || !padded.Contains(" " + normalised[i] + " ", StringComparison.Ordinal)) continue;
            if (found is not null) return null;
            found = i;
        }
        return found;
    }

    /// <summary>
    /// Whether a reply meets every completion phrase, compared after NFKC (full-width letters and digits become
    /// half-width) and lowercasing. With no criteria, any non-blank reply counts as completed.
    /// </summary>
    public static bool IsCompleted(string? reply, IReadOnlyList<string>? criteria)
    {
        if (string.IsNullOrWhiteSpace(reply)) return false;
        if (criteria is null || criteria.Count == 0) return true;
        var folded = Fold(reply);
        foreach (var phrase in criteria)
        {
            if (string.IsNullOrWhiteSpace(phrase)) continue;
            if (!folded.Contains(Fold(phrase), StringComparison.Ordinal)) return false;
        }
        return true;
    }

    private static string Fold(string text) => text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();

    /// <summary>
    /// The evaluation's figures: every metric that applies, over all items, per slice and per domain, plus the
    /// robustness drop. Failed items are left out of every figure (the evaluation is then marked partial by the caller).
    /// </summary>
    public static IReadOnlyList<MetricValue> Summarise(IReadOnlyList<SuiteItem> items, IReadOnlyList<ItemOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(outputs);
        var byId = new Dictionary<string, ItemOutput>(StringComparer.Ordinal);
        foreach (var o in outputs) byId[o.ItemId] = o;
        var scored = new List<Scored>();
        foreach (var item in items)
        {
            if (!byId.TryGetValue(item.Id, out var output) || output.Failure is not null) continue;
            scored.Add(new Scored(item, output, Score(item, output)));
        }

        var figures = new List<MetricValue>();
        figures.AddRange(ScopeFigures(AllScope, scored));
        foreach (var slice in Enum.GetValues<EvaluationSlice>())
        {
            var inSlice = scored.Where(s => s.Item.Slice == slice).ToList();
            if (inSlice.Count > 0) figures.AddRange(ScopeFigures(SliceScope(slice), inSlice));
        }
        foreach (var domain in scored.Select(s => s.Item.Domain).Where(d => !string.IsNullOrWhiteSpace(d)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            figures.AddRange(ScopeFigures(DomainScope(domain!), scored.Where(s => s.Item.Domain == domain).ToList()));

        if (RobustnessDrop(figures) is { } drop) figures.Add(drop);
        return figures;
    }

    private sealed record Scored(SuiteItem Item, ItemOutput Output, ItemScore Score);

    private static IEnumerable<MetricValue> ScopeFigures(string scope, List<Scored> scored)
    {
        var ppl = new PerplexityAccumulator();
        foreach (var s in scored)
            if (s.Score.Values.TryGetValue(Nll, out var nll) && s.Score.Values.TryGetValue(Tokens, out var tokens))
                ppl.Add(nll, (long)tokens);
        if (ppl.Count > 0) yield return new MetricValue(MetricNames.Perplexity, scope, ppl.Value, ppl.Count) { Tokens = ppl.Tokens };

        var generation = scored.Where(s => s.Item.Kind == ItemKind.Generation && s.Score.Values.ContainsKey(MetricNames.Bleu)).ToList();
        if (generation.Count > 0)
        {
            var references = generation.Select(s => (IReadOnlyList<string?>)s.Item.References.Where(r => !string.IsNullOrEmpty(r)).ToList()).ToList();
            var tokenizer = Bleu.TokenizerFor(references.SelectMany(r => r));
            var bleu = Bleu.CorpusOfSegments(generation.Select(s => s.Output.Text ?? "").ToList(), references, BleuOptions.Corpus with { Tokenizer = tokenizer });
            yield return new MetricValue(MetricNames.Bleu, scope, bleu.Score, generation.Count);
            yield return new MetricValue(MetricNames.RougeL, scope, generation.Average(s => s.Score.Values[MetricNames.RougeL]), generation.Count);
        }

        var extraction = scored.Where(s => s.Item.Kind == ItemKind.Extraction && s.Score.Values.ContainsKey(MetricNames.F1)).ToList();
        if (extraction.Count > 0)
        {
            yield return new MetricValue(MetricNames.F1, scope, extraction.Average(s => s.Score.Values[MetricNames.F1]), extraction.Count);
            yield return new MetricValue(MetricNames.ExactMatch, scope, extraction.Average(s => s.Score.Values[MetricNames.ExactMatch]), extraction.Count);
        }

        var classification = scored.Where(s => s.Item.Kind == ItemKind.Classification && s.Score.Values.ContainsKey(Correct)).ToList();
        if (classification.Count > 0)
        {
            var truth = classification.Select(s => s.Item.Answer!.Value.ToString(CultureInfo.InvariantCulture)).ToList();
            var predicted = classification.Select(s => s.Score.Values.TryGetValue(Predicted, out var p) ? ((int)p).ToString(CultureInfo.InvariantCulture) : null).ToList();
            var report = ClassificationMetrics.Compute(truth, predicted);
            yield return new MetricValue(MetricNames.Accuracy, scope, 100 * report.Accuracy, report.Count);
            yield return new MetricValue(MetricNames.MacroF1, scope, 100 * report.MacroF1, report.Count);
            yield return new MetricValue(MetricNames.MicroF1, scope, 100 * report.MicroF1, report.Count);
        }

        var conversation = scored.Where(s => s.Item.Kind == ItemKind.Conversation).ToList();
        if (conversation.Count > 0)
        {
            int successes = conversation.Count(s => s.Score.Values[Completed] >= 100);
            var tcr = BusinessMetrics.TaskCompletion(successes, conversation.Count);
            yield return new MetricValue(MetricNames.TaskCompletion, scope, tcr.Value, tcr.Count) { Lower = tcr.Lower, Upper = tcr.Upper };
        }
    }

    /// <summary>
    /// PromptBench's performance drop rate for the primary metric — the first of accuracy, F1 and BLEU that both the
    /// domain and the adversarial slice have a figure for (a suite whose adversarial items are all generation items is
    /// compared on BLEU even when it also has classification items): 100 · (1 − adversarial / domain). Absent when no
    /// metric is in both slices or the domain figure is 0. Count: the items of both slices.
    /// </summary>
    private static MetricValue? RobustnessDrop(List<MetricValue> figures)
    {
        foreach (var primary in new[] { MetricNames.Accuracy, MetricNames.F1, MetricNames.Bleu })
        {
            var domain = figures.FirstOrDefault(f => f.Metric == primary && f.Scope == SliceScope(EvaluationSlice.Domain));
            var adversarial = figures.FirstOrDefault(f => f.Metric == primary && f.Scope == SliceScope(EvaluationSlice.Adversarial));
            if (domain is null || adversarial is null) continue;
            if (domain.Value <= 0) return null;
            return new MetricValue(MetricNames.RobustnessDrop, AllScope, 100 * (1 - adversarial.Value / domain.Value), domain.Count + adversarial.Count);
        }
        return null;
    }
}
