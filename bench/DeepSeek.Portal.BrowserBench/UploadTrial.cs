using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Feeding.Demo;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserBench;

/// <summary>
/// A large file through the browser, as a user sends it: Chromium chooses the file in the Datasets page's upload
/// panel, the page's XHR streams it to <c>POST /api/datasets/uploads</c> (not through the circuit) while the panel shows
/// transfer progress, then the import job reads it into a version while the panel shows records/s and ETA.
/// The portal runs in this process, so the process's peak working set and managed heap during each phase are the
/// server's (Chromium and Playwright's driver are processes of their own).
/// </summary>
internal static class UploadTrial
{
    public static async Task RunAsync(string[] args)
    {
        var megabytes = Arg(args, "--mb") is { } mb ? int.Parse(mb, CultureInfo.InvariantCulture) : 1024;
        var outPath = Arg(args, "--out");
        var folder = Path.Combine(BenchPortal.RepositoryRoot, "artifacts", "upload-trial");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, $"upload-{megabytes}mb.jsonl");
        var records = await EnsureCorpusAsync(file, megabytes * 1024L * 1024L);
        var bytes = new FileInfo(file).Length;
        Console.WriteLine($"Corpus: {file}, {bytes:N0} bytes, {records:N0} records");

        await using var portal = new BenchPortal();
        portal.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.Limits.MaxRequestBodySize = null; // the upload endpoint sets its own limit per request
        });
        portal.StartServer();
        var baseUrl = portal.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        await using (var scope = portal.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<AccountService>().CreateUserAsync(BenchPortal.Email, BenchPortal.Password, PortalRoles.Engineer);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("PORTAL_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium",
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, Locale = "zh-CN", ViewportSize = new() { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(120_000);
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", BenchPortal.Email);
        await page.FillAsync("#password", BenchPortal.Password);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForSelectorAsync("#portal-interactive[data-ready=true]", new() { State = WaitForSelectorState.Attached });
        await page.GotoAsync("/culture/set?culture=zh-Hans&redirectUri=/datasets");
        await page.WaitForSelectorAsync("[data-testid=upload-panel][data-interactive=true]");
        await page.Locator("[data-testid=upload-name] input, input[data-testid=upload-name]").First.FillAsync("upload-trial");

        using var sampler = new MemorySampler();
        var progress = new List<string>();

        // Phase 1: the transfer. Playwright hands a local browser the file's path, so Chromium reads it from disk.
        var clock = Stopwatch.StartNew();
        sampler.StartPhase();
        await page.SetInputFilesAsync("input[data-testid=dataset-file]", file);
        var staged = page.Locator("[data-testid=import-options]");
        while (!await staged.IsVisibleAsync())
        {
            await NoteAsync(page, "[data-testid=upload-progress]", progress, clock);
            await Task.Delay(2000);
        }
        var uploadSeconds = clock.Elapsed.TotalSeconds;
        var uploadPeak = sampler.EndPhase();

        // Phase 2: the import job, started from the panel; the panel shows percent, records/s and ETA.
        clock.Restart();
        sampler.StartPhase();
        await page.ClickAsync("[data-testid=start-import]");
        var row = page.Locator("[data-testid=datasets-table] tbody tr:has-text('upload-trial')");
        while (await row.CountAsync() == 0)
        {
            await NoteAsync(page, "[data-testid=import-job-progress]", progress, clock);
            var errors = page.Locator("[data-testid=upload-errors]");
            if (await errors.CountAsync() > 0)
                throw new InvalidOperationException("The import failed: " + await errors.TextContentAsync());
            await Task.Delay(5000);
        }
        var importSeconds = clock.Elapsed.TotalSeconds;
        var importPeak = sampler.EndPhase();

        var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        var token = await (await http.PostAsJsonAsync("/api/auth/token", new { email = BenchPortal.Email, password = BenchPortal.Password })).Content.ReadFromJsonAsync<JsonElement>();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("accessToken").GetString());
        var dataset = (await http.GetFromJsonAsync<JsonElement>("/api/datasets")).EnumerateArray().First(d => d.GetProperty("name").GetString() == "upload-trial");
        var imported = dataset.GetProperty("recordCount").GetInt64();

        var mib = bytes / 1024.0 / 1024.0;
        var result = new
        {
            file = Path.GetFileName(file), bytes, records, importedRecords = imported,
            upload = new { seconds = Math.Round(uploadSeconds, 1), mibPerSecond = Math.Round(mib / uploadSeconds, 1), peakWorkingSetMiB = uploadPeak.WorkingSetMiB, peakManagedHeapMiB = uploadPeak.HeapMiB },
            import = new { seconds = Math.Round(importSeconds, 1), recordsPerSecond = Math.Round(imported / importSeconds), mibPerSecond = Math.Round(mib / importSeconds, 1), peakWorkingSetMiB = importPeak.WorkingSetMiB, peakManagedHeapMiB = importPeak.HeapMiB },
            progressSeen = progress,
            machine = $"{Environment.ProcessorCount} cores, load average at the end: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?")}",
        };
        var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        Console.WriteLine(json);
        if (outPath is not null)
            await File.WriteAllTextAsync(outPath, json);
    }

    // JSONL {"text": …} of demo dialogues, each made distinct by a counter, until the file reaches the size asked for.
    private static async Task<long> EnsureCorpusAsync(string path, long targetBytes)
    {
        var marker = path + ".records";
        if (File.Exists(path) && File.Exists(marker))
            return long.Parse(await File.ReadAllTextAsync(marker), CultureInfo.InvariantCulture);
        var texts = DemoDataset.Generate(seed: 5, count: 3000);
        long count = 0;
        await using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            while (stream.Length < targetBytes)
            {
                var line = JsonSerializer.Serialize(new { text = $"{texts[(int)(count % texts.Count)]} #{count}" }) + "\n";
                await stream.WriteAsync(Encoding.UTF8.GetBytes(line));
                count++;
            }
        }
        await File.WriteAllTextAsync(marker, count.ToString(CultureInfo.InvariantCulture));
        return count;
    }

    private static async Task NoteAsync(IPage page, string selector, List<string> notes, Stopwatch clock)
    {
        var element = page.Locator(selector);
        if (await element.CountAsync() == 0)
            return;
        var text = (await element.First.TextContentAsync())?.Trim();
        if (!string.IsNullOrEmpty(text) && (notes.Count == 0 || notes[^1] != text))
            notes.Add($"{clock.Elapsed.TotalSeconds:F0} s: {text}");
    }

    private static string? Arg(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    /// <summary>Samples this process's working set and managed heap every 100 ms and keeps each phase's peak.</summary>
    private sealed class MemorySampler : IDisposable
    {
        private readonly Timer _timer;
        private long _peakWorkingSet, _peakHeap;

        public MemorySampler() => _timer = new Timer(_ => Sample(), null, 0, 100);

        public void StartPhase()
        {
            Interlocked.Exchange(ref _peakWorkingSet, 0);
            Interlocked.Exchange(ref _peakHeap, 0);
        }

        public (double WorkingSetMiB, double HeapMiB) EndPhase()
        {
            Sample();
            return (Math.Round(Interlocked.Read(ref _peakWorkingSet) / 1048576.0), Math.Round(Interlocked.Read(ref _peakHeap) / 1048576.0));
        }

        private void Sample()
        {
            using var process = Process.GetCurrentProcess();
            Max(ref _peakWorkingSet, process.WorkingSet64);
            Max(ref _peakHeap, GC.GetTotalMemory(false));
        }

        private static void Max(ref long target, long value)
        {
            long current;
            while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }

        public void Dispose() => _timer.Dispose();
    }
}
