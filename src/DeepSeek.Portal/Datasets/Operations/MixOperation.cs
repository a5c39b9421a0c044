using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Engine.Training.Mixing;
using DeepSeek.Portal.Feeding.Import;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>
/// Mixes several dataset versions into version 1 of a new dataset (<c>name</c>). Each source is a version with a weight
/// greater than 0; the <c>static</c> policy shares the target by the weights, <c>uniform</c> shares it equally. The
/// target (<c>records</c>) is split by largest remainders (<see cref="MixPlan"/>), so each source gives exactly its
/// share; without a target the mix takes the most records it can without repeating one (the scarcest source relative
/// to its weight decides). A target beyond that is refused unless <c>allowRepeats</c>: then a source that must give
/// more records than it has gives every record ⌊taken / records⌋ times and a seeded sample of the rest once more, so its
/// records repeat as evenly as possible. Everything drawn follows from <c>seed</c> (SplitMix64): which records each
/// source gives (selection sampling, without replacement, in one pass over its file that keeps only the byte offsets of
/// the chosen records), and the order of the output (a Fisher–Yates shuffle of all of them). Each record keeps its
/// scores, prompt and response; its origin names the source dataset and <c>v&lt;version id&gt;#&lt;record&gt;</c>.
/// The lineage stores the parameters with, per source, its dataset, version number, records, share and records taken.
/// Memory: about 30 bytes per record written (its place in the order, its offset and index); records stream.
/// </summary>
public sealed class MixOperation(DatasetVersionService versions, PortalDbContext db) : IDataOperation
{
    /// <summary>The most sources one mix takes.</summary>
    public const int MaxSources = 64;

    /// <summary>The seed when none is given.</summary>
    public const int DefaultSeed = 7;

    /// <summary>Policy names, as requests spell them.</summary>
    public static IReadOnlyList<string> Policies { get; } = ["static", "uniform"];

    public string Name => "mix";

