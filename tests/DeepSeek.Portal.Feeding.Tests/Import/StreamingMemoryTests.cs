using System.Text;
using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Streaming;

namespace DeepSeek.Portal.Feeding.Tests.Import;

[CollectionDefinition(nameof(StreamingMemoryTests), DisableParallelization = true)]
public sealed class StreamingMemoryCollection;

/// <summary>
/// The memory bound: one record (<see cref="ImportLimits.MaxRecordBytes"/>) plus 64 KB buffers, whatever the file's size.
/// Run alone so that the allocation counts are this test's own.
/// </summary>
[Collection(nameof(StreamingMemoryTests))]
public class StreamingMemoryTests
{
    private const int Chunk = 64 * 1024;
    private const long HundredMegabytes = 100L * 1024 * 1024;
    private static readonly byte[] Xs = Encoding.ASCII.GetBytes(new string('x', Chunk));

    public static TheoryData<string, string, string, string> HugeLines => new()
    {
        { "huge.jsonl", "{\"text\": \"", "\"}\n", "huge.jsonl, line 1: the line is longer than the 16 MB record limit; reading stopped there" },
        { "huge.txt", "", "\n", "huge.txt, line 1: the line is longer than the 16 MB record limit; reading stopped there" },
        { "huge.json", "[{\"text\": \"ok\"},\n{\"text\": \"", "\"}]", "huge.json, record 2 (line 2): the record is larger than the 16 MB record limit; reading stopped there" },
        { "huge.csv", "text\n\"", "\"\n", "huge.csv, line 2: the row is larger than the 16 MB record limit; reading stopped there (is a quote left open?)" },
    };

    [Theory]
    [MemberData(nameof(HugeLines))]
    public async Task A_100_MB_single_line_fails_after_reading_only_up_to_the_bound(string fileName, string head, string tail, string expected)
    {
        var stream = new GeneratedStream(Encoding.UTF8.GetBytes(head), Xs, HundredMegabytes / Chunk, Encoding.UTF8.GetBytes(tail));
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var outcome = await ImportAsync(stream, fileName, r => r with { TextSplit = TextSplit.Line });

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.Equal(expected, outcome.SingleError().ToString());
        Assert.Equal(ImportErrorKind.RecordTooLarge, outcome.SingleError().Kind);
        // Read: the 16 MB bound, plus at most a few 64 KB reads (and CsvHelper's own read-ahead) past it.
        Assert.InRange(stream.BytesServed, 16L * 1024 * 1024, 20L * 1024 * 1024);
        // Allocated: the growing record buffer (doubling to ~16 MB, so ~32 MB in all; CsvHelper's grows to about twice its
        // limit, ~70 MB in all), never the 100 MB line.
        Assert.True(allocated < 80L * 1024 * 1024, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public async Task A_50_MB_json_array_streams_every_record_through_a_buffer_that_stays_at_64_KB()
    {
        var element = Encoding.UTF8.GetBytes("{\"title\": \"标题\", \"paragraphs\": [\"第一段文字。\", \"Second paragraph.\"]},\n");
        var repeats = 50L * 1024 * 1024 / element.Length;
        var stream = new GeneratedStream("[\n"u8.ToArray(), element, repeats, "{\"title\": \"end\", \"paragraphs\": []}\n]"u8.ToArray());
        long records = 0, characters = 0;
        var session = new StreamingSession("big.json", new ImportLimits(), new FieldMapping { Template = "{title}\n{paragraphs}" }, (r, _) =>
        {
            records++;
            characters += r.Text.Length;
            return ValueTask.CompletedTask;
        }, CancellationToken.None);
        var source = new JsonArraySource(stream, session, recordsPath: null);

        await source.ReadAsync(CancellationToken.None);

        Assert.Empty(session.Finish(null));
        Assert.Equal(repeats + 1, records);
        Assert.Equal(64 * 1024, source.BufferBytes);
    }

    [Fact]
    public async Task A_50_MB_jsonl_upload_streams_through_the_public_api_with_progress_to_the_last_byte()
    {
        var line = Encoding.UTF8.GetBytes("{\"instruction\": \"翻译\", \"input\": \"你好\", \"output\": \"Hello\"}\n");
        var repeats = 50L * 1024 * 1024 / line.Length;
        var stream = new GeneratedStream([], line, repeats, []);
        long records = 0;
        long lastProgress = 0;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var summary = await StreamingImporter.ReadAsync(stream, new ImportRequest { FileName = "big.jsonl" }, (r, _) =>
        {
            records++;
            return ValueTask.CompletedTask;
        }, new Progress(v => lastProgress = v), CancellationToken.None);

        Assert.True(summary.Succeeded, Errors(summary));
        Assert.Equal((repeats, repeats * line.Length), (records, summary.SourceBytes));
        Assert.Equal(repeats * line.Length, lastProgress);
        Assert.Equal(RecordShape.Alpaca, summary.Shape);
        // Per-record garbage, not the file: well under the bytes read times the few copies each record needs.
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.True(allocated < 20 * repeats * line.Length, $"allocated {allocated:N0} bytes");
    }

    private sealed class Progress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
