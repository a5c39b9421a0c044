using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DeepSeek.Portal.Planning;
using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Deployment;
using DeepSeek.Portal.Planning.Estimates;
using DeepSeek.Portal.Planning.Planner;
using DeepSeek.Portal.Planning.Planner.Pages;
using DeepSeek.Portal.Planning.Tests.Notes;
using DeepSeek.Portal.Platform;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PlanEstimator = DeepSeek.Portal.Planning.Estimates.Planner;

namespace DeepSeek.Portal.Tests.Planning;

/// <summary>
/// Every sentence the planner shows (the planning library's, found by its sweep, and the portal service's, found by
/// asking it) has a template in both resource files with one hole per argument, so a new code without a translation
/// fails here instead of showing English on the Chinese page.
/// </summary>
public sealed partial class PlanNoteTranslationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("plan-notes-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Every_code_the_planner_emits_has_an_English_and_a_Chinese_template_with_a_hole_per_argument()
    {
        var notes = PlanNoteSweep.All().Concat(await PortalNotesAsync()).ToList();
        var en = Resx("SharedResource.resx");
        var zh = Resx("SharedResource.zh-Hans.resx");
        var problems = new List<string>();
        foreach (var note in notes.DistinctBy(n => n.Code))
        {
            var key = PlanNoteText.KeyPrefix + note.Code;
            if (!en.TryGetValue(key, out var english) || !zh.TryGetValue(key, out var chinese))
            {
                problems.Add($"{key}: missing in {(en.ContainsKey(key) ? "" : "SharedResource.resx ")}{(zh.ContainsKey(key) ? "" : "SharedResource.zh-Hans.resx")}");
                continue;
            }
            // The English page reads as the API does: the resx template is the library's own.
            if (english != note.Template)
                problems.Add($"{key}: English template differs from the code's:\n  resx: {english}\n  code: {note.Template}");
            if (Holes(chinese) != note.Args.Count || Holes(english) != note.Args.Count)
                problems.Add($"{key}: {note.Args.Count} args, {Holes(english)} holes in English, {Holes(chinese)} in Chinese");
            if (!HanCharacter().IsMatch(chinese))
                problems.Add($"{key}: the Chinese template has no Chinese: {chinese}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // The portal's own codes, read from its source: those no request above reaches still need a translation.
        var written = PortalSource().SelectMany(t => CodeInSource().Matches(t).Select(m => m.Groups[1].Value)).ToHashSet();
        Assert.Contains("ErrNoRepository", written);
        Assert.All(written, code => Assert.True(en.ContainsKey(PlanNoteText.KeyPrefix + code) && zh.ContainsKey(PlanNoteText.KeyPrefix + code), code));
        // The training bundle's refusals need a database with runs and versions (PlannerApiTests reaches them over HTTP):
        // here their two templates must at least have the same holes.
        var bundle = CodeInSource().Matches(File.ReadAllText(Path.Combine(PlatformTests.RepoRoot(), "src", "DeepSeek.Portal", "Planning", "Planner", "TrainingBundleService.cs")))
            .Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains("TbNoPairs", bundle);
        Assert.All(bundle, code => Assert.True(Holes(en[PlanNoteText.KeyPrefix + code]) == Holes(zh[PlanNoteText.KeyPrefix + code]), code));
        Assert.Empty(written.Except(notes.Select(n => n.Code)).Except(["ErrNoRepository", .. bundle]));
    }

    [Fact]
    public async Task A_note_renders_in_Chinese_with_its_values_and_falls_back_to_English_only_without_a_key()
    {
        var l = Localizer();
        var before = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("zh-Hans");
            var plan = PlanEstimator.Compute(new PlanRequest("deepseek-v3", Precision.Fp8, 4096, 16, PlanMode.Inference, "h200", GpuCount: 4));
            var doesNotFit = plan.Warnings.Single(w => w.Code == "DoesNotFit");
            var (text, english) = PlanNoteText.Localise(l, doesNotFit);
            Assert.False(english);
            Assert.StartsWith("装不下：需要 6 块 NVIDIA H200", text, StringComparison.Ordinal);
            Assert.Contains("而请求只给了 4 块", text, StringComparison.Ordinal);

            // Words among the values translate too (a mode, a yes/no, a list of figure names), numbers and product names stay.
            var h20 = GpuCatalogue.Find("h20")!;
            var uncertain = PlanEstimator.Compute(new PlanRequest("deepseek-llm-7b", Precision.Bf16, 4096, 1, PlanMode.Inference, h20.Id)).Warnings.Single(w => w.Code == "GpuFiguresUncertain");
            Assert.Equal($"{h20.Name}：部分数据来自第三方或来源互相矛盾（显存、带宽、BF16 算力、INT8 算力）；请查看出处。", PlanNoteText.Text(l, uncertain));
            var refused = await Assert.ThrowsAsync<PlannerRequestException>(() => Service().PlanAsync(
                new PlanRequest("deepseek-llm-7b", Precision.Fp8, 4096, 1, PlanMode.FullFineTune, "h200"), default));
            Assert.Equal(["全参数微调 需在 FP32、BF16 或 FP16 权重上训练，不能用 FP8（常用训练框架没有 FP8 训练路径）；4 位基座请使用 QLoRA。"],
                PlanNoteText.Errors(l, refused)["precision"]);
            var claim = PlanEstimator.SeedClaims().Single(c => c.Id == "a100x4-13b");
            Assert.EndsWith("（能否装下：否）。", PlanNoteText.Text(l, claim.Computation), StringComparison.Ordinal);

            var unknown = PlanNote.Of("NoSuchCode", $"Only {42} in English.");
            Assert.Equal(("Only 42 in English.", true), PlanNoteText.Localise(l, unknown));
            // Errors without codes (the deployment library's option checks) keep their English after the lead-in given.
            var plain = new PlannerRequestException("options.image", "Image: expected a name.");
            Assert.Equal(["无法规划：Image: expected a name."], PlanNoteText.Errors(l, plain, m => l["PlErrCore", m])["options.image"]);
        }
        finally
        {
            CultureInfo.CurrentUICulture = CultureInfo.CurrentCulture = before;
        }
    }

    /// <summary>What the portal's planner service says: its refusals, a registered folder's problems, serving caveats, the machine check's notes.</summary>
    private async Task<List<PlanNote>> PortalNotesAsync()
    {
        var notes = new List<PlanNote>();
        var service = Service();
        async Task Refused(Func<Task> call)
        {
            var e = await Assert.ThrowsAsync<PlannerRequestException>(call);
            Assert.NotEmpty(e.Notes);
            notes.AddRange(e.Notes.Values.SelectMany(v => v));
        }
        PlanRequest Request(string model = "deepseek-llm-7b", string gpu = "h200", Precision precision = Precision.Bf16, int? gpus = null) =>
            new(model, precision, 4096, 1, PlanMode.Inference, gpu, gpus);

        await Refused(() => service.PlanAsync(null, default));
        await Refused(() => service.PlanAsync(Request("", ""), default));
        await Refused(() => service.PlanAsync(Request("registered:404", "h300"), default));
        await Refused(() => service.PlanAsync(Request("deepseek-v9"), default));
        foreach (var folder in new[] { "registered:1", "registered:2", "registered:3" })
        {
            var model = (await service.ModelsAsync(default)).Single(m => m.Id == folder);
            notes.Add(model.Problem!);
            await Refused(() => service.PlanAsync(Request(folder, "cpu"), default));
        }
        await Refused(() => service.ServingAsync(null, default));
        await Refused(() => service.ServingAsync(new ServingArtefactRequest(Request(), (ServingEngine)42), default));
        foreach (var (request, engine) in new[]
        {
            (Request(precision: Precision.Int4), ServingEngine.Vllm),
            (Request(precision: Precision.Int8), ServingEngine.Sglang),
            (Request(precision: Precision.Int8), ServingEngine.Vllm),
            (Request("deepseek-v3", precision: Precision.Bf16, gpus: 1), ServingEngine.Vllm),
        })
        {
            notes.AddRange((await service.ServingAsync(new ServingArtefactRequest(request, engine), default)).Notes);
        }
        notes.AddRange(MachineCheck.Notes(configured: false, 12.34));
        notes.AddRange(MachineCheck.Notes(configured: true, 20));
        Assert.Contains(notes, n => n.Code == "ServingDoesNotFit");
        Assert.Contains(notes, n => n.Code == "ServingFp8Conversion");
        return notes;
    }

    /// <summary>The real service over three broken folders (no config, an oversized one, unreadable JSON) as registered:1–3.</summary>
    private PlannerService Service()
    {
        var none = Directory.CreateDirectory(Path.Combine(_root, "none")).FullName;
        var large = Directory.CreateDirectory(Path.Combine(_root, "large")).FullName;
        File.WriteAllText(Path.Combine(large, "config.json"), new string(' ', (int)ModelConfigFile.MaxBytes + 1));
        var broken = Directory.CreateDirectory(Path.Combine(_root, "broken")).FullName;
        File.WriteAllText(Path.Combine(broken, "config.json"), "{\"model_type\": \"llama\"");
        var cpu = new CpuDevice(Microsoft.Extensions.Options.Options.Create(new PlannerOptions { CpuBandwidthGBps = 20 }));
        return new PlannerService(new Folders([none, large, broken]), cpu);
    }

    private sealed class Folders(string[] paths) : IPlannerModelSource
    {
        public async Task<IReadOnlyList<PlannerModel>> ListAsync(CancellationToken ct)
        {
            var list = new List<PlannerModel>();
            for (int i = 0; i < paths.Length; i++)
                list.Add(await ModelConfigFile.ReadAsync($"registered:{i + 1}", Path.GetFileName(paths[i]), PlannerModel.RegisteredSource, paths[i], ct));
            return list;
        }

        public async Task<PlannerModel?> FindAsync(string id, CancellationToken ct) =>
            (await ListAsync(ct)).FirstOrDefault(m => m.Id == id);
    }

    private static IStringLocalizer Localizer() =>
        new ResourceManagerStringLocalizerFactory(Microsoft.Extensions.Options.Options.Create(new LocalizationOptions { ResourcesPath = "Resources" }), NullLoggerFactory.Instance)
            .Create(typeof(SharedResource));

    private static Dictionary<string, string> Resx(string file) =>
        XDocument.Load(Path.Combine(PlatformTests.RepoRoot(), "src", "DeepSeek.Portal", "Resources", file)).Root!.Elements("data")
            .ToDictionary(e => (string)e.Attribute("name")!, e => (string)e.Element("value")!);

    private static IEnumerable<string> PortalSource() =>
        Directory.EnumerateFiles(Path.Combine(PlatformTests.RepoRoot(), "src", "DeepSeek.Portal", "Planning", "Planner"), "*.cs", SearchOption.AllDirectories)
            .Select(File.ReadAllText);

    /// <summary>Distinct <c>{n}</c> holes of a template (escaped braces not counted).</summary>
    private static int Holes(string template) =>
        Hole().Matches(template.Replace("{{", "", StringComparison.Ordinal).Replace("}}", "", StringComparison.Ordinal)).Select(m => m.Value).Distinct().Count();

    [GeneratedRegex(@"\{\d+\}")]
    private static partial Regex Hole();

    [GeneratedRegex(@"PlanNote\.Of\(""([A-Za-z0-9]+)""")]
    private static partial Regex CodeInSource();

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex HanCharacter();
}
