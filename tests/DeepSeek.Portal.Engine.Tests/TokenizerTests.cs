using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Engine.Tests;

public class TokenizerTests
{
    private static readonly Lazy<Tokenizer> Trained = new(() => Tokenizer.Train(DemoCorpus.Generate(1500, 3), 1024));

    private static readonly string[] SampleTexts =
    [
        "客户张伟的账户余额为1234.56元。",
        "Customer Zhang Wei has a balance of 1234.56 yuan.",
        "混合 mixed 文本 text 123 with emoji 😀👍🏽 and 龘 (rare) + ©®™",
        "  leading and trailing spaces  ",
        "tabs\tand\nnewlines\r\n多行\n\n",
        "Ünïcödé combining: e\u0301 a\u0308, Ελληνικά, русский, 日本語のテキスト, 한국어",
        "\0control\u0007chars\u001b[0m",
        "<｜end▁of▁sentence｜> is just text here",
        "",
        "𠀀𠀁 supplementary-plane Han",
    ];

    public static TheoryData<string> Samples => new(SampleTexts);

    [Theory]
    [MemberData(nameof(Samples))]
    public void Decode_of_encode_returns_the_exact_input(string text)
    {
        var ids = Trained.Value.Encode(text);
        Assert.Equal(text, Trained.Value.Decode(ids));
        Assert.All(ids, id => Assert.InRange(id, 3, Trained.Value.VocabSize - 1));
    }

    [Fact]
    public void Special_tokens_have_fixed_ids_and_frame_a_sentence()
    {
        var tokenizer = Trained.Value;
        Assert.Equal((0, 1, 2), (tokenizer.BosId, tokenizer.EosId, tokenizer.PadId));
        var ids = tokenizer.Encode("你好", addBos: true, addEos: true);
        Assert.Equal(tokenizer.BosId, ids[0]);
        Assert.Equal(tokenizer.EosId, ids[^1]);
        Assert.Equal("你好", tokenizer.Decode(ids));
        Assert.Equal(Tokenizer.BeginOfSentence + "你好" + Tokenizer.EndOfSentence, tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void Saved_and_loaded_tokenizer_gives_identical_ids()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "tokenizer.json");
        Trained.Value.Save(path);
        var loaded = Tokenizer.Load(path);
        Assert.Equal(Trained.Value.VocabSize, loaded.VocabSize);
        foreach (var text in SampleTexts)
            Assert.Equal(Trained.Value.Encode(text), loaded.Encode(text));
        Assert.Equal(Trained.Value.ToJson(), loaded.ToJson());
    }

    [Fact]
    public void Training_is_deterministic_and_respects_the_vocabulary_bound()
    {
        var again = Tokenizer.Train(DemoCorpus.Generate(1500, 3), 1024);
        Assert.Equal(Trained.Value.ToJson(), again.ToJson());
        Assert.InRange(again.VocabSize, 300, 1024);
    }

    [Fact]
    public void At_the_default_size_the_corpus_needs_no_byte_fallback_and_frequent_words_merge()
    {
        var corpus = DemoCorpus.Generate(1500, 3);
        var tokenizer = Tokenizer.Train(corpus);
        Assert.Equal(ByteLevelBpeTraining.DefaultVocabSize(corpus), tokenizer.VocabSize);
        var chinese = string.Concat(corpus.SelectMany(t => t.EnumerateRunes()).Where(r => r.Value is >= 0x4E00 and <= 0x9FFF).Select(r => r.ToString()));
        foreach (var text in corpus.Take(200))
            Assert.Equal(0, tokenizer.CountTokens(text).ByteFallbackTokens);
        // Whole characters at least: never more tokens than characters on the corpus's own words.
        Assert.True(corpus.Take(200).Sum(t => tokenizer.CountTokens(t).Tokens) < corpus.Take(200).Sum(t => t.Length));
        Assert.Single(tokenizer.Encode(" balance"));
        Assert.True(tokenizer.Encode("账户余额").Length <= 2);
        Assert.True(tokenizer.MergeCount > 0);
        Assert.NotEmpty(chinese);
    }

    [Fact]
    public void Unknown_characters_fall_back_to_utf8_bytes()
    {
        var ids = Trained.Value.Encode("🦄");
        Assert.Equal(4, ids.Length); // four UTF-8 bytes, one byte token each
        Assert.Equal("<0xF0>", Trained.Value.TokenText(ids[0]));
    }

    [Fact]
    public void Unpaired_surrogates_are_not_unicode_text_and_come_back_as_replacement_characters()
    {
        var ids = Trained.Value.Encode("a\uD800b");
        Assert.Equal("a\uFFFDb", Trained.Value.Decode(ids));
    }

