using System.Globalization;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Feeding.Composer;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>
/// Composes an evaluation suite from this (domain) version and a general version: by default 20 % general, 60 %
/// domain and 20 % adversarial items derived from domain items (character noise and homoglyphs, Chinese look-alike and
/// same-sound characters, appended distractors, prompt-injection templates). The suite is a new version of this
/// dataset; every item keeps its origin (slice, source record, perturbation) — suites are versioned like datasets.
/// </summary>
public sealed class ComposeOperation(DatasetVersionService versions) : IDataOperation
{
    public string Name => "compose";

    public (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Validate(JsonObject? parameters)
    {
        var p = new ParameterReader(parameters);
        if (p.OptionalInteger("generalVersionId", 1, int.MaxValue) is null)
        {
            p.Complete["generalVersionId"] = null;
            p.Errors.Add(ParameterReader.Error("generalVersionId", "expected the id of the version that holds general (non-domain) items"));
        }
        p.Integer("size", 100, 5, 1_000_000);
        var general = p.Integer("general", 20, 0, 100);
        var domain = p.Integer("domain", 60, 0, 100);
        var adversarial = p.Integer("adversarial", 20, 0, 100);
        foreach (var problem in new SliceShares(general, domain, adversarial).Validate())
            p.Errors.Add(ParameterReader.Error("general", problem));
        p.Integer("seed", 7, 0, int.MaxValue);
        return p.Result();
    }

    public async Task<IReadOnlyList<ImportError>> RunAsync(DataOperationContext context)
    {
        var parameters = context.Parameters;
        var generalVersion = await versions.FindAsync((int)parameters["generalVersionId"]!, context.Cancellation);
        if (generalVersion is null)
            return [ParameterReader.Error("generalVersionId", $"no dataset version has the id {(int)parameters["generalVersionId"]!}")];
        var general = await ItemsAsync(generalVersion, context.Cancellation);
        var domain = await ItemsAsync(context.Source, context.Cancellation);
        var request = new CompositionRequest(general, domain, (int)parameters["size"]!)
        {
            Shares = new SliceShares((int)parameters["general"]!, (int)parameters["domain"]!, (int)parameters["adversarial"]!),
            Seed = (int)parameters["seed"]!,
        };
        var plan = EvaluationSetComposer.Plan(request);
        if (!plan.CanCompose)
            return plan.Problems.Select(problem => ParameterReader.Error("size", problem)).ToList();
        var items = EvaluationSetComposer.Compose(request);
        long written = 0;
        foreach (var item in items)
        {
            var origin = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["slice"] = item.Slice.ToString().ToLowerInvariant(),
                ["source"] = item.SourceItemId,
            };
            if (item.Perturbation is { } perturbation)
            {
                origin["perturbation"] = perturbation.Kind.ToString();
                origin["change"] = perturbation.Description;
                origin["field"] = perturbation.Field;
            }
            await context.KeepAsync(new VersionRecord { Text = item.Text, Prompt = item.Prompt, Response = item.Reference, Origin = origin });
            context.Progress(++written);
        }
        parameters["composed"] = new JsonObject { ["general"] = plan.General, ["domain"] = plan.Domain, ["adversarial"] = plan.Adversarial };
        return [];
    }

    // Item ids name their version and record, so an item's origin leads back to it.
    private async Task<List<EvaluationItem>> ItemsAsync(Data.DatasetVersion version, CancellationToken ct)
    {
        var items = new List<EvaluationItem>();
        long index = 0;
        await foreach (var record in versions.ReadAsync(version, false, ct))
        {
            index++;
            items.Add(new EvaluationItem(string.Create(CultureInfo.InvariantCulture, $"v{version.Id}#{index}"), record.Text) { Prompt = record.Prompt, Reference = record.Response });
        }
        return items;
    }
}
