using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>
/// The engine's former tokenizer format, kept so that checkpoints written before <see cref="HuggingFaceTokenizer"/>
/// resume with the ids their weights were trained on. New runs no longer train it (tests still do, to write such
/// checkpoints).
/// </summary>
/// <remarks>
/// <para>Vocabulary, in id order: three special tokens (<see cref="Tokenizer.BeginOfSentence"/> = 0,
/// <see cref="Tokenizer.EndOfSentence"/> = 1, <see cref="Tokenizer.Pad"/> = 2); 256 byte tokens (ids 3–258, byte b → 3 + b); one token
/// per frequent non-ASCII character of the training corpus (every CJK character unless the budget runs out);
/// then BPE merges, each the concatenation of two earlier tokens. Text is first split into chunks
/// (Han runs, words, single digits, symbol runs, whitespace) that merges never cross; each chunk starts as its
/// characters, with a character outside the vocabulary spelled as its UTF-8 bytes, and the lowest-ranked merge is
/// applied until none applies.</para>
/// <para>Every token stands for a byte string, so <c>Decode(Encode(s)) == s</c> for every well-formed string
/// (emoji, rare characters and control characters included). Strings with unpaired UTF-16 surrogates are not
/// Unicode text; those code units come back as U+FFFD. Special-token text inside the input is encoded as
/// ordinary text, never as the special id, so user data cannot forge a BOS/EOS.</para>
/// <para>File format (<c>tokenizer.json</c>, UTF-8 JSON): <c>type</c> "deepseek-portal-bpe", <c>version</c> 1,
/// <c>special_tokens</c> (array of strings, ids 0..), <c>bos_id</c>/<c>eos_id</c>/<c>pad_id</c>,
/// <c>byte_offset</c> (id of byte 0x00), <c>characters</c> (array of one-character strings, ids following the
/// bytes) and <c>merges</c> (array of [left_id, right_id] in rank order, ids following the characters).</para>
/// </remarks>
internal sealed class PortalBpeTokenizer : Tokenizer
{
    private const string FormatType = "deepseek-portal-bpe";
    private const int FormatVersion = 1;
    private const int ByteOffset = 3;
    private const int FirstCharacterId = ByteOffset + 256;
    private const int CacheLimit = 200_000;

    private static readonly string[] Specials = [BeginOfSentence, EndOfSentence, Pad];

    private readonly byte[][] tokenBytes;
    private readonly Dictionary<int, int> characterIds;              // rune value → id
    private readonly Dictionary<long, int> mergeRanks;               // (left << 32 | right) → rank
    private readonly int[] characters;                               // rune values, in id order
    private readonly (int Left, int Right)[] merges;                 // in rank order
    private readonly ConcurrentDictionary<string, int[]> chunkCache = new();

    private PortalBpeTokenizer(int[] characters, (int Left, int Right)[] merges)
    {
        this.characters = characters;
        this.merges = merges;
        var bytes = new List<byte[]>(FirstCharacterId + characters.Length + merges.Length);
        foreach (var special in Specials) bytes.Add(Encoding.UTF8.GetBytes(special));
        for (int b = 0; b < 256; b++) bytes.Add([(byte)b]);

        characterIds = new Dictionary<int, int>(characters.Length);
        foreach (int value in characters)
        {
            if (!Rune.IsValid(value) || new Rune(value).Utf8SequenceLength < 2)
                throw new FormatException($"Tokenizer character U+{value:X4} is not a multi-byte Unicode scalar value.");
            if (!characterIds.TryAdd(value, bytes.Count))
                throw new FormatException($"Tokenizer character U+{value:X4} is listed twice.");
            var encoded = new byte[4];
            int length = new Rune(value).EncodeToUtf8(encoded);
            bytes.Add(encoded[..length]);
        }

        mergeRanks = new Dictionary<long, int>(merges.Length);
        for (int rank = 0; rank < merges.Length; rank++)
        {
            var (left, right) = merges[rank];
            if (left < ByteOffset || right < ByteOffset || left >= bytes.Count || right >= bytes.Count)
                throw new FormatException($"Tokenizer merge {rank} ({left}, {right}) refers to a token that is special or not yet defined.");
            if (!mergeRanks.TryAdd(BpeTrainer.PairKey(left, right), rank))
                throw new FormatException($"Tokenizer merge {rank} ({left}, {right}) is listed twice.");
            bytes.Add([.. bytes[left], .. bytes[right]]);
        }
        tokenBytes = [.. bytes];
    }

