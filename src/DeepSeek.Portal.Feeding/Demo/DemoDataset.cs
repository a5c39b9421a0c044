using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace DeepSeek.Portal.Feeding.Demo;

/// <summary>
/// The demo workspace's dataset: short customer-support dialogues of a fictional bank, about 60 %
/// Simplified Chinese and 40 % English, generated from templates whose facts (rates, limits, opening
/// hours) are consistent, so that a tiny model trained on it learns real structure within minutes.
/// </summary>
public static class DemoDataset
{
    /// <summary>The dataset's identifier in the demo workspace.</summary>
    public const string Name = "demo-bank-support";

    /// <summary>The name shown to users.</summary>
    public const string DisplayName = "Demo: bilingual banking support";

    /// <summary>The share of Chinese records; the rest are English.</summary>
    public const double ChineseShare = 0.6;

    /// <summary>The most records <see cref="Generate"/> will produce; the templates run short of distinct texts well above it.</summary>
    public const int MaxCount = 50_000;

    /// <summary>Generates the dataset. The same seed and count always give the same texts, on any machine and .NET version.</summary>
    /// <param name="seed">Any integer; different seeds give different texts.</param>
    /// <param name="count">How many records, 0 to <see cref="MaxCount"/>.</param>
    /// <returns>
    /// Distinct texts, each one dialogue of 40–250 characters ("客户：…\n客服：…" or "Customer: …\nAgent: …");
    /// exactly <c>round(count × 0.6)</c> of them Chinese, in shuffled order.
    /// </returns>
    public static IReadOnlyList<string> Generate(int seed = 7, int count = 3000)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);

        var random = new SplitMix64(unchecked((ulong)seed));
        var chinese = (int)Math.Round(count * ChineseShare, MidpointRounding.AwayFromZero);
        var languages = new bool[count];
        Array.Fill(languages, true, 0, chinese);
        random.Shuffle(languages);

        // Exact duplicates would leak between a training split and its held-out split, and would teach
        // nothing; a collision just draws again (other slots or another template).
        var seen = new HashSet<string>(count, StringComparer.Ordinal);
        var texts = new List<string>(count);
        foreach (var isChinese in languages)
        {
            var templates = isChinese ? ChineseTemplates.All : EnglishTemplates.All;
            for (var attempt = 0; ; attempt++)
            {
                if (attempt == 1000)
                {
                    throw new InvalidOperationException($"The demo templates cannot produce {count} distinct texts.");
                }

                var text = random.Pick(templates)(random);
                if (seen.Add(text))
                {
                    texts.Add(text);
                    break;
                }
            }
        }

        return texts;
    }

    /// <summary>
    /// Writes the generated dataset as JSONL, one <c>{"text": …}</c> object per line, UTF-8 without a
    /// byte-order mark, Chinese characters unescaped. The file appears whole or not at all: it is written
    /// beside the target and renamed over it.
    /// </summary>
    /// <param name="path">The file to create or replace; its directory is created if missing.</param>
    /// <param name="seed">Passed to <see cref="Generate"/>.</param>
    /// <param name="count">Passed to <see cref="Generate"/>.</param>
    /// <param name="ct">Cancels the write; the target is then left as it was.</param>
    public static async Task WriteJsonlAsync(string path, int seed = 7, int count = 3000, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var texts = Generate(seed, count);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);

        // Same directory, so the rename stays on one file system and is atomic.
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                // UnicodeRanges.All keeps CJK readable in the file; HTML-sensitive characters are still escaped.
                var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };
                var buffer = new MemoryStream();
                foreach (var text in texts)
                {
                    ct.ThrowIfCancellationRequested();
                    buffer.SetLength(0);
                    using (var writer = new Utf8JsonWriter(buffer, options))
                    {
                        writer.WriteStartObject();
                        writer.WriteString("text", text);
                        writer.WriteEndObject();
                    }

                    buffer.WriteByte((byte)'\n');
                    await file.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ct).ConfigureAwait(false);
                }

                // Durable before visible: a crash after the rename must not leave a truncated file behind it.
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>A short bilingual description of the dataset for the demo workspace.</summary>
    public static string Describe() =>
        "Short customer-support dialogues of a fictional bank, about 60% Simplified Chinese and 40% English: "
        + "balance enquiries, transfers, lost cards, loan and deposit rates, exchange rates, opening hours and complaints.\n"
        + "虚构银行的中英双语客服对话（约60%简体中文、40%英文），涵盖余额查询、转账、挂失、贷款与存款利率、汇率、营业时间和投诉。";
}
