using System.Text.Json.Nodes;
using DeepSeek.Portal.Engine.Tokenization;
using static DeepSeek.Portal.Engine.Tests.Tokenization.SmallTokenizers;

namespace DeepSeek.Portal.Engine.Tests.Tokenization;

/// <summary>
/// Loading tokenizer.json files built here and encoding with them: the ids must equal a plain reference BPE over
/// the pieces the Hugging Face rules give (worked out by hand in <see cref="PreTokenizerTests"/>).
/// </summary>
public class HuggingFaceTokenizerTests
{
    private static readonly Lazy<(JsonObject Json, HuggingFaceTokenizer Tokenizer)> V3 = new(() => Build(TokenizerFamily.DeepSeekV3));
    private static readonly Lazy<(JsonObject Json, HuggingFaceTokenizer Tokenizer)> Llm = new(() => Build(TokenizerFamily.DeepSeekLlm));
    private static readonly Lazy<(JsonObject Json, HuggingFaceTokenizer Tokenizer)> Qwen = new(() => Build(TokenizerFamily.Qwen2));

    private static (JsonObject, HuggingFaceTokenizer) Build(TokenizerFamily family)
    {
        var json = Json(family, LearnMerges(120));
        return (json, Load(json));
    }

    public static TheoryData<string> RoundTripTexts => new(
        "客户张伟的账户余额为1234.56元。",
        "Customer Zhang Wei has a balance of 1234.56 yuan.",
        "digits 0 12 345 6789 1234567890 ٣٤٥",
        "emoji 😀👍🏽🦄 👨‍👩‍👧 and 𠀀𠀁 (supplementary Han)",
        "混合 mixed 文本 text\ttabs\r\nnewlines\n\n  spaces  ",
        "Ünïcödé e\u0301 Ελληνικά, русский, 日本語のテキスト, 한국어, 𐐀𐐁",
        "\0control\u0007chars\u001b[0m",
        "");

    [Theory]
    [MemberData(nameof(RoundTripTexts))]
    public void Decode_of_encode_returns_the_text_for_every_family(string text)
    {
        foreach (var tokenizer in new[] { V3.Value.Tokenizer, Llm.Value.Tokenizer, Qwen.Value.Tokenizer })
        {
            var ids = tokenizer.Encode(text);
            Assert.Equal(text, tokenizer.Decode(ids));
            Assert.Equal(ids, tokenizer.EncodeWithAddedTokens(text));
        }
    }

    [Fact]
    public void V3_ids_equal_the_reference_bpe_over_the_hand_split_pieces()
    {
        var (json, tokenizer) = V3.Value;
        var text = "Hello, world! 12345 银行账户余额为1234元。😀👍🏽 I'm fine\n\n";
        string[] pieces = ["Hello", ",", " world", "!", " ", "123", "45", " ", "银行账户余额为", "123", "4", "元", "。😀👍🏽", " I", "'m", " fine", "\n\n"];
        Assert.Equal(ReferenceIds(json, pieces), tokenizer.Encode(text));
    }

    [Fact]
    public void Llm_ids_equal_the_reference_bpe_with_single_digits()
    {
        var (json, tokenizer) = Llm.Value;
        string[] pieces = ["Hello", " World", "\n", "你好", "，", "世界", "！", " ", "1", "2", "3", " Ελληνικά", "  ", "\n"];
        Assert.Equal(ReferenceIds(json, pieces), tokenizer.Encode("Hello World\n你好，世界！ 123 Ελληνικά  \n"));
        // "123" is a merged token in this vocabulary, but the digit step never lets it form.
        Assert.NotNull(tokenizer.TokenToId(Spell("123")));
        Assert.Equal(3, tokenizer.Encode("123").Length);
        Assert.Single(V3.Value.Tokenizer.Encode("123"));
    }

    [Fact]
    public void Qwen2_ids_equal_the_reference_bpe()
    {
        var (json, tokenizer) = Qwen.Value;
        string[] pieces = ["I", "'m", " ", "2", "0", "2", "4", "年", " OK", "'s", " 😀\n"];
        Assert.Equal(ReferenceIds(json, pieces), tokenizer.Encode("I'm 2024年 OK's 😀\n"));
    }

