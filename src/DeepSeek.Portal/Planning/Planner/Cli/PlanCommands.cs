using System.Globalization;
using System.Text;
using DeepSeek.Portal.Datasets.Cli;
using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Deployment;
using DeepSeek.Portal.Planning.Estimates;

namespace DeepSeek.Portal.Planning.Planner.Cli;

/// <summary>
/// The <c>plan</c> commands, thin over <see cref="PlannerService"/> (the same resolution, refusals and serving specs as
/// the REST API): a command reads its options, asks the service, and prints.
/// </summary>
internal sealed class PlanCommands(CommandArguments args, TextWriter output, CancellationToken ct)
{
    private static readonly string[] Common = ["json", "help"];
    private readonly bool _json = args.Has("json");

    private static CultureInfo C => CultureInfo.InvariantCulture;

    /// <summary>The option a plan field comes from, for error messages (<c>contextLength</c> → <c>--context</c>).</summary>
    public static string OptionFor(string field) => field.Replace("plan.", "", StringComparison.Ordinal).Replace("options.", "", StringComparison.Ordinal) switch
    {
        "modelId" => "--model",
        "precision" => "--precision",
        "gpuId" => "--gpu",
        "contextLength" => "--context",
        "concurrentSequences" => "--sequences",
        "mode" => "--mode",
        "gpuCount" => "--gpus",
        "kvCachePrecision" => "--kv-precision",
        "loraRank" => "--lora-rank",
        "activationCheckpointing" => "--no-checkpointing",
        "servedName" => "--served-name",
        "port" => "--port",
        "image" => "--image",
        "hostModelPath" => "--host-model-path",
        "apiKeySecretName" => "--api-key-secret",
        "engine" => "--engine",
        var other => other,
    };

    public async Task<int> RunAsync()
    {
        foreach (var name in Common)
            args.MarkUsed(name);
        return args.Command switch
        {
            "models" => await ModelsAsync(),
            "gpus" => await GpusAsync(),
            "claims" => await ClaimsAsync(),
            "estimate" => await EstimateAsync(),
            "compose" => await ServingFileAsync(kubernetes: false),
            "kubernetes" => await ServingFileAsync(kubernetes: true),
            _ => throw new UsageException($"unknown command \"{args.Command}\""),
        };
    }

    // ---- models, gpus, claims ---------------------------------------------------------------------------------------

    private async Task<int> ModelsAsync()
    {
        var planner = Planner();
        args.EnsureNothingElse(0);
        var models = await planner.ModelsAsync(ct);
        if (_json)
        {
            await CommandOutput.WriteJsonAsync(output, models);
            return ExitCodes.Success;
        }
        await CommandOutput.WriteTableAsync(output, ["id", "name", "params", "active", "layers", "attention", "max context", "weights", "served from"],
            models.Select(m => m.Architecture is { } a
                ? [m.Id, m.Name, Billions(a.TotalParameters, a.ParametersApproximate), Billions(a.ActiveParameters, a.ParametersApproximate), a.Layers.ToString(C), a.Attention.ToString().ToUpperInvariant(), a.MaxContext.ToString(C), a.NativePrecision.ToString().ToUpperInvariant(), m.Repository ?? m.Folder ?? ""]
                : new[] { m.Id, m.Name, "", "", "", "", "", "", "problem: " + m.Problem?.Text }));
        return ExitCodes.Success;
    }

    private async Task<int> GpusAsync()
    {
        var planner = Planner();
        args.EnsureNothingElse(0);
        var devices = planner.Devices();
        if (_json)
        {
            await CommandOutput.WriteJsonAsync(output, devices);
            return ExitCodes.Success;
        }
        string Mark(GpuSpec g, string field, string text) => g.Uncertain.Contains(field) ? text + "*" : text;
        await CommandOutput.WriteTableAsync(output, ["id", "name", "memory GB", "GB/s", "BF16 TFLOPS", "FP8", "per node"],
            devices.Gpus.Select(g => new[]
            {
                g.Id, g.Name, Mark(g, nameof(GpuSpec.MemoryGB), g.MemoryGB.ToString("0.##", C)), Mark(g, nameof(GpuSpec.BandwidthGBps), g.BandwidthGBps.ToString("0.#", C)),
                g.Bf16Tflops is { } t ? Mark(g, nameof(GpuSpec.Bf16Tflops), t.ToString("0.#", C)) : "-", g.Fp8 ? "yes" : "no", g.GpusPerNode.ToString(C),
            }));
        await output.WriteLineAsync("* third-party or conflicting figure (see the entry's source)");
        var cpu = devices.Gpus[^1];
        await output.WriteLineAsync($"cpu: {cpu.Source}");
        return ExitCodes.Success;
    }

