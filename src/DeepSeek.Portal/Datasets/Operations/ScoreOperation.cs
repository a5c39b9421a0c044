using System.Globalization;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Engine.Classification;
using DeepSeek.Portal.Feeding.Import;
using DeepSeek.Portal.Feeding.Scoring;

namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>
/// Scores every record and drops nothing (filter the scored version afterwards). Scores written to each record:
/// <list type="bullet">
/// <item><c>domain</c>: TF-IDF cosine to the closest record of a reference version the user picks (words for Latin
/// text, character bigrams for Chinese); only when <c>referenceVersionId</c> is given.</item>
/// <item><c>entropy</c>: Shannon character entropy in bits per character, and <c>entropyOutside</c>: how far it lies
/// outside the measured range for the record's language and length (0 inside).</item>
/// <item><c>rules</c>: how many heuristic noise rules fired (Gopher-style repetition, special characters, …).</item>
/// <item><c>noise</c>: P(noisy) from a classifier trained for this run on the dataset's labels, with the heuristic
/// rules' confident labels filling in; skipped (and said so in the lineage) without enough of both kinds.</item>
/// </list>
/// </summary>
public sealed class ScoreOperation(DatasetVersionService versions, RecordLabelStore labels) : IDataOperation
{
    private const int MinimumPerClass = 5;

    public string Name => "score";

    public (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Validate(JsonObject? parameters)
    {
        var p = new ParameterReader(parameters);
        p.OptionalInteger("referenceVersionId", 1, int.MaxValue);
        p.Integer("maxReferences", 5000, 10, 100_000);
        p.Bool("entropy", true);
        p.Bool("rules", true);
        p.Bool("noise", true);
        p.Integer("maxTrainingExamples", 4000, 20, 100_000);
        return p.Result();
    }

    public async Task<IReadOnlyList<ImportError>> RunAsync(DataOperationContext context)
    {
        var parameters = context.Parameters;
        var ct = context.Cancellation;
        DomainSimilarityScorer? domain = null;
        if (parameters["referenceVersionId"] is { } referenceId)
        {
            var reference = await versions.FindAsync((int)referenceId, ct);
            if (reference is null)
                return [ParameterReader.Error("referenceVersionId", $"no dataset version has the id {(int)referenceId}")];
            var texts = new List<string>();
            await foreach (var record in versions.ReadAsync(reference, false, ct))
            {
                texts.Add(record.Text);
                if (texts.Count >= (int)parameters["maxReferences"]!)
                    break;
            }
            domain = DomainSimilarityScorer.Fit(texts);
            parameters["references"] = texts.Count;
        }
        var entropy = (bool)parameters["entropy"]! ? new EntropyScorer() : null;
        var rules = (bool)parameters["rules"]! || (bool)parameters["noise"]! ? HeuristicRules.Default : null;
        using var classifier = (bool)parameters["noise"]! ? await TrainClassifierAsync(context, rules!) : null;

        long read = 0;
        await foreach (var record in context.ReadSource())
        {
            read++;
            var scores = record.Scores is null ? new SortedDictionary<string, double>(StringComparer.Ordinal) : new SortedDictionary<string, double>(record.Scores, StringComparer.Ordinal);
            if (domain is not null)
                scores["domain"] = Math.Round(domain.Score(record.Text), 4);
            if (entropy is not null)
            {
                var e = entropy.Evaluate(record.Text);
                scores["entropy"] = Math.Round(e.BitsPerCharacter, 3);
                scores["entropyOutside"] = Math.Round(e.TooLow ? e.Range.Low - e.BitsPerCharacter : e.TooHigh ? e.BitsPerCharacter - e.Range.High : 0, 3);
            }
            if ((bool)parameters["rules"]!)
                scores["rules"] = rules!.Evaluate(record.Text).Count(r => r.Fired);
            if (classifier is not null)
                scores["noise"] = Math.Round(classifier.Predict(record.Text), 4);
            await context.KeepAsync(record with { Scores = scores });
            if (read % 256 == 0)
                context.Progress(read);
        }
        context.Progress(read);
        return [];
    }

    // Labels: people's labels first; where there are none, the heuristic rules' confident suggestions (Unsure is left out).
    private async Task<NoiseClassifier?> TrainClassifierAsync(DataOperationContext context, HeuristicRules rules)
    {
        var given = await labels.ReadAsync(context.Source.DatasetId, context.Cancellation);
        var limit = (int)context.Parameters["maxTrainingExamples"]!;
        var examples = new List<(string Text, bool Noisy)>();
        int fromPeople = 0;
        // Records spread over the whole version: every n-th, so a sorted file does not give a one-sided sample.
        var every = Math.Max(1, context.Source.RecordCount / limit);
        long index = 0;
        await foreach (var record in context.ReadSource())
        {
            var labelled = given.TryGetValue(RecordLabelStore.Key(record.Text), out var noisy);
            if (labelled)
            {
                examples.Add((record.Text, noisy));
                fromPeople++;
            }
            else if (index++ % every == 0 && examples.Count < limit * 2)
            {
                var suggestion = rules.SuggestLabel(record.Text);
                if (suggestion != NoiseLabel.Unsure)
                    examples.Add((record.Text, suggestion == NoiseLabel.Noisy));
            }
        }
        var noisyCount = examples.Count(e => e.Noisy);
        var cleanCount = examples.Count - noisyCount;
        context.Parameters["labels"] = new JsonObject { ["fromPeople"] = fromPeople, ["noisy"] = noisyCount, ["clean"] = cleanCount };
        if (noisyCount < MinimumPerClass || cleanCount < MinimumPerClass)
        {
            context.Parameters["noise"] = string.Create(CultureInfo.InvariantCulture,
                $"skipped: the classifier needs at least {MinimumPerClass} noisy and {MinimumPerClass} clean examples (labelled, or found by the rules); there were {noisyCount} and {cleanCount}");
            return null;
        }
        return NoiseClassifier.Train(examples, new NoiseClassifierOptions(), context.Cancellation);
    }
}
