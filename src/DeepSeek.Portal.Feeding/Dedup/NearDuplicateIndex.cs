using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace DeepSeek.Portal.Feeding.Dedup;

/// <summary>What <see cref="NearDuplicateIndex.Add(string, string)"/> found for one record.</summary>
/// <param name="RecordIndex">The record's position in the index (0 for the first record added).</param>
/// <param name="ClusterId">The record index of the cluster's representative (its earliest record) at the time of the call;
/// a later record can merge two clusters, after which <see cref="NearDuplicateIndex.Clusters"/> reports the merged one.</param>
/// <param name="RepresentativeId">The id of that representative: the record itself when it matched nothing.</param>
/// <param name="EstimatedJaccard">Estimated Jaccard similarity to the representative (1 for the representative itself).</param>
public readonly record struct NearDuplicateMatch(int RecordIndex, int ClusterId, string RepresentativeId, double EstimatedJaccard)
{
    /// <summary>True when the record joined a cluster of earlier records.</summary>
    public bool IsDuplicate => ClusterId != RecordIndex;
}

/// <summary>One member of a near-duplicate cluster.</summary>
/// <param name="Id">The record's id.</param>
/// <param name="EstimatedJaccard">Estimated Jaccard similarity to the cluster's representative (1 for the representative).</param>
public readonly record struct NearDuplicateMember(string Id, double EstimatedJaccard);

/// <summary>A group of records linked by shared LSH bands (transitively), for the cluster view.</summary>
/// <param name="ClusterId">The representative's record index.</param>
/// <param name="RepresentativeId">The earliest record of the cluster: the one a filter keeps.</param>
/// <param name="Members">All members in the order they were added, the representative first.</param>
public sealed record NearDuplicateCluster(int ClusterId, string RepresentativeId, IReadOnlyList<NearDuplicateMember> Members);

/// <summary>
/// Incremental MinHash LSH: each added record is compared, through its signature's bands, with all earlier records;
/// records that share a band are joined (union-find, the earliest record of a cluster representing it).
/// </summary>
/// <remarks>
/// <para>Memory per record: one XxHash64 key per band for each band whose bucket is new (a dictionary entry, about
/// 28 bytes: 8-byte key, 4-byte record index, hash code, chain link and bucket slot), a one-byte sketch per permutation
/// (the low 8 bits of each signature value, for the Jaccard estimates: b-bit minwise hashing, Li and König 2010), a
/// 4-byte union-find parent and a reference to the id. With the defaults (256 permutations, 25 bands) that is at most
/// 25 × 28 + 256 + 12 ≈ 970 bytes per record plus the id string; the full signature is not kept.</para>
/// <para>Two records are compared on their bands only, so a pair can be joined while its true Jaccard is below the
/// threshold (probability 1 − (1 − sʳ)ᵇ), and clusters are transitive: A ~ B and B ~ C put A and C together.
/// Texts with no characters after normalisation (empty or white space only) share one signature and one cluster.
/// Not thread-safe; compute signatures in parallel with <see cref="MinHasher"/> and add them here one at a time.</para>
/// </remarks>
public sealed class NearDuplicateIndex
{
    private const int SketchPageRecords = 256;

    private readonly Dictionary<ulong, int>[] buckets;
    private readonly List<string> ids = [];
    private readonly List<int> parents = [];
    private readonly List<byte[]> sketchPages = [];

