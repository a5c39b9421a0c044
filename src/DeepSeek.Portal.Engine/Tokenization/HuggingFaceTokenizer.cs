using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>An entry of <c>added_tokens</c>: a token matched in text before pre-tokenisation.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Content">Its text.</param>
/// <param name="Special">Dropped by <see cref="Tokenizer.Decode"/> when special tokens are skipped.</param>
/// <param name="LStrip">A match also takes the white space before it.</param>
/// <param name="RStrip">A match also takes the white space after it.</param>
/// <param name="Normalized">Matched in the normalised text (after the normalizer) rather than the raw text.</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false, bool Normalized = false);

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> with a byte-level BPE model, giving the ids the <c>tokenizers</c> library gives.
/// </summary>
/// <remarks>
/// <para>Supported: <c>model</c> BPE over the GPT-2 byte alphabet (every byte in the vocabulary; merges as
/// <c>"a b"</c> strings or <c>["a","b"]</c> pairs; <c>ignore_merges</c>); <c>normalizer</c> null, NFC, NFD, NFKC, NFKD or
/// a Sequence of them; <c>pre_tokenizer</c> as <see cref="HuggingFacePreTokenizer"/> reads it; <c>added_tokens</c>
/// with <c>special</c>, <c>lstrip</c>, <c>rstrip</c> and <c>normalized</c>; <c>decoder</c> ByteLevel. The
/// <c>post_processor</c> is not applied: callers frame sequences with <c>addBos</c>/<c>addEos</c> or a chat template.
/// Anything that would tokenise differently (dropout, SentencePiece-style byte fallback, word-piece prefixes,
/// single-word added tokens, other pre-tokenizers) is refused with <see cref="FormatException"/>.</para>
/// <para>The BPE merge step runs in Microsoft.ML.Tokenizers' <c>BpeTokenizer</c> (byte-level), which reproduces
/// <c>tokenizers</c>' merge order exactly; normalisation, added tokens and pre-tokenisation are done here because the
/// library's regex pre-tokenizer runs .NET regexes as written, which split emoji and supplementary-plane letters
/// differently from Oniguruma (see <see cref="OnigurumaPattern"/> and docs/decisions/0007-hf-tokenizers.md).</para>
/// <para>Text with unpaired UTF-16 surrogates is not Unicode text (Python's <c>tokenizers</c> refuses it); each
/// unpaired surrogate is read as U+FFFD.</para>
/// </remarks>
public sealed class HuggingFaceTokenizer : Tokenizer
{
    private const int CacheLimit = 200_000;

    private readonly string json;
    private readonly BpeTokenizer bpe;
    private readonly Dictionary<string, int> vocabulary;
    private readonly string?[] tokens;
    private readonly byte[][] tokenBytes;
    private readonly bool[] special;
    private readonly bool[] fallback;
    private readonly AddedToken[] addedTokens;
    private readonly AddedTokenMatcher rawMatcher;
    private readonly AddedTokenMatcher normalizedMatcher;
    private readonly NormalizationForm[] normalizers;
    private readonly HuggingFacePreTokenizer preTokenizer;
    private readonly bool ignoreMerges;
    private readonly int bosId, eosId, padId;
    private readonly ConcurrentDictionary<string, int[]> chunkCache = new(StringComparer.Ordinal);

    private HuggingFaceTokenizer(JsonObject root, string json)
    {
        this.json = json;
        var model = root["model"]?.AsObject() ?? throw new FormatException("tokenizer.json has no model.");
        var modelType = model["type"]?.GetValue<string>();
        if (modelType != "BPE")
            throw new FormatException($"tokenizer.json model type '{modelType}' is not supported (only BPE).");
        if (model["dropout"] is { } dropout && dropout.GetValue<double>() != 0)
            throw new FormatException("BPE dropout is not supported: it makes encoding random.");
        if (model["byte_fallback"]?.GetValue<bool>() == true)
            throw new FormatException("SentencePiece-style byte_fallback is not supported (byte-level BPE needs none).");
        if (!string.IsNullOrEmpty(model["continuing_subword_prefix"]?.GetValue<string>()) || !string.IsNullOrEmpty(model["end_of_word_suffix"]?.GetValue<string>()))
            throw new FormatException("BPE continuing_subword_prefix / end_of_word_suffix are not supported.");
        ignoreMerges = model["ignore_merges"]?.GetValue<bool>() ?? false;
        if (root["decoder"]?["type"]?.GetValue<string>() != "ByteLevel")
            throw new FormatException($"tokenizer.json decoder '{root["decoder"]?["type"]}' is not supported (only ByteLevel).");

        vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in model["vocab"]?.AsObject() ?? throw new FormatException("tokenizer.json has no model.vocab."))
        {
            int value = id?.GetValue<int>() ?? throw new FormatException($"Vocabulary entry '{token}' has no id.");
            if (value < 0) throw new FormatException($"Vocabulary entry '{token}' has a negative id.");
            vocabulary[token] = value;
        }
        foreach (char c in ByteLevelAlphabet.ByteToChar)
        {
            if (!vocabulary.ContainsKey(c.ToString()))
                throw new FormatException($"The vocabulary lacks byte token '{c}' (byte 0x{ByteLevelAlphabet.ByteToChar.AsSpan().IndexOf(c):X2}); byte-level BPE needs all 256.");
        }
        var merges = ReadMerges(model["merges"]?.AsArray() ?? throw new FormatException("tokenizer.json has no model.merges."));
        MergeCount = merges.Count;

