using System.Runtime.CompilerServices;

namespace DeepSeek.Portal.Feeding.Scoring;

/// <summary>
/// Polynomial hashes modulo the Mersenne prime 2⁶¹ − 1 over a sequence of 61-bit symbols: after one linear pass over
/// the sequence (the prefix hashes) the hash of any window is O(1), so the repetition rules hash every n-gram of a
/// record in time linear in its length, whatever n. Two different windows of the same length n collide with
/// probability about n / 2⁶¹ — as negligible as the 64-bit n-gram hashes they replace.
/// </summary>
internal static class WindowHash
{
    /// <summary>The modulus, 2⁶¹ − 1.</summary>
    public const ulong Prime = (1UL << 61) - 1;

    // A fixed base (any value in [2, Prime) works; the windows of a record are not chosen against it).
    private const ulong Base = 0x0F3D_5B79_A2C4_E687UL % Prime;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Multiply(ulong a, ulong b)
    {
        ulong high = Math.BigMul(a, b, out ulong low);
        ulong r = (low & Prime) + ((low >> 61) | (high << 3));
        return r >= Prime ? r - Prime : r;
    }

    /// <summary>A 64-bit value reduced to a symbol in [0, <see cref="Prime"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Symbol(ulong value)
    {
        ulong r = (value & Prime) + (value >> 61);
        return r >= Prime ? r - Prime : r;
    }

    /// <summary>Writes prefix hashes: <paramref name="prefixes"/>[k] is the hash of the first k symbols (length symbols.Length + 1).</summary>
    public static void Prefixes(ReadOnlySpan<ulong> symbols, Span<ulong> prefixes)
    {
        ulong h = 0;
        prefixes[0] = 0;
        for (int k = 0; k < symbols.Length; k++)
        {
            h = Multiply(h, Base) + symbols[k];
            if (h >= Prime) h -= Prime;
            prefixes[k + 1] = h;
        }
    }

    /// <summary>Prefix hashes of code points (each below the prime, so distinct code points are distinct symbols).</summary>
    public static void Prefixes(ReadOnlySpan<int> codePoints, Span<ulong> prefixes)
    {
        ulong h = 0;
        prefixes[0] = 0;
        for (int k = 0; k < codePoints.Length; k++)
        {
            h = Multiply(h, Base) + (uint)codePoints[k];
            if (h >= Prime) h -= Prime;
            prefixes[k + 1] = h;
        }
    }

    /// <summary>Base^n, the factor that shifts a prefix past a window of n symbols.</summary>
    public static ulong Power(int n)
    {
        ulong power = 1;
        for (int k = 0; k < n; k++) power = Multiply(power, Base);
        return power;
    }

    /// <summary>The hashes of every window of n symbols, from the prefixes and <see cref="Power"/>(n).</summary>
    public static void Windows(ReadOnlySpan<ulong> prefixes, int n, ulong power, Span<ulong> windows)
    {
        for (int i = 0; i < windows.Length; i++)
        {
            ulong shifted = Multiply(prefixes[i], power);
            ulong h = prefixes[i + n] + Prime - shifted;
            windows[i] = h >= Prime ? h - Prime : h;
        }
    }
}

/// <summary>
/// Open-addressing counts of 61-bit keys (window hashes), reused from record to record: a cleared prefix of a
/// power-of-two table instead of a <see cref="Dictionary{TKey, TValue}"/> grown and cleared per record.
/// </summary>
internal sealed class NgramCounts
{
    private const ulong Occupied = 1UL << 63;

    private ulong[] keys = new ulong[64];
    private int[] counts = new int[64];
    private int[] firsts = new int[64];
    private int mask, shift;

    /// <summary>Distinct keys counted since <see cref="Reset"/>.</summary>
    public int Distinct { get; private set; }

    /// <summary>Empties the table, sized for up to <paramref name="expected"/> distinct keys at a load of at most one half.</summary>
    public void Reset(int expected)
    {
        int size = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, expected) * 2));
        if (keys.Length < size || keys.Length > Math.Max(size, 1 << 16) * 4)
        {
            keys = new ulong[size];
            counts = new int[size];
            firsts = new int[size];
        }
        else
        {
            Array.Clear(keys, 0, size);
        }
        mask = size - 1;
        shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
        Distinct = 0;
        MaxCount = 0;
    }

    /// <summary>The highest count reached since <see cref="Reset"/>.</summary>
    public int MaxCount { get; private set; }

    /// <summary>
    /// Adds one occurrence of <paramref name="key"/> (below 2⁶³), found at <paramref name="position"/>, and returns its
    /// count so far; the first position of each key is kept for <see cref="MaxWeightedCount"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Increment(ulong key, int position = 0)
    {
        ulong stored = key | Occupied;
        int i = Slot(key);
        while (true)
        {
            ulong k = keys[i];
            if (k == stored)
            {
                int count = ++counts[i];
                if (count > MaxCount) MaxCount = count;
                return count;
            }
            if (k == 0)
            {
                keys[i] = stored;
                counts[i] = 1;
                firsts[i] = position;
                Distinct++;
                if (MaxCount == 0) MaxCount = 1;
                return 1;
            }
            i = (i + 1) & mask;
        }
    }

    /// <summary>The largest weight(first position) × count over the keys counted at least <paramref name="minCount"/> times; 0 when none is.</summary>
    public int MaxWeightedCount<TWeight>(int minCount, TWeight weight) where TWeight : struct, IFirstPositionWeight
    {
        int top = 0;
        for (int i = 0; i <= mask; i++)
        {
            if (keys[i] != 0 && counts[i] >= minCount)
                top = Math.Max(top, weight.Of(firsts[i]) * counts[i]);
        }
        return top;
    }

    /// <summary>The count of <paramref name="key"/>; 0 when absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Count(ulong key)
    {
        ulong stored = key | Occupied;
        int i = Slot(key);
        while (true)
        {
            ulong k = keys[i];
            if (k == stored) return counts[i];
            if (k == 0) return 0;
            i = (i + 1) & mask;
        }
    }

    /// <summary>Appends every count above one to <paramref name="repeated"/> (any order) and returns how many there were.</summary>
    public int CopyRepeatedCounts(ref int[] repeated)
    {
        int found = 0;
        for (int i = 0; i <= mask; i++)
        {
            if (keys[i] == 0 || counts[i] <= 1) continue;
            if (found == repeated.Length) Array.Resize(ref repeated, found * 2);
            repeated[found++] = counts[i];
        }
        return found;
    }

    /// <summary>The weight of a key's first position for <see cref="MaxWeightedCount"/> (a struct, so the call inlines).</summary>
    public interface IFirstPositionWeight
    {
        int Of(int position);
    }

    // Fibonacci hashing: window hashes are uniform already, the multiply only spreads the slot bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> shift);
}
