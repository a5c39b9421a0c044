using System.Text;
using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Importing;

namespace DeepSeek.Portal.Feeding.Tests.Import;

public class ImportLimitsTests
{
    [Fact]
    public async Task Import_rejects_file_over_size_limit_with_single_error_and_stops_reading()
    {
        // Line errors before the limit are not reported: the size is the problem to fix first.
        var content = Utf8(string.Concat(Enumerable.Repeat("{\"text\": 1}\n", 100)));
        var stream = new TrickleStream(content, bytesPerRead: 16);

        var result = await DatasetImporter.ParseAsync(stream, "big.jsonl", new ImportLimits { MaxBytes = 100 }, CancellationToken.None);

        var error = SingleError(result);
        Assert.Equal(ImportErrorKind.FileTooLarge, error.Kind);
        Assert.Equal("big.jsonl: file is larger than the 100 bytes limit", error.ToString());
        Assert.Equal(101, result.Bytes);
        Assert.Equal(101, stream.BytesServed);
    }

    [Fact]
    public async Task Import_refuses_an_oversized_seekable_stream_without_reading_it()
    {
        // The default limit is 4 GB now that imports stream; the portal passes its configured upload limit, as here.
        var result = await DatasetImporter.ParseAsync(new HugeUnreadableStream(21L * 1024 * 1024), "big.txt", new ImportLimits { MaxBytes = 20 * 1024 * 1024 }, CancellationToken.None);

        var error = SingleError(result);
        Assert.Equal("big.txt: file is larger than the 20 MB limit", error.ToString());
        Assert.Equal(21L * 1024 * 1024, result.Bytes);
    }

    [Fact]
    public async Task Import_accepts_a_file_exactly_at_the_size_limit()
    {
        var content = Utf8("{\"text\": \"恰好\"}\n");

        var result = await DatasetImporter.ParseAsync(new TrickleStream(content, 3), "data.jsonl", new ImportLimits { MaxBytes = content.Length }, CancellationToken.None);

        Assert.True(result.Succeeded);
    }

    [Theory]
    [InlineData(20L * 1024 * 1024, "20 MB")]
    [InlineData(1536, "1.5 KB")]
    [InlineData(100, "100 bytes")]
    [InlineData(1, "1 byte")]
    [InlineData(5L * 1024 * 1024 * 1024, "5 GB")]
    public void Size_limits_are_stated_the_way_people_read_file_sizes(long bytes, string expected) =>
        Assert.Equal(expected, TextRules.FormatSize(bytes));

    [Fact]
    public async Task Import_stops_at_max_records()
    {
        var content = string.Join("\n", Enumerable.Range(1, 5).Select(i => $"{{\"text\": \"r{i}\"}}"));

        var error = SingleError(await ImportAsync(content, limits: new ImportLimits { MaxRecords = 3 }));

        Assert.Equal(ImportErrorKind.TooManyRecords, error.Kind);
        Assert.Equal("data.jsonl, line 4: the file has more than 3 records, the limit", error.ToString());
    }

    [Fact]
    public async Task Import_accepts_exactly_max_records()
    {
        var result = await ImportAsync("one\n\ntwo\n\nthree", "corpus.txt", new ImportLimits { MaxRecords = 3 });

        Assert.Equal(3, result.Records.Count);
    }

    [Theory]
    [InlineData("data.jsonl", "")]
    [InlineData("data.jsonl", "\n  \n\r\n")]
    [InlineData("data.jsonl", "\uFEFF")]
    [InlineData("data.txt", "")]
    [InlineData("data.txt", "\n \t\n\u3000\n")]
    public async Task Import_reports_a_file_without_records(string fileName, string content)
    {
        var error = SingleError(await ImportAsync(content, fileName));

        Assert.Equal(ImportErrorKind.NoRecords, error.Kind);
        Assert.Equal($"{fileName}: the file contains no records", error.ToString());
    }

    [Fact]
    public async Task Import_caps_errors_at_twenty()
    {
        var content = string.Join("\n", Enumerable.Range(1, 30).Select(_ => "not json"));

        var result = await ImportAsync(content);

        Assert.Equal(21, result.Errors.Count);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), result.Errors.Take(20).Select(e => e.Line!.Value));
        var last = result.Errors[^1];
        Assert.Equal(ImportErrorKind.TooManyErrors, last.Kind);
        Assert.Equal("data.jsonl: … further errors not shown", last.ToString());
    }

    [Fact]
    public async Task Import_reports_exactly_twenty_errors_without_the_cap_notice()
    {
        var content = string.Join("\n", Enumerable.Range(1, 20).Select(_ => "{\"text\": null}").Append("{\"text\": \"ok\"}"));

        var result = await ImportAsync(content);

        Assert.Equal(20, result.Errors.Count);
        Assert.DoesNotContain(result.Errors, e => e.Kind == ImportErrorKind.TooManyErrors);
    }

    [Fact]
    public async Task Import_honours_a_lower_error_cap()
    {
        var result = await ImportAsync("x\ny\nz\n", limits: new ImportLimits { MaxErrors = 2 });

        Assert.Equal([ImportErrorKind.MalformedJson, ImportErrorKind.MalformedJson, ImportErrorKind.TooManyErrors], result.Errors.Select(e => e.Kind));
    }

    [Fact]
    public async Task Import_throws_when_cancelled()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            DatasetImporter.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes("{\"text\": \"a\"}")), "data.jsonl", new ImportLimits(), cts.Token));
    }

    [Fact]
    public async Task Import_rejects_nonsensical_limits()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            DatasetImporter.ParseAsync(new MemoryStream(), "data.jsonl", new ImportLimits { MaxBytes = 0 }, CancellationToken.None));
    }
}