        addedTokens = (root["added_tokens"]?.AsArray() ?? []).Select(ReadAddedToken).ToArray();
        normalizers = ReadNormalizers(root["normalizer"]);
        preTokenizer = HuggingFacePreTokenizer.FromJson(root["pre_tokenizer"]);

        int size = Math.Max(vocabulary.Values.DefaultIfEmpty(-1).Max(), addedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max()) + 1;
        tokens = new string?[size];
        tokenBytes = new byte[size][];
        special = new bool[size];
        fallback = new bool[size];
        foreach (var (token, id) in vocabulary) tokens[id] = token;
        foreach (var added in addedTokens)
        {
            tokens[added.Id] = added.Content;
            special[added.Id] = added.Special;
        }
        var isAdded = addedTokens.Select(t => t.Id).ToHashSet();
        for (int id = 0; id < size; id++)
        {
            // As the ByteLevel decoder does: a token made of alphabet characters spells those bytes; any other
            // token (an added token with characters outside the alphabet) spells its own UTF-8.
            tokenBytes[id] = tokens[id] is { } t ? ByteLevelAlphabet.Decode(t) ?? Encoding.UTF8.GetBytes(t) : [];
            fallback[id] = !isAdded.Contains(id) && tokenBytes[id] is [>= 0x80];
        }

        bool hasNormalizer = normalizers.Length > 0;
        rawMatcher = new AddedTokenMatcher(addedTokens.Where(t => !hasNormalizer || !t.Normalized), content => content);
        normalizedMatcher = new AddedTokenMatcher(addedTokens.Where(t => hasNormalizer && t.Normalized), Normalize);

        bosId = TokenToId(BeginOfSentence) ?? throw new FormatException($"tokenizer.json has no {BeginOfSentence} token.");
        eosId = TokenToId(EndOfSentence) ?? throw new FormatException($"tokenizer.json has no {EndOfSentence} token.");
        padId = TokenToId(Pad) ?? eosId;

