using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>
/// Trains the demo model's tokenizer: byte-level BPE with the DeepSeek-V3 pre-tokenizer, written as a standard
/// <c>tokenizer.json</c> and read back through the same loader as any Hugging Face file.
/// </summary>
/// <remarks>
/// <para><b>Default vocabulary size</b> (<see cref="DefaultVocabSize"/>): 259 (three special tokens and 256 bytes)
/// + the merges that make every repeated non-ASCII character one token (one per character that occurs at least twice,
/// plus one per distinct leading byte pair — and triple, for four-byte characters — that those characters share)
/// + room for word merges, half the number of distinct pre-tokenized chunks (words, CJK runs, digit groups…) that occur
/// at least twice, at least 256 and at most 8,192; rounded up to a multiple of 256 and kept within
/// [<see cref="MinDefaultVocabSize"/>, <see cref="MaxDefaultVocabSize"/>].</para>
/// <para>Why: byte-level BPE starts from bytes, and a CJK character is three UTF-8 bytes, so it becomes one token only
/// after its own merge on top of a lead-pair merge it shares with up to 63 others. Chinese text uses 3,000–5,000
/// distinct characters spread over about 330 lead pairs, so a Chinese-heavy corpus needs 3,000–5,000 merges before any
/// word merges; at 2,048 most of its characters would stay two or three tokens. English-only data needs only the word
/// merges. Chunks seen once are not worth a merge (the trainer never merges a pair seen once), so the word allowance
/// follows the repeated chunks rather than the corpus size.</para>
/// </remarks>
public static class ByteLevelBpeTraining
{
    /// <summary>Ids before the first merge: three special tokens and 256 bytes.</summary>
    public const int BaseVocabSize = 3 + 256;

    /// <summary>The smallest size <see cref="DefaultVocabSize"/> picks.</summary>
    public const int MinDefaultVocabSize = 1024;

    /// <summary>The largest size <see cref="DefaultVocabSize"/> picks (a demo model's embeddings stay small).</summary>
    public const int MaxDefaultVocabSize = 16384;

    private static readonly TokenizerFamily Family = TokenizerFamily.DeepSeekV3;

    /// <summary>The vocabulary size that suits <paramref name="texts"/> (the rule is in the type remarks).</summary>
    public static int DefaultVocabSize(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return SizeFor(CountChunks(texts, PreTokenizer()));
    }

    /// <summary>
    /// Trains on <paramref name="texts"/> with at most <paramref name="vocabSize"/> ids (at least 259), or
    /// <see cref="DefaultVocabSize"/> when null. First come the merges that make each non-ASCII character seen at
    /// least twice one token (most frequent first, up to three quarters of the budget); then merges of the most
    /// frequent adjacent pair inside a chunk (ties: the smaller ids), until the budget is used or no pair occurs twice.
    /// </summary>
    public static HuggingFaceTokenizer Train(IEnumerable<string> texts, int? vocabSize = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (vocabSize < BaseVocabSize)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"The vocabulary size must be at least {BaseVocabSize} (3 special + 256 byte tokens).");
        var chunkCounts = CountChunks(texts, PreTokenizer());
        int size = vocabSize ?? SizeFor(chunkCounts);