    public (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Validate(JsonObject? parameters)
    {
        var p = new ParameterReader(parameters);
        var name = parameters?["name"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => ((string)v!).Trim(),
            var other => Expected(p, "name", "the name of the new dataset as text", other),
        };
        p.Complete["name"] = name;
        if (name is { Length: 0 } || (name is null && parameters?["name"] is null))
            p.Errors.Add(ParameterReader.Error("name", "expected the name of the new dataset the mix becomes"));
        else if (name is not null && DatasetNames.Check(name) is { } problem)
            p.Errors.Add(ParameterReader.Error("name", problem));
        ReadSources(p, parameters?["sources"]);
        if (parameters?["records"] is null)
            p.Complete["records"] = null;
        else
            p.Integer("records", 1, 1, int.MaxValue);
        p.Integer("seed", DefaultSeed, 0, int.MaxValue);
        p.Choice("policy", "static", [.. Policies]);
        p.Bool("allowRepeats", false);
        return p.Result();
    }

    private static string? Expected(ParameterReader p, string field, string expected, JsonNode? got)
    {
        p.Errors.Add(ParameterReader.Error(field, $"expected {expected} but got {got?.ToJsonString() ?? "null"}"));
        return null;
    }

    private static void ReadSources(ParameterReader p, JsonNode? node)
    {
        var sources = new JsonArray();
        p.Complete["sources"] = sources;
        if (node is not JsonArray list || list.Count == 0)
        {
            p.Errors.Add(ParameterReader.Error("sources", $"expected a list of one or more sources such as {{\"versionId\": 3, \"weight\": 1}} but got {node?.ToJsonString() ?? "nothing"}"));
            return;
        }
        if (list.Count > MaxSources)
            p.Errors.Add(ParameterReader.Error("sources", $"a mix takes at most {MaxSources} sources; {list.Count} were given"));
        var seen = new Dictionary<int, int>();
        for (var i = 0; i < list.Count; i++)
        {
            var field = $"sources[{i}]";
            if (list[i] is not JsonObject item)
            {
                p.Errors.Add(ParameterReader.Error(field, $"expected {{\"versionId\": …, \"weight\": …}} but got {list[i]?.ToJsonString() ?? "null"}"));
                continue;
            }
            foreach (var (key, _) in item)
            {
                if (key is not ("versionId" or "weight"))
                    p.Errors.Add(ParameterReader.Error($"{field}.{key}", $"\"{key}\" is not a field of a source; expected versionId and weight"));
            }
            int? versionId = item["versionId"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
                && int.TryParse(v.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id >= 1 ? id : null;
            if (versionId is null)
                p.Errors.Add(ParameterReader.Error($"{field}.versionId", $"expected the id of a dataset version but got {item["versionId"]?.ToJsonString() ?? "nothing"}"));
            else if (!seen.TryAdd(versionId.Value, i))
                p.Errors.Add(ParameterReader.Error($"{field}.versionId", $"version {versionId} is already source {seen[versionId.Value] + 1}; name each version once and give it the combined weight"));
            double? weight = item["weight"] switch
            {
                null => 1,
                JsonValue w when w.GetValueKind() == JsonValueKind.Number
                    && double.TryParse(w.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= (double)MixPlan.WeightUnit && d <= MixPlan.MaxWeight => d,
                _ => null,
            };
            if (weight is null)
                p.Errors.Add(ParameterReader.Error($"{field}.weight", $"expected a number greater than 0 (from {MixPlan.WeightUnit.ToString(CultureInfo.InvariantCulture)} to {MixPlan.MaxWeight.ToString(CultureInfo.InvariantCulture)}) but got {item["weight"]?.ToJsonString() ?? "null"}"));
            sources.Add(new JsonObject { ["versionId"] = versionId, ["weight"] = weight });
        }
    }

    public async Task<DataOperationCheck> CheckAsync(DatasetVersion source, JsonObject parameters, CancellationToken ct)
    {
        var (found, plan, errors) = await PlanAsync(parameters, ct);
        if (errors.Count > 0)
            return new DataOperationCheck(errors);
        if (found.All(v => v.Id != source.Id))
            return new DataOperationCheck([ParameterReader.Error("sources", $"the version the mix is started on (id {source.Id}) must be one of its sources")]);
        return new DataOperationCheck([]) { NewDataset = (string)parameters["name"]!, Records = plan!.Target };
    }

    /// <summary>The sources' versions and the plan, or what keeps the mix from being made (each naming its field).</summary>
    private async Task<(List<DatasetVersion> Versions, MixPlan? Plan, IReadOnlyList<ImportError> Errors)> PlanAsync(JsonObject parameters, CancellationToken ct)
    {
        var sources = parameters["sources"]!.AsArray();
        var found = new List<DatasetVersion>();
        var errors = new List<ImportError>();
        for (var i = 0; i < sources.Count; i++)
        {
            var id = (int)sources[i]!["versionId"]!;
            if (await versions.FindAsync(id, ct) is { } version)
                found.Add(version);
            else
                errors.Add(ParameterReader.Error($"sources[{i}].versionId", $"no dataset version has the id {id}"));
        }
        if (errors.Count > 0)
            return (found, null, errors);
        var records = (int?)parameters["records"];
        var plan = MixPlan.Create(found.Select(v => v.RecordCount).ToList(), sources.Select(s => (double)s!["weight"]!).ToList(),
            (string?)parameters["policy"] == "uniform", records);
        if (plan.NeedsRepeats && parameters["allowRepeats"]?.GetValue<bool>() != true)
        {
            var short_ = plan.Sources.Select((s, i) => (s, i)).First(x => x.s.Repeats);
            errors.Add(ParameterReader.Error("records", string.Create(CultureInfo.InvariantCulture,
                $"{plan.Target} records need {short_.s.Taken} from source {short_.i + 1} (version id {found[short_.i].Id}), which has {short_.s.Available}; without repeats at most {plan.MaxWithoutRepeats} records can be mixed: ask for fewer, or allow repeats")));
        }
        else if (plan.Target > int.MaxValue)
        {
            errors.Add(ParameterReader.Error("records", $"the mix would write {plan.Target} records; give a target of at most {int.MaxValue}"));
        }
        return (found, plan, errors);
    }

    public async Task<IReadOnlyList<ImportError>> RunAsync(DataOperationContext context)
    {
        var ct = context.Cancellation;
        var parameters = context.Parameters;
        var (found, plan, errors) = await PlanAsync(parameters, ct);
        if (errors.Count > 0)
            return errors;
        var ids = found.Select(v => v.DatasetId).Distinct().ToList();
        var names = await db.Datasets.AsNoTracking().Where(d => ids.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.Name, ct);
        var draws = new SeededDraws((ulong)(int)parameters["seed"]!);

        // Which records each source gives: one pass over each file, keeping the byte offsets of the chosen lines.
        var slots = new long[plan!.Target];
        var filled = 0;
        var chosen = new ChosenRecords[found.Count];
        for (var i = 0; i < found.Count; i++)
        {
            var path = versions.FilePath(found[i].Sha256);
            if (!File.Exists(path))
                throw new DatasetFileMissingException(found[i].DatasetId, $"version {found[i].Number}", found[i].Sha256);
            chosen[i] = await ChooseAsync(path, found[i].RecordCount, plan.Sources[i].Taken, draws, ct);
            if (chosen[i].Lines != found[i].RecordCount)
                return [ParameterReader.Error($"sources[{i}].versionId", $"the file of version id {found[i].Id} holds {chosen[i].Lines} records, not the {found[i].RecordCount} its row says")];
            for (var rank = 0; rank < chosen[i].Offsets.Count; rank++)
            {
                for (var copy = 0; copy < chosen[i].Copies[rank]; copy++)
                    slots[filled++] = Slot(i, rank);
            }
        }
        // The output order: a Fisher–Yates shuffle of every record taken.
        for (var k = slots.Length - 1; k > 0; k--)
        {
            var j = (int)draws.Below(k + 1);
            (slots[k], slots[j]) = (slots[j], slots[k]);
        }

        var handles = found.Select(v => File.OpenHandle(versions.FilePath(v.Sha256), FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.RandomAccess)).ToList();
        try
        {
            var buffer = new byte[1 << 16];
            long written = 0;
            foreach (var slot in slots)
            {
                var (source, rank) = ((int)(slot >> RankBits), (int)(slot & RankMask));
                (var line, buffer) = await ReadLineAsync(handles[source], chosen[source].Offsets[rank], buffer, ct);
                var record = VersionRecord.Parse(line);
                var origin = new SortedDictionary<string, string>(StringComparer.Ordinal)
                {
                    ["dataset"] = names.GetValueOrDefault(found[source].DatasetId) ?? "",
                    ["source"] = string.Create(CultureInfo.InvariantCulture, $"v{found[source].Id}#{chosen[source].Indices[rank]}"),
                };
                await context.KeepAsync(record with { Origin = origin, DroppedBy = null });
                if (++written % 256 == 0)
                    context.Progress(written);
            }
            context.Progress(written);
        }
        finally
        {
            foreach (var handle in handles)
                handle.Dispose();
        }

        parameters["target"] = plan.Target;
        parameters["maxWithoutRepeats"] = plan.MaxWithoutRepeats;
        var sources = parameters["sources"]!.AsArray();
        for (var i = 0; i < found.Count; i++)
        {
            // datasetId right after the weight: DatasetService finds the datasets a mix was made from by "datasetId":<id>,
            var entry = sources[i]!.AsObject();
            entry["datasetId"] = found[i].DatasetId;
            entry["dataset"] = names.GetValueOrDefault(found[i].DatasetId);
            entry["version"] = found[i].Number;
            entry["available"] = found[i].RecordCount;
            entry["share"] = Math.Round((double)plan.Sources[i].Share, 6);
            entry["taken"] = plan.Sources[i].Taken;
        }
        return [];
    }

    private const int RankBits = 40;
    private const long RankMask = (1L << RankBits) - 1;

    private static long Slot(int source, int rank) => ((long)source << RankBits) | (uint)rank;

    /// <summary>The records one source gives: byte offset and 1-based index of each chosen line, and how often it is used.</summary>
    private sealed record ChosenRecords(List<long> Offsets, List<long> Indices, List<int> Copies, long Lines);

    /// <summary>
    /// Selection sampling (Knuth's Algorithm S) of <c>taken mod records</c> lines, on top of <c>taken div records</c>
    /// copies of every line: each subset of that size is equally likely, and the file is read once, in order.
    /// </summary>
    private static async Task<ChosenRecords> ChooseAsync(string path, long records, long taken, SeededDraws draws, CancellationToken ct)
    {
        var whole = (int)(taken / records);
        var needed = taken % records;
        var chosen = new ChosenRecords([], [], [], 0);
        long index = 0, position = 0, lineStart = 0;
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await file.ReadAsync(buffer, ct)) > 0)
        {
            for (var b = 0; b < read; b++, position++)
            {
                if (buffer[b] != (byte)'\n')
                    continue;
                if (position > lineStart)
                {
                    var extra = needed > 0 && index < records && draws.Below(records - index) < needed;
                    if (extra)
                        needed--;
                    var copies = whole + (extra ? 1 : 0);
                    if (copies > 0)
                    {
                        chosen.Offsets.Add(lineStart);
                        chosen.Indices.Add(index + 1);
                        chosen.Copies.Add(copies);
                    }
                    index++;
                }
                lineStart = position + 1;
            }
        }
        return chosen with { Lines = index };
    }

    /// <summary>The line that starts at <paramref name="offset"/> (without its line feed); the buffer grows for long lines.</summary>
    private static async Task<(string Line, byte[] Buffer)> ReadLineAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        while (true)
        {
            var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(filled), offset + filled, ct);
            var end = Array.IndexOf(buffer, (byte)'\n', filled, read);
            if (end >= 0)
                return (Encoding.UTF8.GetString(buffer, 0, end), buffer);
            filled += read;
            if (read == 0)
                return (Encoding.UTF8.GetString(buffer, 0, filled), buffer);
            if (filled == buffer.Length)
                Array.Resize(ref buffer, buffer.Length * 2);
        }
    }

    /// <summary>The mix's one generator, SplitMix64 from the seed, shared by every draw in a fixed order.</summary>
    private sealed class SeededDraws(ulong seed)
    {
        private ulong _state = seed;

        /// <summary>A whole number in [0, <paramref name="bound"/>): the high half of the 128-bit product (Lemire), bias below bound / 2⁶⁴.</summary>
        public long Below(long bound) => (long)Math.BigMul(SplitMix64.Next(ref _state), (ulong)bound, out _);
    }
}