        bpe = BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Merges = merges.Select(m => m.Left + " " + m.Right),
            ByteLevel = true,
        });
    }

    /// <inheritdoc/>
    public override int VocabSize => tokens.Length;

    /// <inheritdoc/>
    public override int BosId => bosId;

    /// <inheritdoc/>
    public override int EosId => eosId;

    /// <inheritdoc/>
    public override int PadId => padId;

    /// <summary>Number of BPE merges.</summary>
    public int MergeCount { get; }

    /// <summary>The <c>added_tokens</c>, in file order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => addedTokens;

    /// <summary>
    /// Trains a byte-level BPE tokenizer with the DeepSeek-V3 pre-tokenizer and the V3 special tokens
    /// (<see cref="Tokenizer.BeginOfSentence"/> 0, <see cref="Tokenizer.EndOfSentence"/> 1, <see cref="Tokenizer.Pad"/> 2; the 256 bytes follow as
    /// ids 3–258). See <see cref="ByteLevelBpeTraining"/> for the rule that picks the size when
    /// <paramref name="vocabSize"/> is null. Deterministic for the same input.
    /// </summary>
    public static new HuggingFaceTokenizer Train(IEnumerable<string> texts, int? vocabSize = null) => ByteLevelBpeTraining.Train(texts, vocabSize);

    /// <summary>Reads a Hugging Face <c>tokenizer.json</c>; throws <see cref="FormatException"/> naming what is unsupported.</summary>
    public static new HuggingFaceTokenizer FromJson(string json) =>
        Tokenizer.FromJson(json) as HuggingFaceTokenizer ?? throw new FormatException("The JSON is not a Hugging Face tokenizer.json (it has no model).");

    internal static HuggingFaceTokenizer FromJson(JsonObject root, string json)
    {
        try
        {
            return new HuggingFaceTokenizer(root, json);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"tokenizer.json is malformed: {e.Message}", e);
        }
    }

    /// <summary>
    /// Encodes <paramref name="text"/> as <c>tokenizers</c> does with <c>add_special_tokens=False</c>: added tokens
    /// (special or not) written in the text become their ids. Use it for text the caller composed (a chat template),
    /// never for data, which could then forge control tokens.
    /// </summary>
    public int[] EncodeWithAddedTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length);
        foreach (var (raw, rawId) in rawMatcher.Split(ReplaceLoneSurrogates(text)))
        {
            if (rawId >= 0)
            {
                ids.Add(rawId);
                continue;
            }
            foreach (var (normalized, normalizedId) in normalizedMatcher.Split(Normalize(raw)))
            {
                if (normalizedId >= 0) ids.Add(normalizedId);
                else foreach (var chunk in Chunks(normalized)) ids.AddRange(EncodeChunk(chunk));
            }
        }
        return [.. ids];
    }

    /// <summary>The id of an added token's content or of a vocabulary entry (in its byte-level spelling); null when neither.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        foreach (var added in addedTokens)
        {
            if (added.Content == token) return added.Id;
        }
        return vocabulary.TryGetValue(token, out int id) ? id : null;
    }

    /// <summary>The token string of <paramref name="id"/> as the file spells it (byte-level characters for vocabulary entries).</summary>
    public string? IdToToken(int id) => (uint)id < (uint)tokens.Length ? tokens[id] : null;

    /// <inheritdoc/>
    public override bool IsByteFallback(int id) => (uint)id < (uint)fallback.Length && fallback[id];

    /// <inheritdoc/>
    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var buffer = new List<byte>();
        foreach (int id in ids)
        {
            CheckId(id, nameof(ids));
            if (special[id] && skipSpecialTokens) continue;
            buffer.AddRange(tokenBytes[id]);
        }
        return Encoding.UTF8.GetString([.. buffer]);
    }

    /// <inheritdoc/>
    public override string TokenText(int id)
    {
        CheckId(id, nameof(id));
        if (addedTokens.FirstOrDefault(t => t.Id == id) is { } added) return added.Content;
        var bytes = tokenBytes[id];
        return System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : string.Concat(bytes.Select(b => $"<0x{b:X2}>"));
    }

    /// <inheritdoc/>
    public override string ToJson() => json;

    private protected override string Normalize(string text)
    {
        text = ReplaceLoneSurrogates(text);
        foreach (var form in normalizers) text = text.Normalize(form);
        return text;
    }

    private protected override IEnumerable<string> Chunks(string text) => preTokenizer.Split(text);

    private protected override int TokenByteLength(int id) => tokenBytes[id].Length;

    private protected override int[] EncodeChunk(string chunk)
    {
        if (chunkCache.TryGetValue(chunk, out var cached)) return cached;
        int[] ids;
        if (ignoreMerges && vocabulary.TryGetValue(ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(chunk)), out int whole))
            ids = [whole];
        else
            ids = [.. bpe.EncodeToIds(chunk, considerPreTokenization: false, considerNormalization: false)];
        if (chunkCache.Count >= CacheLimit) chunkCache.Clear();
        chunkCache.TryAdd(chunk, ids);
        return ids;
    }

    private void CheckId(int id, string parameter)
    {
        if ((uint)id >= (uint)tokens.Length)
            throw new ArgumentOutOfRangeException(parameter, id, $"Token id {id} is outside the vocabulary (size {VocabSize}).");
    }

    private List<(string Left, string Right)> ReadMerges(JsonArray merges)
    {
        var result = new List<(string, string)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var node = merges[rank];
            (string Left, string Right) pair;
            if (node is JsonArray array && array.Count == 2)
            {
                pair = (array[0]!.GetValue<string>(), array[1]!.GetValue<string>());
            }
            else if (node is JsonValue value && value.GetValue<string>() is { } text && text.Split(' ') is [var left, var right])
            {
                pair = (left, right);
            }
            else
            {
                throw new FormatException($"Merge {rank} is neither \"a b\" nor [\"a\", \"b\"].");
            }
            if (pair.Left.Contains(' ') || pair.Right.Contains(' '))
                throw new FormatException($"Merge {rank} has a token with a space, which byte-level BPE never has.");
            if (!vocabulary.ContainsKey(pair.Left) || !vocabulary.ContainsKey(pair.Right) || !vocabulary.ContainsKey(pair.Left + pair.Right))
                throw new FormatException($"Merge {rank} ('{pair.Left}', '{pair.Right}') uses or makes a token outside the vocabulary.");
            result.Add(pair);
        }
        // tokenizers keeps the last rank of a pair listed twice (its merge map is built by overwriting).
        var lastRank = new Dictionary<(string, string), int>();
        for (int rank = 0; rank < result.Count; rank++) lastRank[result[rank]] = rank;
        return lastRank.Count == result.Count ? result : [.. result.Where((pair, rank) => lastRank[pair] == rank)];
    }

    private static AddedToken ReadAddedToken(JsonNode? node, int index)
    {
        if (node is not JsonObject o) throw new FormatException($"added_tokens[{index}] is not an object.");
        if (o["single_word"]?.GetValue<bool>() == true)
            throw new FormatException($"added_tokens[{index}] is single_word, which is not supported.");
        return new AddedToken(
            o["id"]?.GetValue<int>() ?? throw new FormatException($"added_tokens[{index}] has no id."),
            o["content"]?.GetValue<string>() ?? throw new FormatException($"added_tokens[{index}] has no content."),
            o["special"]?.GetValue<bool>() ?? false,
            o["lstrip"]?.GetValue<bool>() ?? false,
            o["rstrip"]?.GetValue<bool>() ?? false,
            o["normalized"]?.GetValue<bool>() ?? false);
    }

    private static NormalizationForm[] ReadNormalizers(JsonNode? node)
    {
        if (node is null) return [];
        var type = node["type"]?.GetValue<string>();
        return type switch
        {
            "NFC" => [NormalizationForm.FormC],
            "NFD" => [NormalizationForm.FormD],
            "NFKC" => [NormalizationForm.FormKC],
            "NFKD" => [NormalizationForm.FormKD],
            "Sequence" => [.. (node["normalizers"]?.AsArray() ?? []).SelectMany(ReadNormalizers)],
            _ => throw new FormatException($"normalizer '{type}' is not supported (null, NFC, NFD, NFKC, NFKD and Sequence are)."),
        };
    }

    private static string ReplaceLoneSurrogates(string text)
    {
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i += 2;
            else if (char.IsSurrogate(c)) break;
            else i++;
        }
        if (i == text.Length) return text;
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes()) builder.Append(rune.ToString());
        return builder.ToString();
    }

    /// <summary>
    /// Finds added tokens in text as <c>tokenizers</c> does: at the leftmost position where one starts, the longest;
    /// <c>lstrip</c>/<c>rstrip</c> widen the match over neighbouring white space.
    /// </summary>
    private sealed class AddedTokenMatcher
    {
        private readonly Dictionary<char, (string Text, AddedToken Token)[]> byFirstChar;

        public AddedTokenMatcher(IEnumerable<AddedToken> tokens, Func<string, string> spell)
        {
            byFirstChar = tokens
                .Select(t => (Text: spell(t.Content), Token: t))
                .Where(t => t.Text.Length > 0)
                .GroupBy(t => t.Text[0])
                .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Text.Length).ToArray());
        }

        /// <summary>Pieces of <paramref name="text"/>: plain text with id −1, or a matched token (empty text) with its id.</summary>
        public IEnumerable<(string Text, int Id)> Split(string text)
        {
            if (byFirstChar.Count == 0)
            {
                yield return (text, -1);
                yield break;
            }
            int start = 0, pos = 0;
            while (pos < text.Length)
            {
                if (!byFirstChar.TryGetValue(text[pos], out var candidates)
                    || candidates.FirstOrDefault(c => string.CompareOrdinal(text, pos, c.Text, 0, c.Text.Length) == 0) is not { Token: not null } match)
                {
                    pos++;
                    continue;
                }
                int matchStart = pos, matchEnd = pos + match.Text.Length;
                if (match.Token.LStrip)
                    while (matchStart > start && char.IsWhiteSpace(text[matchStart - 1])) matchStart--;
                if (match.Token.RStrip)
                    while (matchEnd < text.Length && char.IsWhiteSpace(text[matchEnd])) matchEnd++;
                if (matchStart > start) yield return (text[start..matchStart], -1);
                yield return ("", match.Token.Id);
                start = pos = matchEnd;
            }
            if (start < text.Length) yield return (text[start..], -1);
        }
    }
}
