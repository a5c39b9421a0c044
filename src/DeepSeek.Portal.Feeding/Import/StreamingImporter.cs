using System.Text;
using System.Text.Json;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Imports training records from JSONL, JSON arrays, CSV/TSV, plain text and Parquet as a stream: records go to a sink
/// in file order and are never collected. Memory is bounded by the largest record
/// (<see cref="ImportLimits.MaxRecordBytes"/>, 16 MB by default) plus 64 KB buffers, or for Parquet by one row group
/// (<see cref="ImportLimits.MaxRowGroupBytes"/>), whatever the size of the file. Malformed input never throws: it
/// becomes <see cref="ImportError"/>s naming the file, line or record, field and what was expected.
/// </summary>
public static class StreamingImporter
{
    /// <summary>
    /// Reads <paramref name="content"/> and passes each record to <paramref name="sink"/> in file order. Records are
    /// passed before the whole file is checked: when the summary has errors the caller discards what the sink received
    /// (imports are all-or-nothing). Reading stops early at the error cap and at fatal errors (a record over the memory
    /// bound, an unreadable file).
    /// </summary>
    /// <param name="content">The file's bytes, read once, forward only, not disposed. A non-seekable Parquet upload is spooled to a temporary file.</param>
    /// <param name="request">The file name, format, encoding, text split, mapping and limits.</param>
    /// <param name="sink">Receives each record; an exception it throws ends the import and propagates.</param>
    /// <param name="sourceBytesRead">Told the total bytes of the file consumed so far, for percent, rate and ETA.</param>
    /// <param name="ct">Cancels the import with an <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="IOException">Reading <paramref name="content"/> failed (not thrown for malformed content).</exception>
    public static async Task<ImportSummary> ReadAsync(Stream content, ImportRequest request, Func<ImportedRecord, CancellationToken, ValueTask> sink,
        IProgress<long>? sourceBytesRead, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sink);
        request.Limits.Validate();
        ct.ThrowIfCancellationRequested();

        await using var source = await SourceFile.OpenAsync(content, request, sourceBytesRead, ct).ConfigureAwait(false);
        if (source.Error is not null)
        {
            return new ImportSummary(0, 0, source.BytesRead, [source.Error], source.Format, source.Encoding, RecordShape.Text);
        }

        var session = new StreamingSession(request.FileName, request.Limits, request.Mapping, sink, ct);
        await source.ReadAsync(session, request, sourceBytesRead, ct).ConfigureAwait(false);
        if (source.TooLarge)
        {
            return new ImportSummary(0, 0, source.BytesRead, [source.TooLargeError()], source.Format, source.Encoding, RecordShape.Text);
        }

        var errors = session.Finish(source.Fault);
        return new ImportSummary(session.Records, session.Characters, source.BytesRead, errors, source.Format, source.Encoding,
            request.Mapping is not null ? RecordShape.Mapped : session.Shape ?? RecordShape.Text);
    }

    /// <summary>
    /// Looks at the start of a file for the field-mapping step: format, encoding, the first record's shape, the field
    /// paths of the first <paramref name="sampleRecords"/> records with their types and an example, those records as
    /// JSON, and — with <see cref="ImportRequest.Mapping"/> — those records mapped, or the errors of the mapping.
    /// Reads only as far as the sample needs.
    /// </summary>
    /// <param name="content">The file's bytes, read forward only, not disposed.</param>
    /// <param name="request">As for <see cref="ReadAsync"/>; the mapping is optional.</param>
    /// <param name="sampleRecords">How many records to sample (1–1000).</param>
    /// <param name="ct">Cancels the inspection.</param>
    public static async Task<SourceInspection> InspectAsync(Stream content, ImportRequest request, int sampleRecords, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRecords, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sampleRecords, 1000);
        request.Limits.Validate();

        await using var source = await SourceFile.OpenAsync(content, request, null, ct).ConfigureAwait(false);
        if (source.Error is not null)
        {
            return new SourceInspection(source.Format, source.Encoding, null, [], [], [], [source.Error]);
        }

        var fields = new FieldCollector();
        var raw = new List<string>();
        var records = new List<ImportedRecord>();
        var session = new StreamingSession(request.FileName, request.Limits, request.Mapping, (r, _) =>
        {
            records.Add(r);
            return ValueTask.CompletedTask;
        }, ct)
        {
            SampleLimit = sampleRecords,
            ContinueWithoutShape = true,
            Observer = element =>
            {
                raw.Add(element.GetRawText());
                fields.Collect(element, "");
            },
        };
        await source.ReadAsync(session, request, null, ct).ConfigureAwait(false);
        var errors = source.TooLarge ? [source.TooLargeError()] : session.Finish(source.Fault);
        RecordShape? shape = request.Mapping is not null ? RecordShape.Mapped : session.Errors.Any(e => e.Kind == ImportErrorKind.NeedsMapping) && session.Records == 0 ? null : session.Shape;
        return new SourceInspection(source.Format, source.Encoding, shape, fields.Fields, raw, records,
            errors.Where(e => e.Kind != ImportErrorKind.NoRecords || raw.Count == 0).ToList());
    }

    /// <summary>The format a file name implies, or <see langword="null"/> (<c>.json</c> is decided by content: array, object or JSON Lines).</summary>
    public static SourceFormat? FormatFromExtension(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".jsonl" or ".ndjson" => SourceFormat.Jsonl,
        ".csv" => SourceFormat.Csv,
        ".tsv" or ".tab" => SourceFormat.Tsv,
        ".txt" or ".text" or ".md" => SourceFormat.Text,
        ".parquet" or ".pq" => SourceFormat.Parquet,
        _ => null,
    };
}

