using DeepSeek.Portal.Feeding.Composer;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Tests.Composer;

public class EvaluationSetComposerTests
{
    private static readonly IReadOnlyList<string> Demo = DemoDataset.Generate(seed: 3, count: 400);

    private static EvaluationItem[] DomainItems(TextLanguage? language = null) =>
        Demo.Where(t => language is null || LanguageGuess.Classify(t) == language)
            .Select((t, i) => new EvaluationItem($"bank-{language?.ToString() ?? "all"}-{i}", t)).ToArray();

    private static EvaluationItem[] GeneralItems(int count) =>
        Enumerable.Range(0, count).Select(i => new EvaluationItem($"general-src-{i}",
            i % 2 == 0 ? $"The library on street {i} opens at nine and closes at five." : $"第{i}号公园的湖边种了很多柳树。")).ToArray();

    private static string Fingerprint(IEnumerable<ComposedItem> items) => string.Join("\n", items.Select(i =>
        $"{i.Id}|{i.Slice}|{i.SourceItemId}|{i.Text}|{i.Prompt}|{i.Perturbation?.Kind}|{i.Perturbation?.Description}|" +
        string.Join(";", i.Perturbation?.Parameters.Select(p => p.Key + "=" + p.Value) ?? [])));

    [Theory]
    [InlineData(100, 20, 60, 20)]
    [InlineData(50, 10, 30, 10)]
    [InlineData(7, 2, 4, 1)]
    [InlineData(33, 7, 20, 6)]
    [InlineData(1, 0, 1, 0)]
    public void Default_shares_give_exact_counts_for_a_size(int size, int general, int domain, int adversarial) =>
        Assert.Equal((general, domain, adversarial), SliceShares.Default.Counts(size));

    [Fact]
    public void Counts_always_sum_to_the_size_and_stay_within_one_item_of_each_share()
    {
        var shares = new SliceShares(15, 55, 30);
        for (int size = 0; size <= 500; size++)
        {
            var (g, d, a) = shares.Counts(size);
            Assert.Equal(size, g + d + a);
            Assert.True(Math.Abs(g - size * 0.15) < 1 && Math.Abs(d - size * 0.55) < 1 && Math.Abs(a - size * 0.30) < 1, $"size {size}: {g}/{d}/{a}");
        }
    }

    [Fact]
    public void The_suite_has_exactly_the_planned_items_per_slice()
    {
        var suite = EvaluationSetComposer.Compose(new CompositionRequest(GeneralItems(30), DomainItems(), 120));
        Assert.Equal(24, suite.Count(i => i.Slice == EvaluationSlice.General));
        Assert.Equal(72, suite.Count(i => i.Slice == EvaluationSlice.Domain));
        Assert.Equal(24, suite.Count(i => i.Slice == EvaluationSlice.Adversarial));
        Assert.Equal(suite.Count, suite.Select(i => i.Id).Distinct().Count());
        Assert.Equal(24, suite.Where(i => i.Slice == EvaluationSlice.General).Select(i => i.SourceItemId).Distinct().Count());
        Assert.All(suite.Where(i => i.Slice != EvaluationSlice.Adversarial), i => Assert.Null(i.Perturbation));
    }

    [Fact]
    public void Edited_shares_are_used_and_must_sum_to_a_hundred()
    {
        var request = new CompositionRequest(GeneralItems(30), DomainItems(), 40) { Shares = new SliceShares(50, 25, 25) };
        var suite = EvaluationSetComposer.Compose(request);
        Assert.Equal([20, 10, 10], new[] { EvaluationSlice.General, EvaluationSlice.Domain, EvaluationSlice.Adversarial }.Select(s => suite.Count(i => i.Slice == s)));

        var bad = request with { Shares = new SliceShares(30, 60, 20) };
        Assert.False(EvaluationSetComposer.Plan(bad).CanCompose);
        var error = Assert.Throws<InvalidOperationException>(() => EvaluationSetComposer.Compose(bad));
        Assert.Contains("sum to 110 %", error.Message);
    }

