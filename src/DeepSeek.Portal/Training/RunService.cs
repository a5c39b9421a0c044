using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Adapters;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Engine.Training.Mixing;
using DeepSeek.Portal.Options;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Quartz;

namespace DeepSeek.Portal.Training;

public sealed record RunLaunchOutcome(RunSummary? Run, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool Succeeded => Run is not null;
}

/// <summary>Creates, queries and cancels training runs. A run executes as a Quartz job; this service never trains.</summary>
public sealed class RunService(PortalDbContext db, ISchedulerFactory schedulerFactory, RunSupervisor supervisor, DataPaths paths, TimeProvider clock, IOptions<PortalOptions> portalOptions)
{
    public static TrainingOptions Defaults { get; } = new();

    /// <summary>Engine options for a request, unset fields taking the engine defaults. An unknown precision is left at the default; <see cref="ValidateSettings"/> reports it.</summary>
    /// <param name="r">The request.</param>
    /// <param name="loraTargets">The linear layers of the model the run trains (<see cref="RunLoraTargets.For"/>); the demo model's when left out.</param>
    public static TrainingOptions ToOptions(RunLaunchRequest r, IReadOnlyList<RunLoraTargetChoice>? loraTargets = null) => Defaults with
    {
        MicroBatchSize = r.MicroBatchSize,
        GradientAccumulationSteps = r.GradientAccumulationSteps,
        LearningRate = r.LearningRate ?? Defaults.LearningRate,
        LearningRateDecay = TryParseDecay(r.LearningRateDecay, out var decay) ? decay : Defaults.LearningRateDecay,
        Steps = r.Steps ?? Defaults.Steps,
        Precision = TrainingPrecisions.TryParse(r.Precision, out var precision) ? precision : Defaults.Precision,
        Seed = r.Seed ?? Defaults.Seed,
        // Short runs warm up for a tenth of their steps rather than failing on the default.
        WarmupSteps = r.WarmupSteps ?? Math.Min(Defaults.WarmupSteps, Math.Max(0, (r.Steps ?? Defaults.Steps) / 10)),
        SequenceLength = r.SequenceLength ?? Defaults.SequenceLength,
        WeightDecay = r.WeightDecay ?? Defaults.WeightDecay,
        MaxGradNorm = r.MaxGradNorm ?? Defaults.MaxGradNorm,
        CheckpointEvery = r.CheckpointEvery ?? Defaults.CheckpointEvery,
        TokenizerVocabSize = r.TokenizerVocabSize ?? Defaults.TokenizerVocabSize,
        InitialLossScale = r.InitialLossScale ?? Defaults.InitialLossScale,
        LossScaleGrowthInterval = r.LossScaleGrowthInterval ?? Defaults.LossScaleGrowthInterval,
        ActivationCheckpointing = r.ActivationCheckpointing ?? Defaults.ActivationCheckpointing,
        Lora = ToLora(r.Lora, loraTargets),
    };