    [Fact]
    public void Random_mixed_text_matches_the_reference_over_the_pre_tokenizer_pieces()
    {
        var random = new Random(3);
        string[] alphabet = ["h", "e", "l", "o", " ", "the", "n", "银", "行", "卡", "账", "户", "1", "2", "3", "😀", "👍", "\n", "'", "m", "s", "。"];
        foreach (var (json, tokenizer, family) in new[] { (V3.Value.Json, V3.Value.Tokenizer, TokenizerFamily.DeepSeekV3), (Qwen.Value.Json, Qwen.Value.Tokenizer, TokenizerFamily.Qwen2) })
        {
            var preTokenizer = HuggingFacePreTokenizer.FromJson(TokenizerFamilies.PreTokenizer(family));
            for (int n = 0; n < 300; n++)
            {
                var text = string.Concat(Enumerable.Range(0, random.Next(1, 25)).Select(_ => alphabet[random.Next(alphabet.Length)]));
                Assert.Equal(ReferenceIds(json, preTokenizer.Split(text)), tokenizer.Encode(text));
            }
        }
    }

    [Fact]
    public void The_lowest_ranked_merge_wins_and_later_merges_build_on_it()
    {
        // "abc": with a+b ranked first, "ab"+"c" can follow; with b+c first, "a" stays alone.
        var abFirst = Load(Json(TokenizerFamily.DeepSeekV3, [("a", "b"), ("b", "c"), ("ab", "c")]));
        Assert.Equal([abFirst.TokenToId("abc")!.Value], abFirst.Encode("abc"));
        var bcFirst = Load(Json(TokenizerFamily.DeepSeekV3, [("b", "c"), ("a", "b"), ("ab", "c")]));
        Assert.Equal([bcFirst.TokenToId("a")!.Value, bcFirst.TokenToId("bc")!.Value], bcFirst.Encode("abc"));
        // "aaa" merges left to right: "aa" + "a".
        var aa = Load(Json(TokenizerFamily.DeepSeekV3, [("a", "a")]));
        Assert.Equal([aa.TokenToId("aa")!.Value, aa.TokenToId("a")!.Value], aa.Encode("aaa"));
    }

    [Fact]
    public void An_unseen_character_falls_back_to_its_utf8_bytes_and_counts_as_fallback()
    {
        var tokenizer = V3.Value.Tokenizer;
        var ids = tokenizer.Encode("龘"); // E9 BE 98, never merged in this vocabulary
        Assert.Equal(["é", "¾", "ĺ"], ids.Select(id => tokenizer.IdToToken(id)));
        Assert.All(ids, id => Assert.True(tokenizer.IsByteFallback(id)));
        Assert.Equal((3, 3), tokenizer.CountTokens("龘"));
        Assert.Equal("<0xE9>", tokenizer.TokenText(ids[0]));
        Assert.Equal(0, tokenizer.CountTokens("hello 银行").ByteFallbackTokens);

        var emoji = tokenizer.Encode("🦄"); // four bytes, F0 9F A6 84: the corpus merged "ðŁ" (F0 9F) from 😀 and 👍
        Assert.Equal("🦄", tokenizer.Decode(emoji));
        Assert.Equal(Spell("\U0001F984"), string.Concat(emoji.Select(id => tokenizer.IdToToken(id))));
    }

    [Fact]
    public void Added_tokens_are_matched_only_when_asked_and_special_ones_are_skipped_when_decoding()
    {
        var tokenizer = V3.Value.Tokenizer;
        var text = "<｜begin▁of▁sentence｜>你好<｜User｜>hello<think>x</think>";
        var ids = tokenizer.EncodeWithAddedTokens(text);
        Assert.Equal(0, ids[0]);
        Assert.Contains(128803, ids);
        Assert.Contains(128798, ids);
        Assert.Contains(128799, ids);
        Assert.Equal(text, tokenizer.Decode(ids, skipSpecialTokens: false));
        // <think> is not special in R1's file, so it survives skipping.
        Assert.Equal("你好hello<think>x</think>", tokenizer.Decode(ids));

        var plain = tokenizer.Encode(text);
        Assert.DoesNotContain(0, plain);
        Assert.DoesNotContain(128803, plain);
        Assert.Equal(text, tokenizer.Decode(plain));
        Assert.Equal((0, 1, 2), (tokenizer.BosId, tokenizer.EosId, tokenizer.PadId));
    }

    [Fact]
    public void Padding_falls_back_to_end_of_sentence_and_ids_follow_the_family()
    {
        var qwen = Qwen.Value.Tokenizer;
        Assert.Equal((151646, 151643, 151643), (qwen.BosId, qwen.EosId, qwen.PadId));
        Assert.Equal(151650, qwen.VocabSize);
        var llm = Llm.Value.Tokenizer;
        Assert.Equal((100000, 100001), (llm.BosId, llm.EosId));
    }

