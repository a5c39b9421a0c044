using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>
/// A tokenizer the engine trains with and the portal measures data with: text to ids and back, token counts,
/// byte-fallback counts and truncation by tokens.
/// </summary>
/// <remarks>
/// <para>Two kinds exist. <see cref="HuggingFaceTokenizer"/> reads and writes the standard Hugging Face
/// <c>tokenizer.json</c> (byte-level BPE); new runs train one (<see cref="Train"/>) and real DeepSeek tokenizers load
/// as one. Checkpoints written before it hold the engine's own format (<c>"type": "deepseek-portal-bpe"</c>), which
/// <see cref="Load"/> still reads so that those runs resume with the ids their weights were trained on; it can no
/// longer be trained.</para>
/// <para>Both split text into chunks that merges never cross, so <see cref="Encode"/>, <see cref="CountTokens"/> and
/// <see cref="Truncate"/> work chunk by chunk. <see cref="Encode"/> treats special-token text inside the input as
/// ordinary text, so data cannot forge a BOS/EOS; <see cref="HuggingFaceTokenizer.EncodeWithAddedTokens"/> matches
/// them as Hugging Face does.</para>
/// </remarks>
public abstract class Tokenizer
{
    /// <summary>Text of the begin-of-sentence token (DeepSeek spelling, U+FF5C and U+2581).</summary>
    public const string BeginOfSentence = "<｜begin▁of▁sentence｜>";

    /// <summary>Text of the end-of-sentence token.</summary>
    public const string EndOfSentence = "<｜end▁of▁sentence｜>";

    /// <summary>Text of the padding token (DeepSeek-V3 spelling).</summary>
    public const string Pad = "<｜▁pad▁｜>";

    private protected Tokenizer()
    {
    }

    /// <summary>Number of token ids (the largest id + 1).</summary>
    public abstract int VocabSize { get; }

    /// <summary>Id of <see cref="BeginOfSentence"/>.</summary>
    public abstract int BosId { get; }

    /// <summary>Id of <see cref="EndOfSentence"/>.</summary>
    public abstract int EosId { get; }

    /// <summary>Id used to pad sequences (<see cref="Pad"/>, or <see cref="EosId"/> where the vocabulary has no pad token).</summary>
    public abstract int PadId { get; }

    /// <summary>
    /// Trains a byte-level BPE tokenizer on <paramref name="texts"/> and returns it
    /// (see <see cref="HuggingFaceTokenizer.Train"/>); <paramref name="vocabSize"/> null picks a size that suits the data.
    /// </summary>
    public static HuggingFaceTokenizer Train(IEnumerable<string> texts, int? vocabSize = null) => HuggingFaceTokenizer.Train(texts, vocabSize);