/// <summary>The opened file: detected format and encoding, and the decoding chain in front of the format reader.</summary>
internal sealed class SourceFile : IAsyncDisposable
{
    private CountingStream? _counting;
    private Utf8Validator? _validator;
    private Stream? _parquet;
    private FileStream? _spool;
    private string _fileName = "";
    private long _maxBytes;
    private long _bytes;

    public SourceFormat Format { get; private set; }
    public string Encoding { get; private set; } = SourceEncodings.Utf8;
    public ImportError? Error { get; private set; }
    public EncodingFault? Fault => _validator?.Fault;
    public bool TooLarge => _counting?.LimitExceeded == true;
    public long BytesRead => _counting?.BytesRead ?? _bytes;

    public ImportError TooLargeError() =>
        new(_fileName, null, null, $"file is larger than the {TextRules.FormatSize(_maxBytes)} limit") { Kind = ImportErrorKind.FileTooLarge };

    public static async Task<SourceFile> OpenAsync(Stream content, ImportRequest request, IProgress<long>? progress, CancellationToken ct)
    {
        var file = new SourceFile { _fileName = request.FileName, _maxBytes = request.Limits.MaxBytes };
        var limits = request.Limits;
        var extension = StreamingImporter.FormatFromExtension(request.FileName);
        file.Format = request.Format ?? extension ?? SourceFormat.JsonArray;
        if (request.Mapping?.Validate() is { } problem)
        {
            file.Error = new ImportError(request.FileName, null, "mapping", $"the field mapping is unusable: {problem}") { Kind = ImportErrorKind.InvalidMapping };
            return file;
        }

        // A seekable stream (a file, a spooled upload) says its size up front: no need to read it to refuse it.
        long start = 0;
        if (content.CanSeek)
        {
            start = content.Position;
            if (content.Length - start > limits.MaxBytes)
            {
                file._bytes = content.Length - start;
                file.Error = file.TooLargeError();
                return file;
            }
        }

        var counting = file._counting = new CountingStream(content, limits.MaxBytes, progress);
        var prefix = new byte[SourceEncodings.PrefixBytes];
        var count = 0;
        int read;
        while (count < prefix.Length && (read = await counting.ReadAsync(prefix.AsMemory(count), ct).ConfigureAwait(false)) > 0)
        {
            count += read;
        }

        var complete = count < prefix.Length;
        var head = prefix.AsSpan(0, count);
        if (request.Format is null && extension is null && head.StartsWith("PAR1"u8))
        {
            file.Format = SourceFormat.Parquet;
        }

        if (file.Format == SourceFormat.Parquet)
        {
            file.Encoding = "binary";
            if (!head.StartsWith("PAR1"u8))
            {
                file.Error = new ImportError(request.FileName, null, null,
                    count == 0 ? "the file is empty; expected a Parquet file" : "not a Parquet file: it does not start with the Parquet signature PAR1")
                { Kind = count == 0 ? ImportErrorKind.NoRecords : ImportErrorKind.UnreadableFile };
                return file;
            }

            await file.OpenParquetAsync(content, start, prefix.AsMemory(0, count), ct).ConfigureAwait(false);
            return file;
        }

        var (bomEncoding, bomLength, utf32) = SourceEncodings.ByteOrderMark(head);
        if (utf32)
        {
            file.Error = new ImportError(request.FileName, null, null, "the file is UTF-32 (it starts with a UTF-32 byte-order mark); save it as UTF-8 or UTF-16")
            { Kind = ImportErrorKind.UnsupportedEncoding };
            return file;
        }

        var detected = false;
        if (request.Encoding is { } chosen)
        {
            var canonical = SourceEncodings.Canonical(chosen);
            if (canonical is null)
            {
                file.Error = new ImportError(request.FileName, null, "encoding", $"unknown encoding \"{chosen}\"; expected utf-8, utf-16le, utf-16be or gb18030 (gbk)")
                { Kind = ImportErrorKind.UnsupportedEncoding };
                return file;
            }

            if (bomEncoding is not null && bomEncoding != canonical)
            {
                file.Error = new ImportError(request.FileName, null, "encoding",
                    $"the file starts with a {bomEncoding.ToUpperInvariant()} byte-order mark but {canonical} was chosen; choose {bomEncoding} or let the importer detect it")
                { Kind = ImportErrorKind.UnsupportedEncoding };
                return file;
            }

            file.Encoding = canonical;
        }
        else
        {
            file.Encoding = bomEncoding ?? SourceEncodings.Detect(head, complete);
            detected = bomEncoding is null;
        }

        var body = prefix.AsMemory(bomLength, count - bomLength);
        if (request.Format is null && (extension is null || Path.GetExtension(request.FileName).Equals(".json", StringComparison.OrdinalIgnoreCase)))
        {
            file.Format = Sniff(Decode(body.Span, file.Encoding), extension is null && !Path.GetExtension(request.FileName).Equals(".json", StringComparison.OrdinalIgnoreCase));
        }

        Stream rest = new PrefixedStream(body.ToArray(), counting);
        Stream decoded = file.Encoding switch
        {
            SourceEncodings.Utf16Le => new Utf16ToUtf8Stream(rest, bigEndian: false, [], long.MaxValue),
            SourceEncodings.Utf16Be => new Utf16ToUtf8Stream(rest, bigEndian: true, [], long.MaxValue),
            SourceEncodings.Gb18030 => new Gb18030ToUtf8Stream(rest),
            _ => rest,
        };
        file._validator = new Utf8Validator(decoded, file.Encoding, detected);
        return file;
    }

