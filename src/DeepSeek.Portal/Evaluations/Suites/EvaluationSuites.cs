using DeepSeek.Portal.Feeding.Demo;
using System.Globalization;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Feeding.Composer;
using DeepSeek.Portal.Feeding.Import;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Evaluations.Suites;

/// <summary>A stored suite: the dataset and version its items became, and how many.</summary>
public sealed record SuiteUploaded(int DatasetId, int VersionId, int Items);

/// <summary>The result of an upload: the stored suite, or every problem (by line and field); nothing is stored then.</summary>
public sealed record SuiteUploadOutcome(SuiteUploaded? Suite, IReadOnlyList<SuiteFileError> Errors, int? ExistingDatasetId = null)
{
    public bool Succeeded => Suite is not null;
}

/// <summary>
/// Suites are dataset versions: an uploaded suite file is stored as a new dataset (version 1) whose records carry
/// each item's spec (<see cref="VersionRecord.Evaluation"/>), and any version — composed by the evaluation-set composer,
/// imported pairs or conversations, or plain text — can be evaluated (<see cref="SuiteItems.FromVersion"/>).
/// </summary>
public sealed class EvaluationSuites(PortalDbContext db, DatasetVersionService versions, VersionStatisticsFactory statisticsFactory, DataPaths paths, TimeProvider clock)
{
    /// <summary>
    /// The demo workspace's suite (<see cref="DemoSuite"/>: every item kind, both languages, about the demo bank, from
    /// texts the demo run does not train on), stored once as a demo dataset; nothing happens when it exists.
    /// </summary>
    public async Task EnsureDemoAsync(CancellationToken ct)
    {
        if (await db.Datasets.AnyAsync(d => d.Name == DemoSuite.Name, ct))
            return;
        using var content = new MemoryStream(DemoSuite.FileBytes());
        var outcome = await UploadAsync(content, DemoSuite.Name + ".jsonl", DemoSuite.Name, null, ct);
        if (outcome.Suite is not { } suite)
            throw new InvalidOperationException("The demo suite was refused: " + string.Join("; ", outcome.Errors));
        await db.Datasets.Where(d => d.Id == suite.DatasetId).ExecuteUpdateAsync(u => u
            .SetProperty(d => d.IsDemo, true)
            .SetProperty(d => d.Description, "Demo evaluation suite: banking questions in Chinese and English — generation, adversarial, general, classification, extraction and conversation items."), ct);
    }

    /// <summary>Reads, checks and stores a suite file. All or nothing.</summary>
    public async Task<SuiteUploadOutcome> UploadAsync(Stream content, string fileName, string? name, string? user, CancellationToken ct)
    {
        var safeFileName = fileName.Split('/', '\\')[^1];
        var datasetName = string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(safeFileName) : name.Trim();
        if (DatasetNames.Check(datasetName) is { } problem)
            return new SuiteUploadOutcome(null, [new SuiteFileError(0, "name", problem)]);
        if (await db.Datasets.Where(d => d.Name == datasetName).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct) is { } sameName)
            return new SuiteUploadOutcome(null, [new SuiteFileError(0, "name", $"a dataset named \"{datasetName}\" already exists (id {sameName})")], sameName);

        var read = await SuiteFile.ReadAsync(content, ct);
        if (!read.Succeeded)
            return new SuiteUploadOutcome(null, read.Errors);

        var statistics = statisticsFactory.Create();
        await using var output = new VersionFileWriter(paths.Temp, statistics);
        foreach (var item in read.Items)
            await output.WriteAsync(SuiteItems.ToRecord(item), ct);
        var sha = await output.FinishAsync(ct);
        if (await db.Datasets.Where(d => d.Sha256 == sha).Select(d => new { d.Id, d.Name }).FirstOrDefaultAsync(ct) is { } same)
            return new SuiteUploadOutcome(null, [new SuiteFileError(0, null, $"the same suite is already stored as dataset \"{same.Name}\" (id {same.Id})")], same.Id);

        Directory.CreateDirectory(paths.Datasets);
        var target = versions.FilePath(sha);
        var placed = output.Place(target);
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        try
        {
            var dataset = new Dataset
            {
                Name = datasetName, SourceFileName = safeFileName, Format = "jsonl", RecordCount = checked((int)output.Records),
                Characters = output.Characters, Bytes = output.Bytes, Sha256 = sha, CreatedAt = now, CreatedBy = user,
                Description = "Evaluation suite",
            };
            db.Datasets.Add(dataset);
            await db.SaveChangesAsync(ct);
            var parameters = new JsonObject
            {
                ["sourceFile"] = safeFileName,
                ["format"] = "suite",
                ["kinds"] = new JsonObject(read.Items.GroupBy(i => SuiteFile.Name(i.Kind)).Select(g => KeyValuePair.Create(g.Key, (JsonNode?)g.Count()))),
            };
            var version = new DatasetVersion
            {
                DatasetId = dataset.Id, Number = 1, Operation = "suite", Parameters = parameters.ToJsonString(), Sha256 = sha,
                RecordCount = output.Records, Characters = output.Characters, Bytes = output.Bytes,
                Statistics = statistics.ToJson().ToJsonString(), Tokens = statistics.Tokens, CreatedAt = now, CreatedBy = user,
            };
            db.DatasetVersions.Add(version);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return new SuiteUploadOutcome(new SuiteUploaded(dataset.Id, version.Id, read.Items.Count), []);
        }
        catch
        {
            await transaction.RollbackAsync(CancellationToken.None);
            db.ChangeTracker.Clear();
            if (placed && !await db.DatasetVersions.AnyAsync(v => v.Sha256 == sha, CancellationToken.None))
                File.Delete(target);
            throw;
        }
    }

    /// <summary>The items of a version, or null when there is no such version (or its file is gone).</summary>
    public async Task<IReadOnlyList<SuiteItem>?> ItemsAsync(int versionId, CancellationToken ct)
    {
        var version = await versions.FindAsync(versionId, ct);
        if (version is null || !File.Exists(versions.FilePath(version.Sha256)))
            return null;
        var records = new List<VersionRecord>();
        await foreach (var record in versions.ReadAsync(version, dropped: false, ct))
            records.Add(record);
        return SuiteItems.FromVersion(records);
    }
}

