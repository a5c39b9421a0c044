using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DeepSeek.Portal.Feeding.Dedup;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Import;
using DeepSeek.Portal.Feeding.Scoring;
using DeepSeek.Portal.Feeding.Statistics;

namespace DeepSeek.Portal.Bench;

/// <summary>
/// Data pipeline throughput on a generated bilingual JSONL corpus, at two sizes, in one process: (1) reading and
/// UTF-8-decoding the file line by line, (2) the streaming importer into a sink that drops each record, (3) import +
/// entropy + heuristic rules + domain similarity + exact and near dedup + dataset statistics, each stage timed on the
/// same records. Everything runs on one thread (the importer hands records to the sink in order), so records/s is
/// per core. Memory: the working set and managed heap sampled during each pass, and what the dedup indexes retain.
/// </summary>
internal static class PipelineBench
{
    public const string Usage = "pipeline [--mb N (largest, default 200)] [--small-mb N (default 50)] [--dir folder (default artifacts/pipeline-bench)] [--out path.json]";

    private static readonly string[] Stages = ["import", "entropy", "rules", "domain", "exact_dedup", "near_dedup", "statistics"];

    public sealed class PassResult
    {
        public string Pass { get; set; } = "";
        public long Records { get; set; }
        public double Seconds { get; set; }
        public double CpuSeconds { get; set; }
        public double MegabytesPerSecond { get; set; }
        public double RecordsPerSecond { get; set; }
        public long MaxWorkingSetBytes { get; set; }
        public long MaxManagedHeapBytes { get; set; }
        public Dictionary<string, double> StageSeconds { get; set; } = [];
        public long? RetainedAfterBytes { get; set; }
        public long? RetainedWithoutIndexesBytes { get; set; }
        public long? ExactDuplicates { get; set; }
        public long? NearDuplicates { get; set; }
        public long? PassingDomain { get; set; }
        public long? PassingEntropy { get; set; }
    }

    public sealed class SizeResult
    {
        public long FileBytes { get; set; }
        public long Records { get; set; }
        public List<PassResult> Passes { get; set; } = [];
        public double PipelineToReadRatio { get; set; }
        public long PeakWorkingSetSoFarBytes { get; set; }
    }

    public sealed class Report
    {
        public DateTimeOffset StartedAt { get; set; }
        public int ProcessorCount { get; set; }
        public string Runtime { get; set; } = "";
        public bool ServerGc { get; set; }
        public List<SizeResult> Sizes { get; set; } = [];
        public double GenerateSeconds { get; set; }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        int largeMb = 200, smallMb = 50;
        string dir = Path.Combine("artifacts", "pipeline-bench");
        string? outPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--mb": largeMb = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--small-mb": smallMb = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--dir": dir = Value(); break;
                case "--out": outPath = Value(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: {Usage}");
            }
        }

        var report = new Report
        {
            StartedAt = DateTimeOffset.UtcNow,
            ProcessorCount = Environment.ProcessorCount,
            Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            ServerGc = System.Runtime.GCSettings.IsServerGC,
        };
        Directory.CreateDirectory(dir);
        var generate = Stopwatch.StartNew();
        var files = new List<string>();
        foreach (var mb in new[] { smallMb, largeMb }.Distinct().Order())
        {
            var path = Path.Combine(dir, $"corpus-{mb}mb.jsonl");
            if (!File.Exists(path) || new FileInfo(path).Length < (long)mb << 20)
            {
                Console.WriteLine($"Generating {path} …");
                Corpus.Write(path, (long)mb << 20);
            }
            files.Add(path);
        }
        report.GenerateSeconds = generate.Elapsed.TotalSeconds;
        Console.WriteLine($"# Data pipeline bench — {report.ProcessorCount} logical processors, {report.Runtime}, server GC {report.ServerGc}; one thread");

        // Fitted once, outside the timed passes: a reference set as a user would pick it (200 domain texts).
        var domain = DomainSimilarityScorer.Fit(DemoDataset.Generate(seed: 99, count: 200));
        var entropy = new EntropyScorer();
        var rules = new HeuristicRules();

