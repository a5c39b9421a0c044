using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Estimates;
using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>
/// An engineer plans DeepSeek-V3 in FP8 on H200s in English and Chinese: the page shows the GPU count and parallelism the
/// planner core computes and MLA's compressed KV line, a context beyond the model's maximum lands on its field, and the
/// downloaded compose file serves at the planned tensor-parallel size. Screenshots at 1280 and 390 px, audited.
/// </summary>
public sealed class PlannerInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    // Engine, framework, format and product names that stay as they are in Chinese (model and GPU names are added from the catalogues).
    internal static readonly string[] Allowed = ["vLLM", "SGLang", "DeepSpeed", "LLaMA", "Factory", "QLoRA", "FP8", "FP16", "BF16", "FP32", "INT8", "INT4",
        "TP", "PP", "KV", "MASTER", "ADDR", "compose", "yaml", "Kubernetes", "zip", "TFLOPS", "http", "v1", "OpenAI", "URL", "torchrun", "NCCL",
        // Technical names the core's notes keep in Chinese too (DeepSeek-V3 as the FP8 format's origin).
        "MLP", "FlashAttention", "logits", "cuBLAS", "V3",
        // Product names in the seed's own (Chinese) quotes.
        "NVIDIA", "A100", "Intel", "Xeon", "Platinum", "Jetson", "AGX", "Orin"];

    [Theory]
    [InlineData("en")]
    [InlineData("zh-Hans")]
    public async Task An_engineer_plans_V3_in_FP8_on_H200_sees_the_MLA_line_and_downloads_the_compose_file(string culture)
    {
        var v3 = ModelCatalogue.All.First(m => m.Name.Contains("V3", StringComparison.Ordinal));
        var h200 = GpuCatalogue.All.First(g => g.Name.Contains("H200", StringComparison.Ordinal));
        var page = await SignInAsync(culture, 1280, 900);
        await BrowserPortal.GotoInteractiveAsync(page, "/planner");
        await page.WaitForSelectorAsync("[data-testid=plan-result]");

        await ChooseAsync(page, "planner-model", v3.Name);
        await ChooseAsync(page, "planner-precision", "FP8");
        await ChooseAsync(page, "planner-gpu", h200.Name);
        var result = $"[data-testid=plan-result][data-model='{v3.Id}'][data-gpu='{h200.Id}'][data-precision=Fp8]";
        await page.WaitForSelectorAsync(result);

        // The page shows what the core computes for the same request (the core's own tests pin the numbers by hand).
        var context = int.Parse(await page.Locator(result).GetAttributeAsync("data-context") ?? "0");
        var expected = Planner.Compute(new PlanRequest(v3.Id, Precision.Fp8, context, 1, PlanMode.Inference, h200.Id), v3, h200);
        Assert.Equal(expected.GpuCount.ToString(), await page.Locator(result).GetAttributeAsync("data-gpu-count"));
        Assert.Equal(expected.TensorParallel.ToString(), await page.Locator(result).GetAttributeAsync("data-tp"));
        Assert.Contains($"{expected.GpuCount} × {h200.Name}", await page.Locator("[data-testid=plan-gpu-count-value]").TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Equal(expected.Fits ? "true" : "false", await page.Locator(result).GetAttributeAsync("data-fits"));
        // MLA caches (d_c + d_h^R) = 512 + 64 = 576 values per layer and token, over V3's 61 layers: the formula says so.
        var kv = await page.Locator("[data-testid=memory-line][data-key=kvCache]").Locator("xpath=..").TextContentAsync() ?? "";
        Assert.Contains("512 + ", kv, StringComparison.Ordinal);
        Assert.Contains((61 * 576).ToString("N0", System.Globalization.CultureInfo.InvariantCulture), kv, StringComparison.Ordinal);
        await page.WaitForSelectorAsync("#planner-memory-chart .main-svg");
        Assert.Equal(Planner.SeedClaims().Count, await page.Locator("[data-testid=seed-claim]").CountAsync());

        // The core's sentences are rendered by code in the page's language: MLA's KV copies on every tensor-parallel
        // rank (a memory note) and a seed claim's verdict, in Chinese on the Chinese page and never marked English.
        var mlaNote = page.Locator("[data-note=NoteKvCopiesMla]");
        var verdict = page.Locator("[data-claim=int8-quarter] [data-note=ClaimInt8QuarterVerdict]");
        Assert.Null(await mlaNote.GetAttributeAsync("lang"));
        Assert.Null(await verdict.GetAttributeAsync("lang"));
        if (culture == "zh-Hans")
        {
            Assert.Contains($"{expected.TensorParallel} 个张量并行进程各自保存完整的一份", await mlaNote.TextContentAsync() ?? "", StringComparison.Ordinal);
            Assert.StartsWith("INT8 只把权重减半", (await verdict.TextContentAsync() ?? "").Trim(), StringComparison.Ordinal);
            Assert.Contains("能否装下：否", await page.Locator("[data-claim=a100x4-13b] [data-testid=claim-computation]").TextContentAsync() ?? "", StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"each of the {expected.TensorParallel} tensor-parallel ranks holds all of it", await mlaNote.TextContentAsync() ?? "", StringComparison.Ordinal);
        }
        Assert.Equal(0, await page.Locator("[data-testid=plan-result] [lang=en], [data-testid=seed-claims] [data-note][lang=en]").CountAsync());

        var problems = new List<string>();
        var names = ModelCatalogue.All.Select(m => m.Name).Concat(GpuCatalogue.All.Select(g => g.Name)).Append(BrowserPortal.Email).ToArray();
        await AuditAsync(page, $"{culture}-1280-planner", culture, 1280, names, problems);

        // The compose file serves at the planned tensor-parallel size.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-testid=download-compose]"));
        Assert.EndsWith("compose.yaml", download.SuggestedFilename, StringComparison.Ordinal);
        var compose = await File.ReadAllTextAsync(await download.PathAsync());
        var tp = Regex.Match(compose, @"--tensor-parallel-size[""']?\s*\n\s*-\s*[""']?(\d+)");
        Assert.True(tp.Success, "no --tensor-parallel-size in:\n" + compose);
        Assert.Equal(expected.TensorParallel.ToString(), tp.Groups[1].Value);

        await page.SetViewportSizeAsync(390, 844);
        await page.WaitForTimeoutAsync(500);
        await AuditAsync(page, $"{culture}-390-planner", culture, 390, names, problems);

        // A context beyond the model's maximum: the error is on the context field and no plan is shown.
        var contextInput = page.Locator("[data-testid=planner-context]:is(input,textarea), [data-testid=planner-context] :is(input,textarea)");
        await contextInput.FillAsync((v3.MaxContext + 1).ToString());
        await contextInput.BlurAsync();
        var error = page.Locator("[data-testid=planner-context-field] .mud-input-error");
        try
        {
            await error.First.WaitForAsync(new() { Timeout = 10_000 });
        }
        catch (TimeoutException)
        {
            await PageAudit.ScreenshotAsync(page, $"{culture}-planner-context-error-missing");
            Assert.Fail("no context error: " + await page.EvaluateAsync<string>("() => document.querySelector('[data-testid=planner-context]').closest('.mud-grid-item, .mud-input-control').parentElement.outerHTML.slice(0, 3000)"));
        }
        var errorText = await error.First.TextContentAsync() ?? "";
        Assert.Contains(v3.MaxContext.ToString("N0"), errorText, StringComparison.Ordinal);
        // The core's refusal in the page's language, by its code (ErrContextTooLong), with the model's maximum.
        Assert.Contains(culture == "zh-Hans" ? $"超过了 {v3.Name} 的最大上下文" : $"exceeds {v3.Name}'s maximum context", errorText, StringComparison.Ordinal);
        await page.WaitForSelectorAsync("[data-testid=planner-error]");
        Assert.Equal(0, await page.Locator("[data-testid=plan-result]").CountAsync());
        await PageAudit.ScreenshotAsync(page, $"{culture}-390-planner-context-error");

        Assert.True(problems.Count == 0, $"{problems.Count} problems (screenshots in {PageAudit.ScreenshotDirectory}):\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task An_engineer_downloads_a_LoRA_training_bundle_for_a_dataset_version()
    {
        var page = await SignInAsync("en", 1280, 900);
        await BrowserPortal.GotoInteractiveAsync(page, "/planner");
        // A small instruction dataset through the import job, which keeps the pairs (the demo sets are plain text).
        await ImportPairsAsync(page, "planner-pairs");
        await page.ReloadAsync();
        await BrowserPortal.WaitInteractiveAsync(page);
        var seven = ModelCatalogue.All.First(m => m.Name.Contains("7B", StringComparison.Ordinal) && m.Name.Contains("LLM", StringComparison.Ordinal));
        await page.WaitForSelectorAsync("[data-testid=plan-result]");
        await ChooseAsync(page, "planner-model", seven.Name);
        await ChooseAsync(page, "planner-precision", "BF16");
        await ChooseAsync(page, "planner-mode", "LoRA");
        await page.WaitForSelectorAsync($"[data-testid=plan-result][data-model='{seven.Id}'][data-precision=Bf16]");
        await ChooseAsync(page, "training-source", "planner-pairs");

        IDownload download;
        try
        {
            download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-testid=download-training-bundle]"), new() { Timeout = 60_000 });
        }
        catch (TimeoutException)
        {
            await PageAudit.ScreenshotAsync(page, "en-planner-bundle-failed");
            throw new Xunit.Sdk.XunitException("no download; the section says: " + await page.Locator("[data-testid=plan-deploy]").InnerTextAsync());
        }
        Assert.EndsWith(".zip", download.SuggestedFilename, StringComparison.Ordinal);
        using var zip = ZipFile.OpenRead(await download.PathAsync());
        var launch = zip.Entries.FirstOrDefault(e => e.Name == "launch.sh");
        Assert.NotNull(launch);
        using var reader = new StreamReader(launch.Open());
        var script = await reader.ReadToEndAsync();
        Assert.Contains("MASTER_PORT", script, StringComparison.Ordinal);
        Assert.Contains("29500", script, StringComparison.Ordinal);
        await page.WaitForSelectorAsync("[data-testid=training-done]");
    }

    /// <summary>Opens a MudSelect, picks the item with <paramref name="text"/>, and waits until the select shows it (a click right after raced it once).</summary>
    internal static async Task ChooseAsync(IPage page, string testId, string text)
    {
        await page.ClickAsync($"[data-testid={testId}]");
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = text }).First.ClickAsync();
        const string Shown = "(id) => { const s = document.querySelector(`[data-testid=${id}]`); if (!s) return ''; " +
            "return s.textContent + ' ' + (s.value ?? '') + ' ' + [...s.querySelectorAll('input')].map(i => i.value).join(' '); }";
        try
        {
            await page.WaitForFunctionAsync($"([id, text]) => ({Shown})(id).includes(text)", new object[] { testId, text }, new() { Timeout = 10_000, PollingInterval = 100 });
        }
        catch (TimeoutException)
        {
            await PageAudit.ScreenshotAsync(page, $"planner-choose-{testId}-failed");
            Assert.Fail($"{testId} shows \"{await page.EvaluateAsync<string>(Shown, testId)}\", not {text}: " +
                await page.EvaluateAsync<string>("(id) => document.querySelector(`[data-testid=${id}]`).closest('.mud-input-control').outerHTML.slice(0, 3000)", testId));
        }
    }

    /// <summary>Stages a JSONL file of prompt/response pairs and imports it with the data pipeline's job, as the datasets page does.</summary>
    internal static async Task ImportPairsAsync(IPage page, string name)
    {
        var token = await page.EvaluateAsync<string>("() => document.querySelector('meta[name=portal-csrf]').content");
        var headers = new Dictionary<string, string> { ["X-CSRF-TOKEN"] = token, ["Accept"] = "application/json" };
        var jsonl = string.Join("\n", Enumerable.Range(1, 4).Select(i => $"{{\"instruction\":\"问题 {i}\",\"output\":\"回答 {i}\"}}"));
        var form = page.APIRequest.CreateFormData();
        form.Set("file", new FilePayload { Name = name + ".jsonl", MimeType = "application/x-ndjson", Buffer = Encoding.UTF8.GetBytes(jsonl) });
        var staged = await page.APIRequest.PostAsync("/api/datasets/uploads", new() { Headers = headers, Multipart = form });
        Assert.True(staged.Ok, $"upload: {staged.Status} {await staged.TextAsync()}");
        var uploadId = (await staged.JsonAsync())!.Value.GetProperty("id").Clone();
        var started = await page.APIRequest.PostAsync("/api/datasets/imports", new() { Headers = headers, DataObject = new { uploadId, name } });
        Assert.True(started.Ok, $"import: {started.Status} {await started.TextAsync()}");
        var jobId = (await started.JsonAsync())!.Value.GetProperty("id").ToString();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(200))
        {
            var job = (await (await page.APIRequest.GetAsync($"/api/datasets/jobs/{jobId}", new() { Headers = headers })).JsonAsync())!.Value;
            if (!job.GetProperty("isActive").GetBoolean())
            {
                Assert.Equal("Succeeded", job.GetProperty("status").ToString());
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"import job {jobId} still running after 60 s");
        }
    }

    private static Task AuditAsync(IPage page, string shot, string culture, int width, string[] names, List<string> problems) =>
        PageAudit.AuditAsync(page, shot, culture, width, [.. Allowed, .. names], problems);

    private Task<IPage> SignInAsync(string culture, int width, int height) => portal.SignInAsync(BrowserPortal.Email, culture, width, height);
}