/// <summary>How dataset version records become suite items, and suite items records.</summary>
public static class SuiteItems
{
    /// <summary>
    /// The items of a version's records, in record order. A record with an item spec (an uploaded suite) is that item.
    /// A record with turns is a conversation item: the turns before the last assistant turn are the messages, that turn
    /// the reference. A record with a prompt and response (composed suites, imported pairs) is a generation item whose
    /// reference is the response; its slice and perturbation come from the composer's origin. A record of plain text
    /// is a generation item with an empty prompt and the text as its reference: it measures only the text's perplexity
    /// (and BLEU/ROUGE of an unprompted continuation, which mean little). Ids without a spec are <c>r{n}</c>, n the
    /// record's 1-based position: versions are immutable, so the id names the same record on every run.
    /// </summary>
    public static IReadOnlyList<SuiteItem> FromVersion(IEnumerable<VersionRecord> records)
    {
        var items = new List<SuiteItem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int n = 0;
        foreach (var record in records)
        {
            n++;
            var item = From(record, n);
            // A spec id repeated by hand-editing would merge two items' results: the later one gets its position.
            if (!ids.Add(item.Id))
            {
                item = item with { Id = string.Create(CultureInfo.InvariantCulture, $"r{n}") };
                ids.Add(item.Id);
            }
            items.Add(item);
        }
        return items;
    }

    private static SuiteItem From(VersionRecord record, int n)
    {
        if (record.Evaluation is { } spec)
            return spec.ToItem();
        var id = string.Create(CultureInfo.InvariantCulture, $"r{n}");
        var origin = record.Origin;
        var slice = origin?.GetValueOrDefault("slice") is { } s && SuiteFile.TrySlice(s) is { } parsed ? parsed : EvaluationSlice.Domain;
        var source = origin?.GetValueOrDefault("source");
        var perturbation = origin?.GetValueOrDefault("perturbation");
        if (record.Turns is { Count: > 0 } turns && turns.Any(t => t.IsAssistant))
        {
            int last = turns.Select((t, i) => (t, i)).Last(x => x.t.IsAssistant).i;
            var messages = turns.Take(last).Where(t => t.Role is "system" or "user" or "assistant").Select(t => new ChatTurn(t.Role, t.Content)).ToList();
            if (messages.Count > 0)
                return new SuiteItem(id, ItemKind.Conversation, slice) { Messages = messages, References = [turns[last].Content], SourceItemId = source, Perturbation = perturbation };
        }
        if (record.Prompt is not null && record.Response is not null)
            return new SuiteItem(id, ItemKind.Generation, slice) { Prompt = record.Prompt, References = [record.Response], SourceItemId = source, Perturbation = perturbation };
        return new SuiteItem(id, ItemKind.Generation, slice) { Prompt = "", References = [record.Text], SourceItemId = source, Perturbation = perturbation };
    }

    /// <summary>
    /// The record an uploaded item is stored as: its spec, plus text / prompt / response / turns / origin so the
    /// dataset pages show it like any other record.
    /// </summary>
    public static VersionRecord ToRecord(SuiteItem item)
    {
        var prompt = item.Messages is { Count: > 0 } messages ? string.Join('\n', messages.Select(m => $"{m.Role}: {m.Content}")) : item.Prompt ?? "";
        var response = item.Kind == ItemKind.Classification && item.Answer is int answer && item.Choices is { } choices
            ? choices[answer]
            : item.References.FirstOrDefault();
        var origin = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["slice"] = SuiteFile.Name(item.Slice),
            ["source"] = item.Id,
            ["kind"] = SuiteFile.Name(item.Kind),
        };
        if (item.Domain is not null)
            origin["domain"] = item.Domain;
        var text = response is null ? prompt : prompt.Length == 0 ? response : prompt + "\n" + response;
        return new VersionRecord
        {
            Text = text.Length > 0 ? text : item.Id,
            Prompt = prompt,
            Response = response,
            Turns = item.Messages is { Count: > 0 } turns ? [.. turns.Select(t => new ConversationTurn(t.Role, t.Content))] : null,
            Origin = origin,
            Evaluation = SuiteItemSpec.From(item),
        };
    }
}
