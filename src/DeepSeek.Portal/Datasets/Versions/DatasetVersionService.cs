using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Datasets.Versions;

/// <summary>A version as lists and the API show it.</summary>
public sealed record VersionSummary(
    int Id, int DatasetId, int Number, int? ParentId, string Operation, long RecordCount, long Characters, long? Tokens, long Bytes,
    string Sha256, long DroppedCount, DateTimeOffset CreatedAt, string? CreatedBy)
{
    public static VersionSummary From(DatasetVersion v) => new(v.Id, v.DatasetId, v.Number, v.ParentId, v.Operation, v.RecordCount, v.Characters, v.Tokens, v.Bytes, v.Sha256, v.DroppedCount, v.CreatedAt, v.CreatedBy);
}

/// <summary>One step of a version's lineage: the version, and what made it from its parent.</summary>
public sealed record LineageStep(VersionSummary Version, string? DatasetName, JsonNode? Parameters, JsonNode? Mapping);

/// <summary>A version with everything known about it: lineage (newest first, back to the import) and statistics.</summary>
public sealed record VersionDetail(VersionSummary Version, string DatasetName, JsonNode? Parameters, JsonNode? Mapping, JsonNode? Statistics, IReadOnlyList<LineageStep> Lineage);

/// <summary>One member of a duplicate cluster: a record the dedup dropped, with the estimated Jaccard similarity (null for an exact duplicate).</summary>
public sealed record ClusterMember(string Text, double? Jaccard);

/// <summary>A group of duplicates: the record kept (its position in the source version and text) and those dropped as its copies.</summary>
public sealed record DuplicateCluster(long Representative, string RepresentativeText, int Size, IReadOnlyList<ClusterMember> Members);

/// <summary>A person's judgement of a record for the noise classifier: <c>clean</c>, <c>noisy</c>, or null to clear it.</summary>
public sealed record RecordLabel(string? Label);

/// <summary>One record as the viewer shows it: its 1-based position in the version (or in its dropped file).</summary>
public sealed record RecordView(long Index, VersionRecord Record);

/// <summary>A page of records; <see cref="Matches"/> counts all records that match the search, not just this page.</summary>
public sealed record RecordPage(long Matches, int Page, int PageSize, IReadOnlyList<RecordView> Records);

/// <summary>How two versions differ, by record text: counts and the first few samples each way.</summary>
public sealed record VersionComparison(VersionSummary From, VersionSummary To, long Added, long Removed, long Unchanged, IReadOnlyList<string> AddedSamples, IReadOnlyList<string> RemovedSamples);

/// <summary>A version as a picker lists it: its dataset's name, its number and how many records it holds.</summary>
public sealed record VersionChoice(int VersionId, int DatasetId, string DatasetName, int Number, long RecordCount);

/// <summary>Reads dataset versions: lists, details with lineage, paged and searchable records, comparisons, and version files.</summary>
public sealed class DatasetVersionService(PortalDbContext db, DataPaths paths)
{
    public const int MaxPageSize = 200;
    private const int Samples = 5;

    public string FilePath(string sha) => Path.Combine(paths.Datasets, sha + ".jsonl");

    public async Task<IReadOnlyList<VersionSummary>> ListAsync(int datasetId, CancellationToken ct) =>
        (await db.DatasetVersions.AsNoTracking().Where(v => v.DatasetId == datasetId).OrderBy(v => v.Number).ToListAsync(ct))
            .Select(VersionSummary.From).ToList();

    /// <summary>Every version of the datasets not archived, by dataset name and number (for pickers of several versions).</summary>
    public async Task<IReadOnlyList<VersionChoice>> ListChoicesAsync(CancellationToken ct) =>
        (await db.DatasetVersions.AsNoTracking()
            .Join(db.Datasets.AsNoTracking().Where(d => d.ArchivedAt == null), v => v.DatasetId, d => d.Id, (v, d) => new { v.Id, v.DatasetId, d.Name, v.Number, v.RecordCount })
            .ToListAsync(ct))
        .Select(x => new VersionChoice(x.Id, x.DatasetId, x.Name, x.Number, x.RecordCount))
        .OrderBy(c => c.DatasetName, StringComparer.CurrentCulture).ThenBy(c => c.Number).ToList();

    public async Task<DatasetVersion?> FindAsync(int versionId, CancellationToken ct) =>
        await db.DatasetVersions.AsNoTracking().FirstOrDefaultAsync(v => v.Id == versionId, ct);

    /// <summary>The newest version of a dataset (what a run or a transformation uses when none is named).</summary>
    public async Task<DatasetVersion?> LatestAsync(int datasetId, CancellationToken ct) =>
        await db.DatasetVersions.AsNoTracking().Where(v => v.DatasetId == datasetId).OrderByDescending(v => v.Number).FirstOrDefaultAsync(ct);