    /// <summary>
    /// Encodes <paramref name="text"/> to ids, optionally framed by <see cref="BosId"/> and <see cref="EosId"/>.
    /// Special-token text in the input is encoded as ordinary text. Thread-safe.
    /// </summary>
    public int[] Encode(string text, bool addBos = false, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length + 2);
        if (addBos) ids.Add(BosId);
        if (text.Length > 0)
        {
            foreach (var chunk in Chunks(Normalize(text))) ids.AddRange(EncodeChunk(chunk));
        }
        if (addEos) ids.Add(EosId);
        return [.. ids];
    }

    /// <summary>
    /// Counts the tokens <see cref="Encode"/> would return for <paramref name="text"/> (no BOS/EOS) and how many of them
    /// are byte-fallback tokens (<see cref="IsByteFallback"/>). Thread-safe; allocates no id array.
    /// </summary>
    public (int Tokens, int ByteFallbackTokens) CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int tokens = 0, fallback = 0;
        if (text.Length == 0) return (0, 0);
        foreach (var chunk in Chunks(Normalize(text)))
        {
            var ids = EncodeChunk(chunk);
            tokens += ids.Length;
            foreach (int id in ids)
            {
                if (IsByteFallback(id)) fallback++;
            }
        }
        return (tokens, fallback);
    }

    /// <summary>
    /// The longest prefix of <paramref name="text"/>, cut at a character boundary, that encodes to at most
    /// <paramref name="maxTokens"/> tokens (no BOS/EOS); <paramref name="text"/> itself when it fits. A character spelled
    /// in several byte tokens is kept whole or dropped whole. With a normalizer (NFC, NFKC…) in a
    /// <c>tokenizer.json</c> the result is a prefix of the normalised text.
    /// </summary>
    public string Truncate(string text, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        text = Normalize(text);
        int tokens = 0, kept = 0;
        foreach (var chunk in Chunks(text))
        {
            var ids = EncodeChunk(chunk);
            if (tokens + ids.Length <= maxTokens)
            {
                tokens += ids.Length;
                kept += chunk.Length;
                continue;
            }

            // Merges never cross chunks, so whole chunks keep their tokens; inside this chunk keep the characters
            // whose UTF-8 bytes the remaining tokens cover.
            int bytes = 0;
            for (int i = 0; i < maxTokens - tokens; i++) bytes += TokenByteLength(ids[i]);
            int used = 0, chars = 0;
            foreach (var rune in chunk.EnumerateRunes())
            {
                if (used + rune.Utf8SequenceLength > bytes) break;
                used += rune.Utf8SequenceLength;
                chars += rune.Utf16SequenceLength;
            }
            // BPE on a prefix of a chunk can (rarely) take more tokens than the prefix had inside the whole chunk.
            while (chars > 0 && tokens + EncodeChunk(chunk[..chars]).Length > maxTokens)
                chars -= char.IsLowSurrogate(chunk[chars - 1]) && chars > 1 ? 2 : 1;
            return text[..(kept + chars)];
        }
        return text;
    }

    /// <summary>
    /// True for a byte-fallback token: a single byte 0x80–0xFF standing alone. A tokenizer emits these for characters
    /// its vocabulary has never merged, so their share of a text's tokens measures how poorly the vocabulary covers it.
    /// (A byte-level merge that spans two characters, common inside CJK words, is a learned token and does not count.)
    /// </summary>
    public abstract bool IsByteFallback(int id);

    /// <summary>
    /// Decodes ids back to text. Special tokens are dropped unless <paramref name="skipSpecialTokens"/> is false,
    /// in which case their text is emitted. Byte sequences that are not valid UTF-8 (possible for generated ids)
    /// become U+FFFD.
    /// </summary>
    public abstract string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true);

    /// <summary>Readable form of one token: special text, its characters, or <c>&lt;0xAB&gt;</c> bytes when not valid UTF-8 alone.</summary>
    public abstract string TokenText(int id);

    /// <summary>The tokenizer's file content (<c>tokenizer.json</c>).</summary>
    public abstract string ToJson();

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> (UTF-8, via a temporary file and rename).</summary>
    public void Save(string path)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, ToJson(), new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Loads a <c>tokenizer.json</c> of either kind (see the type remarks).</summary>
    public static Tokenizer Load(string path) => FromJson(File.ReadAllText(path, Encoding.UTF8));

    /// <summary>
    /// Reads a Hugging Face <c>tokenizer.json</c> or the engine's former format; throws <see cref="FormatException"/>
    /// naming the problem.
    /// </summary>
    public static Tokenizer FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("tokenizer.json is empty.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new FormatException($"tokenizer.json is not a JSON object: {e.Message}", e);
        }
        if (root["model"] is not null) return HuggingFaceTokenizer.FromJson(root, json);
        return PortalBpeTokenizer.FromJson(root);
    }

    /// <summary>The text the chunks are cut from (a <c>tokenizer.json</c> normalizer; the text itself otherwise).</summary>
    private protected virtual string Normalize(string text) => text;

    /// <summary>Chunks of already normalised <paramref name="text"/> that merges never cross; they concatenate to it.</summary>
    private protected abstract IEnumerable<string> Chunks(string text);

    /// <summary>Ids of one chunk.</summary>
    private protected abstract int[] EncodeChunk(string chunk);

    /// <summary>How many UTF-8 bytes token <paramref name="id"/> spells.</summary>
    private protected abstract int TokenByteLength(int id);
}