    private async Task<int> ClaimsAsync()
    {
        args.EnsureNothingElse(0);
        var claims = new PlannerService(new NoFolders(), Cpu(null)).Claims();
        if (_json)
        {
            await CommandOutput.WriteJsonAsync(output, claims);
            return ExitCodes.Success;
        }
        foreach (var claim in claims)
        {
            await output.WriteLineAsync($"[{(claim.Holds ? "holds" : "does not hold")}] {claim.Id}: {claim.Claim}");
            await output.WriteLineAsync($"  seed: {claim.Quote}");
            await output.WriteLineAsync($"  computation: {claim.Computation.Text}");
            await output.WriteLineAsync($"  verdict: {claim.Verdict.Text}");
        }
        return ExitCodes.Success;
    }

    // ---- estimate -------------------------------------------------------------------------------------------------

    private async Task<int> EstimateAsync()
    {
        var planner = Planner();
        var request = ReadPlanRequest();
        args.EnsureNothingElse(0);
        var plan = await planner.PlanAsync(request, ct);
        if (_json)
        {
            await CommandOutput.WriteJsonAsync(output, plan);
            return ExitCodes.Success;
        }
        await output.WriteLineAsync(PlanText.Describe(plan));
        return ExitCodes.Success;
    }

    // ---- compose / kubernetes ---------------------------------------------------------------------------------------

