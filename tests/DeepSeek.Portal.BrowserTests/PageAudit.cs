using System.Text.Json;
using Microsoft.Playwright;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>
/// Checks a loaded page as a user and a screen reader meet it: axe-core (serious and critical violations), one
/// <c>main</c> landmark and one <c>h1</c>, English words left on a Chinese page, and a screenshot for people to look at.
/// </summary>
public static class PageAudit
{
    /// <summary>
    /// Screenshots the page as <paramref name="shot"/> and adds what is wrong with it to <paramref name="problems"/>:
    /// axe-core violations, structure problems, English words left on a non-English page (beyond <paramref name="allowed"/>:
    /// product names, data the test wrote) and a page wider than the viewport.
    /// </summary>
    public static async Task AuditAsync(IPage page, string shot, string culture, int width, IEnumerable<string> allowed, List<string> problems, int settleMs = 300)
    {
        await page.WaitForTimeoutAsync(settleMs);
        await ScreenshotAsync(page, shot);
        problems.AddRange((await AxeViolationsAsync(page)).Select(v => $"{shot}: axe {v}"));
        problems.AddRange((await StructureProblemsAsync(page)).Select(p => $"{shot}: {p}"));
        if (culture != "en")
            problems.AddRange((await EnglishWordsAsync(page, [.. allowed])).Select(w => $"{shot}: English {w}"));
        var scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        if (scrollWidth > width + 1)
            problems.Add($"{shot}: the page scrolls sideways ({scrollWidth} px wide)");
    }

    /// <summary>Words that stay as they are in Chinese: product and technical names, units, file formats, JSON field names.</summary>
    public static readonly IReadOnlyList<string> ProperNouns =
    [
        "DeepSeek", "Portal", "CPU", "CUDA", "GPU", "JSONL", "NDJSON", "TXT", "JSON", "API", "OpenAPI", "bf16", "fp16", "fp32", "LoRA", "rsLoRA", "ETA",
        "UTF", "UTC", "libtorch", "MLA", "DeepSeekMoE", "Plotly", "js", "PNG", "L2", "exp", "AdamW", "SHA", "KB", "MB", "GB", "KiB", "MiB", "GiB",
        "text", "instruction", "input", "output", "prompt", "completion", "conversations",
        "CSV", "TSV", "Parquet", "GB18030", "GBK", "alpaca", "NFKC", "TF", "IDF", "MinHash", "LSH", "IP",
        "Hugging", "Face", "config", "safetensors", "Top", // Hugging Face, config.json, the safetensors format, top-k/top-p sampling
    ];

    private static readonly string RepositoryRoot = FindRepositoryRoot();

    /// <summary>Where screenshots go (git-ignored): artifacts/screenshots, or PORTAL_SCREENSHOTS.</summary>
    public static string ScreenshotDirectory { get; } = Environment.GetEnvironmentVariable("PORTAL_SCREENSHOTS") is { Length: > 0 } dir
        ? dir
        : Path.Combine(RepositoryRoot, "artifacts", "screenshots");

    private static string AxePath => Path.Combine(RepositoryRoot, "tests", "DeepSeek.Portal.BrowserTests", "node_modules", "axe-core", "axe.min.js");

    /// <summary>Serious and critical axe-core violations, one line each ("rule (impact): help — targets").</summary>
    public static async Task<IReadOnlyList<string>> AxeViolationsAsync(IPage page)
    {
        Assert.True(File.Exists(AxePath), $"axe-core is missing at {AxePath}: run `npm ci` in tests/DeepSeek.Portal.BrowserTests (tests/test.sh does).");
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe !== 'undefined'"))
            await page.AddScriptTagAsync(new() { Path = AxePath });
        var json = await page.EvaluateAsync<string>("""
            async () => {
              const r = await axe.run(document, { resultTypes: ['violations'] });
              return JSON.stringify(r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | ')}`));
            }
            """);
        return JsonSerializer.Deserialize<List<string>>(json) ?? [];
    }

    /// <summary>Landmark and heading structure problems (not all of them are serious for axe, but every page must pass).</summary>
    public static async Task<IReadOnlyList<string>> StructureProblemsAsync(IPage page)
    {
        var problems = new List<string>();
        var mains = await page.Locator("main").CountAsync();
        if (mains != 1)
            problems.Add($"{mains} <main> landmarks (expected 1)");
        var h1 = await page.Locator("h1").CountAsync();
        if (h1 != 1)
            problems.Add($"{h1} <h1> headings (expected 1)");
        return problems;
    }

    /// <summary>
    /// English words in visible text and in labels (aria-label, placeholder, title) that are not proper nouns or
    /// the given names (datasets, runs, users).
    /// </summary>
    public static async Task<IReadOnlyList<string>> EnglishWordsAsync(IPage page, IEnumerable<string> names)
    {
        var json = await page.EvaluateAsync<string>("""
            ([allowed, names]) => {
              const allow = new Set(allowed.map(w => w.toLowerCase()));
              const sortedNames = [...names].sort((a, b) => b.length - a.length);
              const found = new Map();
              const check = (text, where) => {
                let t = text.replace(/[\w.+-]+@[\w.-]+/g, ' ');           // e-mail addresses
                for (const n of sortedNames) t = t.split(n).join(' ');    // dataset, run and user names
                for (const w of t.match(/[A-Za-z][A-Za-z0-9'’]+/g) || []) {
                  if (allow.has(w.toLowerCase())) continue;
                  if (!found.has(w)) found.set(w, `${w} in "${text.trim().slice(0, 80)}" (${where})`);
                }
              };
              const visible = el => el && el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              while (walker.nextNode()) {
                const node = walker.currentNode;
                const el = node.parentElement;
                // Text marked as English on purpose (the language menu's "English") is not left-over UI text.
                if (!el || el.closest('script, style, noscript, code, pre, [lang="en"]') || !visible(el)) continue;
                check(node.textContent, el.tagName.toLowerCase());
              }
              for (const el of document.body.querySelectorAll('[aria-label], [placeholder], [title]')) {
                if ((!visible(el) && el.tagName !== 'INPUT') || el.closest('[lang="en"]')) continue;
                for (const a of ['aria-label', 'placeholder', 'title']) {
                  const v = el.getAttribute(a);
                  if (v) check(v, `${el.tagName.toLowerCase()}[${a}]`);
                }
              }
              return JSON.stringify([...found.values()]);
            }
            """, new object[] { ProperNouns, names.ToArray() });
        return JsonSerializer.Deserialize<List<string>>(json) ?? [];
    }

    /// <summary>Saves a full-page screenshot as <c>{name}.png</c> in <see cref="ScreenshotDirectory"/>.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DeepSeek.Portal.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("The repository root (DeepSeek.Portal.sln) was not found above " + AppContext.BaseDirectory);
    }
}
