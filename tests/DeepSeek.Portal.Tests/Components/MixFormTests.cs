using Bunit;
using DeepSeek.Portal.Datasets.Pages;
using DeepSeek.Portal.Datasets.Versions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace DeepSeek.Portal.Tests.Components;

public sealed class MixFormTests : ComponentTestContext
{
    internal static readonly IReadOnlyList<VersionChoice> Choices = [new(11, 1, "bank", 2, 40), new(21, 2, "general", 1, 30)];

    [Fact]
    public async Task The_form_shows_each_sources_share_before_starting_and_sends_the_rows_as_parameters()
    {
        var form = Context.Render<MixForm>(p => p.Add(c => c.Choices, Choices).Add(c => c.Initial, 11));
        Assert.Single(form.FindAll("[data-testid=mix-source]"));
        Assert.True(form.Find("[data-testid=mix-remove]").HasAttribute("disabled"));
        Assert.Equal(["40"], form.FindAll("[data-testid=mix-share]").Select(r => r.GetAttribute("data-taken")));

        await form.Find("[data-testid=mix-add]").ClickAsync(new MouseEventArgs());
        await Weight(form, 0).ChangeAsync(new ChangeEventArgs { Value = "3" });
        await Input(form, "mix-name").ChangeAsync(new ChangeEventArgs { Value = " bank-general " });
        // 40 and 30 records at 3:1: 40 + 13, the most without a repeat.
        Assert.Equal(["40", "13"], form.FindAll("[data-testid=mix-share]").Select(r => r.GetAttribute("data-taken")));
        Assert.Equal("53", form.Find("[data-testid=mix-total]").GetAttribute("data-target"));
        Assert.Contains("75.0", form.FindAll("[data-testid=mix-share]")[0].TextContent, StringComparison.Ordinal);
        Assert.Empty(form.FindAll("[data-testid=mix-needs-repeats]"));

        await Input(form, "mix-records").ChangeAsync(new ChangeEventArgs { Value = "100" });
        Assert.Equal(["75", "25"], form.FindAll("[data-testid=mix-share]").Select(r => r.GetAttribute("data-taken")));
        Assert.Contains("at most 53", form.Find("[data-testid=mix-needs-repeats]").TextContent, StringComparison.Ordinal);

        var (versionId, parameters) = form.Instance.Request();
        Assert.Equal(11, versionId);
        Assert.Equal("""{"name":"bank-general","sources":[{"versionId":11,"weight":3},{"versionId":21,"weight":1}],"records":100,"seed":7,"policy":"static","allowRepeats":false}""", parameters.ToJsonString());
    }

    // MudBlazor puts a field's attributes on the input itself or on its wrapper, depending on the component.
    private static AngleSharp.Dom.IElement Input(IRenderedComponent<MixForm> form, string testId) =>
        form.Find($"[data-testid={testId}]") is { TagName: "INPUT" } input ? input : form.Find($"[data-testid={testId}] input");

    private static AngleSharp.Dom.IElement Weight(IRenderedComponent<MixForm> form, int row) =>
        form.FindAll("[data-testid=mix-weight]")[row] is { TagName: "INPUT" } input ? input : form.FindAll("[data-testid=mix-weight] input")[row];

    [Fact]
    public async Task No_shares_are_shown_while_a_weight_is_not_above_zero()
    {
        var form = Context.Render<MixForm>(p => p.Add(c => c.Choices, Choices).Add(c => c.Initial, 11));
        await Weight(form, 0).ChangeAsync(new ChangeEventArgs { Value = "0" });
        Assert.Empty(form.FindAll("[data-testid=mix-shares]"));
        Assert.NotNull(form.Find("[data-testid=mix-shares-unavailable]"));
    }
}

public sealed class MixFormChineseTests() : ComponentTestContext("zh-Hans")
{
    [Fact]
    public void The_mix_form_is_in_chinese()
    {
        var form = Context.Render<MixForm>(p => p.Add(c => c.Choices, MixFormTests.Choices).Add(c => c.Initial, 11));
        var text = form.Markup;
        foreach (var expected in new[] { "新数据集名称", "来源 1", "权重", "目标记录数", "允许重复记录", "份额", "抽取记录数", "可用记录数", "共 40 条记录；不重复时最多 40 条", "bank · 第2版 · 40 条记录" })
            Assert.Contains(expected, text, StringComparison.Ordinal);
        foreach (var english in new[] { "Source", "Weight", "Share", "Records", "records" })
            Assert.DoesNotContain(">" + english, text, StringComparison.Ordinal);
    }
}
