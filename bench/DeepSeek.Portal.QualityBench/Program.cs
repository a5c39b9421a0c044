using System.Diagnostics;
using System.Text;
using DeepSeek.Portal.Feeding.Cleaning;
using DeepSeek.Portal.Feeding.Dedup;
using DeepSeek.Portal.Feeding.Privacy;
using DeepSeek.Portal.Feeding.Statistics;

// Hand-run micro check of the data-quality hot paths on one core: records/s on generated 1-KB records (UTF-8), English
// and Chinese. Not a test and not a benchmark harness: a quick number for docs/QUALITY-DEDUP-PII.md.
// Usage: dotnet run -c Release --project bench/DeepSeek.Portal.QualityBench -- [records per language, default 20000]
int count = args.Length > 0 ? int.Parse(args[0]) : 20_000;
var random = new Random(42);
string[] englishTexts = [.. Enumerable.Range(0, count).Select(_ => EnglishRecord(random))];
string[] chinese = [.. Enumerable.Range(0, count).Select(_ => ChineseRecord(random))];
Console.WriteLine($"# Quality hot paths, 1 thread, {count:N0} records per language, ~{englishTexts.Average(s => Encoding.UTF8.GetByteCount(s)):F0} B (en) / ~{chinese.Average(s => Encoding.UTF8.GetByteCount(s)):F0} B (zh) UTF-8");
Console.WriteLine();
// Retained memory of the indexes per record (ids excluded: every record shares one id string here).
foreach (var (language, texts) in new[] { ("en", englishTexts), ("zh", chinese) })
{
    long before = GC.GetTotalMemory(forceFullCollection: true);
    var near = new NearDuplicateIndex();
    foreach (var t in texts) near.Add("r", t);
    long afterNear = GC.GetTotalMemory(forceFullCollection: true);
    var sized = new NearDuplicateIndex(expectedRecords: texts.Length);
    foreach (var t in texts) sized.Add("r", t);
    long afterSized = GC.GetTotalMemory(forceFullCollection: true);
    var exact = new ExactDuplicateIndex();
    foreach (var t in texts) exact.Add("r", t);
    long afterExact = GC.GetTotalMemory(forceFullCollection: true);
    Console.WriteLine($"Retained per record ({language}, {count:N0} distinct records): NearDuplicateIndex {(afterNear - before) / (double)count:F0} B, " +
        $"sized with expectedRecords {(afterSized - afterNear) / (double)count:F0} B, ExactDuplicateIndex {(afterExact - afterSized) / (double)count:F0} B");
    GC.KeepAlive(sized);
    GC.KeepAlive(near);
    GC.KeepAlive(exact);
}

Console.WriteLine();

// The host is shared: rates are per CPU-second of this process (what one core does), with wall-clock rates beside them.
Console.WriteLine("| Step | en records/CPU-s | zh records/CPU-s | en records/s wall | zh records/s wall | B allocated/record |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");

var hasher = new MinHasher(new MinHashOptions());
var signature = new uint[hasher.Permutations];
Measure("MinHash signature (256 perm)", texts => { foreach (var t in texts) hasher.ComputeSignature(t, signature); });
var hasher128 = new MinHasher(new MinHashOptions { Permutations = 128 });
var signature128 = new uint[128];
Measure("MinHash signature (128 perm)", texts => { foreach (var t in texts) hasher128.ComputeSignature(t, signature128); });
Measure("NearDuplicateIndex.Add (256 perm)", texts => { var index = new NearDuplicateIndex(); int i = 0; foreach (var t in texts) index.Add((i++).ToString(), t); });
Measure("NearDuplicateIndex.Add (256 perm, expectedRecords)", texts => { var index = new NearDuplicateIndex(expectedRecords: texts.Length); int i = 0; foreach (var t in texts) index.Add((i++).ToString(), t); });
Measure("ExactDuplicateIndex.Add", texts => { var index = new ExactDuplicateIndex(); int i = 0; foreach (var t in texts) index.Add((i++).ToString(), t); });
var masker = new PiiMasker();
Measure("PiiMasker.Mask (no PII)", texts => { foreach (var t in texts) masker.Mask(t); });
string[] withPii = [.. englishTexts.Select((t, i) => i % 2 == 0 ? t[..500] + " call 13812345678 or mail a.b@example.com " + t[500..] : t)];
Measure("PiiMasker.Mask (PII in every 2nd record)", texts => { foreach (var t in texts) masker.Mask(t); }, withPii);
Measure("DatasetStatistics.Add", texts => { var statistics = new DatasetStatistics(); foreach (var t in texts) statistics.Add(t); });
var preprocessor = new Preprocessor();
Measure("Preprocessor.Process (defaults)", texts => { foreach (var t in texts) preprocessor.Process(t); });

void Measure(string name, Action<string[]> run, string[]? englishInput = null)
{
    var english = englishInput ?? englishTexts;
    run(english[..Math.Min(2000, count)]); // JIT warm-up (tier-1 with PGO)
    run(chinese[..Math.Min(2000, count)]);
    long allocated = GC.GetAllocatedBytesForCurrentThread();
    var (enCpu, enWall) = Time(() => run(english));
    var (zhCpu, zhWall) = Time(() => run(chinese));
    double perRecord = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (2.0 * count);
    Console.WriteLine($"| {name} | {count / enCpu:N0} | {count / zhCpu:N0} | {count / enWall:N0} | {count / zhWall:N0} | {perRecord:F0} |");
}

static (double CpuSeconds, double WallSeconds) Time(Action action)
{
    using var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    action();
    process.Refresh();
    return ((process.TotalProcessorTime - cpu).TotalSeconds, clock.Elapsed.TotalSeconds);
}

static string EnglishRecord(Random random)
{
    var builder = new StringBuilder(1100);
    while (builder.Length < 1000)
    {
        int length = random.Next(2, 10);
        for (int i = 0; i < length; i++) builder.Append((char)('a' + random.Next(26)));
        builder.Append(random.Next(12) == 0 ? ". " : " ");
    }
    return builder.ToString();
}

static string ChineseRecord(Random random)
{
    var builder = new StringBuilder(340);
    for (int i = 0; i < 340; i++) builder.Append(random.Next(20) == 0 ? '。' : (char)(0x4E00 + random.Next(3000)));
    return builder.ToString();
}
