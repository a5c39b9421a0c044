using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Feeding.Import;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Datasets.Cli;

/// <summary>A command that could not do what was asked: exit code 1, the errors on stderr (and as JSON with --json).</summary>
internal sealed class CommandFailedException(IReadOnlyList<ImportError> errors, DataJobView? job = null) : Exception(string.Join("; ", errors))
{
    public IReadOnlyList<ImportError> Errors { get; } = errors;
    public DataJobView? Job { get; } = job;

    public CommandFailedException(string where, string message)
        : this([new ImportError(where, null, null, message) { Kind = ImportErrorKind.InvalidUpload }])
    {
    }
}

/// <summary>What <c>data import</c> and the transformations answer with <c>--json</c>: the finished job and the version it made.</summary>
public sealed record JobOutcome(DataJobView Job, VersionSummary? Version, string? DatasetName);

/// <summary>What every command answers with <c>--json</c> when it fails (exit code 1).</summary>
public sealed record CommandErrors(IReadOnlyList<ImportError> Errors, DataJobView? Job);

/// <summary>The <c>data</c> commands, each thin over the portal's dataset services.</summary>
internal sealed class DataCommands(IServiceProvider root, CommandArguments args, TextWriter output, TextWriter error, DataCommandLineOptions options, CancellationToken ct)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Chinese stays readable on a terminal and in files; the output is data, never HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly string[] Builtin = ["import", "list", "versions", "stats", "show", "compare", "export", "jobs", "transform"];
    /// <summary>Options every command accepts (read by the entry point, not by the command).</summary>
    private static readonly string[] Common = ["json", "quiet", "verbose", "help"];

    private readonly bool _json = args.Has("json");
    private readonly bool _quiet = args.Has("quiet");

    public IReadOnlyList<string> OperationNames { get; } = root.GetServices<IDataOperation>().Select(o => o.Name).Order(StringComparer.Ordinal).ToList();

    public bool Knows(string command) => Builtin.Contains(command) || OperationNames.Contains(command);

    public async Task<int> RunAsync()
    {
        foreach (var name in Common)
            args.MarkUsed(name);
        await using var scope = root.CreateAsyncScope();
        var services = scope.ServiceProvider;
        try
        {
            return args.Command switch
            {
                "import" => await ImportAsync(services),
                "list" => await ListAsync(services),
                "versions" => await VersionsAsync(services),
                "stats" => await StatsAsync(services),
                "show" => await ShowAsync(services),
                "compare" => await CompareAsync(services),
                "export" => await ExportAsync(services),
                "jobs" => await JobsAsync(services),
                "transform" => await TransformAsync(services, args.Positional(1, "the operation (data transform <version> <operation>)"), 2, null),
                "mix" => await MixAsync(services),
                _ => await TransformAsync(services, args.Command!, 1, ShortcutParameters(args.Command!)),
            };
        }
        catch (CommandFailedException e)
        {
            foreach (var problem in e.Errors)
                await error.WriteLineAsync($"error: {problem}");
            if (_json)
                await WriteJsonAsync(new CommandErrors(e.Errors, e.Job));
            return ExitCodes.Failed;
        }
        catch (DatasetFileMissingException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            if (_json)
                await WriteJsonAsync(new CommandErrors([new ImportError("", null, null, e.Message) { Kind = ImportErrorKind.UnreadableFile }], null));
            return ExitCodes.Failed;
        }
    }

    // ---- import ---------------------------------------------------------------------------------------------------

    private async Task<int> ImportAsync(IServiceProvider services)
    {
        var file = args.Positional(0, "the file to import (data import <file> --name <name>)");
        var name = args.Value("name");
        var description = args.Value("description");
        var format = ParseFormat(args.Value("format"));
        var encoding = args.Value("encoding");
        var split = args.Value("split") switch
        {
            null or "paragraph" => TextSplit.Paragraph,
            "line" => TextSplit.Line,
            var other => throw new UsageException($"--split expects line or paragraph, not \"{other}\""),
        };
        var mapping = ReadMapping();
        args.EnsureNothingElse(1);

        var path = CallerDirectory.Resolve(file);
        if (!File.Exists(path))
            throw new CommandFailedException(file, "no such file");
        var paths = services.GetRequiredService<DataPaths>();
        var jobs = services.GetRequiredService<DataJobService>();

        // Staged exactly as an upload through POST /api/datasets/uploads is: copied under temp/, then kept in uploads/
        // (the dataset's original), so the portal shows and serves it the same way.
        var temp = Path.Combine(paths.Temp, $"upload-{Guid.NewGuid():N}.tmp");
        StagedUploadView staged;
        try
        {
            await using (var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            await using (var copy = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                await source.CopyToAsync(copy, ct);
            await using var upload = new DatasetUpload(new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete), temp, Path.GetFileName(path), name, description);
            staged = await jobs.StageAsync(upload, User, ct);
        }
        finally
        {
            File.Delete(temp);
        }

        var succeeded = false;
        try
        {
            var request = new ImportJobRequest(staged.Id, name ?? "", description, format, encoding, split, mapping);
            var start = await jobs.CreateImportAsync(request, User, schedule: false, ct);
            var outcome = await RunJobAsync(services, start, $"import {Path.GetFileName(path)}");
            succeeded = true;
            await ReportAsync(outcome, v => $"imported {Path.GetFileName(path)} as dataset \"{outcome.DatasetName}\" (id {outcome.Job.DatasetId}), version {v.Number} (id {v.Id}): {v.RecordCount:N0} records, {v.Characters:N0} characters");
            return ExitCodes.Success;
        }
        finally
        {
            if (!succeeded)
                await RemoveStagedAsync(services, staged.Id);
        }
    }

    /// <summary>A failed or cancelled import leaves nothing: the staged copy goes too (the user still has the file).</summary>
    private static async Task RemoveStagedAsync(IServiceProvider services, string uploadId)
    {
        var jobs = services.GetRequiredService<DataJobService>();
        if (await jobs.FindUploadAsync(uploadId, CancellationToken.None) is not { } upload)
            return;
        var db = services.GetRequiredService<PortalDbContext>();
        await db.StagedUploads.Where(u => u.Id == uploadId).ExecuteDeleteAsync(CancellationToken.None);
        File.Delete(jobs.UploadPath(upload));
    }

    private static SourceFormat? ParseFormat(string? text) => text?.ToLowerInvariant() switch
    {
        null => null,
        "jsonl" or "ndjson" => SourceFormat.Jsonl,
        "jsonarray" or "json" => SourceFormat.JsonArray,
        "csv" => SourceFormat.Csv,
        "tsv" => SourceFormat.Tsv,
        "text" or "txt" => SourceFormat.Text,
        "parquet" => SourceFormat.Parquet,
        _ => throw new UsageException($"--format expects jsonl, jsonarray, csv, tsv, text or parquet, not \"{text}\""),
    };

    private FieldMapping? ReadMapping()
    {
        var file = args.Value("mapping") is { } given ? CallerDirectory.Resolve(given) : null;
        var template = args.Value("template");
        var separator = args.Value("separator");
        var recordsPath = args.Value("records-path");
        var prompt = args.Value("prompt-template");
        var response = args.Value("response-template");
        if (file is not null && (template ?? separator ?? recordsPath ?? prompt ?? response) is not null)
            throw new UsageException("give either --mapping <file> or --template (with --separator, --records-path …), not both");
        if (file is not null)
        {
            if (!File.Exists(file))
                throw new CommandFailedException(file, "no such mapping file");
            try
            {
                return FieldMapping.FromJson(File.ReadAllText(file));
            }
            catch (FormatException e)
            {
                throw new CommandFailedException([new ImportError(Path.GetFileName(file), null, null, e.Message) { Kind = ImportErrorKind.InvalidMapping }]);
            }
        }
        if (template is null)
        {
            if ((separator ?? recordsPath ?? prompt ?? response) is not null)
                throw new UsageException("--separator, --records-path, --prompt-template and --response-template belong to a --template");
            return null;
        }
        var mapping = new FieldMapping
        {
            Template = Unescape(template),
            ListSeparator = separator is null ? "\n" : Unescape(separator),
            RecordsPath = recordsPath,
            PromptTemplate = prompt is null ? null : Unescape(prompt),
            ResponseTemplate = response is null ? null : Unescape(response),
        };
        if (mapping.Validate() is { } problem)
            throw new CommandFailedException([new ImportError("--template", null, null, problem) { Kind = ImportErrorKind.InvalidMapping }]);
        return mapping;
    }

    /// <summary><c>\n</c>, <c>\t</c>, <c>\r</c> and <c>\\</c> as a shell passes them (two characters) become the character.</summary>
    internal static string Unescape(string text)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
            return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is 'n' or 't' or 'r' or '\\')
            {
                sb.Append(text[++i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => '\\' });
                continue;
            }
            sb.Append(text[i]);
        }
        return sb.ToString();
    }

    // ---- transformations ------------------------------------------------------------------------------------------

    private async Task<int> TransformAsync(IServiceProvider services, string operation, int positionals, JsonObject? shortcut)
    {
        var reference = args.Positional(0, "the version (an id, <dataset> or <dataset>:v<N>)");
        var parameters = ReadParameters();
        if (shortcut is not null)
        {
            parameters ??= [];
            foreach (var (key, value) in shortcut)
                parameters[key] = value?.DeepClone();
        }
        args.EnsureNothingElse(positionals);
        if (!OperationNames.Contains(operation))
            throw new UsageException($"unknown operation \"{operation}\"; registered here: {string.Join(", ", OperationNames)}");
        var version = await ResolveVersionAsync(services, reference);

        var jobs = services.GetRequiredService<DataJobService>();
        var start = await jobs.CreateTransformAsync(version.Id, new TransformJobRequest(operation, parameters), User, schedule: false, ct);
        var outcome = await RunJobAsync(services, start, $"{operation} v{version.Number}");
        await ReportAsync(outcome, v => $"{operation}: \"{outcome.DatasetName}\" version {v.Number} (id {v.Id}) from version {version.Number} (id {version.Id}): {v.RecordCount:N0} records"
            + (v.DroppedCount > 0 ? $", {v.DroppedCount:N0} dropped (data show {v.Id} --dropped)" : ""));
        return ExitCodes.Success;
    }

    /// <summary>
    /// <c>mix --source &lt;version&gt;=&lt;weight&gt; …</c>: the sources' versions named as everywhere else, the job started
    /// on the first of them (it becomes the new version's parent), the result version 1 of the dataset <c>--name</c>.
    /// </summary>
    private async Task<int> MixAsync(IServiceProvider services)
    {
        var given = args.Values("source");
        var name = args.Value("name");
        var parameters = new JsonObject { ["name"] = name };
        foreach (var (flag, parameter) in new[] { ("records", "records"), ("seed", "seed"), ("policy", "policy"), ("allow-repeats", "allowRepeats") })
        {
            if (args.Value(flag) is { } value)
                parameters[parameter] = Infer(value);
        }
        args.EnsureNothingElse(0);
        if (given.Count == 0)
            throw new UsageException("give the sources: --source <version>=<weight>, once per version");
        if (name is null)
            throw new UsageException("--name <new dataset> is required: the mix becomes a new dataset");

        var sources = new JsonArray();
        DatasetVersion? first = null;
        foreach (var text in given)
        {
            var equals = text.LastIndexOf('=');
            var (reference, weight) = equals > 0 ? (text[..equals], text[(equals + 1)..]) : (text, null);
            var version = await ResolveVersionAsync(services, reference);
            first ??= version;
            var source = new JsonObject { ["versionId"] = version.Id };
            if (weight is not null)
                source["weight"] = Infer(weight);
            sources.Add(source);
        }
        parameters["sources"] = sources;

        var jobs = services.GetRequiredService<DataJobService>();
        var start = await jobs.CreateTransformAsync(first!.Id, new TransformJobRequest("mix", parameters), User, schedule: false, ct);
        var outcome = await RunJobAsync(services, start, $"mix → {name}");
        var detail = outcome.Version is { } made ? await services.GetRequiredService<DatasetVersionService>().GetAsync(made.Id, ct) : null;
        var taken = (detail?.Parameters?["sources"]?.AsArray() ?? []).Select(s => string.Create(CultureInfo.InvariantCulture,
            $"{(string?)s!["dataset"]} v{(int?)s["version"]} {(long?)s["taken"]:N0} of {(long?)s["available"]:N0}")).ToList();
        await ReportAsync(outcome, v => $"mix: dataset \"{outcome.DatasetName}\" (id {outcome.Job.DatasetId}), version {v.Number} (id {v.Id}): {v.RecordCount:N0} records; "
            + string.Join(", ", taken));
        return ExitCodes.Success;
    }

    private JsonObject? ReadParameters()
    {
        var inline = args.Value("params");
        var file = args.Value("params-file") is { } given ? CallerDirectory.Resolve(given) : null;
        if (inline is not null && file is not null)
            throw new UsageException("give --params or --params-file, not both");
        var (text, where) = file is not null
            ? (File.Exists(file) ? File.ReadAllText(file) : throw new CommandFailedException(file, "no such parameters file"), Path.GetFileName(file))
            : (inline, "--params");
        if (text is null)
            return null;
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new CommandFailedException(where, "expected a JSON object such as {\"threshold\": 0.8}");
        }
        catch (JsonException e)
        {
            throw new CommandFailedException([new ImportError(where, e.LineNumber + 1, null, $"not valid JSON: {e.Message}") { Kind = ImportErrorKind.MalformedJson }]);
        }
    }

    /// <summary>
    /// The shortcut's flags as parameters: <c>filter</c> turns <c>--min domain=0.75</c>/<c>--max noise=0.9</c> into rules;
    /// every other operation takes each <c>--kebab-name value</c> as the parameter <c>kebabName</c>.
    /// </summary>
    private JsonObject ShortcutParameters(string operation)
    {
        var reserved = new HashSet<string>(Common.Concat(["params", "params-file"]), StringComparer.Ordinal);
        var parameters = new JsonObject();
        if (operation == "filter")
        {
            var rules = new JsonArray();
            foreach (var (bound, text) in args.Values("min").Select(t => ("min", t)).Concat(args.Values("max").Select(t => ("max", t))))
            {
                var equals = text.LastIndexOf('=');
                if (equals <= 0 || !double.TryParse(text[(equals + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    throw new UsageException($"--{bound} expects <score>=<number>, e.g. domain=0.75, not \"{text}\"");
                rules.Add(new JsonObject { ["score"] = text[..equals].Trim(), [bound] = JsonNode.Parse(value.ToString("R", CultureInfo.InvariantCulture)) });
            }
            if (rules.Count > 0)
                parameters["rules"] = rules;
            if (args.Value("missing") is { } missing)
                parameters["missing"] = missing;
            return parameters;
        }
        foreach (var name in args.OptionNames.ToList())
        {
            if (reserved.Contains(name))
                continue;
            args.MarkUsed(name);
            parameters[CamelCase(name)] = Infer(args.Value(name)!);
        }
        return parameters;
    }

    private static string CamelCase(string kebab)
    {
        var parts = kebab.Split('-', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 0 ? kebab : parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }

    /// <summary>
    /// A flag's value as JSON. Booleans and numbers are parsed from JSON text, as <c>--params</c> would give them, so an
    /// operation may read them as any numeric type (a CLR-backed <see cref="JsonValue"/> of a long will not give a double).
    /// </summary>
    private static JsonNode? Infer(string value)
    {
        if (value is "true" or "false")
            return JsonNode.Parse(value);
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
            return JsonNode.Parse(whole.ToString(CultureInfo.InvariantCulture));
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
            return JsonNode.Parse(number.ToString("R", CultureInfo.InvariantCulture));
        if (value.StartsWith('[') || value.StartsWith('{'))
        {
            try
            {
                return JsonNode.Parse(value);
            }
            catch (JsonException)
            {
                // Not JSON after all: the operation gets the text and says what it expected.
            }
        }
        return JsonValue.Create(value);
    }

    // ---- running a job inline -------------------------------------------------------------------------------------

    /// <summary>
    /// Runs a stored job on this process with the job's own code (<see cref="DataWorkJob.RunAsync"/>), showing its
    /// progress from the job feed. Cancelling marks the job Cancelled; the job's design keeps its version invisible
    /// until the very end, so nothing of a cancelled or failed job is left.
    /// </summary>
    private async Task<JobOutcome> RunJobAsync(IServiceProvider services, DataJobStart start, string label)
    {
        if (!start.Started)
            throw new CommandFailedException(start.Errors);
        var id = start.Job!.Id;
        var jobs = services.GetRequiredService<DataJobService>();
        var feed = root.GetRequiredService<DataJobFeed>();
        var cancellations = root.GetRequiredService<DataJobCancellation>();
        var work = ActivatorUtilities.CreateInstance<DataWorkJob>(root);
        var progress = new ProgressLine(error, options.ErrorIsTerminal, label, options.ProgressEvery);
        using (var watch = _quiet ? null : feed.Subscribe(v => v.Id == id ? progress.ShowAsync(v) : Task.CompletedTask))
        {
            // Registered, so the job itself tells a cancellation from a failure and marks itself Cancelled.
            using var running = cancellations.Register(id, ct);
            try
            {
                await work.RunAsync(id, running.Token);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Cancelled before the job's own handling began (while it was being marked Running): marked below.
            }
            finally
            {
                cancellations.Unregister(id);
                progress.Close();
            }
        }

        var job = await jobs.GetAsync(id, CancellationToken.None) ?? throw new CommandFailedException($"job {id}", "the job disappeared");
        if (job.IsActive)
        {
            var now = DateTimeOffset.UtcNow;
            await services.GetRequiredService<PortalDbContext>().DataJobs.Where(j => j.Id == id && (j.Status == DataJobStatus.Queued || j.Status == DataJobStatus.Running))
                .ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, DataJobStatus.Cancelled).SetProperty(j => j.FinishedAt, now), CancellationToken.None);
            job = await jobs.GetAsync(id, CancellationToken.None) ?? job;
        }
        switch (job.Status)
        {
            case DataJobStatus.Succeeded:
                var version = job.ResultVersionId is { } vid ? await services.GetRequiredService<DatasetVersionService>().FindAsync(vid, CancellationToken.None) : null;
                var name = job.DatasetId is { } did ? await services.GetRequiredService<PortalDbContext>().Datasets.Where(d => d.Id == did).Select(d => d.Name).FirstOrDefaultAsync(CancellationToken.None) : null;
                return new JobOutcome(job, version is null ? null : VersionSummary.From(version), name ?? job.DatasetName);
            case DataJobStatus.Cancelled:
                if (_json)
                    await WriteJsonAsync(new CommandErrors([], job));
                throw new OperationCanceledException(ct);
            default:
                throw new CommandFailedException(job.Errors.Count > 0 ? job.Errors : [new ImportError(label, null, null, $"the job ended {job.Status}")], job);
        }
    }

    private async Task ReportAsync(JobOutcome outcome, Func<VersionSummary, string> describe)
    {
        if (_json)
            await WriteJsonAsync(outcome);
        else if (outcome.Version is { } version)
            await output.WriteLineAsync(describe(version));
        else
            await output.WriteLineAsync($"job {outcome.Job.Id} succeeded");
        if (!_json && !_quiet && outcome.Job.RecordsPerSecond is { } rate && outcome.Job.StartedAt is { } started && outcome.Job.FinishedAt is { } finished)
            await error.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, "{0:N0} records in {1:0.0} s ({2:N0} records/s)", outcome.Job.Records, (finished - started).TotalSeconds, rate));
    }

    // ---- reading --------------------------------------------------------------------------------------------------

    private async Task<int> ListAsync(IServiceProvider services)
    {
        var all = args.Has("all");
        args.EnsureNothingElse(0);
        var datasets = await services.GetRequiredService<DatasetService>().ListAsync(includeArchived: all, ct);
        if (_json)
        {
            await WriteJsonAsync(datasets);
            return ExitCodes.Success;
        }
        var db = services.GetRequiredService<PortalDbContext>();
        var latest = (await db.DatasetVersions.AsNoTracking().GroupBy(v => v.DatasetId).Select(g => new { DatasetId = g.Key, Number = g.Max(v => v.Number), Count = g.Count() }).ToListAsync(ct))
            .ToDictionary(x => x.DatasetId);
        await WriteTableAsync(["id", "name", "records", "versions", "format", "created"], datasets.Select(d => new[]
        {
            d.Id.ToString(CultureInfo.InvariantCulture), d.Name + (d.IsDemo ? " (demo)" : "") + (d.IsArchived ? " (archived)" : ""),
            d.RecordCount.ToString("N0", CultureInfo.InvariantCulture),
            latest.TryGetValue(d.Id, out var l) ? $"{l.Count} (newest v{l.Number})" : "0",
            d.Format, d.CreatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        }));
        return ExitCodes.Success;
    }

    private async Task<int> VersionsAsync(IServiceProvider services)
    {
        var reference = args.Positional(0, "the dataset (a name or an id)");
        args.EnsureNothingElse(1);
        var dataset = await ResolveDatasetAsync(services, reference);
        var list = await services.GetRequiredService<DatasetVersionService>().ListAsync(dataset.Id, ct);
        if (_json)
        {
            await WriteJsonAsync(list);
            return ExitCodes.Success;
        }
        await output.WriteLineAsync($"{dataset.Name} (id {dataset.Id})");
        await WriteTableAsync(["id", "version", "parent", "operation", "records", "dropped", "characters", "created"], list.Select(v => new[]
        {
            v.Id.ToString(CultureInfo.InvariantCulture), "v" + v.Number.ToString(CultureInfo.InvariantCulture),
            v.ParentId?.ToString(CultureInfo.InvariantCulture) ?? "-", v.Operation,
            v.RecordCount.ToString("N0", CultureInfo.InvariantCulture), v.DroppedCount.ToString("N0", CultureInfo.InvariantCulture),
            v.Characters.ToString("N0", CultureInfo.InvariantCulture), v.CreatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        }));
        return ExitCodes.Success;
    }

    private async Task<int> StatsAsync(IServiceProvider services)
    {
        var reference = args.Positional(0, "the version (an id, <dataset> or <dataset>:v<N>)");
        args.EnsureNothingElse(1);
        var version = await ResolveVersionAsync(services, reference);
        var detail = (await services.GetRequiredService<DatasetVersionService>().GetAsync(version.Id, ct))!;
        if (_json)
        {
            await WriteJsonAsync(new JsonObject
            {
                ["dataset"] = detail.DatasetName,
                ["version"] = JsonSerializer.SerializeToNode(detail.Version, Json),
                ["statistics"] = detail.Statistics?.DeepClone(),
            });
            return ExitCodes.Success;
        }
        var v = detail.Version;
        await output.WriteLineAsync($"{detail.DatasetName} v{v.Number} (id {v.Id}): {v.RecordCount:N0} records, {v.Characters:N0} characters, {(v.Tokens is { } t ? $"{t:N0} tokens" : "tokens not counted")}, {v.Bytes:N0} bytes");
        await output.WriteLineAsync(detail.Statistics?.ToJsonString(Json) ?? "{}");
        return ExitCodes.Success;
    }

    private async Task<int> ShowAsync(IServiceProvider services)
    {
        var page = args.Int("page", 1, 1, int.MaxValue);
        var size = args.Int("page-size", 20, 1, DatasetVersionService.MaxPageSize);
        var query = args.Value("q");
        var dropped = args.Has("dropped");
        var reference = args.Positional(0, "the version (an id, <dataset> or <dataset>:v<N>)");
        args.EnsureNothingElse(1);
        var version = await ResolveVersionAsync(services, reference);
        var records = await services.GetRequiredService<DatasetVersionService>().PageAsync(version, page, size, query, dropped, ct);
        if (_json)
        {
            await WriteJsonAsync(records);
            return ExitCodes.Success;
        }
        var pages = Math.Max(1, (records.Matches + size - 1) / size);
        await output.WriteLineAsync($"v{version.Number} (id {version.Id}){(dropped ? ", dropped records" : "")}: {records.Matches:N0} {(query is null ? "records" : $"matching \"{query}\"")}, page {page} of {pages}");
        foreach (var (index, record) in records.Records)
        {
            var scores = record.Scores is { Count: > 0 } s ? "  [" + string.Join(" ", s.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value:0.###}"))) + "]" : "";
            await output.WriteLineAsync($"#{index}{scores}{(record.DroppedBy is { } rule ? $"  dropped by: {rule}" : "")}");
            await output.WriteLineAsync("  " + OneLine(record.Text, 200));
        }
        return ExitCodes.Success;
    }

    private async Task<int> CompareAsync(IServiceProvider services)
    {
        var (first, second) = (args.Positional(0, "the first version"), args.Positional(1, "the second version"));
        args.EnsureNothingElse(2);
        var a = await ResolveVersionAsync(services, first);
        var b = await ResolveVersionAsync(services, second);
        var comparison = await services.GetRequiredService<DatasetVersionService>().CompareAsync(a, b, ct);
        if (_json)
        {
            await WriteJsonAsync(comparison);
            return ExitCodes.Success;
        }
        await output.WriteLineAsync($"v{a.Number} (id {a.Id}) → v{b.Number} (id {b.Id}): {comparison.Added:N0} added, {comparison.Removed:N0} removed, {comparison.Unchanged:N0} unchanged");
        foreach (var sample in comparison.AddedSamples)
            await output.WriteLineAsync("  + " + OneLine(sample, 160));
        foreach (var sample in comparison.RemovedSamples)
            await output.WriteLineAsync("  - " + OneLine(sample, 160));
        return ExitCodes.Success;
    }

    private async Task<int> ExportAsync(IServiceProvider services)
    {
        var reference = args.Positional(0, "the version (an id, <dataset> or <dataset>:v<N>)");
        var target = CallerDirectory.Resolve(args.Value("out") ?? throw new UsageException("--out <file> is required"));
        var format = (args.Value("format") ?? (target.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? "parquet" : "jsonl")).ToLowerInvariant();
        if (format is not ("jsonl" or "parquet"))
            throw new UsageException($"--format expects jsonl or parquet, not \"{format}\"");
        var dropped = args.Has("dropped");
        args.EnsureNothingElse(1);
        var version = await ResolveVersionAsync(services, reference);
        var summary = await VersionExport.WriteAsync(services.GetRequiredService<DatasetVersionService>(), version, dropped, format, target, ct);
        if (_json)
            await WriteJsonAsync(summary);
        else
            await output.WriteLineAsync($"wrote {summary.Records:N0} records of v{version.Number} (id {version.Id}) to {summary.Path} ({summary.Format}, {summary.Bytes:N0} bytes)");
        return ExitCodes.Success;
    }

    private async Task<int> JobsAsync(IServiceProvider services)
    {
        var datasetText = args.Value("dataset");
        args.EnsureNothingElse(0);
        int? datasetId = datasetText is null ? null : (await ResolveDatasetAsync(services, datasetText)).Id;
        var list = await services.GetRequiredService<DataJobService>().ListAsync(datasetId, ct);
        if (_json)
        {
            await WriteJsonAsync(list);
            return ExitCodes.Success;
        }
        await WriteTableAsync(["id", "kind", "status", "dataset", "records", "version", "created", "by"], list.Select(j => new[]
        {
            j.Id.ToString(CultureInfo.InvariantCulture), j.Kind, j.Status.ToString() + (j.Errors.Count > 0 ? $" ({j.Errors.Count} error{(j.Errors.Count > 1 ? "s" : "")})" : ""),
            j.DatasetName ?? j.DatasetId?.ToString(CultureInfo.InvariantCulture) ?? "-", j.Records.ToString("N0", CultureInfo.InvariantCulture),
            j.ResultVersionId?.ToString(CultureInfo.InvariantCulture) ?? "-", j.CreatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), j.CreatedBy ?? "",
        }));
        return ExitCodes.Success;
    }

    // ---- names ----------------------------------------------------------------------------------------------------

    /// <summary>A dataset by exact name, else by id.</summary>
    private async Task<Dataset> ResolveDatasetAsync(IServiceProvider services, string text)
    {
        var db = services.GetRequiredService<PortalDbContext>();
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Name == text, ct);
        if (dataset is null && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, ct);
        return dataset ?? throw new CommandFailedException(text, "no dataset has this name or id (data list shows them)");
    }

    /// <summary>A version id; or a dataset's newest version (<c>faq</c>); or a numbered one (<c>faq:v2</c>, <c>faq:2</c>, <c>3:v2</c>).</summary>
    private async Task<DatasetVersion> ResolveVersionAsync(IServiceProvider services, string text)
    {
        var versions = services.GetRequiredService<DatasetVersionService>();
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var versionId))
            return await versions.FindAsync(versionId, ct) ?? throw new CommandFailedException(text, "no version has this id (data versions <dataset> lists them)");
        var db = services.GetRequiredService<PortalDbContext>();
        if (await db.Datasets.AsNoTracking().Where(d => d.Name == text).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct) is { } whole)
            return await versions.LatestAsync(whole, ct) ?? throw new CommandFailedException(text, "the dataset has no versions");
        var colon = text.LastIndexOf(':');
        if (colon > 0)
        {
            var number = text[(colon + 1)..].TrimStart('v', 'V');
            if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                var dataset = await ResolveDatasetAsync(services, text[..colon]);
                return await db.DatasetVersions.AsNoTracking().FirstOrDefaultAsync(v => v.DatasetId == dataset.Id && v.Number == n, ct)
                    ?? throw new CommandFailedException(text, $"dataset \"{dataset.Name}\" has no version {n}");
            }
        }
        throw new CommandFailedException(text, "no version or dataset has this name (a version id, <dataset> or <dataset>:v<N>)");
    }

    // ---- output ---------------------------------------------------------------------------------------------------

    private static string User => $"{Environment.UserName} (command line)";

    private Task WriteJsonAsync<T>(T value) => CommandOutput.WriteJsonAsync(output, value, Json);

    private Task WriteTableAsync(string[] header, IEnumerable<string[]> rows) => CommandOutput.WriteTableAsync(output, header, rows);

    private static string OneLine(string text, int max)
    {
        var flat = text.ReplaceLineEndings(" ⏎ ");
        return flat.Length <= max ? flat : flat[..max] + "…";
    }
}
