using System.Text.Json.Nodes;

namespace DeepSeek.Portal.Engine.Tokenization;

/// <summary>The DeepSeek tokenizer families, which differ in their pre-tokenizer rules and special-token ids.</summary>
public enum TokenizerFamily
{
    /// <summary>DeepSeek-V3 and R1: digits in groups of one to three, CJK/kana runs, then words, punctuation, space.</summary>
    DeepSeekV3,

    /// <summary>deepseek-llm (7B/67B) and DeepSeek-V2(-Lite): newlines, Latin/Greek/Cyrillic… words, ASCII and
    /// full-width punctuation, trailing space, CJK/Hangul runs, then single digits.</summary>
    DeepSeekLlm,

    /// <summary>Qwen2, which DeepSeek-R1-Distill-Qwen keeps: GPT-4-style words, contractions and single digits.</summary>
    Qwen2,
}

/// <summary>
/// Each family's pre-tokenizer and special tokens, as their <c>tokenizer.json</c> files give them. Loading a real
/// <c>tokenizer.json</c> never uses these (the file's own rules apply); they build the demo tokenizer (V3 rules) and
/// the tests' small tokenizers, and document the families.
/// </summary>
public static class TokenizerFamilies
{
    /// <summary>V3/R1 step 1: numbers in groups of at most three.</summary>
    public const string DeepSeekV3Digits = @"\p{N}{1,3}";

    /// <summary>V3/R1 step 2: runs of CJK ideographs U+4E00–U+9FA5, hiragana and katakana.</summary>
    public const string DeepSeekV3Cjk = "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+";

    /// <summary>V3/R1 step 3: a punctuation mark joined to the word after it, words with one leading non-letter,
    /// punctuation runs with trailing newlines, newline runs, and white space.</summary>
    public const string DeepSeekV3Words =
        @"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>deepseek-llm/V2 step 1: each CR and LF alone.</summary>
    public const string DeepSeekLlmNewlines = @"[\r\n]";

    /// <summary>
    /// deepseek-llm/V2 step 2: an optional white-space character and a run of cased letters (Latin, Greek, Cyrillic,
    /// Armenian, Georgian, Cherokee, Glagolitic, Coptic, full-width Latin, Deseret, Osage…). Written with escapes:
    /// NFC would turn U+1F7D, U+1FD3, U+1FDB, U+1FBE, U+2126 and U+212A into other code points and two ranges into
    /// reversed ones.
    /// </summary>
    public const string DeepSeekLlmLetters =
        "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377"
        + "\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556"
        + "\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A"
        + "\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4"
        + "\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC"
        + "\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F"
        + "\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B"
        + "\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A"
        + "\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2"
        + "\U000118A0-\U000118DF\U0001E900-\U0001E943]+";

    /// <summary>deepseek-llm/V2 step 3: an optional white-space character and a run of ASCII, full-width and CJK punctuation.</summary>
    public const string DeepSeekLlmPunctuation = "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+";

    /// <summary>deepseek-llm/V2 step 4: white space at the end of a line.</summary>
    public const string DeepSeekLlmTrailingSpace = @"\s+$";

    /// <summary>deepseek-llm/V2 step 5: runs of CJK (U+4E00–U+9FA5, U+0800–U+4E00) and Hangul.</summary>
    public const string DeepSeekLlmCjk = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";

    /// <summary>Qwen2 (and R1-Distill-Qwen): the whole split pattern.</summary>
    public const string Qwen2Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The <c>pre_tokenizer</c> object of <paramref name="family"/>'s <c>tokenizer.json</c>.</summary>
    /// <remarks>
    /// deepseek-llm's digit step is <c>Digits</c> with <c>individual_digits</c> true: the DeepSeek LLM paper splits
    /// numbers into single digits (llama.cpp approximates the step with <c>\p{N}+</c>). A real file's own step wins
    /// when one is loaded.
    /// </remarks>
    public static JsonObject PreTokenizer(TokenizerFamily family)
    {
        JsonObject[] steps = family switch
        {
            TokenizerFamily.DeepSeekV3 => [Split(DeepSeekV3Digits), Split(DeepSeekV3Cjk), Split(DeepSeekV3Words), ByteLevel()],
            TokenizerFamily.DeepSeekLlm =>
            [
                Split(DeepSeekLlmNewlines), Split(DeepSeekLlmLetters), Split(DeepSeekLlmPunctuation), Split(DeepSeekLlmTrailingSpace),
                Split(DeepSeekLlmCjk), new JsonObject { ["type"] = "Digits", ["individual_digits"] = true }, ByteLevel(),
            ],
            TokenizerFamily.Qwen2 => [Split(Qwen2Pattern), ByteLevel()],
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
        };
        return new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray([.. steps]) };
    }

    /// <summary>
    /// The family's special tokens and their ids in the released vocabularies (V3/R1: 129,280 ids; deepseek-llm/V2:
    /// 102,400; R1-Distill-Qwen: 151,936). V3's <c>&lt;think&gt;</c> ids come from third-party copies only.
    /// </summary>
    public static IReadOnlyDictionary<string, int> SpecialTokens(TokenizerFamily family) => family switch
    {
        TokenizerFamily.DeepSeekV3 => new Dictionary<string, int>
        {
            [Tokenizer.BeginOfSentence] = 0, [Tokenizer.EndOfSentence] = 1, [Tokenizer.Pad] = 2,
            [ChatTemplates.UserTag] = 128803, [ChatTemplates.AssistantTag] = 128804,
            [ChatTemplates.ThinkStart] = 128798, [ChatTemplates.ThinkEnd] = 128799,
        },
        TokenizerFamily.DeepSeekLlm => new Dictionary<string, int>
        {
            [Tokenizer.BeginOfSentence] = 100000, [Tokenizer.EndOfSentence] = 100001,
        },
        TokenizerFamily.Qwen2 => new Dictionary<string, int>
        {
            [Tokenizer.EndOfSentence] = 151643, [ChatTemplates.UserTag] = 151644, [ChatTemplates.AssistantTag] = 151645,
            [Tokenizer.BeginOfSentence] = 151646, ["<|EOT|>"] = 151647, [ChatTemplates.ThinkStart] = 151648, [ChatTemplates.ThinkEnd] = 151649,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    private static JsonObject Split(string pattern) => new()
    {
        ["type"] = "Split",
        ["pattern"] = new JsonObject { ["Regex"] = pattern },
        ["behavior"] = "Isolated",
        ["invert"] = false,
    };

    private static JsonObject ByteLevel() => new()
    {
        ["type"] = "ByteLevel",
        ["add_prefix_space"] = false,
        ["trim_offsets"] = true,
        ["use_regex"] = false,
    };
}