    /// <summary>"cosine" or "linear" (any case); <c>null</c> is the default.</summary>
    public static bool TryParseDecay(string? name, out LearningRateDecay decay)
    {
        decay = Defaults.LearningRateDecay;
        if (name is null) return true;
        foreach (var value in Enum.GetValues<LearningRateDecay>())
        {
            if (string.Equals(name.Trim(), value.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                decay = value;
                return true;
            }
        }
        return false;
    }

    /// <summary>The engine's LoRA settings for a request's; unset fields take <see cref="LoraConfig"/>'s defaults, the targets the model's attention projections.</summary>
    public static LoraConfig? ToLora(RunLoraRequest? lora, IReadOnlyList<RunLoraTargetChoice>? loraTargets = null)
    {
        if (lora is null)
            return null;
        var defaults = new LoraConfig();
        return defaults with
        {
            R = lora.R ?? defaults.R,
            LoraAlpha = lora.Alpha ?? defaults.LoraAlpha,
            LoraDropout = lora.Dropout ?? defaults.LoraDropout,
            TargetModules = lora.TargetModules is { } targets ? [.. targets] : RunLoraTargets.DefaultsOf(loraTargets ?? RunLoraTargets.All),
            UseRsLora = lora.UseRsLora ?? defaults.UseRsLora,
        };
    }

    /// <summary>The engine's rules for a request's settings, keyed by the request's JSON field names (camelCase).</summary>
    public static Dictionary<string, string[]> ValidateSettings(RunLaunchRequest request, IReadOnlyList<RunLoraTargetChoice>? loraTargets = null)
    {
        var errors = ToOptions(request, loraTargets).Validate().ToDictionary(kv => JsonFieldName(kv.Key), kv => kv.Value);
        if (request.Precision is not null && !TrainingPrecisions.TryParse(request.Precision, out _))
            errors["precision"] = [$"Precision must be one of {string.Join(", ", TrainingPrecisions.All.Select(p => p.Name()))} (was '{request.Precision}')."];
        if (!TryParseDecay(request.LearningRateDecay, out _))
            errors["learningRateDecay"] = [$"The learning-rate decay must be cosine or linear (was '{request.LearningRateDecay}')."];
        if (request.Mixture is not null)
        {
            foreach (var (field, messages) in RunMixtures.Validate(request.Mixture))
                errors[field] = messages;
        }
        ValidateAdvanced(request, errors, loraTargets ?? RunLoraTargets.All);
        return errors;
    }

    /// <summary>
    /// The advanced fields' rules under their own JSON paths ("lora.dropout"), so the form and API clients can point at
    /// the field: the engine reports every LoRA problem under "lora", and lets loss-scale fields through that fp32 and
    /// bf16 would silently ignore.
    /// </summary>
    private static void ValidateAdvanced(RunLaunchRequest request, Dictionary<string, string[]> errors, IReadOnlyList<RunLoraTargetChoice> loraTargets)
    {
        var precision = TrainingPrecisions.TryParse(request.Precision, out var p) ? p : Defaults.Precision;
        if (precision != TrainingPrecision.Fp16)
        {
            const string onlyFp16 = "applies to fp16 only (precision is {0}); leave it out or choose fp16.";
            if (request.InitialLossScale is not null && !errors.ContainsKey("initialLossScale"))
                errors["initialLossScale"] = [$"The initial loss scale {string.Format(System.Globalization.CultureInfo.InvariantCulture, onlyFp16, precision.Name())}"];
            if (request.LossScaleGrowthInterval is not null && !errors.ContainsKey("lossScaleGrowthInterval"))
                errors["lossScaleGrowthInterval"] = [$"The loss-scale growth interval {string.Format(System.Globalization.CultureInfo.InvariantCulture, onlyFp16, precision.Name())}"];
        }
        if (request.Lora is not { } lora)
            return;
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var loraErrors = new Dictionary<string, string[]>();
        if (lora.R is { } r && (r < 1 || r > 4096))
            loraErrors["lora.r"] = [string.Format(c, "The LoRA rank r must be between 1 and 4096 (was {0}).", r)];
        if (lora.Alpha is { } alpha && (!(alpha > 0) || !double.IsFinite(alpha)))
            loraErrors["lora.alpha"] = [string.Format(c, "LoRA alpha must be a positive finite number (was {0}).", alpha)];
        if (lora.Dropout is { } dropout && (!(dropout >= 0) || dropout >= 1))
            loraErrors["lora.dropout"] = [string.Format(c, "LoRA dropout must be at least 0 and below 1 (was {0}).", dropout)];
        else if (lora.Dropout is > 0 && request.ActivationCheckpointing == true)
            loraErrors["lora.dropout"] = ["LoRA dropout cannot be combined with activation checkpointing: the recomputed forward would draw different dropout masks. Set dropout to 0 or turn checkpointing off."];
        if (lora.TargetModules is { } targets)
        {
            var known = loraTargets.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            var unknown = targets.Where(t => t is null || !known.Contains(t)).Select(t => t ?? "null").Distinct().ToList();
            if (targets.Count == 0)
                loraErrors["lora.targetModules"] = [$"Name at least one linear layer to adapt (one of {string.Join(", ", known)}), or leave targetModules out for the attention projections."];
            else if (unknown.Count > 0)
                loraErrors["lora.targetModules"] = [$"The model has no linear layer named {string.Join(", ", unknown.Select(u => $"'{u}'"))}; choose from {string.Join(", ", known)}."];
        }
        if (loraErrors.Count > 0)
        {
            // The engine's own message under "lora" says the same in less detail.
            errors.Remove("lora");
            foreach (var (field, messages) in loraErrors)
                errors[field] = messages;
        }
    }

    /// <summary>An engine option's name as the request's JSON field (camelCase).</summary>
    public static string JsonFieldName(string optionName) => char.ToLowerInvariant(optionName[0]) + optionName[1..];

    /// <summary>The LoRA choices of the demo model, or of a registered model; <c>null</c> when that model is unknown or unreadable.</summary>
    public async Task<IReadOnlyList<RunLoraTargetChoice>?> LoraTargetsAsync(int? baseModelId, CancellationToken ct)
    {
        if (baseModelId is not int id)
            return RunLoraTargets.All;
        if (await RunBaseModels.FindAsync(db, id, ct) is not { } found)
            return null;
        try
        {
            return RunLoraTargets.For(Models.ModelCardReader.ReadConfig(found.Model.Path));
        }
        catch (Models.ModelFolderException)
        {
            return null;
        }
    }

    /// <summary>Field → messages for a launch request; empty when it may be queued.</summary>
    public async Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(RunLaunchRequest request, CancellationToken ct) =>
        (await CheckAsync(request, ct)).Errors;

    /// <summary>The request's errors, and the engine options it launches with (LoRA targets of the model it trains).</summary>
    private async Task<(Dictionary<string, string[]> Errors, TrainingOptions Options)> CheckAsync(RunLaunchRequest request, CancellationToken ct)
    {
        var modelErrors = new Dictionary<string, string[]>();
        var baseModel = await RunBaseModels.CheckAsync(db, request, ToOptions(request), modelErrors, ct);
        // A registered model has its own linear layers: LoRA targets and their defaults are that model's.
        // Listed only for a LoRA request: listing builds a (tiny) model, torch work a plain launch does not need.
        var loraTargets = request.Lora is null ? null : RunLoraTargets.For(baseModel?.Config);
        var errors = ValidateSettings(request, loraTargets);
        foreach (var (field, messages) in modelErrors)
            errors[field] = messages;
        var options = ToOptions(request, loraTargets);
        // Valid field by field is not enough: together the settings must fit this machine.
        if (errors.Count == 0)
            errors = RunPreflight.CheckCapacity(options, portalOptions.Value.RunLimits, baseModel?.Config);
        if (request.Mixture is null)
            await CheckDatasetAsync(request, errors, ct);
        else
            await CheckMixtureSourcesAsync(request.Mixture, errors, ct);
        if (request.Name is { Length: > 200 })
            errors["name"] = ["The name is longer than 200 characters."];
        return (errors, options);
    }

    private async Task CheckDatasetAsync(RunLaunchRequest request, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == request.DatasetId, ct);
        if (RunPreflight.CheckDataset(dataset, request.DatasetId, paths) is { } datasetProblem)
        {
            errors["datasetId"] = [datasetProblem];
            return;
        }
        var version = await VersionToTrainAsync(request, ct);
        if (request.DatasetVersionId is { } versionId && version?.DatasetId != request.DatasetId)
            errors["datasetVersionId"] = [version is null ? $"Dataset version {versionId} does not exist." : $"Version {versionId} belongs to another dataset than {request.DatasetId}."];
        else if (version is not null && RunPreflight.CheckVersion(version, dataset, version.Id, paths) is { } versionProblem)
            errors[request.DatasetVersionId is null ? "datasetId" : "datasetVersionId"] = [versionProblem];
    }

