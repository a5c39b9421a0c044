using System.Text;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Engine.Tokenization;

namespace DeepSeek.Portal.Engine.Tests.Tokenization;

/// <summary>
/// Builds small Hugging Face tokenizer.json files (no real DeepSeek file is available offline) and computes their
/// expected ids with a deliberately plain BPE: the lowest-ranked adjacent pair, leftmost first, until none applies.
/// </summary>
internal static class SmallTokenizers
{
    /// <summary>GPT-2's byte alphabet, written out here independently of the engine's table.</summary>
    public static readonly char[] ByteChar = BuildAlphabet();

    /// <summary>Words the test vocabularies learn merges from.</summary>
    public static readonly string[] Corpus =
    [
        "hello", " hello", " world", " the", " then", "the", " balance", " account", "账户", "余额", "银行", "银行卡",
        "你好", "世界", "123", "45", "1", "2", " 😀", "😀", "👍", " I", "'m", " fine", "\n\n", " OK", "'s",
    ];

    public static string Spell(string text) => new(Encoding.UTF8.GetBytes(text).Select(b => ByteChar[b]).ToArray());

    /// <summary>Merges learned by counting pairs in <see cref="Corpus"/>, most frequent first (ties: ordinal).</summary>
    public static List<(string Left, string Right)> LearnMerges(int count)
    {
        var words = Corpus.Select(w => Spell(w).Select(c => c.ToString()).ToList()).ToList();
        var merges = new List<(string, string)>();
        while (merges.Count < count)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var w in words)
                for (int i = 0; i + 1 < w.Count; i++) pairs[(w[i], w[i + 1])] = pairs.GetValueOrDefault((w[i], w[i + 1])) + 1;
            if (pairs.Count == 0) break;
            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1 + "\u0000" + p.Key.Item2, StringComparer.Ordinal).First().Key;
            merges.Add(best);
            foreach (var w in words)
                for (int i = 0; i + 1 < w.Count; i++)
                    if (w[i] == best.Item1 && w[i + 1] == best.Item2) { w[i] += w[i + 1]; w.RemoveAt(i + 1); }
        }
        return merges;
    }

    /// <summary>
    /// A tokenizer.json for <paramref name="family"/>: the family's special tokens at their real ids, the 256 byte
    /// tokens from id 3 in alphabet-character order (as Hugging Face trainers write them), then one id per merge.
    /// </summary>
    public static JsonObject Json(TokenizerFamily family, IReadOnlyList<(string Left, string Right)> merges, bool ignoreMerges = false,
        IEnumerable<string>? extraVocabulary = null)
    {
        var vocab = new JsonObject();
        int next = 3;
        foreach (var c in ByteChar.OrderBy(c => c)) vocab[c.ToString()] = next++;
        foreach (var (l, r) in merges)
        {
            if (!vocab.ContainsKey(l + r)) vocab[l + r] = next++;
        }
        foreach (var extra in extraVocabulary ?? [])
        {
            if (!vocab.ContainsKey(extra)) vocab[extra] = next++;
        }
        var added = new JsonArray();
        foreach (var (content, id) in TokenizerFamilies.SpecialTokens(family))
        {
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = !content.Contains("think"),
            });
        }
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = TokenizerFamilies.PreTokenizer(family),
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = ignoreMerges,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode?)JsonValue.Create(m.Left + " " + m.Right))]),
            },
        };
    }

    public static HuggingFaceTokenizer Load(JsonObject json) => HuggingFaceTokenizer.FromJson(json.ToJsonString());

    /// <summary>The plain reference: ids of each piece, merging the lowest-ranked adjacent pair (leftmost) until none applies.</summary>
    public static List<int> ReferenceIds(JsonObject json, IEnumerable<string> pieces)
    {
        var vocab = json["model"]!["vocab"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<int>());
        var ranks = new Dictionary<(string, string), int>();
        foreach (var merge in json["model"]!["merges"]!.AsArray())
        {
            var parts = merge!.GetValue<string>().Split(' ');
            ranks.TryAdd((parts[0], parts[1]), ranks.Count);
        }
        var ids = new List<int>();
        foreach (var piece in pieces)
        {
            var symbols = Spell(piece).Select(c => c.ToString()).ToList();
            while (true)
            {
                int best = int.MaxValue, at = -1;
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    if (ranks.TryGetValue((symbols[i], symbols[i + 1]), out int rank) && rank < best) (best, at) = (rank, i);
                }
                if (at < 0) break;
                symbols[at] += symbols[at + 1];
                symbols.RemoveAt(at + 1);
            }
            ids.AddRange(symbols.Select(s => vocab[s]));
        }
        return ids;
    }

    private static char[] BuildAlphabet()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 12)).Concat(Enumerable.Range(0xAE, 0x100 - 0xAE)).ToHashSet();
        var table = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) table[b] = printable.Contains(b) ? (char)b : (char)(256 + extra++);
        return table;
    }
}