        // Ids: specials 0–2, byte b → 3 + b, then one id per distinct merged string.
        var spellings = new List<string> { BeginOfSentence, EndOfSentence, Pad };
        for (int b = 0; b < 256; b++) spellings.Add(ByteLevelAlphabet.ByteToChar[b].ToString());
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 3; id < spellings.Count; id++) ids[spellings[id]] = id;
        int Merge(int left, int right)
        {
            var merged = spellings[left] + spellings[right];
            if (!ids.TryGetValue(merged, out int id))
            {
                id = spellings.Count;
                spellings.Add(merged);
                ids[merged] = id;
            }
            return id;
        }

        // First, merges that make each repeated non-ASCII character one token, most frequent first, with up to three
        // quarters of the budget. Their ranks come first, so encoding always rebuilds these characters before any
        // other merge applies, and later merges join whole characters instead of splitting them.
        int budget = size - BaseVocabSize;
        var merges = new List<(int Left, int Right)>();
        var characterIds = new Dictionary<int, int>();
        var prefixIds = new Dictionary<(int, int), int>();
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var (value, _) in CharacterCounts(chunkCounts).Where(kv => kv.Value >= 2).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key))
        {
            int length = new Rune(value).EncodeToUtf8(utf8);
            int symbol = 3 + utf8[0], needed = 0;
            var steps = new List<(int, int)>();
            var spelled = spellings[symbol];
            for (int b = 1; b < length; b++)
            {
                spelled += spellings[3 + utf8[b]];
                if (!ids.ContainsKey(spelled)) needed++;
            }
            if (merges.Count + needed > budget - budget / 4) break;
            for (int b = 1; b < length; b++)
            {
                int next = 3 + utf8[b];
                bool exists = ids.TryGetValue(spellings[symbol] + spellings[next], out int merged);
                if (!exists)
                {
                    merged = Merge(symbol, next);
                    merges.Add((symbol, next));
                    prefixIds[(symbol, next)] = merged;
                }
                symbol = merged;
            }
            characterIds[value] = symbol;
        }

        var trainer = new BpeTrainer(Merge);
        foreach (var (chunk, count) in chunkCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            trainer.AddWord(InitialSymbols(chunk, characterIds, prefixIds), count);
        merges.AddRange(trainer.Learn(budget - merges.Count));
        return HuggingFaceTokenizer.FromJson(ToJson(spellings, merges.Select(m => (spellings[m.Left], spellings[m.Right]))));
    }

    private static List<int> InitialSymbols(string chunk, Dictionary<int, int> characterIds, Dictionary<(int, int), int> prefixIds)
    {
        var symbols = new List<int>(chunk.Length * 2);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in chunk.EnumerateRunes())
        {
            if (characterIds.TryGetValue(rune.Value, out int id))
            {
                symbols.Add(id);
                continue;
            }
            // A character without its own token still starts with the longest prefix that the character merges
            // built (E4 B8 of 丁 for 丂), exactly as encoding will spell it.
            int length = rune.EncodeToUtf8(utf8);
            int symbol = 3 + utf8[0], b = 1;
            for (; b < length && prefixIds.TryGetValue((symbol, 3 + utf8[b]), out int merged); b++) symbol = merged;
            symbols.Add(symbol);
            for (; b < length; b++) symbols.Add(3 + utf8[b]);
        }
        return symbols;
    }

    private static Dictionary<int, long> CharacterCounts(Dictionary<string, long> chunkCounts)
    {
        var counts = new Dictionary<int, long>();
        foreach (var (chunk, count) in chunkCounts)
        {
            foreach (var rune in chunk.EnumerateRunes())
            {
                if (rune.Value >= 0x80) counts[rune.Value] = counts.GetValueOrDefault(rune.Value) + count;
            }
        }
        return counts;
    }

    private static string BeginOfSentence => Tokenizer.BeginOfSentence;

    private static string EndOfSentence => Tokenizer.EndOfSentence;

    private static string Pad => Tokenizer.Pad;

    private static HuggingFacePreTokenizer PreTokenizer() => HuggingFacePreTokenizer.FromJson(TokenizerFamilies.PreTokenizer(Family));

    private static Dictionary<string, long> CountChunks(IEnumerable<string> texts, HuggingFacePreTokenizer preTokenizer)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            if (string.IsNullOrEmpty(text)) continue;
            foreach (var chunk in preTokenizer.Split(text))
                counts[chunk] = counts.GetValueOrDefault(chunk) + 1;
        }
        return counts;
    }

    private static int SizeFor(Dictionary<string, long> chunkCounts)
    {
        var characterCounts = CharacterCounts(chunkCounts);
        int repeatedChunks = chunkCounts.Values.Count(c => c >= 2);
        // Merges that spell every repeated non-ASCII character as one token: one per character, plus one per distinct
        // leading byte pair (and triple, for four-byte characters) that characters share.
        var prefixes = new HashSet<int>();
        int characters = 0;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var (value, count) in characterCounts)
        {
            if (count < 2) continue;
            characters++;
            int length = new Rune(value).EncodeToUtf8(utf8);
            for (int prefix = 2; prefix < length; prefix++)
            {
                int key = prefix;
                for (int b = 0; b < prefix; b++) key = key << 8 | utf8[b];
                prefixes.Add(key);
            }
        }
        int words = Math.Clamp(repeatedChunks / 2, 256, 8192);
        long size = BaseVocabSize + characters + prefixes.Count + words;
        size = (size + 255) / 256 * 256;
        return (int)Math.Clamp(size, MinDefaultVocabSize, MaxDefaultVocabSize);
    }

    private static string ToJson(List<string> spellings, IEnumerable<(string Left, string Right)> merges)
    {
        var vocab = new JsonObject();
        for (int id = 0; id < spellings.Count; id++) vocab[spellings[id]] = id;
        var added = new JsonArray();
        for (int id = 0; id < 3; id++)
        {
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = spellings[id], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        }
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = TokenizerFamilies.PreTokenizer(Family),
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode?)JsonValue.Create(m.Left + " " + m.Right))]),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