    /// <summary>Creates an empty index; <paramref name="options"/> defaults to <see cref="MinHashOptions"/>'s defaults.</summary>
    /// <param name="options">MinHash and LSH settings.</param>
    /// <param name="expectedRecords">Records the caller expects to add (a version's record count): sizes the band tables
    /// once, which saves their regrowth and its slack (up to half of the table memory). Zero when unknown.</param>
    public NearDuplicateIndex(MinHashOptions? options = null, int expectedRecords = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedRecords);
        Hasher = new MinHasher(options ?? new MinHashOptions());
        var o = Hasher.Options;
        Parameters = o.Bands is { } b && o.Rows is { } r ? new LshParameters(b, r) : LshParameters.Optimal(o.Threshold, o.Permutations);
        buckets = new Dictionary<ulong, int>[Parameters.Bands];
        for (int i = 0; i < buckets.Length; i++) buckets[i] = new Dictionary<ulong, int>(expectedRecords);
        ids.Capacity = parents.Capacity = expectedRecords;
    }

    /// <summary>The hash family (thread-safe, usable to compute signatures ahead of <see cref="Add(string, ReadOnlySpan{uint})"/>).</summary>
    public MinHasher Hasher { get; }

    /// <summary>The bands and rows in use.</summary>
    public LshParameters Parameters { get; }

    /// <summary>Number of records added.</summary>
    public int Count => ids.Count;

    /// <summary>Number of records that joined an earlier record's cluster when added.</summary>
    public int DuplicateCount { get; private set; }

    /// <summary>Computes the signature of <paramref name="text"/> and adds the record.</summary>
    public NearDuplicateMatch Add(string id, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rented = ArrayPool<uint>.Shared.Rent(Hasher.Permutations);
        try
        {
            var signature = rented.AsSpan(0, Hasher.Permutations);
            Hasher.ComputeSignature(text, signature);
            return Add(id, signature);
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(rented);
        }
    }

    /// <summary>Adds a record whose signature was computed by <see cref="Hasher"/>.</summary>
    public NearDuplicateMatch Add(string id, ReadOnlySpan<uint> signature)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (signature.Length != Hasher.Permutations)
            throw new ArgumentException($"The signature has length {signature.Length}, expected {Hasher.Permutations}.", nameof(signature));

        int index = ids.Count;
        ids.Add(id);
        parents.Add(index);
        var sketch = SketchOf(index);
        for (int i = 0; i < sketch.Length; i++) sketch[i] = (byte)signature[i];

        int rows = Parameters.Rows;
        for (int band = 0; band < buckets.Length; band++)
        {
            ulong key = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(signature.Slice(band * rows, rows)), band);
            ref int holder = ref CollectionsMarshal.GetValueRefOrAddDefault(buckets[band], key, out bool exists);
            if (exists) Union(holder, index);
            else holder = index;
        }

        int root = Find(index);
        if (root != index) DuplicateCount++;
        return new NearDuplicateMatch(index, root, ids[root], root == index ? 1 : EstimateJaccard(index, root));
    }

    /// <summary>The clusters of two or more records, ordered by cluster id, each with its members' estimated Jaccard to the representative.</summary>
    public IReadOnlyList<NearDuplicateCluster> Clusters()
    {
        var members = new Dictionary<int, List<int>>();
        for (int i = 0; i < ids.Count; i++)
        {
            int root = Find(i);
            if (root == i) continue;
            if (!members.TryGetValue(root, out var list)) members[root] = list = [root];
            list.Add(i);
        }
        return [.. members.OrderBy(kv => kv.Key).Select(kv => new NearDuplicateCluster(
            kv.Key,
            ids[kv.Key],
            [.. kv.Value.Select(i => new NearDuplicateMember(ids[i], i == kv.Key ? 1 : EstimateJaccard(i, kv.Key)))]))];
    }

    /// <summary>The id of the representative of the record with index <paramref name="recordIndex"/>, as clustered now.</summary>
    public string RepresentativeOf(int recordIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recordIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(recordIndex, ids.Count);
        return ids[Find(recordIndex)];
    }

    /// <summary>
    /// Jaccard estimated from the 8-bit sketches: agreeing positions happen with probability s + (1 − s)/256, so
    /// ŝ = (m/n − 1/256)/(1 − 1/256), clamped to [0, 1].
    /// </summary>
    private double EstimateJaccard(int first, int second)
    {
        var a = SketchOf(first);
        var b = SketchOf(second);
        int equal = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == b[i]) equal++;
        }
        const double chance = 1.0 / 256;
        return Math.Clamp(((double)equal / a.Length - chance) / (1 - chance), 0, 1);
    }

    private Span<byte> SketchOf(int index)
    {
        int page = index / SketchPageRecords;
        while (sketchPages.Count <= page) sketchPages.Add(new byte[SketchPageRecords * Hasher.Permutations]);
        return sketchPages[page].AsSpan(index % SketchPageRecords * Hasher.Permutations, Hasher.Permutations);
    }

    private int Find(int index)
    {
        var span = CollectionsMarshal.AsSpan(parents);
        while (span[index] != index)
        {
            span[index] = span[span[index]]; // path halving
            index = span[index];
        }
        return index;
    }

    /// <summary>Joins two clusters; the smaller root (the earlier record) becomes the representative.</summary>
    private void Union(int first, int second)
    {
        int a = Find(first), b = Find(second);
        if (a == b) return;
        var span = CollectionsMarshal.AsSpan(parents);
        if (a < b) span[b] = a;
        else span[a] = b;
    }
}
