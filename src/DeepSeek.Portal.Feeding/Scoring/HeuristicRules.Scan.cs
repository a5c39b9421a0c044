using System.Globalization;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Scoring;

public sealed partial class HeuristicRules
{
    /// <summary>
    /// What the rules need of one text, gathered in one walk over its code points into buffers that stay with the
    /// thread: the code points, the units (words; each Han character alone) as 61-bit symbols with their UTF-16
    /// lengths, the language counts, the character histogram and the data-juicer character classes. The repetition
    /// rules then hash n-grams as windows over prefix hashes (<see cref="WindowHash"/>): linear in the text for every n.
    /// </summary>
    private sealed class Scan
    {
        [ThreadStatic] private static Scan? current;

        private const int InitialCapacity = 512;

        // Indexed by code point or by unit (a text has at most as many units as code points, and at most as many code
        // points as UTF-16 units): all sized together by Allocate.
        private int[] codePoints = null!;
        private ulong[] unitSymbols = null!;
        private int[] unitChars = null!;      // prefix sums of the units' UTF-16 lengths
        private ulong[] prefixes = null!;
        private ulong[] windows = null!;
        private int[] repeated = new int[64];
        private bool[] repeatedAt = null!;

        private Scan() => Allocate(InitialCapacity);
        private bool filtering;
        private readonly NgramCounts counts = new();
        private readonly NgramCounts walk = new();

        public int Length { get; private set; }
        public int Units { get; private set; }
        public TextLanguage Language { get; private set; }
        public int Special { get; private set; }
        public int Alphanumeric { get; private set; }
        public double BitsPerCharacter { get; private set; }

        /// <summary>This thread's scan, loaded with <paramref name="text"/>. Not re-entrant: one text at a time per thread.</summary>
        public static Scan Of(string text)
        {
            var scan = current ??= new Scan();
            scan.Load(text);
            return scan;
        }

        private void Load(string text)
        {
            var span = text.AsSpan();
            EnsureCapacity(span.Length);
            var histogram = CharacterHistogram.Rent();
            var language = new LanguageCounts();
            int length = 0, units = 0, special = 0, alphanumeric = 0;
            int wordChars = 0;
            ulong wordHash = UnitSeed;
            unitChars[0] = 0;

            for (int i = 0; i < span.Length;)
            {
                int c = CodePoints.Next(span, ref i);
                codePoints[length++] = c;
                histogram.Add(c);
                language.Add(c);

                bool whiteSpace;
                if (c < 0x80)
                {
                    whiteSpace = c == ' ' || (uint)(c - '\t') <= '\r' - '\t';
                    if (char.IsAsciiLetter((char)c)) alphanumeric++;
                    else
                    {
                        special++;
                        if (char.IsAsciiDigit((char)c)) alphanumeric++;
                    }
                }
                else
                {
                    // data-juicer's SPECIAL_CHARACTERS: ASCII punctuation, digits and whitespace, plus symbols and emoji
                    // (its list of about 100 symbols, generalised here to the Unicode symbol categories). CJK punctuation
                    // (，。：) is not in it. Letters and digits: Rune.IsLetterOrDigit's categories.
                    var rune = new Rune(c);
                    whiteSpace = Rune.IsWhiteSpace(rune);
                    var category = Rune.GetUnicodeCategory(rune);
                    if (category <= UnicodeCategory.OtherLetter || category == UnicodeCategory.DecimalDigitNumber) alphanumeric++;
                    if (whiteSpace || category is UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol)
                        special++;
                }

                if (whiteSpace || LanguageGuess.IsHan(c))
                {
                    if (wordChars > 0) AddUnit(ref units, wordHash, wordChars);
                    wordChars = 0;
                    wordHash = UnitSeed;
                    if (!whiteSpace) AddUnit(ref units, Mix(UnitSeed, c), CodePoints.Utf16Length(c));
                }
                else
                {
                    wordHash = Mix(wordHash, c);
                    wordChars += CodePoints.Utf16Length(c);
                }
            }
            if (wordChars > 0) AddUnit(ref units, wordHash, wordChars);

            unitPrefixesReady = false;
            Length = length;
            Units = units;
            Language = language.Classify();
            Special = special;
            Alphanumeric = alphanumeric;
            BitsPerCharacter = histogram.BitsPerCharacter(length);
        }