    private async Task<int> ServingFileAsync(bool kubernetes)
    {
        var planner = Planner();
        var request = ReadPlanRequest();
        var engineText = args.Value("engine") ?? throw new UsageException("--engine vllm|sglang is required");
        var engine = engineText.ToLowerInvariant() switch
        {
            "vllm" => ServingEngine.Vllm,
            "sglang" => ServingEngine.Sglang,
            _ => throw new UsageException($"--engine expects vllm or sglang, not \"{engineText}\""),
        };
        var options = new ServingOptions(args.Value("served-name"), args.Value("port") is null ? null : args.Int("port", 0, 1, 65535),
            args.Value("image"), args.Value("host-model-path"), args.Value("api-key-secret"));
        var outFile = args.Value("out");
        args.EnsureNothingElse(0);
        var servingRequest = new ServingArtefactRequest(request, engine, options);
        var (serving, file) = kubernetes ? await planner.KubernetesAsync(servingRequest, ct) : await planner.ComposeAsync(servingRequest, ct);
        if (outFile is null)
        {
            await output.WriteAsync(file.Content);
            return ExitCodes.Success;
        }
        var path = CallerDirectory.Resolve(outFile);
        var temporary = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Written beside the target and moved over it: an interrupted write never leaves half a manifest.
            await File.WriteAllTextAsync(temporary, file.Content, new UTF8Encoding(false), ct);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlanCommandException($"cannot write {outFile}: {e.Message}");
        }
        finally
        {
            File.Delete(temporary);
        }
        if (_json)
            await CommandOutput.WriteJsonAsync(output, new { path, serving.Spec, serving.Notes, plan = new { serving.Plan.GpuCount, serving.Plan.TensorParallel, serving.Plan.PipelineParallel, serving.Plan.Nodes, serving.Plan.Fits } });
        else
        {
            await output.WriteLineAsync($"wrote {path}: {engine.ToString().ToLowerInvariant()} serving {serving.Spec.Model} as \"{serving.Spec.ServedName}\", tensor parallel {serving.Spec.TensorParallel}, pipeline {serving.Spec.PipelineParallel}, port {serving.Spec.Port}");
            foreach (var note in serving.Notes)
                await output.WriteLineAsync("note: " + note.Text);
        }
        return ExitCodes.Success;
    }

    // ---- input ----------------------------------------------------------------------------------------------------

    private PlannerService Planner()
    {
        var config = args.Value("model-config");
        IPlannerModelSource folders = config is null ? new NoFolders() : new ConfigFileSource(CallerDirectory.Resolve(config));
        return new PlannerService(folders, Cpu(args.Number("cpu-bandwidth", 0.001, 1e6)));
    }

    private static CpuDevice Cpu(double? bandwidth) => new(Microsoft.Extensions.Options.Options.Create(new PlannerOptions { CpuBandwidthGBps = bandwidth }));

    private PlanRequest ReadPlanRequest()
    {
        var model = args.Value("model");
        if (args.Value("model-config") is not null)
        {
            if (model is not null)
                throw new UsageException("give --model or --model-config, not both");
            model = ConfigFileSource.Id;
        }
        if (model is null)
            throw new UsageException("--model <id> (plan models) or --model-config <path> is required");
        if (args.Value("context") is null)
            throw new UsageException("--context <tokens> is required");
        return new PlanRequest(
            model,
            Precision("precision") ?? throw new UsageException("--precision fp32|bf16|fp16|fp8|int8|int4 is required"),
            args.Int("context", 0, int.MinValue, int.MaxValue),
            args.Value("sequences") is null ? 1 : args.Int("sequences", 1, int.MinValue, int.MaxValue),
            Mode(),
            args.Value("gpu") ?? throw new UsageException("--gpu <id> is required (plan gpus lists them; cpu is this machine)"),
            args.Value("gpus") is null ? null : args.Int("gpus", 0, int.MinValue, int.MaxValue),
            !args.Has("no-checkpointing"),
            Precision("kv-precision"),
            args.Int("lora-rank", 16, int.MinValue, int.MaxValue));
    }

    private Precision? Precision(string option)
    {
        var text = args.Value(option);
        if (text is null)
            return null;
        return Enum.TryParse<Precision>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) && !char.IsDigit(text[0])
            ? value
            : throw new UsageException($"--{option} expects fp32, bf16, fp16, fp8, int8 or int4, not \"{text}\"");
    }

    private PlanMode Mode()
    {
        var text = args.Value("mode") ?? "inference";
        return text.ToLowerInvariant() switch
        {
            "inference" or "serve" => PlanMode.Inference,
            "full" or "fullfinetune" or "full-fine-tune" => PlanMode.FullFineTune,
            "lora" => PlanMode.Lora,
            "qlora" => PlanMode.QLora,
            _ => throw new UsageException($"--mode expects inference, full, lora or qlora, not \"{text}\""),
        };
    }

    private static string Billions(long parameters, bool approximate) =>
        (approximate ? "~" : "") + (parameters >= 1e9 ? (parameters / 1e9).ToString("0.##", C) + "B" : (parameters / 1e6).ToString("0.##", C) + "M");

    /// <summary>No model folders: the catalogue alone.</summary>
    private sealed class NoFolders : IPlannerModelSource
    {
        public Task<IReadOnlyList<PlannerModel>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<PlannerModel>>([]);
        public Task<PlannerModel?> FindAsync(string id, CancellationToken ct) => Task.FromResult<PlannerModel?>(null);
    }

    /// <summary>One model folder named on the command line, id <c>config</c>.</summary>
    private sealed class ConfigFileSource(string path) : IPlannerModelSource
    {
        public const string Id = "config";

        private Task<PlannerModel>? _model;

        private Task<PlannerModel> Read(CancellationToken ct) =>
            _model ??= ModelConfigFile.ReadAsync(Id, Path.GetFileName(Directory.Exists(path) ? path.TrimEnd('/') : Path.GetDirectoryName(path)!) is { Length: > 0 } name ? name : Id, "folder", path, ct);

        public async Task<IReadOnlyList<PlannerModel>> ListAsync(CancellationToken ct) => [await Read(ct)];

        public async Task<PlannerModel?> FindAsync(string id, CancellationToken ct) => id == Id ? await Read(ct) : null;
    }
}
