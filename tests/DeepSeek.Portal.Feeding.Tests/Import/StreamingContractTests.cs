using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Streaming;

namespace DeepSeek.Portal.Feeding.Tests.Import;

/// <summary>What callers rely on besides the records: cancellation, their own exceptions, argument checks.</summary>
public class StreamingContractTests
{
    private static readonly byte[] ThreeRecords = Utf8("{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": \"c\"}\n");

    [Fact]
    public async Task Cancelling_mid_import_throws_operation_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var seen = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => StreamingImporter.ReadAsync(new TrickleStream(ThreeRecords, 5),
            new ImportRequest { FileName = "data.jsonl" }, (_, ct) =>
            {
                if (++seen == 2)
                {
                    cts.Cancel();
                }

                ct.ThrowIfCancellationRequested();
                return ValueTask.CompletedTask;
            }, null, cts.Token));
        Assert.Equal(2, seen);
    }

    [Theory]
    [InlineData("data.jsonl")]
    [InlineData("data.parquet")]
    [InlineData("data.csv")]
    public async Task An_exception_from_the_sink_is_the_callers_and_propagates(string fileName)
    {
        var bytes = fileName.EndsWith(".parquet", StringComparison.Ordinal) ? await ParquetFiles.TextAsync(["a", "b"])
            : fileName.EndsWith(".csv", StringComparison.Ordinal) ? Utf8("text\na\nb\n") : ThreeRecords;

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => StreamingImporter.ReadAsync(new MemoryStream(bytes),
            new ImportRequest { FileName = fileName }, (_, _) => throw new InvalidOperationException("database is down"), null, CancellationToken.None));

        Assert.Equal("database is down", thrown.Message);
    }

    [Fact]
    public async Task Nonsensical_limits_are_a_programming_error()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => StreamingImporter.ReadAsync(new MemoryStream(ThreeRecords),
            new ImportRequest { FileName = "d.jsonl", Limits = new ImportLimits { MaxRecordBytes = 0 } }, (_, _) => ValueTask.CompletedTask, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_seekable_stream_over_the_size_limit_is_refused_without_reading_it()
    {
        var summary = await StreamingImporter.ReadAsync(new HugeUnreadableStream(5L * 1024 * 1024 * 1024), new ImportRequest { FileName = "big.jsonl" },
            (_, _) => ValueTask.CompletedTask, null, CancellationToken.None);

        Assert.Equal("big.jsonl: file is larger than the 4 GB limit", Assert.Single(summary.Errors).ToString());
        Assert.Equal(5L * 1024 * 1024 * 1024, summary.SourceBytes);
    }
}