    public async Task<VersionDetail?> GetAsync(int versionId, CancellationToken ct)
    {
        var version = await FindAsync(versionId, ct);
        if (version is null)
            return null;
        var names = await db.Datasets.AsNoTracking().Select(d => new { d.Id, d.Name }).ToDictionaryAsync(d => d.Id, d => d.Name, ct);
        var lineage = new List<LineageStep>();
        var seen = new HashSet<int>();
        for (var step = version; step is not null && seen.Add(step.Id); step = step.ParentId is { } parent ? await FindAsync(parent, ct) : null)
            lineage.Add(new LineageStep(VersionSummary.From(step), names.GetValueOrDefault(step.DatasetId), ParseJson(step.Parameters), ParseJson(step.Mapping)));
        return new VersionDetail(VersionSummary.From(version), names.GetValueOrDefault(version.DatasetId) ?? "", ParseJson(version.Parameters), ParseJson(version.Mapping), ParseJson(version.Statistics), lineage);
    }

    /// <summary>Streams a version's records (or the records its filter dropped) in file order.</summary>
    public async IAsyncEnumerable<VersionRecord> ReadAsync(DatasetVersion version, bool dropped, [EnumeratorCancellation] CancellationToken ct)
    {
        var sha = dropped ? version.DroppedSha256 : version.Sha256;
        if (sha is null)
            yield break;
        var path = FilePath(sha);
        if (!File.Exists(path))
            throw new DatasetFileMissingException(version.DatasetId, $"version {version.Number}", sha);
        await foreach (var line in File.ReadLinesAsync(path, Encoding.UTF8, ct))
        {
            if (line.Length > 0)
                yield return VersionRecord.Parse(line);
        }
    }

    /// <summary>
    /// A page of records matching <paramref name="query"/> (case-insensitive, in the text, prompt or response; empty
    /// matches all). Reads the file once from the start: a search over a large version costs one sequential pass.
    /// </summary>
    public async Task<RecordPage> PageAsync(DatasetVersion version, int page, int pageSize, string? query, bool dropped, CancellationToken ct)
    {
        page = Math.Max(page, 1);
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        var skip = (long)(page - 1) * pageSize;
        var records = new List<RecordView>(pageSize);
        long index = 0, matches = 0;
        query = string.IsNullOrWhiteSpace(query) ? null : query.Trim();
        await foreach (var record in ReadAsync(version, dropped, ct))
        {
            index++;
            if (query is not null && !Matches(record, query))
                continue;
            if (matches >= skip && records.Count < pageSize)
                records.Add(new RecordView(index, record));
            matches++;
        }
        return new RecordPage(matches, page, pageSize, records);
    }

    /// <summary>
    /// The duplicate clusters a dedup found, largest first: each kept record with the records dropped as its exact or near
    /// copies. Read from the version's dropped file and its parent; empty for versions no dedup made.
    /// </summary>
    public async Task<IReadOnlyList<DuplicateCluster>> ClustersAsync(DatasetVersion version, int maxClusters, int maxMembers, CancellationToken ct)
    {
        if (version.Operation != "dedup" || version.DroppedSha256 is null || version.ParentId is not { } parentId || await FindAsync(parentId, ct) is not { } parent)
            return [];
        var groups = new Dictionary<long, (int Size, List<ClusterMember> Members)>();
        await foreach (var record in ReadAsync(version, dropped: true, ct))
        {
            if (DuplicateOf(record.DroppedBy) is not (var representative, var jaccard))
                continue;
            if (!groups.TryGetValue(representative, out var group))
                group = (0, []);
            if (group.Members.Count < maxMembers)
                group.Members.Add(new ClusterMember(record.Text, jaccard));
            groups[representative] = (group.Size + 1, group.Members);
        }
        var top = groups.OrderByDescending(g => g.Value.Size).ThenBy(g => g.Key).Take(maxClusters).ToDictionary(g => g.Key, g => g.Value);
        var texts = new Dictionary<long, string>();
        long index = 0;
        await foreach (var record in ReadAsync(parent, false, ct))
        {
            if (top.ContainsKey(++index))
                texts[index] = record.Text;
            if (texts.Count == top.Count)
                break;
        }
        return top.Select(g => new DuplicateCluster(g.Key, texts.GetValueOrDefault(g.Key, ""), g.Value.Size + 1, g.Value.Members)).ToList();
    }

    // "exact duplicate of #12" → (12, null); "near duplicate of #12 (Jaccard ≈ 0.85)" → (12, 0.85).
    private static (long Representative, double? Jaccard)? DuplicateOf(string? rule)
    {
        if (rule is null)
            return null;
        var hash = rule.IndexOf('#');
        if (hash < 0)
            return null;
        var end = hash + 1;
        while (end < rule.Length && char.IsAsciiDigit(rule[end]))
            end++;
        if (!long.TryParse(rule.AsSpan(hash + 1, end - hash - 1), System.Globalization.CultureInfo.InvariantCulture, out var representative))
            return null;
        var approx = rule.IndexOf('≈');
        double? jaccard = approx > 0 && double.TryParse(rule.AsSpan(approx + 1).Trim().TrimEnd(')'), System.Globalization.CultureInfo.InvariantCulture, out var j) ? j : null;
        return (representative, jaccard);
    }

