namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>
/// Learns BPE merges over a bag of pre-tokenized words. Pair counts are updated incrementally (only words that
/// contain the merged pair are touched), so training on a few thousand demo texts takes well under a second.
/// </summary>
internal sealed class BpeTrainer
{
    private readonly List<List<int>> words = [];
    private readonly List<long> wordCounts = [];
    private readonly Dictionary<long, long> pairCounts = [];
    private readonly Dictionary<long, HashSet<int>> pairWords = [];
    private int nextId;

    public BpeTrainer(int firstMergeId) => nextId = firstMergeId;

    public void AddWord(List<int> symbols, long count)
    {
        int index = words.Count;
        words.Add(symbols);
        wordCounts.Add(count);
        AddPairs(index, +1);
    }

    public (int Left, int Right)[] Learn(int maxMerges)
    {
        var merges = new List<(int, int)>();
        while (merges.Count < maxMerges)
        {
            long bestKey = 0, bestCount = 0;
            foreach (var (key, count) in pairCounts)
            {
                if (count > bestCount || (count == bestCount && key < bestKey))
                {
                    bestKey = key;
                    bestCount = count;
                }
            }
            // A pair seen once would only memorise a single word.
            if (bestCount < 2) break;

            int left = (int)(bestKey >> 32), right = (int)(bestKey & 0xFFFFFFFF);
            int merged = nextId++;
            merges.Add((left, right));
            foreach (int w in pairWords[bestKey].Order().ToArray())
            {
                AddPairs(w, -1);
                words[w] = ApplyMerge(words[w], left, right, merged);
                AddPairs(w, +1);
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

    private void AddPairs(int wordIndex, int sign)
    {
        var symbols = words[wordIndex];
        long count = wordCounts[wordIndex] * sign;
        for (int i = 0; i + 1 < symbols.Count; i++)
        {
            long key = Tokenizer.PairKey(symbols[i], symbols[i + 1]);
            long updated = pairCounts.GetValueOrDefault(key) + count;
            if (updated <= 0)
            {
                pairCounts.Remove(key);
                pairWords.Remove(key);
                continue;
            }
            pairCounts[key] = updated;
            if (sign > 0)
            {
                if (!pairWords.TryGetValue(key, out var set)) pairWords[key] = set = [];
                set.Add(wordIndex);
            }
        }
    }
}