    [Fact]
    public void Too_few_items_for_the_shares_is_said_plainly()
    {
        var request = new CompositionRequest(GeneralItems(5), DomainItems().Take(20).ToArray(), 50);
        var plan = EvaluationSetComposer.Plan(request);
        Assert.Equal((10, 30, 10), (plan.General, plan.Domain, plan.Adversarial));
        Assert.Contains("The general slice needs 10 items (20 % of 50) but only 5 usable general items were given.", plan.Problems);
        Assert.Contains("The domain slice needs 30 items (60 % of 50) but only 20 usable domain items were given.", plan.Problems);
        var error = Assert.Throws<InvalidOperationException>(() => EvaluationSetComposer.Compose(request));
        Assert.Contains("only 5 usable general items", error.Message);

        var noDomain = new CompositionRequest(GeneralItems(50), [], 10) { Shares = new SliceShares(80, 0, 20) };
        Assert.Contains(EvaluationSetComposer.Plan(noDomain).Problems, p => p.Contains("no usable domain item"));
    }

    [Fact]
    public void Every_adversarial_item_differs_from_its_origin_and_records_what_changed()
    {
        var domain = DomainItems();
        var byId = domain.ToDictionary(i => i.Id);
        var suite = EvaluationSetComposer.Compose(new CompositionRequest(GeneralItems(60), domain, 200));
        var adversarial = suite.Where(i => i.Slice == EvaluationSlice.Adversarial).ToArray();
        Assert.Equal(40, adversarial.Length);
        Assert.All(adversarial, item =>
        {
            var origin = byId[item.SourceItemId];
            Assert.NotEqual(origin.Text, item.Text);
            Assert.NotNull(item.Perturbation);
            Assert.Equal("text", item.Perturbation!.Field);
            Assert.False(string.IsNullOrWhiteSpace(item.Perturbation.Description));
            Assert.NotEmpty(item.Perturbation.Parameters);
        });
        // The rotation spreads the kinds: every kind that applies to zh or en text shows up in 40 items.
        Assert.Equal(Enum.GetValues<PerturbationKind>().Order(), adversarial.Select(i => i.Perturbation!.Kind).Distinct().Order());
    }

    [Fact]
    public void The_same_seed_gives_the_same_suite_and_another_seed_another()
    {
        var request = new CompositionRequest(GeneralItems(30), DomainItems(), 60) { Seed = 11 };
        Assert.Equal(Fingerprint(EvaluationSetComposer.Compose(request)), Fingerprint(EvaluationSetComposer.Compose(request)));
        Assert.NotEqual(Fingerprint(EvaluationSetComposer.Compose(request)), Fingerprint(EvaluationSetComposer.Compose(request with { Seed = 12 })));
    }

    [Theory]
    [InlineData(PerturbationKind.ChineseLookalike)]
    [InlineData(PerturbationKind.ChineseHomophone)]
    [InlineData(PerturbationKind.CharacterInsert)]
    public void Chinese_perturbations_produce_chinese(PerturbationKind kind)
    {
        var request = new CompositionRequest([], DomainItems(TextLanguage.Chinese), 30) { Shares = new SliceShares(0, 0, 100), Kinds = [kind] };
        var suite = EvaluationSetComposer.Compose(request);
        Assert.Equal(30, suite.Count);
        Assert.All(suite, item =>
        {
            Assert.Equal(kind, item.Perturbation!.Kind);
            Assert.Equal(TextLanguage.Chinese, LanguageGuess.Classify(item.Text));
            var added = kind == PerturbationKind.CharacterInsert ? item.Perturbation.Parameters["inserted"] : item.Perturbation.Parameters["to"];
            Assert.All(added, c => Assert.True(LanguageGuess.IsHan(c), $"'{c}' in {item.Perturbation.Description}"));
        });
    }