        foreach (var file in files)
        {
            var size = new SizeResult { FileBytes = new FileInfo(file).Length };
            Console.WriteLine();
            Console.WriteLine($"## {Path.GetFileName(file)} ({size.FileBytes / 1e6:F0} MB)");
            size.Passes.Add(await MeasureAsync("read_utf8_lines", size.FileBytes, _ => Task.FromResult(ReadLines(file))));
            size.Passes.Add(await MeasureAsync("import_null_sink", size.FileBytes, async _ => await ImportAsync(file, (_, _) => ValueTask.CompletedTask)));
            size.Passes.Add(await MeasureAsync("import_score_dedup_stats", size.FileBytes, async result =>
            {
                var stage = new long[Stages.Length];
                var exact = new ExactDuplicateIndex();
                var near = new NearDuplicateIndex();
                var statistics = new DatasetStatistics();
                long passingDomain = 0, passingEntropy = 0, id = 0;
                var start = Stopwatch.GetTimestamp();
                var records = await ImportAsync(file, (record, _) =>
                {
                    var text = record.Text;
                    var key = (id++).ToString(CultureInfo.InvariantCulture);
                    var t0 = Stopwatch.GetTimestamp();
                    if (entropy.Evaluate(text).Inside) passingEntropy++;
                    var t1 = Stopwatch.GetTimestamp();
                    rules.Evaluate(text);
                    var t2 = Stopwatch.GetTimestamp();
                    if (domain.Score(text) >= domain.Options.KeepAtLeast) passingDomain++;
                    var t3 = Stopwatch.GetTimestamp();
                    exact.Add(key, text);
                    var t4 = Stopwatch.GetTimestamp();
                    near.Add(key, text);
                    var t5 = Stopwatch.GetTimestamp();
                    statistics.Add(text);
                    var t6 = Stopwatch.GetTimestamp();
                    stage[1] += t1 - t0; stage[2] += t2 - t1; stage[3] += t3 - t2; stage[4] += t4 - t3; stage[5] += t5 - t4; stage[6] += t6 - t5;
                    return ValueTask.CompletedTask;
                });
                var total = Stopwatch.GetTimestamp() - start;
                stage[0] = total - stage.Skip(1).Sum();
                for (int i = 0; i < Stages.Length; i++)
                    result.StageSeconds[Stages[i]] = (double)stage[i] / Stopwatch.Frequency;
                _ = statistics.Result();
                result.ExactDuplicates = exact.DuplicateCount;
                result.NearDuplicates = near.DuplicateCount;
                result.PassingDomain = passingDomain;
                result.PassingEntropy = passingEntropy;
                result.RetainedAfterBytes = GC.GetTotalMemory(forceFullCollection: true);
                GC.KeepAlive(exact);
                GC.KeepAlive(near);
                GC.KeepAlive(statistics);
                return records;
            }));
            var pipeline = size.Passes[^1];
            pipeline.RetainedWithoutIndexesBytes = GC.GetTotalMemory(forceFullCollection: true);
            size.Records = pipeline.Records;
            size.PipelineToReadRatio = pipeline.Seconds / size.Passes[0].Seconds;
            size.PeakWorkingSetSoFarBytes = Process.GetCurrentProcess().PeakWorkingSet64;
            report.Sizes.Add(size);
            Console.WriteLine(Markdown(size));
        }

        outPath ??= Path.Combine("bench", "results", $"pipeline-bench-{report.StartedAt:yyyyMMdd-HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        Console.WriteLine($"Wrote {outPath}.");
        return 0;
    }

