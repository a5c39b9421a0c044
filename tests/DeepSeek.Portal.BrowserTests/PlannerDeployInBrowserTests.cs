using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Estimates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using YamlDotNet.RepresentationModel;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>
/// The planner's launch paths in a real browser: an engineer (in Chinese) serves DeepSeek-V3 with SGLang — the downloaded
/// Kubernetes manifest parses as YAML and starts SGLang at the planned tensor-parallel size — registers the served model
/// as an evaluation endpoint (listed by the evaluation API and page) and measures this machine; an engineer downloads a
/// DeepSpeed training bundle for a dataset version; a stakeholder sees no register or measure controls and the API
/// refuses both. Screenshots of the page with its deploy panel at 1280 and 390 px in both languages.
/// </summary>
public sealed class PlannerDeployInBrowserTests(BrowserPortal portal) : IClassFixture<BrowserPortal>
{
    private const string Stakeholder = "stakeholder.planner@browser.local";

    private static readonly SemaphoreSlim UsersLock = new(1, 1);
    private static readonly HashSet<BrowserPortal> WithUsers = [];

    [Fact]
    public async Task An_engineer_in_Chinese_serves_V3_with_SGLang_registers_the_endpoint_and_measures_this_machine()
    {
        const string culture = "zh-Hans";
        var v3 = ModelCatalogue.All.First(m => m.Name.Contains("V3", StringComparison.Ordinal));
        var h200 = GpuCatalogue.All.First(g => g.Name.Contains("H200", StringComparison.Ordinal));
        var page = await SignInAsync(BrowserPortal.Email, culture, 1280, 900);
        await BrowserPortal.GotoInteractiveAsync(page, "/planner");
        await page.WaitForSelectorAsync("[data-testid=plan-result]");
        await PlannerInBrowserTests.ChooseAsync(page, "planner-model", v3.Name);
        await PlannerInBrowserTests.ChooseAsync(page, "planner-precision", "FP8");
        await PlannerInBrowserTests.ChooseAsync(page, "planner-gpu", h200.Name);
        var result = page.Locator($"[data-testid=plan-result][data-model='{v3.Id}'][data-gpu='{h200.Id}'][data-precision=Fp8]");
        await result.WaitForAsync();
        var context = int.Parse(await result.GetAttributeAsync("data-context") ?? "0", CultureInfo.InvariantCulture);
        var expected = Planner.Compute(new PlanRequest(v3.Id, Precision.Fp8, context, 1, PlanMode.Inference, h200.Id), v3, h200);
        Assert.Equal(expected.TensorParallel.ToString(CultureInfo.InvariantCulture), await result.GetAttributeAsync("data-tp"));

        // SGLang: the Kubernetes manifest is YAML that runs sglang.launch_server with --tp = TP × nodes and asks each pod for TP GPUs.
        await PlannerInBrowserTests.ChooseAsync(page, "deploy-engine", "SGLang");
        await page.WaitForSelectorAsync("[data-testid=download-kubernetes][download$='-sglang-kubernetes.yaml']");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-testid=download-kubernetes]"));
        Assert.EndsWith("-sglang-kubernetes.yaml", download.SuggestedFilename, StringComparison.Ordinal);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(await File.ReadAllTextAsync(await download.PathAsync())));
        var nodes = yaml.Documents.SelectMany(d => d.AllNodes).ToList();
        Assert.Contains(nodes.OfType<YamlMappingNode>(), m => Scalar(m, "kind") is "Deployment" or "StatefulSet");
        var command = nodes.OfType<YamlMappingNode>().Select(m => Sequence(m, "command")).FirstOrDefault(c => c is not null) ?? [];
        Assert.Contains("sglang.launch_server", command);
        var args = nodes.OfType<YamlMappingNode>().Select(m => Sequence(m, "args")).FirstOrDefault(a => a is not null && a.Contains("--tp"));
        Assert.NotNull(args);
        Assert.Equal((expected.TensorParallel * expected.PipelineParallel).ToString(CultureInfo.InvariantCulture), args[args.IndexOf("--tp") + 1]);
        var gpus = nodes.OfType<YamlMappingNode>().Select(m => Scalar(m, "nvidia.com/gpu")).Where(g => g is not null).Distinct().ToList();
        Assert.Equal(new[] { expected.TensorParallel.ToString(CultureInfo.InvariantCulture) }, gpus);

        // Register what that manifest serves: a bare server URL gets /v1, the model is the served name.
        var servedName = await page.Locator(Input("deploy-served-name")).InputValueAsync();
        Assert.False(string.IsNullOrWhiteSpace(servedName));
        Assert.Contains("--served-model-name", args);
        Assert.Equal(servedName, args[args.IndexOf("--served-model-name") + 1]);
        const string endpointName = "规划器-sglang-v3";
        await page.Locator(Input("register-name")).FillAsync(endpointName);
        await page.Locator(Input("register-url")).FillAsync("http://10.0.0.5:30000");
        await page.Locator(Input("register-url")).BlurAsync();
        await page.ClickAsync("[data-testid=register-endpoint]");
        await page.WaitForSelectorAsync("[data-testid=register-done]");
        Assert.Contains(endpointName, await page.Locator("[data-testid=register-done]").InnerTextAsync(), StringComparison.Ordinal);
        var listed = (await (await page.APIRequest.GetAsync("/api/evaluation-endpoints")).JsonAsync())!.Value.EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == endpointName);
        Assert.Equal("http://10.0.0.5:30000/v1", listed.GetProperty("baseUrl").GetString());
        Assert.Equal(servedName, listed.GetProperty("model").GetString());

        // This machine: the planner's CPU estimate beside the engine's decode of the demo model, both as numbers.
        await page.ClickAsync("[data-testid=machine-measure]");
        try
        {
            await page.WaitForSelectorAsync("[data-testid=machine-check-table], [data-testid=machine-check-error]", new() { Timeout = 180_000 });
        }
        catch (TimeoutException)
        {
            await PageAudit.ScreenshotAsync(page, "zh-Hans-planner-measure-timeout");
            throw;
        }
        Assert.Equal(0, await page.Locator("[data-testid=machine-check-error]").CountAsync());
        var check = (await (await page.APIRequest.GetAsync("/api/planner/machine-check")).JsonAsync())!.Value;
        var measured = check.GetProperty("measuredTokensPerSecond").GetDouble();
        Assert.True(measured > 0, $"measured {measured} tokens/s");
        var speed = await page.Locator("[data-testid=machine-speed]").InnerTextAsync();
        Assert.Contains(measured.ToString("N0", CultureInfo.InvariantCulture) + " 词元/秒", speed, StringComparison.Ordinal);
        Assert.Matches(@"^\d+\.\d\d×$", (await page.Locator("[data-testid=machine-speed-ratio]").InnerTextAsync()).Trim());
        Assert.Matches(@"\d MB", await page.Locator("[data-testid=machine-memory]").InnerTextAsync());

        var problems = new List<string>();
        // Model and GPU names stay as the catalogues spell them (the seed's claims name DeepSeek-V2 in Chinese text too).
        string[] names = [.. ModelCatalogue.All.Select(m => m.Name), .. GpuCatalogue.All.Select(g => g.Name), endpointName, servedName, BrowserPortal.Email];
        await AuditAsync(page, "zh-Hans-1280-planner-deploy", culture, 1280, names, problems);
        await page.SetViewportSizeAsync(390, 844);
        await AuditAsync(page, "zh-Hans-390-planner-deploy", culture, 390, names, problems);

        // The evaluations page lists the endpoint.
        await page.ClickAsync("[data-testid=register-done] a");
        await page.WaitForSelectorAsync($"[data-testid=endpoints-table] :text('{endpointName}')");
        Assert.True(problems.Count == 0, $"{problems.Count} problems (screenshots in {PageAudit.ScreenshotDirectory}):\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task An_engineer_downloads_a_DeepSpeed_bundle_with_its_config_and_the_exported_dataset()
    {
        var page = await SignInAsync(BrowserPortal.Email, "en", 1280, 900);
        await BrowserPortal.GotoInteractiveAsync(page, "/planner");
        await PlannerInBrowserTests.ImportPairsAsync(page, "deploy-pairs");
        await page.ReloadAsync();
        await BrowserPortal.WaitInteractiveAsync(page);
        await page.WaitForSelectorAsync("[data-testid=plan-result]");
        await page.WaitForSelectorAsync("[data-testid=download-kubernetes]");
        await page.WaitForSelectorAsync("#planner-memory-chart .main-svg");

        // The default plan with its deploy panel, as people first see it.
        var problems = new List<string>();
        await AuditAsync(page, "en-1280-planner-deploy", "en", 1280, [], problems);
        await page.SetViewportSizeAsync(390, 844);
        await AuditAsync(page, "en-390-planner-deploy", "en", 390, [], problems);
        await page.SetViewportSizeAsync(1280, 900);

        await PlannerInBrowserTests.ChooseAsync(page, "planner-mode", "LoRA");
        await page.WaitForSelectorAsync("[data-testid=training-launch]");
        await PlannerInBrowserTests.ChooseAsync(page, "training-source", "deploy-pairs");
        await PlannerInBrowserTests.ChooseAsync(page, "training-framework", "DeepSpeed");
        IDownload download;
        try
        {
            download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-testid=download-training-bundle]"), new() { Timeout = 60_000 });
        }
        catch (TimeoutException)
        {
            await PageAudit.ScreenshotAsync(page, "en-planner-deepspeed-bundle-failed");
            throw new Xunit.Sdk.XunitException("no download; the section says: " + await page.Locator("[data-testid=plan-deploy]").InnerTextAsync());
        }
        Assert.EndsWith(".zip", download.SuggestedFilename, StringComparison.Ordinal);
        Assert.Contains("deepspeed", download.SuggestedFilename, StringComparison.OrdinalIgnoreCase);
        using var zip = ZipFile.OpenRead(await download.PathAsync());
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains(names, n => Path.GetFileName(n) == "launch.sh");
        var launch = await ReadAsync(zip.Entries.First(e => e.Name == "launch.sh"));
        Assert.Contains("torchrun", launch, StringComparison.Ordinal);
        using (var config = JsonDocument.Parse(await ReadAsync(zip.Entries.Single(e => e.Name == "ds_config.json"))))
            Assert.True(config.RootElement.TryGetProperty("zero_optimization", out _), "ds_config.json has no zero_optimization:\n" + config.RootElement);
        // The dataset version exported as alpaca pairs: the four imported ones, in order.
        var data = zip.Entries.Where(e => e.FullName.StartsWith("data/", StringComparison.Ordinal) && e.Name.EndsWith(".json", StringComparison.Ordinal) && e.Name != "dataset_info.json").ToList();
        Assert.True(data.Count == 1, "dataset files: " + string.Join(", ", names));
        using (var examples = JsonDocument.Parse(await ReadAsync(data[0])))
        {
            var rows = examples.RootElement.EnumerateArray().ToList();
            Assert.Equal(4, rows.Count);
            Assert.Equal(("问题 1", "回答 1"), (rows[0].GetProperty("instruction").GetString(), rows[0].GetProperty("output").GetString()));
        }
        await page.WaitForSelectorAsync("[data-testid=training-done]");

        // A master address the launch script could not use is refused on its field, by the service's coded note.
        const string address = "[data-testid=training-master-address]:is(input,textarea), [data-testid=training-master-address] :is(input,textarea)";
        await page.FillAsync(address, "10.0.0.1 && reboot");
        await page.ClickAsync("[data-testid=download-training-bundle]");
        await page.GetByText("expected rank 0's host name or IP address").First.WaitForAsync();
        Assert.Equal(0, await page.Locator("[data-testid=training-done]").CountAsync());
        Assert.True(problems.Count == 0, $"{problems.Count} problems (screenshots in {PageAudit.ScreenshotDirectory}):\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task A_stakeholder_sees_no_register_or_measure_controls_and_the_api_refuses_both()
    {
        await EnsureStakeholderAsync();
        var page = await SignInAsync(Stakeholder, "en", 1280, 900);
        await BrowserPortal.GotoInteractiveAsync(page, "/planner");
        await page.WaitForSelectorAsync("[data-testid=plan-result]");
        // Planning and the files are for everyone signed in; registering and measuring are not.
        await page.WaitForSelectorAsync("[data-testid=download-kubernetes]");
        await page.WaitForSelectorAsync("[data-testid=machine-check]");
        foreach (var control in new[] { "register-name", "register-url", "register-endpoint", "machine-measure" })
            Assert.Equal(0, await page.Locator($"[data-testid={control}]").CountAsync());

        var token = await page.EvaluateAsync<string>("() => document.querySelector('meta[name=portal-csrf]').content");
        var headers = new Dictionary<string, string> { ["X-CSRF-TOKEN"] = token, ["Accept"] = "application/json" };
        var register = await page.APIRequest.PostAsync("/api/planner/endpoints",
            new() { Headers = headers, DataObject = new { name = "stakeholder-endpoint", baseUrl = "http://10.0.0.9:8000", servedName = "m" } });
        Assert.Equal(403, register.Status);
        var measure = await page.APIRequest.PostAsync("/api/planner/machine-check?refresh=true", new() { Headers = headers });
        Assert.Equal(403, measure.Status);
        var listed = (await (await page.APIRequest.GetAsync("/api/evaluation-endpoints")).JsonAsync())!.Value;
        Assert.DoesNotContain(listed.EnumerateArray(), e => e.GetProperty("name").GetString() == "stakeholder-endpoint");
    }

    private static string Input(string testId) => $"[data-testid={testId}]:is(input,textarea), [data-testid={testId}] :is(input,textarea)";

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static List<string>? Sequence(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlSequenceNode s ? s.Children.OfType<YamlScalarNode>().Select(n => n.Value ?? "").ToList() : null;

    private static async Task<string> ReadAsync(ZipArchiveEntry entry)
    {
        using var reader = new StreamReader(entry.Open());
        return await reader.ReadToEndAsync();
    }

    /// <summary>The machine check's notes name a file and a setting, which stay as they are written in any language.</summary>
    private static readonly string[] MachineCheckPaths = ["docs", "PERFORMANCE", "md", "Portal", "Planner", "CpuBandwidthGBps"];

    private static Task AuditAsync(IPage page, string shot, string culture, int width, string[] names, List<string> problems) =>
        PageAudit.AuditAsync(page, shot, culture, width, [.. PlannerInBrowserTests.Allowed, .. MachineCheckPaths, .. names], problems, settleMs: 500);

    private async Task EnsureStakeholderAsync()
    {
        await UsersLock.WaitAsync();
        try
        {
            if (!WithUsers.Add(portal)) return;
            await using var scope = portal.Services.CreateAsyncScope();
            var created = await scope.ServiceProvider.GetRequiredService<AccountService>().CreateUserAsync(Stakeholder, BrowserPortal.Password, PortalRoles.Stakeholder);
            Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        }
        finally
        {
            UsersLock.Release();
        }
    }

    private Task<IPage> SignInAsync(string email, string culture, int width, int height) => portal.SignInAsync(email, culture, width, height);
}