    [Fact]
    public void Homoglyphs_put_cyrillic_look_alikes_into_latin_text()
    {
        var request = new CompositionRequest([], DomainItems(TextLanguage.English), 10) { Shares = new SliceShares(0, 0, 100), Kinds = [PerturbationKind.Homoglyph] };
        Assert.All(EvaluationSetComposer.Compose(request), item =>
        {
            var p = item.Perturbation!.Parameters;
            Assert.All(p["from"], c => Assert.True(c is >= 'A' and <= 'z'));
            Assert.All(p["to"], c => Assert.InRange(c, '\u0400', '\u04FF'));
            Assert.Contains(p["to"][0], item.Text);
        });
    }

    [Fact]
    public void Width_swaps_flip_half_and_full_width_forms()
    {
        var request = new CompositionRequest([], DomainItems(TextLanguage.Chinese), 10) { Shares = new SliceShares(0, 0, 100), Kinds = [PerturbationKind.WidthSwap], CharacterEdits = 3 };
        Assert.All(EvaluationSetComposer.Compose(request), item =>
        {
            var p = item.Perturbation!.Parameters;
            Assert.Equal(3, p["to"].Length);
            for (int i = 0; i < p["from"].Length; i++)
                Assert.Equal(p["from"][i], PerturbationTables.WidthSwapped(p["to"][i]));
        });
    }

    [Fact]
    public void Injections_rotate_through_the_styles_in_the_items_language_with_a_canary()
    {
        var domain = DomainItems(TextLanguage.Chinese).Take(5).Concat(DomainItems(TextLanguage.English).Take(5)).ToArray();
        var request = new CompositionRequest([], domain, 10) { Shares = new SliceShares(0, 0, 100), Kinds = [PerturbationKind.PromptInjection] };
        var suite = EvaluationSetComposer.Compose(request);
        Assert.Equal(Enum.GetNames<InjectionStyle>(), suite.Take(5).Select(i => i.Perturbation!.Parameters["style"]));
        Assert.All(suite, item =>
        {
            var p = item.Perturbation!.Parameters;
            Assert.Contains(p["canary"], item.Text);
            var origin = domain.Single(d => d.Id == item.SourceItemId);
            Assert.StartsWith(origin.Text, item.Text);
            Assert.Equal(LanguageGuess.Classify(origin.Text) == TextLanguage.Chinese ? "zh" : "en", p["language"]);
        });
        Assert.Contains(suite, i => i.Text.Contains("忽略之前的所有指令"));
        Assert.Contains(suite, i => i.Text.Contains("Ignore all previous instructions"));
    }

    [Fact]
    public void Distractors_append_a_sentence_in_the_items_language()
    {
        var request = new CompositionRequest([], DomainItems(TextLanguage.Chinese), 5) { Shares = new SliceShares(0, 0, 100), Kinds = [PerturbationKind.Distractor] };
        Assert.All(EvaluationSetComposer.Compose(request), item =>
        {
            Assert.EndsWith(item.Perturbation!.Parameters["sentence"], item.Text);
            Assert.Contains(item.Perturbation.Parameters["sentence"], PerturbationTables.ChineseDistractors);
        });
    }

    [Fact]
    public void A_prompt_is_perturbed_in_place_and_the_reference_kept()
    {
        var domain = new[]
        {
            new EvaluationItem("qa-1", "问：信用卡的年利率是多少？\n答：年利率为百分之十八。") { Prompt = "信用卡的年利率是多少？", Reference = "年利率为百分之十八。" },
            new EvaluationItem("qa-2", "Q: When does the branch open?\nA: At nine.") { Prompt = "When does the branch open?", Reference = "At nine." },
        };
        var suite = EvaluationSetComposer.Compose(new CompositionRequest([], domain, 16) { Shares = new SliceShares(0, 0, 100) });
        Assert.All(suite, item =>
        {
            var origin = domain.Single(d => d.Id == item.SourceItemId);
            Assert.Equal("prompt", item.Perturbation!.Field);
            Assert.NotEqual(origin.Prompt, item.Prompt);
            Assert.Equal(origin.Reference, item.Reference);
            Assert.Contains(item.Prompt!, item.Text);
        });
        // Two origins, sixteen items: origins repeat, each time with another perturbation.
        Assert.Equal(16, suite.Select(i => i.Prompt).Distinct().Count());
    }
}
