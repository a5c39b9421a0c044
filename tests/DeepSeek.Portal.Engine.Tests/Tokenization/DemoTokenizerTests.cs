using System.Text.Json.Nodes;
using DeepSeek.Portal.Engine.Tokenization;

namespace DeepSeek.Portal.Engine.Tests.Tokenization;

/// <summary>The demo model's tokenizer: its default size, its file, and the checkpoints written before it.</summary>
public class DemoTokenizerTests
{
    private static readonly string[] English =
    [
        "Customer Zhang Wei has a balance of 1234.56 yuan.",
        "How can we help you today?",
    ];

    /// <summary>
    /// Chinese-like data: short runs of about 3,000 distinct characters spread over the CJK block, the frequent ones
    /// far more common than the rare ones.
    /// </summary>
    private static List<string> ChineseHeavy(int texts, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, texts)
            .Select(_ => string.Concat(Enumerable.Range(0, random.Next(2, 9)).Select(_ => (char)(0x4E00 + 7 * (int)(3000 * Math.Pow(random.NextDouble(), 1.5))))))
            .ToList();
    }

    [Fact]
    public void The_default_size_grows_with_the_distinct_characters_of_the_data()
    {
        int chinese = ByteLevelBpeTraining.DefaultVocabSize(ChineseHeavy(3000, 1));
        Assert.True(chinese > 3000, $"Chinese-heavy data got {chinese}");
        Assert.Equal(0, chinese % 256);
        Assert.Equal(ByteLevelBpeTraining.MinDefaultVocabSize, ByteLevelBpeTraining.DefaultVocabSize(Enumerable.Repeat(English, 40).SelectMany(t => t)));
        Assert.Equal(ByteLevelBpeTraining.MinDefaultVocabSize, ByteLevelBpeTraining.DefaultVocabSize([]));
    }

    [Fact]
    public void Chinese_heavy_data_at_the_default_size_keeps_characters_whole_where_2048_cannot()
    {
        var texts = ChineseHeavy(3000, 1);
        var heldOut = ChineseHeavy(300, 2);
        int characters = heldOut.Sum(t => t.Length);
        var automatic = Tokenizer.Train(texts);
        var small = Tokenizer.Train(texts, 2048);
        double automaticPerChar = (double)heldOut.Sum(t => automatic.CountTokens(t).Tokens) / characters;
        double smallPerChar = (double)heldOut.Sum(t => small.CountTokens(t).Tokens) / characters;
        Assert.True(automaticPerChar < 1.1, $"default ({automatic.VocabSize}): {automaticPerChar:F2} tokens per character");
        Assert.True(smallPerChar > 1.25, $"2,048: {smallPerChar:F2} tokens per character");
        Assert.True(heldOut.Sum(t => automatic.CountTokens(t).ByteFallbackTokens) * 5 < heldOut.Sum(t => small.CountTokens(t).ByteFallbackTokens));
    }

    [Fact]
    public void The_trained_file_is_a_standard_byte_level_bpe_tokenizer_json()
    {
        var corpus = DemoCorpus.Generate(300, 4);
        var tokenizer = Tokenizer.Train(corpus, 700);
        var json = JsonNode.Parse(tokenizer.ToJson())!.AsObject();
        Assert.Equal("BPE", (string?)json["model"]!["type"]);
        Assert.Equal("ByteLevel", (string?)json["decoder"]!["type"]);
        Assert.Equal(TokenizerFamilies.PreTokenizer(TokenizerFamily.DeepSeekV3).ToJsonString(), json["pre_tokenizer"]!.ToJsonString());
        var vocab = json["model"]!["vocab"]!.AsObject();
        Assert.Equal(tokenizer.VocabSize, vocab.Count);
        Assert.True(tokenizer.VocabSize <= 700);
        Assert.Equal(3 + 0x20, (int)vocab["Ġ"]!);
        Assert.Equal([Tokenizer.BeginOfSentence, Tokenizer.EndOfSentence, Tokenizer.Pad], json["added_tokens"]!.AsArray().Select(t => (string)t!["content"]!));
        Assert.All(json["added_tokens"]!.AsArray(), t => Assert.True((bool)t!["special"]!));

        // The plain reference BPE over the V3 pieces gives the same ids as the tokenizer.
        var preTokenizer = HuggingFacePreTokenizer.FromJson(TokenizerFamilies.PreTokenizer(TokenizerFamily.DeepSeekV3));
        foreach (var text in corpus.Take(50).Append("混合 mixed 文本 123456 😀"))
            Assert.Equal(SmallTokenizers.ReferenceIds(json, preTokenizer.Split(text)), tokenizer.Encode(text));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(null)]
    public void A_saved_tokenizer_loads_back_encoding_every_text_as_the_trained_one(int? vocabSize)
    {
        // A resumed run re-tokenizes its data with the tokenizer read from the checkpoint: any difference changes
        // the batches after the resume point.
        string[] names = ["张伟", "李娜", "王芳", "Emma", "Oliver", "Chen"];
        var texts = Enumerable.Range(0, 120).Select(i => i % 2 == 0
            ? $"客户：{names[i % 6]}的账户余额是多少？\n客服：您好，{names[i % 6]}，您的余额为{100 + i * 7}元。"
            : $"Customer: What is the balance of {names[i % 6]}?\nAgent: Hello {names[i % 6]}, your balance is {100 + i * 7} yuan.")
            .Concat(DemoCorpus.Generate(200, 9)).ToList();
        var trained = Tokenizer.Train(texts, vocabSize);
        var loaded = Tokenizer.FromJson(trained.ToJson());
        Assert.Equal(trained.VocabSize, loaded.VocabSize);
        foreach (var text in texts)
            Assert.Equal(trained.Encode(text, addBos: true, addEos: true), loaded.Encode(text, addBos: true, addEos: true));
    }

    [Theory]
    [InlineData("客户张伟的账户余额为1234.56元。")]
    [InlineData("Customer Zhang Wei has a balance of 1234.56 yuan.")]
    [InlineData("0 12 345 6789 1234567890")]
    [InlineData("emoji 😀👍🏽🦄 👨‍👩‍👧")]
    public void Round_trips_on_chinese_english_digits_and_emoji(string text)
    {
        var tokenizer = Tokenizer.Train(DemoCorpus.Generate(300, 4), 700);
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        Assert.Equal(text, Tokenizer.FromJson(tokenizer.ToJson()).Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void A_tokenizer_in_the_former_engine_format_still_loads_with_its_own_ids()
    {
        var corpus = DemoCorpus.Generate(300, 4);
        var legacy = PortalBpeTokenizer.Train(corpus, 600);
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "tokenizer.json");
        legacy.Save(path);
        Assert.Contains("\"deepseek-portal-bpe\"", File.ReadAllText(path));

        var loaded = Tokenizer.Load(path);
        Assert.IsType<PortalBpeTokenizer>(loaded);
        foreach (var text in corpus.Take(30).Append("混合 mixed 😀 123"))
            Assert.Equal(legacy.Encode(text), loaded.Encode(text));
        // Saved again (a resumed run's next checkpoint), it stays in its own format.
        Assert.Equal(legacy.ToJson(), loaded.ToJson());
        Assert.True(loaded.IsByteFallback(legacy.Encode("🦄")[0]));
    }
}