    private async Task OpenParquetAsync(Stream content, long start, ReadOnlyMemory<byte> prefix, CancellationToken ct)
    {
        if (content.CanSeek)
        {
            content.Position = start;
            _parquet = content;
            _bytes = content.Length - start;
            return;
        }

        // Parquet keeps its index at the end of the file, so a network upload is spooled to disk first (not to memory).
        var path = Path.Combine(Path.GetTempPath(), $"import-{Guid.NewGuid():N}.parquet");
        _spool = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        await _spool.WriteAsync(prefix, ct).ConfigureAwait(false);
        await _counting!.CopyToAsync(_spool, 64 * 1024, ct).ConfigureAwait(false);
        await _spool.FlushAsync(ct).ConfigureAwait(false);
        _spool.Position = 0;
        _parquet = _spool;
    }

    public async Task ReadAsync(StreamingSession session, ImportRequest request, IProgress<long>? progress, CancellationToken ct)
    {
        if (_parquet is not null)
        {
            if (!TooLarge)
            {
                await ParquetSource.ReadAsync(_parquet, session, _spool is null ? progress : null, ct).ConfigureAwait(false);
            }

            return;
        }

        var utf8 = _validator!;
        switch (Format)
        {
            case SourceFormat.Jsonl:
                await JsonLinesSource.ReadAsync(utf8, session, ct).ConfigureAwait(false);
                break;
            case SourceFormat.JsonArray:
                await new JsonArraySource(utf8, session, request.Mapping?.RecordsPath).ReadAsync(ct).ConfigureAwait(false);
                break;
            case SourceFormat.Csv or SourceFormat.Tsv:
                await DelimitedSource.ReadAsync(utf8, session, Format == SourceFormat.Tsv, ct).ConfigureAwait(false);
                break;
            default:
                await PlainTextSource.ReadAsync(utf8, session, request.TextSplit, ct).ConfigureAwait(false);
                break;
        }
    }