        private const ulong UnitSeed = 0xCBF29CE484222325UL;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Mix(ulong hash, int codePoint) => (hash ^ (uint)codePoint) * 0x100000001B3UL;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void AddUnit(ref int units, ulong hash, int chars)
        {
            // MurmurHash3's finaliser: FNV's high bits alone are weak, and the symbol keeps 61 of them.
            hash ^= hash >> 33;
            hash *= 0xFF51AFD7ED558CCDUL;
            hash ^= hash >> 33;
            hash *= 0xC4CEB9FE1A85EC53UL;
            hash ^= hash >> 33;
            unitSymbols[units] = WindowHash.Symbol(hash);
            unitChars[units + 1] = unitChars[units] + chars;
            units++;
        }

        private void EnsureCapacity(int chars)
        {
            if (codePoints.Length < chars)
                Allocate((int)Math.Min(Array.MaxLength, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)chars)));
        }

        private void Allocate(int size)
        {
            codePoints = new int[size];
            unitSymbols = new ulong[size];
            unitChars = new int[size + 1];
            prefixes = new ulong[size + 1];
            windows = new ulong[size];
            repeatedAt = new bool[size];
        }

        /// <summary>Drops buffers grown for a very long text, so that one such text does not pin megabytes to the thread.</summary>
        public void Trim()
        {
            if (codePoints.Length > 1 << 16) Allocate(InitialCapacity);
        }

        /// <summary>Loads the window hashes of every n-gram of units; returns their number.</summary>
        private int UnitWindows(int n)
        {
            int grams = Units - n + 1;
            if (grams <= 0) return 0;
            if (!unitPrefixesReady)
            {
                WindowHash.Prefixes(unitSymbols.AsSpan(0, Units), prefixes);
                unitPrefixesReady = true;
            }
            WindowHash.Windows(prefixes, n, WindowHash.Power(n), windows.AsSpan(0, grams));
            return grams;
        }

        private bool unitPrefixesReady;

        /// <summary>
        /// Starts the n-gram passes, which must then come with n increasing. With <paramref name="skipUnique"/> (only
        /// valid when an n-gram counts as repeated from its second occurrence or later), each pass remembers which
        /// positions start an n-gram that occurs twice or more: an n-gram is at most as frequent as its own prefix, so
        /// the next, longer pass only looks at those positions, and a text that stops repeating costs nothing more.
        /// </summary>
        public void BeginNgrams(bool skipUnique)
        {
            filtering = skipUnique;
            candidates = Units;
            repeatedAt.AsSpan(0, Math.Max(Units, 1)).Fill(true);
        }

        // Positions still marked in repeatedAt (with filtering): 0 once the text has stopped repeating.
        private int candidates;

        /// <summary>Counts the n-grams at the positions that may repeat; with filtering, keeps only those that do.</summary>
        private void CountCandidates(int grams)
        {
            if (!filtering)
            {
                counts.Reset(grams);
                for (int i = 0; i < grams; i++) counts.Increment(windows[i], i);
                return;
            }
            counts.Reset(Math.Min(grams, candidates));
            for (int i = 0; i < grams; i++)
                if (repeatedAt[i]) counts.Increment(windows[i], i);
            candidates = 0;
            for (int i = 0; i < grams; i++)
            {
                if (!repeatedAt[i]) continue;
                repeatedAt[i] = counts.Count(windows[i]) > 1;
                if (repeatedAt[i]) candidates++;
            }
        }

        private int NgramChars(int start, int n) => unitChars[start + n] - unitChars[start];

        /// <summary>
        /// datatrove find_top_duplicate (characters of the n-gram joined by spaces × its count), except that an n-gram
        /// seen fewer than <paramref name="minOccurrences"/> times is no repetition; the first occurrence's characters.
        /// </summary>
        public int TopRepeatedNgramChars(int n, int minOccurrences)
        {
            if (filtering && candidates == 0) return 0;
            int grams = UnitWindows(n);
            if (grams == 0) return 0;
            CountCandidates(grams);
            // No n-gram repeats (with filtering, the unique ones were not counted, and none reaches minOccurrences ≥ 2).
            if (!filtering && counts.Distinct == grams) return 0;
            return counts.MaxWeightedCount(minOccurrences, new JoinedChars(unitChars, n));
        }

        /// <summary>An n-gram's characters joined by spaces, from the prefix sums of unit lengths.</summary>
        private readonly struct JoinedChars(int[] unitChars, int n) : NgramCounts.IFirstPositionWeight
        {
            public int Of(int position) => unitChars[position + n] - unitChars[position] + n - 1;
        }

        /// <summary>
        /// datatrove find_all_duplicate: walk the n-grams; a repeat adds its characters and skips past itself. With
        /// minOccurrences 2 this is datatrove's exactly; with more, the first repeats (an echo) are let through.
        /// </summary>
        public int DuplicateNgramChars(int n, int minOccurrences)
        {
            if (filtering && candidates == 0) return 0;
            int grams = UnitWindows(n);
            if (grams == 0) return 0;
            if (filtering)
            {
                CountCandidates(grams);
                if (candidates == 0) return 0;
            }
            walk.Reset(grams);
            int chars = 0, i = 0;
            while (i < grams)
            {
                // A unique n-gram never reaches minOccurrences (≥ 2 when filtering): step over it without counting it.
                if (filtering && !repeatedAt[i]) i++;
                else if (walk.Increment(windows[i]) >= minOccurrences)
                {
                    chars += NgramChars(i, n);
                    i += n;
                }
                else
                {
                    i++;
                }
            }
            return chars;
        }

        /// <summary>data-juicer character_repetition_filter over code points: the top ⌊√distinct⌋ repeated n-grams' share of all n-grams.</summary>
        public double CharacterRepetitionRatio(int n)
        {
            int grams = Length - n + 1;
            if (grams <= 0) return 0;
            WindowHash.Prefixes(codePoints.AsSpan(0, Length), prefixes);
            WindowHash.Windows(prefixes, n, WindowHash.Power(n), windows.AsSpan(0, grams));
            counts.Reset(grams);
            foreach (ulong key in windows.AsSpan(0, grams)) counts.Increment(key);
            int found = counts.CopyRepeatedCounts(ref repeated);
            int take = Math.Min((int)Math.Floor(Math.Sqrt(counts.Distinct)), found);
            var top = repeated.AsSpan(0, found);
            top.Sort();
            int sum = 0;
            for (int k = 0; k < take; k++) sum += top[found - 1 - k];
            return (double)sum / grams;
        }

        /// <summary>U+FFFD, control characters, and UTF-8 byte pairs shown as Latin-1/CP1252 ("Ã©", "â€", "é“").</summary>
        public int MojibakeChars()
        {
            var runes = codePoints.AsSpan(0, Length);
            int count = 0;
            for (int i = 0; i < runes.Length; i++)
            {
                int c = runes[i];
                if (c is >= 0x20 and < 0x7F) continue;
                if (c == 0xFFFD || (c < 0x20 && c is not ('\t' or '\n' or '\r')) || c is >= 0x7F and <= 0x9F)
                {
                    count++;
                }
                else if (c is >= 0xC2 and <= 0xEF && i + 1 < runes.Length && IsContinuation(runes[i + 1]))
                {
                    count += 2;
                    i++;
                }
            }
            return count;

            static bool IsContinuation(int c) => c is >= 0x80 and <= 0xBF || (c <= 0xFFFF && Cp1252Specials.Contains((char)c));
        }

        /// <summary>Gopher repetition over lines: the non-empty trimmed lines, those that repeat an earlier one, and their characters.</summary>
        public (int Lines, int Count, int Chars) DuplicateLines(ReadOnlySpan<char> text)
        {
            counts.Reset(Math.Min(text.Length, text.Count('\n') + 1));
            int lines = 0, count = 0, chars = 0;
            foreach (var range in text.Split('\n'))
            {
                var line = text[range].Trim();
                if (line.IsEmpty) continue;
                lines++;
                // A 64-bit hash stands for the line (as an n-gram's does): two lines of one record collide with probability ~2⁻⁶¹.
                if (counts.Increment(WindowHash.Symbol(XxHash3.HashToUInt64(MemoryMarshal.AsBytes(line)))) > 1)
                {
                    count++;
                    chars += line.Length;
                }
            }
            return (lines, count, chars);
        }
    }
}
