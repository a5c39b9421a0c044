namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>
/// Learns BPE merges over a bag of pre-tokenized words. Pair counts are updated incrementally (only words that
/// contain the merged pair are touched) and the best pair comes from a lazily updated heap, so a few thousand demo
/// texts take milliseconds.
/// </summary>
internal sealed class BpeTrainer
{
    private readonly List<List<int>> words = [];
    private readonly List<long> wordCounts = [];
    private readonly Dictionary<long, long> pairCounts = [];
    // Words that contain (or once contained) each pair; may hold duplicates and stale entries, which a per-merge stamp
    // filters out. Lists instead of sets keep a corpus with a million distinct pairs cheap to index.
    private readonly Dictionary<long, List<int>> pairWords = [];
    private readonly List<int> visitedAt = [];
    private readonly Func<int, int, int> mergedId;

    /// <summary>A trainer whose merges get ids <paramref name="firstMergeId"/>, +1, … in the order they are learned.</summary>
    public BpeTrainer(int firstMergeId)
    {
        int next = firstMergeId;
        mergedId = (_, _) => next++;
    }

    /// <summary>
    /// A trainer that asks <paramref name="mergedId"/> for the id of each merge's result, so that two merges
    /// spelling the same string ("a"+"bc", "ab"+"c") can share one token, as a <c>tokenizer.json</c> vocabulary must.
    /// </summary>
    public BpeTrainer(Func<int, int, int> mergedId) => this.mergedId = mergedId;

    public void AddWord(List<int> symbols, long count)
    {
        int index = words.Count;
        words.Add(symbols);
        wordCounts.Add(count);
        visitedAt.Add(-1);
        for (int i = 0; i + 1 < symbols.Count; i++)
            Update(PairKey(symbols[i], symbols[i + 1]), count, index, null);
    }

    public (int Left, int Right)[] Learn(int maxMerges)
    {
        // Max-heap on (count, then smaller pair key) with lazy updates. Pairs whose count grew are pushed after each
        // merge; a pair whose count shrank keeps an entry that overstates it, which is re-queued with the true
        // count when it surfaces. So the top valid entry is always the best pair.
        var heap = new PriorityQueue<long, (long NegativeCount, long Key)>();
        foreach (var (key, count) in pairCounts) heap.Enqueue(key, (-count, key));

        var merges = new List<(int, int)>();
        var grown = new HashSet<long>();
        while (merges.Count < maxMerges && heap.TryDequeue(out long bestKey, out var priority))
        {
            if (!pairCounts.TryGetValue(bestKey, out long bestCount)) continue;
            if (bestCount != -priority.NegativeCount)
            {
                heap.Enqueue(bestKey, (-bestCount, bestKey));
                continue;
            }
            // A pair seen once would only memorise a single word.
            if (bestCount < 2) break;

            int left = (int)(bestKey >> 32), right = (int)(bestKey & 0xFFFFFFFF);
            int merged = mergedId(left, right);
            merges.Add((left, right));
            grown.Clear();
            // The list cannot change while we iterate: merging never creates the merged pair again.
            int stamp = merges.Count;
            foreach (int w in pairWords[bestKey])
            {
                if (visitedAt[w] == stamp) continue;
                visitedAt[w] = stamp;
                words[w] = MergeInWord(w, left, right, merged, grown);
            }
            foreach (long key in grown)
            {
                if (pairCounts.TryGetValue(key, out long count)) heap.Enqueue(key, (-count, key));
            }
        }
        return [.. merges];
    }

    /// <summary>Replaces every non-overlapping occurrence of (left, right), scanning left to right.</summary>
    public static List<int> ApplyMerge(List<int> symbols, int left, int right, int merged)
    {
        var result = new List<int>(symbols.Count);
        for (int i = 0; i < symbols.Count; i++)
        {
            if (i + 1 < symbols.Count && symbols[i] == left && symbols[i + 1] == right)
            {
                result.Add(merged);
                i++;
            }
            else
            {
                result.Add(symbols[i]);
            }
        }
        return result;
    }

    /// <summary>
    /// Applies one merge to a word and updates only the pair counts next to each occurrence: the merged pair, the
    /// pair with the symbol before (taken from the already merged prefix, so "a b a b" is counted right) and the
    /// pair with the symbol after.
    /// </summary>
    private List<int> MergeInWord(int wordIndex, int left, int right, int merged, HashSet<long> grown)
    {
        var symbols = words[wordIndex];
        long count = wordCounts[wordIndex];
        var result = new List<int>(symbols.Count);
        for (int i = 0; i < symbols.Count; i++)
        {
            if (i + 1 < symbols.Count && symbols[i] == left && symbols[i + 1] == right)
            {
                Update(PairKey(left, right), -count, wordIndex, grown);
                if (result.Count > 0)
                {
                    Update(PairKey(result[^1], left), -count, wordIndex, grown);
                    Update(PairKey(result[^1], merged), count, wordIndex, grown);
                }
                if (i + 2 < symbols.Count)
                {
                    Update(PairKey(right, symbols[i + 2]), -count, wordIndex, grown);
                    Update(PairKey(merged, symbols[i + 2]), count, wordIndex, grown);
                }
                result.Add(merged);
                i++;
            }
            else
            {
                result.Add(symbols[i]);
            }
        }
        return result;
    }

    private void Update(long key, long delta, int wordIndex, HashSet<long>? grown)
    {
        if (delta > 0) grown?.Add(key);
        long updated = pairCounts.GetValueOrDefault(key) + delta;
        if (updated <= 0)
        {
            pairCounts.Remove(key);
            pairWords.Remove(key);
            return;
        }
        pairCounts[key] = updated;
        if (delta > 0)
        {
            if (!pairWords.TryGetValue(key, out var list)) pairWords[key] = list = [];
            if (list.Count == 0 || list[^1] != wordIndex) list.Add(wordIndex);
        }
    }

    internal static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;
}
