using Bunit;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Models;
using DeepSeek.Portal.Training;
using DeepSeek.Portal.Training.Pages;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace DeepSeek.Portal.Tests.Components;

/// <summary>The launch form's "Start from" choice and the run settings' row for it.</summary>
public sealed class StartFromTests : ComponentTestContext
{
    internal static readonly IReadOnlyList<DatasetSummary> Datasets = [new(1, "bank", null, "bank.jsonl", "jsonl", 120, 5000, 6000, "ab", false, DateTimeOffset.UnixEpoch, null)];

    internal static ModelSummary Model(int id, string name) => new(id, name, $"/models/{name}", DateTimeOffset.UnixEpoch, null, new ModelCard(
        "qwen2", "Qwen2", "Qwen2ForCausalLM", 12_345, 12_345, 0, new Dictionary<string, long> { ["F32"] = 12_345 }, 2, 32, 4, 0, 0, 0, 0, 256,
        null, null, null, 300, false, 1, 50_000, true, "DeepSeekV3", 300, null, null, "hf-qwen2", "…"));

    [Fact]
    public async Task Choosing_a_registered_model_sends_its_id_and_no_tokenizer_size()
    {
        RunLaunchRequest? sent = null;
        var form = Context.Render<RunLaunchForm>(p => p
            .Add(c => c.Datasets, Datasets)
            .Add(c => c.Models, [Model(5, "qwen-tiny")])
            .Add(c => c.Defaults, new TrainingOptions { TokenizerVocabSize = 512 })
            .Add(c => c.OnLaunch, r => { sent = r; return Task.FromResult<IReadOnlyDictionary<string, string[]>>(new Dictionary<string, string[]>()); }));
        Assert.Contains("Demo model (new, from scratch)", form.Markup, StringComparison.Ordinal);

        // The demo model: no base, the tokenizer size as entered.
        await form.Find("[data-testid=launch-run]").ClickAsync(new MouseEventArgs());
        Assert.Equal((null, 512), (sent!.BaseModelId, sent.TokenizerVocabSize));

        var select = form.FindComponents<MudSelect<int>>().Single(s => s.Instance.Label == "Start from");
        await form.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(5));
        await form.Find("[data-testid=launch-run]").ClickAsync(new MouseEventArgs());
        Assert.Equal((5, null), (sent!.BaseModelId, sent.TokenizerVocabSize));
    }

    [Fact]
    public void The_settings_say_what_a_run_started_from()
    {
        var options = new TrainingOptions();
        RunSummary Run(RunBaseModel? baseModel) => new RunSummary(1, "r", 1, "bank", Data.RunStatus.Succeeded, options, 200, 100, 1, 1, 1, 1, 1, null, null, 1,
            DateTimeOffset.UnixEpoch, null, null, null, null) { BaseModel = baseModel };
        var l = Context.Services.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<SharedResource>>();
        Assert.Equal("Demo model (new, from scratch)", RunSettingRows.For(Run(null), l).Single(r => r.Key == "startFrom").Value);
        Assert.Equal("qwen-tiny", RunSettingRows.For(Run(new RunBaseModel(5, "qwen-tiny", "/m")), l).Single(r => r.Key == "startFrom").Value);
    }
}
