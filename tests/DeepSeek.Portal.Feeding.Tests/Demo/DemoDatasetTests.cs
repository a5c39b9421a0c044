using DeepSeek.Portal.Feeding.Splitting;
using System.Text;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Feeding.Tests.Demo;

public sealed class DemoDatasetTests : IDisposable
{
    private static readonly IReadOnlyList<string> Default = DemoDataset.Generate();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "feeding-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void Generate_returns_the_same_texts_for_the_same_seed()
    {
        Assert.Equal(Default, DemoDataset.Generate(seed: 7, count: 3000));
        Assert.Equal(3000, Default.Count);
    }

    [Fact]
    public void Generate_returns_different_texts_for_a_different_seed()
    {
        var other = DemoDataset.Generate(seed: 8);

        Assert.NotEqual(Default, other);
        Assert.True(Default.Intersect(other).Count() < Default.Count / 2);
    }

    [Fact]
    public void Generate_pins_its_output_so_demo_runs_stay_comparable_across_releases()
    {
        // A changed template or generator changes every demo run's numbers; that must be a decision, not an accident.
        var first = Default[0];

        Assert.Equal("客户：我要给李明转59,200元，对方也是本行账户。\n客服：赵敏女士，本行转账免手续费，实时到账。请在手机银行核对收款人李明的信息后提交。", first);
    }

