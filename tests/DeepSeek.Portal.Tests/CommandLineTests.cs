using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Datasets.Cli;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Feeding.Import;
using Microsoft.Extensions.DependencyInjection;
using Parquet;
using Parquet.Schema;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// <c>data …</c> in-process (the entry method with captured writers, a fresh data directory, the real SQLite file and
/// the real job code run inline), and once as the built executable in a child process.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _data = PortalFactory.NewDataDirectory();
    private readonly string _work = Path.Combine(Path.GetTempPath(), "deepseek-portal-tests", "cli-" + Guid.NewGuid().ToString("N"));

    public CommandLineTests() => Directory.CreateDirectory(_work);

    public void Dispose()
    {
        PortalFactory.DeleteDataDirectory(_data);
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Imports_jsonl_and_a_json_array_with_a_template_then_lists_shows_and_reports_statistics()
    {
        var faq = await WriteAsync("faq.jsonl", TestData.BilingualJsonl(30));
        var imported = await RunAsync("import", faq, "--name", "faq");
        Assert.Equal(0, imported.Code);
        Assert.Contains("imported faq.jsonl as dataset \"faq\"", imported.Out, StringComparison.Ordinal);

        // A corpus export whose shape the importer does not know: a template joins the list with the separator.
        var poems = await WriteAsync("poems.json", """[{"title":"静夜思","paragraphs":["床前明月光","疑是地上霜"]},{"title":"Ode","paragraphs":["Thou still unravish'd bride"]}]""");
        var mapped = await RunAsync("import", poems, "--name", "poems", "--template", @"{title}\n{paragraphs}", "--separator", " / ", "--json");
        Assert.Equal(0, mapped.Code);
        var outcome = JsonNode.Parse(mapped.Out)!;
        Assert.Equal("Succeeded", (string?)outcome["job"]!["status"]);
        Assert.Equal((1, 2), ((int)outcome["version"]!["number"]!, (int)outcome["version"]!["recordCount"]!));

        var list = JsonNode.Parse((await RunAsync("list", "--json")).Out)!.AsArray();
        Assert.Equal(["faq", "poems"], list.Select(d => (string)d!["name"]!).Order());

        var page = JsonNode.Parse((await RunAsync("show", "poems:v1", "--json")).Out)!;
        Assert.Equal("静夜思\n床前明月光 / 疑是地上霜", (string?)page["records"]![0]!["record"]!["text"]);

        // The mapping is kept in the version's lineage, as for an import through the API.
        var versionId = (int)outcome["version"]!["id"]!;
        var stats = await RunAsync("stats", versionId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        Assert.Equal(0, stats.Code);
        var statistics = JsonNode.Parse(stats.Out)!;
        Assert.Equal("poems", (string?)statistics["dataset"]);
        Assert.Equal(2, (int)statistics["statistics"]!["records"]!);
        Assert.Equal((1, 1), ((int)statistics["statistics"]!["languages"]!["zh"]!, (int)statistics["statistics"]!["languages"]!["en"]!));
        var faqStats = JsonNode.Parse((await RunAsync("stats", "faq", "--json")).Out)!;
        Assert.Equal(30, (int)faqStats["statistics"]!["records"]!);
    }

    [Fact]
    public async Task Transform_and_filter_make_new_versions_that_compare_and_export_as_jsonl_and_parquet()
    {
        Assert.Equal(0, (await RunAsync("import", await WriteAsync("faq.jsonl", TestData.BilingualJsonl(20)), "--name", "faq")).Code);

        // Any operation the container has runs by name, through transform or as its own command.
        var scored = await RunAsync("transform", "faq", "length", "--params", """{"scale": 1}""", "--json");
        Assert.Equal(0, scored.Code);
        Assert.Equal(2, (int)JsonNode.Parse(scored.Out)!["version"]!["number"]!);
        var rescored = await RunAsync("length", "faq:v1", "--per-char", "2", "--json");
        Assert.Equal(0, rescored.Code);
        var doubled = JsonNode.Parse((await RunAsync("show", "faq:v3", "--page-size", "1", "--json")).Out)!["records"]![0]!["record"]!;
        Assert.Equal(2.0 * ((string)doubled["text"]!).Length, (double)doubled["scores"]!["length"]!);
        var invalid = await RunAsync("length", "faq:v1", "--per-char", "-1");
        Assert.Equal(1, invalid.Code);
        Assert.Contains("field \"perChar\"", invalid.Err, StringComparison.Ordinal);

        // Chinese records here are shorter than 50 characters, English ones longer.
        var filtered = await RunAsync("filter", "faq:v2", "--min", "length=50", "--json");
        Assert.Equal(0, filtered.Code);
        var v4 = JsonNode.Parse(filtered.Out)!["version"]!;
        Assert.Equal((4, 10, 10), ((int)v4["number"]!, (int)v4["recordCount"]!, (int)v4["droppedCount"]!));
        var dropped = JsonNode.Parse((await RunAsync("show", "faq", "--dropped", "--json")).Out)!;
        Assert.All(dropped["records"]!.AsArray(), r => Assert.Equal("length < 50", (string?)r!["record"]!["droppedBy"]));
        // Validation errors name the field; a job that would leave nothing fails and stores nothing.
        var invalidRule = await RunAsync("filter", "faq:v2", "--params", """{"rules": [{"score": "length", "min": 5, "max": 1}]}""");
        Assert.Equal(1, invalidRule.Code);
        Assert.Contains("field \"rules[0]\"", invalidRule.Err, StringComparison.Ordinal);
        var empty = await RunAsync("filter", "faq:v2", "--min", "length=500");
        Assert.Equal(1, empty.Code);
        Assert.Contains("left no records", empty.Err, StringComparison.Ordinal);

        var comparison = JsonNode.Parse((await RunAsync("compare", "faq:v2", "faq:v4", "--json")).Out)!;
        Assert.Equal((0, 10, 10), ((int)comparison["added"]!, (int)comparison["removed"]!, (int)comparison["unchanged"]!));
        var versions = JsonNode.Parse((await RunAsync("versions", "faq", "--json")).Out)!.AsArray();
        Assert.Equal(["import", "length", "length", "filter"], versions.Select(v => (string)v!["operation"]!));

        var jsonl = Path.Combine(_work, "out", "faq.jsonl");
        Assert.Equal(0, (await RunAsync("export", "faq:v4", "--out", jsonl)).Code);
        var sha = (string)v4["sha256"]!;
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_data, "datasets", sha + ".jsonl")), await File.ReadAllBytesAsync(jsonl));

        var parquet = Path.Combine(_work, "out", "faq.parquet");
        var exported = await RunAsync("export", "faq:v4", "--out", parquet, "--json");
        Assert.Equal(0, exported.Code);
        Assert.Equal(["text", "prompt", "response", "score_length"], JsonNode.Parse(exported.Out)!["columns"]!.AsArray().Select(c => (string)c!));
        var (texts, lengths) = await ReadParquetAsync(parquet);
        var expected = File.ReadAllLines(jsonl).Select(Datasets.Versions.VersionRecord.Parse).ToList();
        Assert.Equal(expected.Select(r => r.Text), texts);
        Assert.Equal(expected.Select(r => (double?)r.Scores!["length"]), lengths);
        Assert.All(lengths, l => Assert.True(l >= 50));
        Assert.Empty(Directory.GetFiles(Path.Combine(_work, "out"), "*.tmp"));
    }

    [Fact]
    public async Task Mix_makes_a_new_dataset_from_weighted_versions_deterministically_and_names_bad_fields()
    {
        Assert.Equal(0, (await RunAsync("import", await WriteAsync("faq.jsonl", TestData.BilingualJsonl(20)), "--name", "faq")).Code);
        var weather = string.Concat(Enumerable.Range(1, 10).Select(i => System.Text.Json.JsonSerializer.Serialize(new { text = $"第{i}天：晴。Day {i}: sunny." }) + "\n"));
        Assert.Equal(0, (await RunAsync("import", await WriteAsync("weather.jsonl", weather), "--name", "weather")).Code);

        // Equal weights, 20 and 10 records: 21 = 11 + 10 is the most without a repeat.
        var mixed = await RunAsync("mix", "--source", "faq=1", "--source", "weather:v1=1", "--name", "both", "--seed", "5", "--json");
        Assert.True(mixed.Code == 0, mixed.Err);
        var outcome = JsonNode.Parse(mixed.Out)!;
        Assert.Equal(("both", 1, 21), ((string?)outcome["datasetName"], (int)outcome["version"]!["number"]!, (int)outcome["version"]!["recordCount"]!));
        var human = await RunAsync("mix", "--source", "faq=1", "--source", "weather:v1=1", "--name", "both-again", "--seed", "5");
        Assert.Equal(0, human.Code);
        Assert.Contains("faq v1 11 of 20, weather v1 10 of 10", human.Out, StringComparison.Ordinal);
        var again = JsonNode.Parse((await RunAsync("versions", "both-again", "--json")).Out)!.AsArray().Single()!;
        Assert.Equal((string?)outcome["version"]!["sha256"], (string?)again["sha256"]);
        Assert.Equal("mix", (string?)again["operation"]);
        var page = JsonNode.Parse((await RunAsync("show", "both", "--page-size", "200", "--json")).Out)!["records"]!.AsArray();
        Assert.Equal(10, page.Count(r => ((string)r!["record"]!["origin"]!["dataset"]!) == "weather"));

        var repeated = await RunAsync("mix", "--source", "faq", "--source", "weather=3", "--records", "40", "--policy", "static", "--allow-repeats", "--name", "repeated", "--json");
        Assert.True(repeated.Code == 0, repeated.Err);
        Assert.Equal(40, (int)JsonNode.Parse(repeated.Out)!["version"]!["recordCount"]!);

        // Each bad value is named by its field; nothing is made.
        var negative = await RunAsync("mix", "--source", "faq=-1", "--name", "x");
        Assert.Equal(1, negative.Code);
        Assert.Contains("field \"sources[0].weight\"", negative.Err, StringComparison.Ordinal);
        var zero = await RunAsync("mix", "--source", "faq", "--records", "0", "--name", "x", "--json");
        Assert.Equal(1, zero.Code);
        Assert.Equal("records", (string?)JsonNode.Parse(zero.Out)!["errors"]![0]!["field"]);
        var tooMany = await RunAsync("mix", "--source", "faq=1", "--source", "weather=1", "--records", "22", "--name", "x");
        Assert.Equal(1, tooMany.Code);
        Assert.Contains("at most 21 records", tooMany.Err, StringComparison.Ordinal);
        var unknown = await RunAsync("mix", "--source", "nope=1", "--name", "x");
        Assert.Equal(1, unknown.Code);
        Assert.Contains("nope", unknown.Err, StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync("mix", "--source", "faq=1")).Code);
        Assert.Equal(2, (await RunAsync("mix", "--name", "x")).Code);
        Assert.Contains("--source <version>=<weight>", (await RunAsync("mix", "--help")).Out, StringComparison.Ordinal);
        var names = JsonNode.Parse((await RunAsync("list", "--json")).Out)!.AsArray().Select(d => (string)d!["name"]!).Order();
        Assert.Equal(["both", "both-again", "faq", "repeated", "weather"], names);
    }

    [Fact]
    public async Task A_bad_file_exits_1_with_file_and_line_and_leaves_no_dataset_version_or_upload()
    {
        var bad = await WriteAsync("broken.jsonl", "{\"text\":\"好\"}\n{\"text\": \"broken\n");
        var result = await RunAsync("import", bad, "--name", "broken", "--json");
        Assert.Equal(1, result.Code);
        Assert.Contains("broken.jsonl, line 2", result.Err, StringComparison.Ordinal);
        var error = JsonNode.Parse(result.Out)!["errors"]![0]!;
        Assert.Equal(("broken.jsonl", 2), ((string?)error["fileName"], (int)error["line"]!));

        // A mapping that names a field the records lack: the record and the field.
        var poems = await WriteAsync("poems.json", """[{"title":"静夜思"}]""");
        var missing = await RunAsync("import", poems, "--template", "{title}\n{author}");
        Assert.Equal(1, missing.Code);
        Assert.Contains("field \"author\"", missing.Err, StringComparison.Ordinal);

        Assert.Equal("[]", JsonNode.Parse((await RunAsync("list", "--json")).Out)!.ToJsonString());
        Assert.Empty(Directory.GetFiles(Path.Combine(_data, "datasets")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_data, "uploads")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_data, "temp")));
        var jobs = JsonNode.Parse((await RunAsync("jobs", "--json")).Out)!.AsArray();
        Assert.All(jobs, j => Assert.Equal("Failed", (string?)j!["status"]));
    }

    [Fact]
    public async Task Usage_errors_exit_2_and_help_exits_0()
    {
        Assert.Equal(2, (await RunAsync()).Code);
        var unknown = await RunAsync("shred", "faq");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("unknown command \"shred\"", unknown.Err, StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync("import")).Code);
        Assert.Equal(2, (await RunAsync("list", "--bogus", "1")).Code);
        Assert.Equal(2, (await RunAsync("filter", "faq", "--min", "domain")).Code);
        Assert.Equal(2, (await RunAsync("export", "faq")).Code);

        var help = await RunAsync("--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("import <file>", help.Out, StringComparison.Ordinal);
        var importHelp = await RunAsync("import", "--help");
        Assert.Equal(0, importHelp.Code);
        Assert.Contains("--template", importHelp.Out, StringComparison.Ordinal);
        Assert.Contains("data length <version>", (await RunAsync("length", "--help")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_marks_the_job_cancelled_and_makes_no_version()
    {
        Assert.Equal(0, (await RunAsync("import", await WriteAsync("faq.jsonl", TestData.BilingualJsonl(8)), "--name", "faq")).Code);
        using var cancel = new CancellationTokenSource();
        var stall = new StallOperation();
        var run = RunAsync(["transform", "faq", "stall"], cancel.Token, stall);
        await stall.Started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await cancel.CancelAsync();
        var result = await run;
        Assert.Equal(130, result.Code);

        var jobs = JsonNode.Parse((await RunAsync("jobs", "--json")).Out)!.AsArray();
        Assert.Equal("Cancelled", (string?)jobs[0]!["status"]);
        Assert.Single(JsonNode.Parse((await RunAsync("versions", "faq", "--json")).Out)!.AsArray());
        Assert.Empty(Directory.GetFiles(Path.Combine(_data, "temp")));
    }

    [Fact]
    public async Task The_built_executable_branches_to_the_command_line()
    {
        var dll = PortalBinary.Dll();
        var list = await RunProcessAsync(dll, "data", "list", "--json");
        Assert.True(list.Code == 0, list.Err);
        Assert.Equal("[]", JsonNode.Parse(list.Out)!.ToJsonString());
        Assert.True(File.Exists(Path.Combine(_data, "portal.db")), "the command line opens the data directory named by Portal__DataDirectory");

        var unknown = await RunProcessAsync(dll, "data", "nonsense");
        Assert.Equal(2, unknown.Code);
    }

    [Fact]
    public async Task Progress_is_one_rewritten_line_on_a_terminal_and_plain_lines_in_a_log()
    {
        var job = new DataJobView(7, "import", Data.DataJobStatus.Running, null, "faq", null, null, 375, 1000, "bytes", 12345, 37.5, 8100, 12.4,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, [], null, null);
        Assert.Equal("import faq.jsonl   37.5%  12,345 records  8,100 records/s  ETA 0:12", ProgressLine.Describe("import faq.jsonl", job));

        var terminal = new StringWriter();
        var line = new ProgressLine(terminal, terminal: true, "import");
        await line.ShowAsync(job);
        await line.ShowAsync(job with { Records = 20000 }); // within 100 ms of the first: not drawn
        line.Close();
        await line.ShowAsync(job); // after Close: ignored
        var drawn = terminal.ToString();
        Assert.StartsWith("\rimport", drawn, StringComparison.Ordinal);
        Assert.DoesNotContain("20,000", drawn, StringComparison.Ordinal);
        Assert.EndsWith("\r", drawn, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', drawn);

        var log = new StringWriter();
        var lines = new ProgressLine(log, terminal: false, "import", TimeSpan.Zero);
        await lines.ShowAsync(job);
        await lines.ShowAsync(job with { Status = Data.DataJobStatus.Succeeded });
        Assert.Equal(["import   37.5%  12,345 records  8,100 records/s  ETA 0:12"], log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private sealed record Result(int Code, string Out, string Err);

    private Task<Result> RunAsync(params string[] args) => RunAsync(args, CancellationToken.None, null);

    private async Task<Result> RunAsync(string[] args, CancellationToken ct, IDataOperation? extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var options = new DataCommandLineOptions
        {
            Configure = b =>
            {
                b.Services.AddSingleton<IDataOperation, LengthScore>();
                if (extra is not null)
                    b.Services.AddSingleton(extra);
            },
        };
        var code = await DataCommandLine.RunAsync(["data", .. args, $"--Portal:DataDirectory={_data}"], output, error, options, ct);
        return new Result(code, output.ToString(), error.ToString());
    }

    private async Task<string> WriteAsync(string name, string content)
    {
        var path = Path.Combine(_work, name);
        await File.WriteAllTextAsync(path, content, new UTF8Encoding(false));
        return path;
    }

    private static async Task<(List<string> Texts, List<double?> Lengths)> ReadParquetAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var fields = reader.Schema.GetDataFields();
        var text = fields.Single(f => f.Name == "text");
        var length = fields.Single(f => f.Name == "score_length");
        var texts = new List<string>();
        var lengths = new List<double?>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var rows = (int)group.RowCount;
            var t = new string?[rows];
            await group.ReadAsync(text, t.AsMemory());
            var l = new double?[rows];
            await group.ReadAsync<double>(length, l.AsMemory());
            texts.AddRange(t.Select(x => x!));
            lengths.AddRange(l);
        }
        return (texts, lengths);
    }

    private async Task<Result> RunProcessAsync(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _work };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        start.Environment["Portal__DataDirectory"] = _data;
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Scores each record by its length in UTF-16 units times <c>perChar</c> (or <c>scale</c>); a stand-in for a real scorer.</summary>
    private sealed class LengthScore : IDataOperation
    {
        public string Name => "length";

        public (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Validate(JsonObject? parameters)
        {
            var factor = (double?)(parameters?["perChar"] ?? parameters?["scale"]) ?? 1;
            return factor > 0
                ? (new JsonObject { ["perChar"] = factor }, [])
                : (null, [new ImportError("parameters", null, "perChar", "expected a positive number") { Kind = ImportErrorKind.InvalidUpload }]);
        }

        public async Task<IReadOnlyList<ImportError>> RunAsync(DataOperationContext context)
        {
            var factor = (double)context.Parameters["perChar"]!;
            long read = 0;
            await foreach (var record in context.ReadSource())
            {
                await context.KeepAsync(record with { Scores = new SortedDictionary<string, double> { ["length"] = record.Text.Length * factor } });
                context.Progress(++read);
            }
            return [];
        }
    }

    /// <summary>Writes one record, then waits until the job is cancelled.</summary>
    private sealed class StallOperation : IDataOperation
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "stall";

        public (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Validate(JsonObject? parameters) => (new JsonObject(), []);

        public async Task<IReadOnlyList<ImportError>> RunAsync(DataOperationContext context)
        {
            await foreach (var record in context.ReadSource())
            {
                await context.KeepAsync(record);
                break;
            }
            Started.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.Cancellation);
            return [];
        }
    }
}