    private async Task CheckMixtureSourcesAsync(RunMixtureRequest mixture, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        var sources = mixture.Sources ?? [];
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is not { } source)
                continue;
            var version = await db.DatasetVersions.AsNoTracking().FirstOrDefaultAsync(v => v.Id == source.VersionId, ct);
            var dataset = version is null ? null : await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == version.DatasetId, ct);
            if (RunPreflight.CheckVersion(version, dataset, source.VersionId, paths) is { } problem)
                errors[$"mixture.sources[{i}].versionId"] = [problem];
        }
    }

    // The named version, or the dataset's newest (what "train on this dataset" means once a dataset has versions).
    private async Task<DatasetVersion?> VersionToTrainAsync(RunLaunchRequest request, CancellationToken ct) =>
        request.DatasetVersionId is { } id
            ? await db.DatasetVersions.AsNoTracking().FirstOrDefaultAsync(v => v.Id == id, ct)
            : await db.DatasetVersions.AsNoTracking().Where(v => v.DatasetId == request.DatasetId).OrderByDescending(v => v.Number).FirstOrDefaultAsync(ct);

    // Names are fixed here, at launch: a dataset renamed later does not change what a resumed run reports.
    private async Task<RunMixture> StoredMixtureAsync(RunMixtureRequest request, CancellationToken ct)
    {
        var sources = new List<RunMixtureSource>();
        foreach (var source in request.Sources)
        {
            var version = await db.DatasetVersions.AsNoTracking().FirstAsync(v => v.Id == source.VersionId, ct);
            var dataset = await db.Datasets.AsNoTracking().FirstAsync(d => d.Id == version.DatasetId, ct);
            sources.Add(new RunMixtureSource(version.Id, dataset.Id, dataset.Name, version.Number, $"{dataset.Name} v{version.Number}", source.Weight));
        }
        RunMixtures.TryParsePolicy(request.Policy, out var policy);
        return new RunMixture(RunMixtures.Policies[(int)policy], request.FeederLearningRate ?? DynamicFeeder.DefaultLearningRate, sources);
    }

    public async Task<RunLaunchOutcome> LaunchAsync(RunLaunchRequest request, string? user, CancellationToken ct)
    {
        var (errors, options) = await CheckAsync(request, ct);
        if (errors.Count > 0)
            return new RunLaunchOutcome(null, errors);
        var mixture = request.Mixture is null ? null : await StoredMixtureAsync(request.Mixture, ct);
        var dataset = await db.Datasets.FirstAsync(d => d.Id == (mixture == null ? request.DatasetId : mixture.Sources[0].DatasetId), ct);
        var version = mixture is null ? await VersionToTrainAsync(request, ct) : null;
        var now = clock.GetUtcNow();
        var defaultName = mixture is null
            ? $"{dataset.Name}{(version is { Number: > 1 } ? $" v{version.Number}" : "")} {now:yyyy-MM-dd HH:mm}"
            : $"{string.Join(" + ", mixture.Sources.Select(s => s.Name))} {now:yyyy-MM-dd HH:mm}";
        var run = new TrainingRun
        {
            Name = string.IsNullOrWhiteSpace(request.Name) ? defaultName[..Math.Min(defaultName.Length, 200)] : request.Name.Trim(),
            DatasetId = dataset.Id,
            DatasetVersionId = version?.Id,
            Dataset = dataset,
            Status = RunStatus.Queued,
            Settings = "",
            CreatedAt = now,
            CreatedBy = user,
        };
        run.Apply(options);
        if (request.BaseModelId is int baseModelId && await RunBaseModels.FindAsync(db, baseModelId, ct) is { } baseModel)
            run.ApplyBaseModel(baseModel.Model);
        if (mixture is not null)
            run.ApplyMixture(mixture);
        db.Runs.Add(run);
        await db.SaveChangesAsync(ct);
        // A new run owns its folder: anything there is left from a database that was reset, and the engine would
        // rightly refuse to resume someone else's checkpoint.
        var folder = paths.RunDirectory(run.Id);
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        await ScheduleAsync(run.Id, ct);
        return new RunLaunchOutcome(RunSummary.From(run), new Dictionary<string, string[]>());
    }

    public async Task ScheduleAsync(int runId, CancellationToken ct)
    {
        var scheduler = await schedulerFactory.GetScheduler(ct);
        var key = TrainingRunJob.KeyFor(runId);
        if (await scheduler.Exists(key, ct))
            return;
        var job = JobBuilder.Create<TrainingRunJob>()
            .WithIdentity(key)
            .UsingJobData(TrainingRunJob.RunIdKey, runId)
            // A crash mid-run re-fires the job on the next start; the engine resumes from its last checkpoint.
            .RequestRecovery()
            .Build();
        var trigger = TriggerBuilder.Create().WithIdentity(key.Name, key.Group).WithExecutionGroup(TrainingRunJob.ExecutionGroup).StartNow().Build();
        await scheduler.ScheduleJob(job, trigger, cancellationToken: ct);
    }

    public async Task<IReadOnlyList<RunSummary>> ListAsync(CancellationToken ct) =>
        (await db.Runs.AsNoTracking().Include(r => r.Dataset).OrderByDescending(r => r.Id).Take(200).ToListAsync(ct)).Select(RunSummary.From).ToList();

    public async Task<RunSummary?> GetAsync(int id, CancellationToken ct) =>
        await db.Runs.AsNoTracking().Include(r => r.Dataset).FirstOrDefaultAsync(r => r.Id == id, ct) is { } r ? RunSummary.From(r) : null;

    public async Task<IReadOnlyList<RunPoint>> GetPointsAsync(int id, int afterStep, CancellationToken ct) =>
        (await db.RunMetrics.AsNoTracking().Where(m => m.RunId == id && m.Step > afterStep).OrderBy(m => m.Step).ToListAsync(ct)).Select(RunPoint.From).ToList();

    /// <summary>Every version of the datasets runs may use (archived ones left out), by dataset name and number.</summary>
    public async Task<IReadOnlyList<RunVersionChoice>> ListVersionChoicesAsync(CancellationToken ct) =>
        (await db.DatasetVersions.AsNoTracking()
            .Join(db.Datasets.AsNoTracking().Where(d => d.ArchivedAt == null), v => v.DatasetId, d => d.Id, (v, d) => new { v.Id, v.DatasetId, d.Name, v.Number, v.RecordCount })
            .ToListAsync(ct))
        .Select(x => new RunVersionChoice(x.Id, x.DatasetId, x.Name, x.Number, x.RecordCount))
        .OrderBy(c => c.DatasetName, StringComparer.CurrentCulture).ThenBy(c => c.Number).ToList();

    /// <summary>A mixture run's per-source history after the given step, one entry per step; empty for a run on one version.</summary>
    public async Task<IReadOnlyList<RunSourceStep>> GetSourcesAsync(int id, int afterStep, CancellationToken ct)
    {
        var stored = await db.Runs.AsNoTracking().Where(r => r.Id == id).Select(r => new { r.Mixture, r.MixtureVersion }).FirstOrDefaultAsync(ct);
        if (RunMixtures.Read(id, stored?.Mixture, stored?.MixtureVersion ?? 0) is not { } mixture)
            return [];
        var names = mixture.Sources.Select(s => s.Name).ToList();
        var rows = await db.RunSourceMetrics.AsNoTracking().Where(m => m.RunId == id && m.Step > afterStep)
            .OrderBy(m => m.Step).ThenBy(m => m.Source).ToListAsync(ct);
        return rows.GroupBy(m => m.Step)
            .Select(g => new RunSourceStep(g.Key, g.Select(m => new RunSourcePoint(m.Source, m.Source < names.Count ? names[m.Source] : $"#{m.Source}", m.Weight, m.Probability, m.Loss, m.Sequences)).ToList()))
            .ToList();
    }

    /// <summary>Deletes a finished run: its metrics, its row and its folder. A queued or running run is refused (cancel it first).</summary>
    public async Task<RunRemoval> DeleteAsync(int id, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
        if (run is null)
            return RunRemoval.NotFound;
        if (run.IsActive || supervisor.IsRunning(id))
            return RunRemoval.Active;
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await db.RunMetrics.Where(m => m.RunId == id).ExecuteDeleteAsync(ct);
            await db.RunSourceMetrics.Where(m => m.RunId == id).ExecuteDeleteAsync(ct);
            await db.Runs.Where(r => r.Id == id).ExecuteDeleteAsync(ct);
            await transaction.CommitAsync(ct);
        }
        var folder = paths.RunDirectory(id);
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        return RunRemoval.Deleted;
    }

    /// <summary>Requests cancellation. A queued run is cancelled at once; a running one stops after its current micro-batch.</summary>
    public async Task<RunSummary?> CancelAsync(int id, CancellationToken ct)
    {
        var run = await db.Runs.Include(r => r.Dataset).FirstOrDefaultAsync(r => r.Id == id, ct);
        if (run is null)
            return null;
        if (!run.IsActive)
            return RunSummary.From(run);
        run.CancelRequested = true;
        if (run.Status == RunStatus.Queued && !supervisor.IsRunning(id))
        {
            run.Status = RunStatus.Cancelled;
            run.FinishedAt = clock.GetUtcNow();
            var scheduler = await schedulerFactory.GetScheduler(ct);
            await scheduler.DeleteJob(TrainingRunJob.KeyFor(id), ct);
        }
        await db.SaveChangesAsync(ct);
        supervisor.Cancel(id);
        return RunSummary.From(run);
    }
}