    private static string Decode(ReadOnlySpan<byte> bytes, string encoding) => encoding switch
    {
        SourceEncodings.Utf16Le => System.Text.Encoding.Unicode.GetString(bytes[..(bytes.Length & ~1)]),
        SourceEncodings.Utf16Be => System.Text.Encoding.BigEndianUnicode.GetString(bytes[..(bytes.Length & ~1)]),
        SourceEncodings.Gb18030 => SourceEncodings.Gb18030Marking.GetString(bytes),
        _ => System.Text.Encoding.UTF8.GetString(bytes),
    };

    /// <summary>Decides the format from the start of the text: JSON array or object, JSON Lines, CSV/TSV by their first lines, else plain text.</summary>
    private static SourceFormat Sniff(string head, bool mayBeDelimited)
    {
        var text = head.TrimStart();
        if (text.StartsWith('['))
        {
            return SourceFormat.JsonArray;
        }

        var lines = text.Split('\n', 3);
        if (text.StartsWith('{'))
        {
            try
            {
                using var first = JsonDocument.Parse(lines[0]);
                var next = lines.Length > 1 ? lines[1].TrimStart() : "";
                if (next.StartsWith('{') || (first.RootElement.ValueKind == JsonValueKind.Object && RecordShapes.TryExtract(first.RootElement, out _, out _)))
                {
                    return SourceFormat.Jsonl;
                }

                // One object on one line that holds an array: a minified {"data": [...]}.
                return first.RootElement.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.Array) ? SourceFormat.JsonArray : SourceFormat.Jsonl;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                return SourceFormat.JsonArray; // a pretty-printed object spans lines
            }
        }

        if (!mayBeDelimited)
        {
            return SourceFormat.JsonArray;
        }

        if (lines.Length > 1 && lines[0].Contains('\t') && lines[0].Count(c => c == '\t') == lines[1].Count(c => c == '\t'))
        {
            return SourceFormat.Tsv;
        }

        return lines.Length > 1 && lines[0].Contains(',') && lines[0].Count(c => c == ',') == lines[1].Count(c => c == ',')
            ? SourceFormat.Csv
            : SourceFormat.Text;
    }

    public async ValueTask DisposeAsync()
    {
        if (_spool is not null)
        {
            await _spool.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Collects field paths, types and examples for the inspection.</summary>
internal sealed class FieldCollector
{
    private const int MaxFields = 200;
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public List<SourceField> Fields { get; } = [];

    public void Collect(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (path.Length > 0 && !element.EnumerateObject().Any())
                {
                    Add(path, "object", "{}");
                }

                foreach (var property in element.EnumerateObject())
                {
                    Collect(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}");
                }

                break;
            case JsonValueKind.Array:
                var items = element.EnumerateArray().ToList();
                var kinds = items.Select(i => TypeName(i.ValueKind)).Where(k => k != "null").Distinct().ToList();
                if (items.Count > 0 && items[0].ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                {
                    Add(path, $"list<{TypeName(items[0].ValueKind)}>", Shorten(element.GetRawText()));
                    Collect(items[0], $"{path}[0]");
                }
                else
                {
                    Add(path, $"list<{(kinds.Count == 1 ? kinds[0] : kinds.Count == 0 ? "empty" : "mixed")}>",
                        items.Count == 0 ? "[]" : Shorten(Example(items[0])));
                }

                break;
            default:
                if (path.Length > 0)
                {
                    Add(path, TypeName(element.ValueKind), Shorten(Example(element)));
                }

                break;
        }
    }

    private void Add(string path, string type, string example)
    {
        if (_index.TryGetValue(path, out var at))
        {
            if (Fields[at].Type == "null" && type != "null")
            {
                Fields[at] = new SourceField(path, type, example);
            }

            return;
        }

        if (Fields.Count < MaxFields)
        {
            _index[path] = Fields.Count;
            Fields.Add(new SourceField(path, type, example));
        }
    }

    private static string Example(JsonElement element) =>
        element.ValueKind == JsonValueKind.String && JsonText.TryGetString(element, out var s) ? s : element.GetRawText();

    private static string TypeName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "list",
        _ => "null",
    };

    private static string Shorten(string s) => s.Length <= 200 ? s : s[..199] + "…";
}
