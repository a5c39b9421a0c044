using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Deployment;
using DeepSeek.Portal.Planning.Estimates;
using DeepSeek.Portal.Training;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Planning.Planner;

/// <summary>A training bundle written to a temporary file that deletes itself when the stream is closed.</summary>
/// <param name="Content">The zip, positioned at its start.</param>
/// <param name="FileName">A safe download name (<c>training-llamafactory-deepseek-v3.zip</c>).</param>
/// <param name="Spec">What the launch files were generated from.</param>
/// <param name="Examples">Examples exported.</param>
/// <param name="Skipped">Records left out (plain text without a prompt/answer, or no answer to train on).</param>
public sealed record TrainingBundle(Stream Content, string FileName, TrainingLaunchSpec Spec, long Examples, long Skipped);

/// <summary>
/// Multi-node training launch bundles: the deployment library's launch files (torchrun with the NCCL environment,
/// DeepSpeed or LLaMA-Factory config) for the plan's model and devices, plus the dataset version exported in
/// LLaMA-Factory's format and a manifest. Everything is checked before a byte is written; the zip is built in a
/// temporary file (bounded by <see cref="PlannerOptions.MaxBundleBytes"/>) and streamed from there.
/// </summary>
public sealed class TrainingBundleService(PortalDbContext db, DatasetVersionService versions, PlannerService planner, DataPaths paths, IOptions<PlannerOptions> options, TimeProvider clock)
{
    private static readonly JsonWriterOptions JsonOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public const string DeepSpeedImage = "nvcr.io/nvidia/pytorch:25.01-py3";
    public const string LlamaFactoryImage = "hiyouga/llamafactory:0.9.3";