    /// <summary>Number of token ids (specials + bytes + characters + merges).</summary>
    public override int VocabSize => tokenBytes.Length;

    /// <summary>Id of <see cref="Tokenizer.BeginOfSentence"/>.</summary>
    public override int BosId => 0;

    /// <summary>Id of <see cref="Tokenizer.EndOfSentence"/>.</summary>
    public override int EosId => 1;

    /// <summary>Id of <see cref="Tokenizer.Pad"/>.</summary>
    public override int PadId => 2;

    /// <summary>Number of learned BPE merges.</summary>
    public int MergeCount => merges.Length;

    /// <summary>Number of whole-character tokens.</summary>
    public int CharacterCount => characters.Length;

    /// <summary>
    /// Trains a tokenizer on <paramref name="texts"/> with at most <paramref name="maxVocab"/> ids (at least 259:
    /// specials and bytes). Non-ASCII characters are added by frequency (using up to three quarters of the
    /// remaining budget), then merges of the most frequent adjacent pair (ties broken by the smaller ids) until
    /// the budget is used or no pair occurs twice. Deterministic for the same input.
    /// </summary>
    public static PortalBpeTokenizer Train(IEnumerable<string> texts, int maxVocab)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (maxVocab < FirstCharacterId)
            throw new ArgumentOutOfRangeException(nameof(maxVocab), maxVocab, $"maxVocab must be at least {FirstCharacterId} (3 special + 256 byte tokens).");

