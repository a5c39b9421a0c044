using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Feeding.Composer;
using DeepSeek.Portal.Feeding.Demo;

namespace DeepSeek.Portal.Evaluation.Tests;

public sealed class DemoSuiteTests
{
    [Fact]
    public void The_demo_suite_is_a_valid_suite_file_with_every_kind_and_slice_in_both_languages()
    {
        var read = SuiteFile.Read(DemoSuite.Generate());
        Assert.True(read.Succeeded, string.Join("; ", read.Errors));
        Assert.Equal(Enum.GetValues<ItemKind>().OrderBy(k => k), read.Items.Select(i => i.Kind).Distinct().OrderBy(k => k));
        Assert.Equal(Enum.GetValues<EvaluationSlice>().OrderBy(s => s), read.Items.Select(i => i.Slice).Distinct().OrderBy(s => s));
        Assert.Contains(read.Items, i => (i.Prompt ?? i.Messages![0].Content).Any(c => c is >= '\u4e00' and <= '\u9fff'));
        Assert.Contains(read.Items, i => (i.Prompt ?? i.Messages![0].Content).StartsWith("Customer:", StringComparison.Ordinal));
        Assert.All(read.Items.Where(i => i.Slice == EvaluationSlice.Adversarial), i => Assert.NotNull(i.Perturbation));
    }

    [Fact]
    public void The_demo_suite_asks_nothing_the_demo_run_trains_on_and_is_the_same_every_time()
    {
        var trained = DemoDataset.Generate().ToHashSet(StringComparer.Ordinal);
        var items = SuiteFile.Read(DemoSuite.Generate()).Items;
        Assert.DoesNotContain(items.Where(i => i.Kind == ItemKind.Generation && i.Slice == EvaluationSlice.Domain), i => trained.Contains(i.Prompt + i.References[0]));
        Assert.Equal(DemoSuite.Generate(), DemoSuite.Generate());
    }

    [Fact]
    public void Each_classification_answer_states_the_banks_own_fact()
    {
        var items = SuiteFile.Read(DemoSuite.Generate()).Items;
        var threeYear = items.Single(i => i.Id == "rates-zh-3");
        Assert.Contains("2.75%", threeYear.Choices![threeYear.Answer!.Value]);
        var guangzhou = items.Single(i => i.Id == "saturday-en-guangzhou");
        Assert.StartsWith("No", guangzhou.Choices![guangzhou.Answer!.Value], StringComparison.Ordinal);
    }
}