    [Fact]
    public void Lstrip_and_rstrip_added_tokens_take_the_neighbouring_space()
    {
        var json = Json(TokenizerFamily.DeepSeekV3, LearnMerges(20));
        json["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = 500, ["content"] = "<mask>", ["lstrip"] = true, ["rstrip"] = true, ["special"] = true });
        var tokenizer = Load(json);
        var ids = tokenizer.EncodeWithAddedTokens("a  <mask> b");
        Assert.Equal([tokenizer.TokenToId("a")!.Value, 500, tokenizer.TokenToId("b")!.Value], ids);
    }

    [Fact]
    public void Ignore_merges_takes_a_whole_vocabulary_word_first()
    {
        var whole = Spell(" wxyz");
        var with = Load(Json(TokenizerFamily.DeepSeekV3, [("w", "x")], ignoreMerges: true, extraVocabulary: [whole]));
        Assert.Equal([with.TokenToId(whole)!.Value], with.Encode(" wxyz"));
        var without = Load(Json(TokenizerFamily.DeepSeekV3, [("w", "x")], ignoreMerges: false, extraVocabulary: [whole]));
        Assert.Equal(4, without.Encode(" wxyz").Length);
    }

    [Fact]
    public void An_nfkc_normalizer_applies_before_pre_tokenization()
    {
        var json = Json(TokenizerFamily.DeepSeekV3, LearnMerges(120));
        json["normalizer"] = new JsonObject { ["type"] = "NFKC" };
        var tokenizer = Load(json);
        Assert.Equal(tokenizer.Encode("hello"), tokenizer.Encode("ｈｅｌｌｏ"));
        Assert.Equal("hello", tokenizer.Decode(tokenizer.Encode("ｈｅｌｌｏ")));
    }

    [Fact]
    public void Merges_as_pairs_load_like_merges_as_strings()
    {
        var json = Json(TokenizerFamily.DeepSeekV3, LearnMerges(60));
        var asStrings = Load(json);
        var pairs = new JsonArray([.. json["model"]!["merges"]!.AsArray().Select(m => (JsonNode?)new JsonArray([.. m!.GetValue<string>().Split(' ').Select(p => (JsonNode?)JsonValue.Create(p))]))]);
        json["model"]!["merges"] = pairs;
        Assert.Equal(asStrings.Encode("hello world 银行卡"), Load(json).Encode("hello world 银行卡"));
    }

    [Fact]
    public void Unpaired_surrogates_read_as_replacement_characters()
    {
        var tokenizer = V3.Value.Tokenizer;
        Assert.Equal("a\uFFFDb", tokenizer.Decode(tokenizer.Encode("a\uD800b")));
        Assert.Equal(tokenizer.Encode("a\uFFFDb"), tokenizer.EncodeWithAddedTokens("a\uDC00b"));
    }

    [Fact]
    public void Saving_and_loading_keeps_the_file_and_the_ids()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "tokenizer.json");
        V3.Value.Tokenizer.Save(path);
        var loaded = Assert.IsType<HuggingFaceTokenizer>(Tokenizer.Load(path));
        Assert.Equal(V3.Value.Tokenizer.ToJson(), loaded.ToJson());
        Assert.Equal(V3.Value.Tokenizer.Encode("客户 balance 😀 123"), loaded.Encode("客户 balance 😀 123"));
    }

    public static TheoryData<string, string> UnsupportedFiles => new()
    {
        { "pre_tokenizer", """{"type":"Metaspace","replacement":"▁"}""" },
        { "normalizer", """{"type":"Lowercase"}""" },
        { "decoder", """{"type":"WordPiece"}""" },
        { "pre_tokenizer", """{"type":"Split","pattern":{"Regex":"a"},"behavior":"Removed","invert":false}""" },
    };

    [Theory]
    [MemberData(nameof(UnsupportedFiles))]
    public void Files_that_would_tokenise_differently_are_refused(string field, string value)
    {
        var json = Json(TokenizerFamily.DeepSeekV3, []);
        json[field] = JsonNode.Parse(value);
        Assert.Throws<FormatException>(() => Load(json));
    }

    [Fact]
    public void A_vocabulary_missing_a_byte_or_with_dropout_is_refused()
    {
        var json = Json(TokenizerFamily.DeepSeekV3, []);
        json["model"]!["vocab"]!.AsObject().Remove("Ġ");
        Assert.Contains("0x20", Assert.Throws<FormatException>(() => Load(json)).Message);
        var dropout = Json(TokenizerFamily.DeepSeekV3, []);
        dropout["model"]!["dropout"] = 0.1;
        Assert.Throws<FormatException>(() => Load(dropout));
        Assert.Throws<FormatException>(() => HuggingFaceTokenizer.FromJson("[1,2]"));
    }
}
