namespace DeepSeek.Portal.Feeding.Scoring;

/// <summary>
/// Per-thread scratch counts of a text's code points, for the entropy: a direct table for the Basic Multilingual Plane
/// (where nearly all text lives) and a dictionary for the rest, with the distinct code points kept in the order they
/// first occur so that the entropy sum is added up in the same order as a dictionary of counts would enumerate it.
/// </summary>
internal sealed class CharacterHistogram
{
    [ThreadStatic] private static CharacterHistogram? current;

    // slot[c] = 1 + position of c in counts, 0 when c has not occurred (BMP code points only).
    private readonly int[] slot = new int[0x10000];
    private readonly Dictionary<int, int> supplementary = [];
    private int[] distinctCodePoints = new int[256];
    private int[] counts = new int[256];
    private int distinct;

    /// <summary>This thread's histogram, empty. Not re-entrant: one text at a time per thread.</summary>
    public static CharacterHistogram Rent()
    {
        var histogram = current ??= new CharacterHistogram();
        histogram.Clear();
        return histogram;
    }

    public void Add(int codePoint)
    {
        int position;
        if (codePoint <= 0xFFFF)
        {
            position = slot[codePoint] - 1;
            if (position < 0) slot[codePoint] = (position = NewEntry(codePoint)) + 1;
        }
        else if (!supplementary.TryGetValue(codePoint, out position))
        {
            supplementary[codePoint] = position = NewEntry(codePoint);
        }
        counts[position]++;
    }

    /// <summary>H = −Σ p·log2 p over the counts added, <paramref name="total"/> being their sum; 0 when empty.</summary>
    public double BitsPerCharacter(int total)
    {
        if (total == 0) return 0;
        double h = 0;
        foreach (int count in counts.AsSpan(0, distinct))
        {
            double p = (double)count / total;
            h -= p * Math.Log2(p);
        }
        // −0.0 for a one-symbol text would print as "-0".
        return h <= 0 ? 0 : h;
    }

    private int NewEntry(int codePoint)
    {
        if (distinct == counts.Length)
        {
            Array.Resize(ref counts, distinct * 2);
            Array.Resize(ref distinctCodePoints, distinct * 2);
        }
        distinctCodePoints[distinct] = codePoint;
        counts[distinct] = 0;
        return distinct++;
    }

    private void Clear()
    {
        foreach (int codePoint in distinctCodePoints.AsSpan(0, distinct))
            if (codePoint <= 0xFFFF) slot[codePoint] = 0;
        supplementary.Clear();
        distinct = 0;
        // A text with a huge alphabet should not pin its buffers to the thread.
        if (counts.Length > 1 << 16)
        {
            counts = new int[256];
            distinctCodePoints = new int[256];
        }
    }
}