    private static long ReadLines(string path)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        long lines = 0, chars = 0;
        while (reader.ReadLine() is { } line)
        {
            lines++;
            chars += line.Length;
        }
        GC.KeepAlive(chars);
        return lines;
    }

    private static async Task<long> ImportAsync(string path, Func<ImportedRecord, CancellationToken, ValueTask> sink)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var summary = await StreamingImporter.ReadAsync(stream, new ImportRequest { FileName = Path.GetFileName(path) }, sink, null, CancellationToken.None);
        if (!summary.Succeeded)
            throw new InvalidOperationException("The generated corpus did not import: " + string.Join("; ", summary.Errors.Take(3)));
        return summary.Records;
    }

    private static async Task<PassResult> MeasureAsync(string name, long bytes, Func<PassResult, Task<long>> pass)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var result = new PassResult { Pass = name };
        using var sampling = new CancellationTokenSource();
        var process = Process.GetCurrentProcess();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                process.Refresh();
                result.MaxWorkingSetBytes = Math.Max(result.MaxWorkingSetBytes, process.WorkingSet64);
                result.MaxManagedHeapBytes = Math.Max(result.MaxManagedHeapBytes, GC.GetTotalMemory(false));
                try { await Task.Delay(50, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        result.Records = await pass(result);
        result.Seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        result.CpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        result.MegabytesPerSecond = bytes / 1e6 / result.Seconds;
        result.RecordsPerSecond = result.Records / result.Seconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name}: {result.Records:N0} records in {result.Seconds:F1} s (CPU {result.CpuSeconds:F1} s): {result.MegabytesPerSecond:F1} MB/s, {result.RecordsPerSecond:N0} records/s"));
        return result;
    }

    public static string Markdown(SizeResult size)
    {
        var sb = new StringBuilder();
        var read = size.Passes[0];
        sb.AppendLine("| Pass | Records/s | MB/s | Time vs. read | Max working set | Max managed heap |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var p in size.Passes)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {p.Pass} | {p.RecordsPerSecond:N0} | {p.MegabytesPerSecond:F1} | {p.Seconds / read.Seconds:F1}× | {p.MaxWorkingSetBytes / 1e6:F0} MB | {p.MaxManagedHeapBytes / 1e6:F0} MB |"));
        var pipeline = size.Passes[^1];
        sb.AppendLine();
        sb.AppendLine("| Stage | Seconds | Share | µs/record |");
        sb.AppendLine("|---|---:|---:|---:|");
        var total = pipeline.StageSeconds.Values.Sum();
        foreach (var (stage, seconds) in pipeline.StageSeconds.OrderByDescending(s => s.Value))
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {stage} | {seconds:F1} | {100 * seconds / total:F0} % | {1e6 * seconds / pipeline.Records:F1} |"));
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Exact duplicates {pipeline.ExactDuplicates:N0}, near duplicates {pipeline.NearDuplicates:N0}, domain ≥ 0.75: {pipeline.PassingDomain:N0}, entropy inside its band: {pipeline.PassingEntropy:N0}. " +
            $"Heap retained with the dedup indexes and statistics alive: {pipeline.RetainedAfterBytes / 1e6:F0} MB; after they are dropped: {pipeline.RetainedWithoutIndexesBytes / 1e6:F0} MB. " +
            $"Process peak working set so far: {size.PeakWorkingSetSoFarBytes / 1e6:F0} MB."));
        return sb.ToString();
    }

    /// <summary>
    /// The corpus: JSONL records of one to six demo dialogues (zh and en, 60/40) with their numbers and names varied,
    /// about 5 % exact repeats of a recent record, 5 % near repeats (a few characters changed, a sentence added) and
    /// 3 % noise (symbol runs, a repeated line, markup, mojibake). Deterministic for a given size.
    /// </summary>
    internal static class Corpus
    {
        private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        public static void Write(string path, long bytes)
        {
            long written = 0;
            var temp = path + ".tmp";
            using (var output = new StreamWriter(temp, false, new UTF8Encoding(false), 1 << 20))
            {
                foreach (var text in Texts())
                {
                    if (written >= bytes) break;
                    var line = JsonSerializer.Serialize(new { text }, Json);
                    output.Write(line);
                    output.Write('\n');
                    written += Encoding.UTF8.GetByteCount(line) + 1;
                }
            }
            File.Move(temp, path, overwrite: true);
        }

        /// <summary>The corpus's texts in file order, without end (the same sequence for every size).</summary>
        public static IEnumerable<string> Texts()
        {
            var random = new Random(2026);
            var dialogues = DemoDataset.Generate(seed: 11, count: DemoDataset.MaxCount);
            var recent = new string[4096];
            for (long n = 0; ; n++)
            {
                string text;
                var roll = random.Next(100);
                if (roll < 5 && n > 100)
                    text = recent[random.Next((int)Math.Min(n, recent.Length))];
                else if (roll < 10 && n > 100)
                    text = NearCopy(recent[random.Next((int)Math.Min(n, recent.Length))], random);
                else if (roll < 13)
                    text = Noise(random);
                else
                    text = Record(dialogues, random);
                recent[n % recent.Length] = text;
                yield return text;
            }
        }

        private static string Record(IReadOnlyList<string> dialogues, Random random)
        {
            var sb = new StringBuilder();
            var count = 1 + random.Next(6);
            for (int i = 0; i < count; i++)
            {
                if (i > 0) sb.Append('\n');
                // Vary the digits so records built from the same dialogues still differ.
                foreach (var c in dialogues[random.Next(dialogues.Count)])
                    sb.Append(char.IsAsciiDigit(c) && random.Next(3) == 0 ? (char)('0' + random.Next(10)) : c);
            }
            return sb.ToString();
        }

        private static string NearCopy(string text, Random random)
        {
            var chars = text.ToCharArray();
            for (int i = 0, edits = Math.Max(1, chars.Length / 60); i < edits; i++)
            {
                var at = random.Next(chars.Length);
                if (!char.IsSurrogate(chars[at])) chars[at] = random.Next(2) == 0 ? '，' : 'e';
            }
            return new string(chars) + (random.Next(2) == 0 ? " 谢谢。" : " Thanks.");
        }

        private static string Noise(Random random) => random.Next(4) switch
        {
            0 => new string(Enumerable.Range(0, 40 + random.Next(200)).Select(_ => "#$%&*@!~^|<>{}[]"[random.Next(16)]).ToArray()),
            1 => string.Join("\n", Enumerable.Repeat("点击这里领取优惠 click here to win", 3 + random.Next(20))),
            2 => "<div class=\"ad\"><a href=\"http://example.com/" + random.Next() + "\">" + string.Concat(Enumerable.Repeat("<span>buy</span>", 5 + random.Next(20))) + "</a></div>",
            _ => string.Concat(Enumerable.Repeat("ä¸­æ–‡ Ã©tÃ© ", 5 + random.Next(30))),
        };
    }
}