    public async Task<TrainingBundle> BuildAsync(TrainingBundleRequest? request, CancellationToken ct)
    {
        if (request is null)
            throw new PlannerRequestException("body", PlanNote.Of("TbBody", $"Send {{plan, framework: deepSpeed | llamaFactory, runId | datasetVersionId, settings?, cluster?}}."));
        // Field → English messages, and the same as coded notes where the message has a code (the planner's refusals all do).
        var errors = new Dictionary<string, string[]>();
        var notes = new Dictionary<string, PlanNote[]>();
        void Fail(string field, PlanNote note) => (errors[field], notes[field]) = ([note.Text], [note]);

        Plan? plan = null;
        try
        {
            plan = await planner.PlanAsync(request.Plan, ct, "plan");
            if (plan.Request.Mode == PlanMode.Inference)
                Fail("plan.mode", PlanNote.Of("TbNeedsTrainingMode", $"A training bundle needs a training mode: fullFineTune, lora or qLora (the plan is for inference)."));
        }
        catch (PlannerRequestException e)
        {
            foreach (var (key, value) in e.Errors) errors[key] = value;
            foreach (var (key, value) in e.Notes) notes[key] = value;
        }
        if (!Enum.IsDefined(request.Framework))
            Fail("framework", PlanNote.Of("TbFramework", $"The framework must be deepSpeed or llamaFactory."));

        // The data and the settings: a run's, or a version's with the settings given.
        TrainingOptions? run = null;
        DatasetVersion? version = null;
        if (request.RunId is { } runId && request.DatasetVersionId is not null)
            Fail("runId", PlanNote.Of("TbRunOrVersion", $"Give a training run or a dataset version, not both."));
        else if (request.RunId is { } id)
        {
            var row = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
            if (row is null)
                Fail("runId", PlanNote.Of("TbNoRun", $"No training run {id}."));
            else if (row.DatasetVersionId is not { } versionId)
                Fail("runId", row.Mixture is not null
                    ? PlanNote.Of("TbRunMixture", $"Run {id} trains on a mixture of dataset versions; export one of them with datasetVersionId.")
                    : PlanNote.Of("TbRunUnversioned", $"Run {id} predates dataset versions; export its dataset's version with datasetVersionId."));
            else
            {
                run = row.ToOptions();
                version = await versions.FindAsync(versionId, ct);
                if (version is null) Fail("runId", PlanNote.Of("TbRunVersionGone", $"The dataset version run {id} trained on ({versionId}) no longer exists."));
            }
        }
        else if (request.DatasetVersionId is { } versionId)
        {
            version = await versions.FindAsync(versionId, ct);
            if (version is null) Fail("datasetVersionId", PlanNote.Of("TbNoVersion", $"No dataset version {versionId}."));
        }
        else
            Fail("datasetVersionId", PlanNote.Of("TbNeedData", $"Give the data: a training run (runId) or a dataset version (datasetVersionId)."));

        var settings = request.Settings ?? new TrainingBundleSettings();
        var cluster = request.Cluster ?? new TrainingClusterOptions();
        CheckRange(Fail, "settings.learningRate", settings.LearningRate, 1e-8, 1.0);
        CheckRange(Fail, "settings.epochs", settings.Epochs, 1, 1000);
        CheckRange(Fail, "settings.microBatchSize", settings.MicroBatchSize, 1, 4096);
        CheckRange(Fail, "settings.gradientAccumulationSteps", settings.GradientAccumulationSteps, 1, 4096);
        CheckRange(Fail, "settings.sequenceLength", settings.SequenceLength, 16, 1 << 20);
        CheckRange(Fail, "settings.loraRank", settings.LoraRank, 1, 4096);
        CheckRange(Fail, "settings.loraAlpha", settings.LoraAlpha, 1, 1 << 16);
        CheckRange(Fail, "cluster.masterPort", cluster.MasterPort, 1024, 65535);
        CheckRange(Fail, "cluster.zeroStage", cluster.ZeroStage, 0, 3);
        if (errors.Count > 0)
            throw new PlannerRequestException(errors, notes);

        // First pass: which records train, and as what (so the format and dataset_info.json are known before writing).
        var (examples, conversations) = (0L, 0L);
        await foreach (var record in versions.ReadAsync(version!, dropped: false, ct))
        {
            if (SupervisedRecords.From(record) is not { } example) continue;
            examples++;
            if (example.Turns is not null) conversations++;
        }
        if (examples == 0)
            throw new PlannerRequestException(request.RunId is not null ? "runId" : "datasetVersionId",
                PlanNote.Of("TbNoPairs", $"Dataset version {version!.Id} has no prompt/response pairs or conversations (its {version.RecordCount} records are plain text); LLaMA-Factory's supervised fine-tuning needs pairs."));

        var format = LlamaFactoryDataset.FormatFor(conversations > 0);
        var datasetName = await DatasetNameAsync(version!, ct);
        var lora = plan!.Request.Mode is PlanMode.Lora or PlanMode.QLora;
        var (model, _) = await planner.ResolveModelAsync(plan.Request.ModelId, ct);
        var baseModel = model!.Folder is not null ? "/models/" + PlannerService.Slug(model.Name) : model.Repository ?? "/models/" + PlannerService.Slug(model.Id);
        var sequenceLength = settings.SequenceLength ?? run?.SequenceLength ?? plan.Request.ContextLength;
        var microBatch = settings.MicroBatchSize ?? run?.MicroBatchSize ?? 1;
        var accumulation = settings.GradientAccumulationSteps ?? run?.GradientAccumulationSteps ?? 8;
        var rank = settings.LoraRank ?? run?.Lora?.R ?? plan.Request.LoraRank;
        var nodes = Math.Max(1, plan.Nodes);
        var spec = new TrainingLaunchSpec(
            request.Framework,
            baseModel,
            nodes,
            (int)Math.Ceiling(plan.GpuCount / (double)nodes),
            cluster.MasterAddress ?? "127.0.0.1",
            cluster.MasterPort ?? 29500,
            cluster.SocketInterface,
            cluster.InfiniBand ?? false,
            cluster.ZeroStage ?? (plan.Request.Mode == PlanMode.FullFineTune ? 3 : 2),
            lora,
            rank,
            settings.LoraAlpha ?? (run?.Lora is { } runLora ? (int)Math.Round(runLora.LoraAlpha) : 2 * rank),
            settings.LearningRate ?? run?.LearningRate ?? 1e-4,
            settings.Epochs ?? (run is null ? 1 : (int)Math.Clamp(Math.Ceiling((double)run.Steps * run.EffectiveBatchSize / examples), 1, 1000)),
            microBatch,
            accumulation,
            sequenceLength,
            plan.Request.Precision != Precision.Fp16,
            datasetName,
            datasetName + ".json",
            format,
            cluster.Image ?? (request.Framework == TrainingFramework.LlamaFactory ? LlamaFactoryImage : DeepSpeedImage));
        var files = Generate(spec);
        var datasetPath = DatasetPath(files, spec.DatasetFile);

        // Second pass: the zip, in a temporary file that is gone when the response stream closes.
        Directory.CreateDirectory(paths.Temp);
        var temp = new FileStream(Path.Combine(paths.Temp, $"bundle-{Guid.NewGuid():N}.zip"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            var limit = options.Value.MaxBundleBytes;
            long written = 0, skipped = 0, merged = 0;
            using (var zip = new ZipArchive(temp, ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach (var file in files)
                    await WriteTextAsync(zip, file.Path, file.Content, ct);
                var entry = zip.CreateEntry(datasetPath, CompressionLevel.Optimal);
                await using (var stream = entry.Open())
                await using (var json = new Utf8JsonWriter(stream, JsonOptions))
                {
                    json.WriteStartArray();
                    await foreach (var record in versions.ReadAsync(version!, dropped: false, ct))
                    {
                        if (SupervisedRecords.From(record) is not { } example) { skipped++; continue; }
                        if (format == LlamaFactoryDataset.Alpaca)
                            LlamaFactoryDataset.WriteAlpaca(json, example);
                        else if (LlamaFactoryDataset.ToShareGpt(example) is { } conversation)
                        {
                            LlamaFactoryDataset.WriteShareGpt(json, conversation);
                            merged += conversation.Merged;
                        }
                        else { skipped++; continue; }
                        written++;
                        if (json.BytesPending > 1 << 16)
                            await json.FlushAsync(ct);
                        if (temp.Length > limit)
                            throw TooLarge(request, limit);
                    }
                    json.WriteEndArray();
                }
                await WriteTextAsync(zip, "manifest.json", Manifest(version!, request, spec, datasetPath, written, skipped, merged, run), ct);
            }
            if (temp.Length > limit)
                throw TooLarge(request, limit);
            temp.Position = 0;
            var fileName = $"training-{spec.Framework.ToString().ToLowerInvariant()}-{PlannerService.Slug(model.Source == PlannerModel.RegisteredSource ? model.Name : model.Id)}.zip";
            return new TrainingBundle(temp, fileName, spec, written, skipped);
        }
        catch
        {
            await temp.DisposeAsync();
            throw;
        }
    }

    private static readonly HashSet<string> ClusterFields = [nameof(TrainingLaunchSpec.MasterAddress), nameof(TrainingLaunchSpec.MasterPort), nameof(TrainingLaunchSpec.SocketInterface), nameof(TrainingLaunchSpec.InfiniBand), nameof(TrainingLaunchSpec.ZeroStage), nameof(TrainingLaunchSpec.Image)];
    private static readonly HashSet<string> SettingFields = [nameof(TrainingLaunchSpec.LearningRate), nameof(TrainingLaunchSpec.Epochs), nameof(TrainingLaunchSpec.MicroBatchSize), nameof(TrainingLaunchSpec.GradientAccumulationSteps), nameof(TrainingLaunchSpec.SequenceLength), nameof(TrainingLaunchSpec.LoraRank), nameof(TrainingLaunchSpec.LoraAlpha)];

    /// <summary>The deployment library's launch files; a field it refuses (<see cref="ArgumentException.ParamName"/>) is reported on the request field it came from.</summary>
    private static IReadOnlyList<GeneratedFile> Generate(TrainingLaunchSpec spec)
    {
        try
        {
            return TrainingLaunch.Bundle(spec);
        }
        catch (ArgumentException e)
        {
            var name = e.ParamName ?? "";
            var camel = name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
            var field = ClusterFields.Contains(name) ? "cluster." + camel : SettingFields.Contains(name) ? "settings." + camel : "plan";
            throw PlannerRequestException.FromSpecCheck(field, e);
        }
    }

    /// <summary>Where the dataset goes: beside <c>dataset_info.json</c> when the launch files have one (LLaMA-Factory's dataset_dir), else <c>data/</c>.</summary>
    internal static string DatasetPath(IReadOnlyList<GeneratedFile> files, string datasetFile)
    {
        var info = files.FirstOrDefault(f => Path.GetFileName(f.Path) == "dataset_info.json");
        var folder = info is null ? "data" : Path.GetDirectoryName(info.Path)?.Replace('\\', '/') ?? "";
        var path = folder.Length == 0 ? datasetFile : folder + "/" + datasetFile;
        if (files.Any(f => f.Path == path))
            throw new InvalidOperationException($"The launch files already hold {path}.");
        return path;
    }

    private async Task<string> DatasetNameAsync(DatasetVersion version, CancellationToken ct)
    {
        var name = await db.Datasets.AsNoTracking().Where(d => d.Id == version.DatasetId).Select(d => d.Name).FirstOrDefaultAsync(ct) ?? "dataset";
        var slug = PlannerService.Slug(name).Replace('-', '_');
        if (slug.Length > 48) slug = slug[..48].TrimEnd('_');
        return string.Create(CultureInfo.InvariantCulture, $"portal_{slug}_v{version.Number}");
    }

    private string Manifest(DatasetVersion version, TrainingBundleRequest request, TrainingLaunchSpec spec, string datasetPath, long written, long skipped, long merged, TrainingOptions? run)
    {
        var manifest = new
        {
            generatedAt = clock.GetUtcNow(),
            runId = request.RunId,
            datasetVersionId = version.Id,
            datasetVersionSha256 = version.Sha256,
            datasetFile = datasetPath,
            format = spec.DatasetFormat,
            examples = written,
            skipped,
            mergedTurns = merged,
            epochsFrom = request.Settings?.Epochs is not null ? "settings" : run is not null ? "the run's steps × effective batch ÷ examples, rounded up (the portal counts packed sequences, so this is approximate)" : "default",
            spec,
            notes = new[]
            {
                "Records train as the portal trains them: conversations on every assistant turn, pairs on the answer; plain-text records are left out (skipped).",
                "sharegpt: leading system turns are the system prompt; neighbouring turns of one side (a tool's output after the user's words) are joined with a line break (mergedTurns).",
            },
        };
        return JsonSerializer.Serialize(manifest, new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = true,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        });
    }

    private static async Task WriteTextAsync(ZipArchive zip, string path, string content, CancellationToken ct)
    {
        var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
        // launch.sh must stay executable after unzip (rwxr-xr-x; other files rw-r--r--).
        entry.ExternalAttributes = (path.EndsWith(".sh", StringComparison.Ordinal) ? 0b111_101_101 : 0b110_100_100) << 16;
        await using var stream = entry.Open();
        await stream.WriteAsync(new UTF8Encoding(false).GetBytes(content), ct);
    }

    private static void CheckRange(Action<string, PlanNote> fail, string field, double? value, double min, double max)
    {
        if (value is { } v && (double.IsNaN(v) || v < min || v > max))
            fail(field, PlanNote.Of("TbOutOfRange", $"{field} must be between {min:G} and {max:G} (was {v:G})."));
    }

    private static PlannerRequestException TooLarge(TrainingBundleRequest request, long limit) =>
        new(request.RunId is not null ? "runId" : "datasetVersionId",
            PlanNote.Of("TbTooLarge", $"The bundle would exceed {TrainingFootprint.FormatBytes(limit)} (Portal:Planner:MaxBundleBytes); export the dataset with the data command line instead."));
}