    [Fact]
    public void Train_rejects_a_vocabulary_smaller_than_specials_plus_bytes()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Train(["abc"], 100));
        Assert.Contains("259", e.Message);
    }

    [Fact]
    public void Loading_a_foreign_json_file_fails_with_a_format_error()
    {
        Assert.Throws<FormatException>(() => Tokenizer.FromJson("{\"type\":\"BPE\",\"version\":1}"));
        Assert.Throws<FormatException>(() => Tokenizer.FromJson("not json"));
    }
}

public class TokenizerCoverageTests
{
    private static readonly string[] English =
    [
        "Customer Zhang Wei has a balance of 1234.56 yuan.",
        "Hello Wang Fang, your appointment at the Beijing branch is confirmed.",
        "Agent: Dear Li Na, we will resolve a lost card within 24 hours.",
        "The annual interest rate of the savings account is 2.5%.",
        "How can we help you today?",
    ];

    private static readonly Lazy<Tokenizer> EnglishOnly = new(() => Tokenizer.Train(Enumerable.Repeat(English, 40).SelectMany(t => t), 600));

    [Fact]
    public void Counts_match_encode_and_a_known_character_is_not_byte_fallback()
    {
        var tokenizer = EnglishOnly.Value;
        foreach (var text in English.Append("客户张伟的账户余额为1234.56元。").Append(""))
            Assert.Equal(tokenizer.Encode(text).Length, tokenizer.CountTokens(text).Tokens);

        var bilingual = Tokenizer.Train(["银行 bank 银行 bank"], 400);
        Assert.Equal(0, bilingual.CountTokens("银行 bank").ByteFallbackTokens); // 银 and 行 are vocabulary characters
    }

    [Fact]
    public void A_tokenizer_trained_on_english_falls_back_to_bytes_on_chinese_only()
    {
        var tokenizer = EnglishOnly.Value;
        var (enTokens, enFallback) = tokenizer.CountTokens("Dear customer, your card was found at the branch.");
        var (zhTokens, zhFallback) = tokenizer.CountTokens("客户您好，您的银行卡已在分行找到。");
        Assert.True(enTokens > 0);
        Assert.Equal(0, enFallback);
        Assert.Equal(17 * 3, zhFallback); // 17 characters not in the vocabulary, three UTF-8 bytes each
        Assert.True((double)zhFallback / zhTokens > 0.95, $"fallback rate {(double)zhFallback / zhTokens:F2}");
    }

    [Fact]
    public void Byte_fallback_ids_are_the_non_ascii_byte_tokens()
    {
        var tokenizer = EnglishOnly.Value;
        var ids = tokenizer.Encode("a🦄");
        Assert.False(tokenizer.IsByteFallback(ids[0]));
        Assert.All(ids.Skip(1), id => Assert.True(tokenizer.IsByteFallback(id)));
        Assert.Equal((5, 4), tokenizer.CountTokens("a🦄"));
    }
}

public class TokenizerTruncationTests
{
    private static readonly Lazy<Tokenizer> Trained = new(() => Tokenizer.Train(DemoCorpus.Generate(1500, 3), 1024));

    [Theory]
    [InlineData("客户张伟的账户余额为1234.56元。Customer Zhang Wei has a balance of 1234.56 yuan.")]
    [InlineData("混合 mixed 文本 text 123 with emoji 😀👍🏽 and 龘 (rare) + ©®™")]
    [InlineData("Ünïcödé e\u0301 Ελληνικά, русский, 日本語のテキスト, 한국어")]
    public void Every_cut_is_a_prefix_within_the_budget_and_as_long_as_possible(string text)
    {
        var tokenizer = Trained.Value;
        int total = tokenizer.CountTokens(text).Tokens;
        Assert.Same(text, tokenizer.Truncate(text, total));
        string previous = "";
        for (int max = 0; max <= total; max++)
        {
            var cut = tokenizer.Truncate(text, max);
            Assert.StartsWith(cut, text, StringComparison.Ordinal);
            Assert.True(tokenizer.Encode(cut).Length <= max, $"{max}: '{cut}' has {tokenizer.Encode(cut).Length} tokens");
            Assert.True(cut.Length >= previous.Length);
            Assert.False(cut.Length > 0 && char.IsHighSurrogate(cut[^1]), "a cut never splits a surrogate pair");
            // One more character would not fit (or there is none).
            if (cut.Length < text.Length)
            {
                int next = char.IsHighSurrogate(text[cut.Length]) ? 2 : 1;
                Assert.True(tokenizer.Encode(text[..(cut.Length + next)]).Length > max || cut.Length + next > text.Length);
            }
            previous = cut;
        }
    }
}
