using Bunit;
using DeepSeek.Portal.Engine.Generation;
using DeepSeek.Portal.Models;
using DeepSeek.Portal.Models.Generation;
using DeepSeek.Portal.Models.Pages;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeepSeek.Portal.Tests.Components;

/// <summary>The "try the model" panel with the real generator over a tiny real model folder.</summary>
public sealed class TryModelPanelTests : ComponentTestContext, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "deepseek-portal-tests", "panel-" + Guid.NewGuid().ToString("N"));

    public TryModelPanelTests() : base("zh-Hans")
    {
        Context.Services.AddSingleton(new ModelGenerator(Microsoft.Extensions.Options.Options.Create(new ModelRegistryOptions { MaxNewTokens = 32 }), NullLogger<ModelGenerator>.Instance));
        TinyModelFolders.Write(_folder, TinyModelFolders.TinyQwen2(), seed: 5);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task The_panel_streams_the_greedy_output_of_the_engine_and_says_why_it_stopped_in_chinese()
    {
        var panel = Context.Render<TryModelPanel>(p => p.Add(x => x.Source, new GenerationSource("test", _folder, f => f)));
        Assert.Contains("试用模型", panel.Markup, StringComparison.Ordinal);

        await panel.Find("textarea[data-testid=try-prompt]").ChangeAsync(new ChangeEventArgs { Value = "Hello world" });
        await panel.Find("input[data-testid=try-temperature]").ChangeAsync(new ChangeEventArgs { Value = "0" });
        await panel.Find("input[data-testid=try-max-tokens]").ChangeAsync(new ChangeEventArgs { Value = "6" });
        await panel.Find("[data-testid=try-generate]").ClickAsync(new MouseEventArgs());

        panel.WaitForAssertion(() => Assert.NotEmpty(panel.FindAll("[data-testid=try-finish]")), TimeSpan.FromSeconds(120));
        var prompt = TinyModelFolders.SharedTokenizer.Encode("Hello world", addBos: true).Select(i => (long)i).ToList();
        var expected = await DirectGeneration.RunAsync(_folder, prompt, new SamplingOptions { Temperature = 0, MaxNewTokens = 6 });
        var finish = panel.Find("[data-testid=try-finish]").TextContent;
        Assert.Contains(expected.TokenIds.Count + " 个词元", finish, StringComparison.Ordinal);
        Assert.Contains(expected.Reason == FinishReason.Length ? "已达词元上限" : "遇到结束词元", finish, StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(expected.Text))
            Assert.Equal(expected.Text, panel.Find("[data-testid=try-output]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=try-error]"));
    }

    [Fact]
    public void A_model_without_a_usable_tokenizer_offers_no_prompt()
    {
        var panel = Context.Render<TryModelPanel>(p => p.Add(x => x.Source, null));
        Assert.Contains("无法试用该模型", panel.Markup, StringComparison.Ordinal);
        Assert.Empty(panel.FindAll("[data-testid=try-generate]"));
    }

    [Fact]
    public void The_card_view_is_in_chinese_and_shows_active_parameters_of_a_moe_model()
    {
        var card = new ModelCard("deepseek_v2", "DeepSeekV2", "DeepseekV2ForCausalLM", 15_700_000_000, 2_400_000_000, 0,
            new Dictionary<string, long> { ["BF16"] = 15_700_000_000 }, 27, 2048, 16, 64, 2, 6, 26, 163_840, "yarn", 40, 4096, 102_400,
            true, 4, 31_000_000_000, true, "DeepSeekLlm", 100_015, null, "DeepSeekLlm", "deepseek-v2-remote-code", "…");
        var view = Context.Render<ModelCardView>(p => p.Add(x => x.Card, card));
        Assert.Contains("15.7 B", view.Find("[data-testid=card-parameters]").TextContent, StringComparison.Ordinal);
        Assert.Contains("2.4 B", view.Find("[data-testid=card-active]").TextContent, StringComparison.Ordinal);
        Assert.Contains("64 个路由专家中选 6 个", view.Find("[data-testid=card-active]").TextContent, StringComparison.Ordinal);
        Assert.Contains("RoPE 缩放 yarn × 40", view.Find("[data-testid=card-context]").TextContent, StringComparison.Ordinal);
        Assert.Contains("DeepSeek-V2 自带的 modeling_deepseek.py", view.Find("[data-testid=card-semantics]").TextContent, StringComparison.Ordinal);
        Assert.Contains("激活参数", view.Markup, StringComparison.Ordinal);
    }
}
