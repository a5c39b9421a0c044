using System.Runtime.CompilerServices;

namespace DeepSeek.Portal.Feeding.Scoring;

/// <summary>A sink for the terms a <see cref="TfIdfVectorizer"/> analyzer cuts from a text, in text order.</summary>
internal interface ITermSink
{
    void Add(ReadOnlySpan<char> term);
}

/// <summary>
/// Counts of a text's terms keyed by their characters (exact comparison, no string per term), the distinct terms in
/// the order they first occur. Reused per thread from text to text.
/// </summary>
internal sealed class TermCounts : ITermSink
{
    private char[] arena = new char[1024];
    private int arenaUsed;
    private int[] starts = new int[128];
    private int[] lengths = new int[128];
    private int[] counts = new int[128];
    private int[] hashes = new int[128];
    private int[] slots = new int[256]; // 1 + term number, 0 when free
    private int mask = 255;

    /// <summary>Distinct terms added since <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    public void Clear()
    {
        if (Count > 0 || arenaUsed > 0) Array.Clear(slots);
        Count = 0;
        arenaUsed = 0;
        // A very long text should not pin its buffers to the thread.
        if (slots.Length > 4096) Resize(128, 1024);
    }

    /// <summary>The characters of the <paramref name="term"/>-th distinct term.</summary>
    public ReadOnlySpan<char> Term(int term) => arena.AsSpan(starts[term], lengths[term]);

    /// <summary>How often the <paramref name="term"/>-th distinct term occurred.</summary>
    public int Occurrences(int term) => counts[term];

    public void Add(ReadOnlySpan<char> term)
    {
        int hash = string.GetHashCode(term);
        int slot = hash & mask;
        while (true)
        {
            int entry = slots[slot] - 1;
            if (entry < 0) break;
            if (hashes[entry] == hash && arena.AsSpan(starts[entry], lengths[entry]).SequenceEqual(term))
            {
                counts[entry]++;
                return;
            }
            slot = (slot + 1) & mask;
        }
        Insert(term, hash, slot);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Insert(ReadOnlySpan<char> term, int hash, int slot)
    {
        if (arenaUsed + term.Length > arena.Length) Array.Resize(ref arena, Math.Max(arena.Length * 2, arenaUsed + term.Length));
        term.CopyTo(arena.AsSpan(arenaUsed));
        if (Count == starts.Length)
        {
            Array.Resize(ref starts, Count * 2);
            Array.Resize(ref lengths, Count * 2);
            Array.Resize(ref counts, Count * 2);
            Array.Resize(ref hashes, Count * 2);
        }
        starts[Count] = arenaUsed;
        lengths[Count] = term.Length;
        counts[Count] = 1;
        hashes[Count] = hash;
        arenaUsed += term.Length;
        slots[slot] = ++Count;
        if (Count * 2 > slots.Length) Rehash(slots.Length * 2);
    }

    private void Rehash(int size)
    {
        slots = new int[size];
        mask = size - 1;
        for (int entry = 0; entry < Count; entry++)
        {
            int slot = hashes[entry] & mask;
            while (slots[slot] != 0) slot = (slot + 1) & mask;
            slots[slot] = entry + 1;
        }
    }

    private void Resize(int terms, int chars)
    {
        arena = new char[chars];
        starts = new int[terms];
        lengths = new int[terms];
        counts = new int[terms];
        hashes = new int[terms];
        slots = new int[terms * 2];
        mask = slots.Length - 1;
    }
}