        var chunkCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            if (string.IsNullOrEmpty(text)) continue;
            foreach (var chunk in PortalPreTokenizer.Split(text))
                chunkCounts[chunk] = chunkCounts.GetValueOrDefault(chunk) + 1;
        }

        var runeCounts = new Dictionary<int, long>();
        foreach (var (chunk, count) in chunkCounts)
        {
            foreach (var rune in chunk.EnumerateRunes())
            {
                if (rune.Utf8SequenceLength > 1) runeCounts[rune.Value] = runeCounts.GetValueOrDefault(rune.Value) + count;
            }
        }
        int budget = maxVocab - FirstCharacterId;
        int characterBudget = budget - budget / 4;
        var characters = runeCounts
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key)
            .Take(characterBudget)
            .Select(kv => kv.Key)
            .ToArray();
        var charIds = new Dictionary<int, int>();
        for (int i = 0; i < characters.Length; i++) charIds[characters[i]] = FirstCharacterId + i;

        var trainer = new BpeTrainer(FirstCharacterId + characters.Length);
        foreach (var (chunk, count) in chunkCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            trainer.AddWord(InitialSymbols(chunk, charIds), count);
        var merges = trainer.Learn(budget - characters.Length);
        return new PortalBpeTokenizer(characters, merges);
    }

    /// <summary>
    /// In this format a character outside the vocabulary is spelled as single byte tokens, so the fallback tokens are
    /// the single-byte tokens of bytes 0x80–0xFF.
    /// </summary>
    public override bool IsByteFallback(int id) => id is >= ByteOffset + 0x80 and < FirstCharacterId;

    /// <summary>
    /// Decodes ids back to text. Special tokens are dropped unless <paramref name="skipSpecialTokens"/> is false,
    /// in which case their text is emitted. Byte sequences that are not valid UTF-8 (possible for generated ids)
    /// become U+FFFD.
    /// </summary>
    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var buffer = new List<byte>();
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)tokenBytes.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is outside the vocabulary (size {VocabSize}).");
            if (id < ByteOffset && skipSpecialTokens) continue;
            buffer.AddRange(tokenBytes[id]);
        }
        return Encoding.UTF8.GetString([.. buffer]);
    }

    /// <summary>Readable form of one token: special text, its characters, or <c>&lt;0xAB&gt;</c> bytes when not valid UTF-8 alone.</summary>
    public override string TokenText(int id)
    {
        if ((uint)id >= (uint)tokenBytes.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the vocabulary (size {VocabSize}).");
        var bytes = tokenBytes[id];
        if (Utf8IsValid(bytes))
            return Encoding.UTF8.GetString(bytes);
        return string.Concat(bytes.Select(b => $"<0x{b:X2}>"));
    }

    /// <summary>Serialises to the documented <c>tokenizer.json</c> schema.</summary>
    public override string ToJson()
    {
        var root = new JsonObject
        {
            ["type"] = FormatType,
            ["version"] = FormatVersion,
            ["special_tokens"] = new JsonArray([.. Specials.Select(s => (JsonNode?)JsonValue.Create(s))]),
            ["bos_id"] = BosId,
            ["eos_id"] = EosId,
            ["pad_id"] = PadId,
            ["byte_offset"] = ByteOffset,
            ["characters"] = new JsonArray([.. characters.Select(c => (JsonNode?)JsonValue.Create(char.ConvertFromUtf32(c)))]),
            ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode?)new JsonArray(m.Left, m.Right))]),
        };
        return root.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Reads the schema written by <see cref="ToJson"/>; throws <see cref="FormatException"/> naming the problem.</summary>
    public static PortalBpeTokenizer FromJson(JsonObject root)
    {
        if (root["type"]?.GetValue<string>() != FormatType)
            throw new FormatException($"tokenizer.json has type '{root["type"]}', expected '{FormatType}'.");
        if (root["version"]?.GetValue<int>() != FormatVersion)
            throw new FormatException($"tokenizer.json has version {root["version"]}, expected {FormatVersion}.");
        var specials = root["special_tokens"]?.AsArray().Select(n => n!.GetValue<string>()).ToArray() ?? [];
        if (!specials.SequenceEqual(Specials)
            || root["bos_id"]?.GetValue<int>() != 0 || root["eos_id"]?.GetValue<int>() != 1 || root["pad_id"]?.GetValue<int>() != 2
            || root["byte_offset"]?.GetValue<int>() != ByteOffset)
            throw new FormatException("tokenizer.json special tokens or byte offset differ from this format's fixed layout.");

        var characters = (root["characters"]?.AsArray() ?? throw new FormatException("tokenizer.json lacks 'characters'."))
            .Select((n, i) =>
            {
                var s = n?.GetValue<string>() ?? "";
                if (Rune.DecodeFromUtf16(s, out var rune, out int used) != System.Buffers.OperationStatus.Done || used != s.Length)
                    throw new FormatException($"tokenizer.json character {i} ('{s}') is not exactly one Unicode character.");
                return rune.Value;
            }).ToArray();
        var merges = (root["merges"]?.AsArray() ?? throw new FormatException("tokenizer.json lacks 'merges'."))
            .Select((n, i) =>
            {
                var pair = n?.AsArray();
                if (pair is null || pair.Count != 2) throw new FormatException($"tokenizer.json merge {i} is not a [left, right] pair.");
                return (pair[0]!.GetValue<int>(), pair[1]!.GetValue<int>());
            }).ToArray();
        return new PortalBpeTokenizer(characters, merges);
    }

    private protected override IEnumerable<string> Chunks(string text) => PortalPreTokenizer.Split(text);

    private protected override int TokenByteLength(int id) => tokenBytes[id].Length;

    private protected override int[] EncodeChunk(string chunk)
    {
        if (chunkCache.TryGetValue(chunk, out var cached)) return cached;
        var symbols = InitialSymbols(chunk, characterIds);
        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                if (mergeRanks.TryGetValue(BpeTrainer.PairKey(symbols[i], symbols[i + 1]), out int rank) && rank < bestRank) bestRank = rank;
            }
            if (bestRank == int.MaxValue) break;
            var (left, right) = merges[bestRank];
            symbols = BpeTrainer.ApplyMerge(symbols, left, right, FirstCharacterId + characters.Length + bestRank);
        }
        var result = symbols.ToArray();
        if (chunkCache.Count >= CacheLimit) chunkCache.Clear();
        chunkCache.TryAdd(chunk, result);
        return result;
    }

    private static List<int> InitialSymbols(string chunk, IReadOnlyDictionary<int, int> charIds)
    {
        var symbols = new List<int>(chunk.Length * 2);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in chunk.EnumerateRunes())
        {
            if (charIds.TryGetValue(rune.Value, out int id))
            {
                symbols.Add(id);
                continue;
            }
            int length = rune.EncodeToUtf8(utf8);
            for (int b = 0; b < length; b++) symbols.Add(ByteOffset + utf8[b]);
        }
        return symbols;
    }

    private static bool Utf8IsValid(byte[] bytes) => System.Text.Unicode.Utf8.IsValid(bytes);
}