    /// <summary>The record at a 1-based position, or null past the end.</summary>
    public async Task<VersionRecord?> RecordAtAsync(DatasetVersion version, long index, CancellationToken ct)
    {
        long i = 0;
        await foreach (var record in ReadAsync(version, false, ct))
        {
            if (++i == index)
                return record;
        }
        return null;
    }

    private static bool Matches(VersionRecord r, string query) =>
        r.Text.Contains(query, StringComparison.OrdinalIgnoreCase)
        || (r.Prompt?.Contains(query, StringComparison.OrdinalIgnoreCase) ?? false)
        || (r.Response?.Contains(query, StringComparison.OrdinalIgnoreCase) ?? false);

    /// <summary>
    /// Compares two versions by record text (a multiset: a text twice in one and once in the other counts once as added
    /// or removed). Memory: one 64-bit hash and a count per distinct text of the first version.
    /// </summary>
    public async Task<VersionComparison> CompareAsync(DatasetVersion from, DatasetVersion to, CancellationToken ct)
    {
        var counts = new Dictionary<ulong, int>();
        await foreach (var r in ReadAsync(from, false, ct))
        {
            var key = Key(r.Text);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        long added = 0, unchanged = 0;
        var addedSamples = new List<string>();
        await foreach (var r in ReadAsync(to, false, ct))
        {
            var key = Key(r.Text);
            if (counts.TryGetValue(key, out var left) && left > 0)
            {
                counts[key] = left - 1;
                unchanged++;
            }
            else
            {
                added++;
                if (addedSamples.Count < Samples)
                    addedSamples.Add(r.Text);
            }
        }
        long removed = 0;
        var removedSamples = new List<string>();
        await foreach (var r in ReadAsync(from, false, ct))
        {
            var key = Key(r.Text);
            if (counts.TryGetValue(key, out var left) && left > 0)
            {
                counts[key] = left - 1;
                removed++;
                if (removedSamples.Count < Samples)
                    removedSamples.Add(r.Text);
            }
        }
        return new VersionComparison(VersionSummary.From(from), VersionSummary.From(to), added, removed, unchanged, addedSamples, removedSamples);
    }

    // FNV-1a over the UTF-16 code units: 64 bits make a false "unchanged" vanishingly unlikely at millions of records.
    private static ulong Key(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
            hash = (hash ^ c) * 1099511628211UL;
        return hash;
    }

    /// <summary>
    /// Every score in the version as columns aligned by record (NaN where a record has no such score): what the
    /// threshold sliders count against. Memory: 4 bytes per record and scorer.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, float[]>> ScoreValuesAsync(DatasetVersion version, CancellationToken ct)
    {
        var columns = new SortedDictionary<string, List<float>>(StringComparer.Ordinal);
        var count = 0;
        await foreach (var record in ReadAsync(version, false, ct))
        {
            if (record.Scores is not null)
            {
                foreach (var (name, value) in record.Scores)
                {
                    if (!columns.TryGetValue(name, out var list))
                    {
                        columns[name] = list = new List<float>(count + 1);
                        list.AddRange(Enumerable.Repeat(float.NaN, count));
                    }
                    list.Add((float)value);
                }
            }
            count++;
            foreach (var list in columns.Values)
            {
                if (list.Count < count)
                    list.Add(float.NaN);
            }
        }
        return columns.ToDictionary(p => p.Key, p => p.Value.ToArray());
    }

    /// <summary>
    /// Recomputes a version's statistics (with another tokenizer, say) and stores them; the records are not touched.
    /// One sequential pass over the version's file.
    /// </summary>
    public async Task<JsonNode?> RecomputeStatisticsAsync(int versionId, IVersionStatistics statistics, CancellationToken ct)
    {
        var version = await db.DatasetVersions.FirstOrDefaultAsync(v => v.Id == versionId, ct);
        if (version is null)
            return null;
        await foreach (var record in ReadAsync(version, false, ct))
            statistics.Add(record.Text);
        var json = statistics.ToJson();
        version.Statistics = json.ToJsonString();
        version.Tokens = statistics.Tokens;
        await db.SaveChangesAsync(ct);
        return json;
    }

    /// <summary>The next version number of a dataset.</summary>
    public async Task<int> NextNumberAsync(int datasetId, CancellationToken ct) =>
        (await db.DatasetVersions.Where(v => v.DatasetId == datasetId).MaxAsync(v => (int?)v.Number, ct) ?? 0) + 1;

    private static JsonNode? ParseJson(string? json) => json is null ? null : JsonNode.Parse(json);
}