    [Fact]
    public void Generate_is_sixty_percent_chinese_and_forty_percent_english()
    {
        Assert.Equal(1800, Default.Count(t => t.StartsWith("客户：", StringComparison.Ordinal) && t.Contains("\n客服：", StringComparison.Ordinal)));
        Assert.Equal(1200, Default.Count(t => t.StartsWith("Customer: ", StringComparison.Ordinal) && t.Contains("\nAgent: ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(-1)]
    [InlineData(123456)]
    public void Generate_keeps_every_text_between_40_and_250_characters(int seed)
    {
        var texts = DemoDataset.Generate(seed);

        Assert.All(texts, t => Assert.InRange(t.Length, 40, 250));
    }

    [Fact]
    public void Generate_returns_distinct_texts()
    {
        Assert.Equal(Default.Count, Default.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Generate_draws_on_many_templates()
    {
        Assert.True(ChineseTemplates.All.Count >= 25, $"{ChineseTemplates.All.Count} Chinese templates");
        Assert.True(EnglishTemplates.All.Count >= 25, $"{EnglishTemplates.All.Count} English templates");
    }

    [Theory]
    [InlineData("余额", "balance")]
    [InlineData("转账", "transfer")]
    [InlineData("挂失", "report it")]
    [InlineData("贷款的年利率", "rate for a")]
    [InlineData("汇率", "exchange rate")]
    [InlineData("营业时间", "is open")]
    [InlineData("投诉", "complaint")]
    public void Generate_covers_every_support_intent_in_both_languages(string chinese, string english)
    {
        Assert.Contains(Default, t => t.StartsWith("客户", StringComparison.Ordinal) && t.Contains(chinese, StringComparison.Ordinal));
        Assert.Contains(Default, t => t.StartsWith("Customer", StringComparison.Ordinal) && t.Contains(english, StringComparison.Ordinal));
    }

    [Fact]
    public void Generate_states_the_same_facts_in_every_text()
    {
        // Learnable structure: a rate or a rule never varies between records.
        Assert.All(Default.Where(t => t.Contains("3-year fixed deposit is", StringComparison.Ordinal)), t => Assert.Contains("2.75%", t));
        Assert.All(Default.Where(t => t.Contains("3年期定期存款的年利率", StringComparison.Ordinal)), t => Assert.Contains("2.75%", t));
        Assert.All(Default.Where(t => t.Contains("Can I visit the Guangzhou branch", StringComparison.Ordinal)), t => Assert.Contains("closed on Saturdays", t));
        Assert.All(Default.Where(t => t.StartsWith("客户：我的信用卡丢了", StringComparison.Ordinal)), t => Assert.Contains("400-800-6688", t));
    }

    [Fact]
    public void Generate_rejects_counts_out_of_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DemoDataset.Generate(count: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DemoDataset.Generate(count: DemoDataset.MaxCount + 1));
        Assert.Empty(DemoDataset.Generate(count: 0));
    }

    [Fact]
    public void Split_is_disjoint_and_covers_every_text()
    {
        var (train, heldOut) = HeldOutSplit.Split(Default);

        Assert.Equal(150, heldOut.Count);
        Assert.Equal(2850, train.Count);
        Assert.Empty(train.Intersect(heldOut));
        Assert.Equal(Default.Order(StringComparer.Ordinal), train.Concat(heldOut).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Split_is_deterministic_for_a_seed_and_varies_with_it()
    {
        var a = HeldOutSplit.Split(Default, seed: 1);
        var b = HeldOutSplit.Split(Default, seed: 1);
        var c = HeldOutSplit.Split(Default, seed: 2);

        Assert.Equal(a.HeldOut, b.HeldOut);
        Assert.Equal(a.Train, b.Train);
        Assert.NotEqual(a.HeldOut, c.HeldOut);
    }

    [Fact]
    public void Split_keeps_duplicates_on_one_side_and_preserves_order()
    {
        string[] texts = ["a", "b", "a", "c", "d", "a", "e", "f", "g", "h"];

        for (var seed = 0; seed < 20; seed++)
        {
            var (train, heldOut) = HeldOutSplit.Split(texts, 0.3, seed);

            Assert.Empty(train.Intersect(heldOut));
            Assert.Equal(texts.Length, train.Count + heldOut.Count);
            Assert.Equal(texts.Where(train.Contains), train);
        }
    }

    [Fact]
    public void Split_holds_out_at_least_one_text_when_asked_to()
    {
        var (train, heldOut) = HeldOutSplit.Split(["x", "y", "z"], 0.01);

        Assert.Single(heldOut);
        Assert.Equal(2, train.Count);
    }

    [Fact]
    public async Task WriteJsonlAsync_output_reimports_with_zero_errors()
    {
        var path = Path.Combine(_directory, "nested", "demo.jsonl");

        await DemoDataset.WriteJsonlAsync(path);

        await using var file = File.OpenRead(path);
        var result = await DatasetImporter.ParseAsync(file, Path.GetFileName(path), new ImportLimits(), CancellationToken.None);
        Assert.Empty(result.Errors);
        Assert.Equal(Default, result.Records.Select(r => r.Text));
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => (long)i), result.Records.Select(r => r.Line));
    }

    [Fact]
    public async Task WriteJsonlAsync_writes_readable_utf8_without_a_byte_order_mark()
    {
        var path = Path.Combine(_directory, "demo.jsonl");

        await DemoDataset.WriteJsonlAsync(path, count: 20);

        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal((byte)'{', bytes[0]);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Contains("客户：", text);
        Assert.DoesNotContain("\\u5BA2", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(20, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith("{\"text\":\"", l));
    }

    [Fact]
    public async Task WriteJsonlAsync_replaces_an_existing_file_and_leaves_no_temporary_files()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "demo.jsonl");
        await File.WriteAllTextAsync(path, "old content");

        await DemoDataset.WriteJsonlAsync(path, seed: 3, count: 10);

        Assert.Equal(10, (await File.ReadAllLinesAsync(path)).Length);
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task WriteJsonlAsync_leaves_the_target_untouched_when_cancelled()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "demo.jsonl");
        await File.WriteAllTextAsync(path, "previous version");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DemoDataset.WriteJsonlAsync(path, ct: cts.Token));

        Assert.Equal("previous version", await File.ReadAllTextAsync(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Describe_is_bilingual()
    {
        var description = DemoDataset.Describe();

        Assert.Contains("bank", description);
        Assert.Contains("银行", description);
        Assert.Equal("demo-bank-support", DemoDataset.Name);
        Assert.Equal("Demo: bilingual banking support", DemoDataset.DisplayName);
    }
}
