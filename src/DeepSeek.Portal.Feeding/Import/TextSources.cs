using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>Plain text: a record per non-blank line, or per run of non-blank lines (a paragraph).</summary>
internal static class PlainTextSource
{
    public static async Task ReadAsync(Stream utf8, StreamingSession session, TextSplit split, CancellationToken ct)
    {
        var reader = new BoundedLineReader(utf8, session.Limits.MaxRecordBytes);
        var paragraph = new StringBuilder();
        long start = 0, bytes = 0;
        var invalid = false;
        while (!session.Stopped && await reader.MoveNextAsync(ct).ConfigureAwait(false))
        {
            ct.ThrowIfCancellationRequested();
            var text = Encoding.UTF8.GetString(reader.Current.Span);
            if (string.IsNullOrWhiteSpace(text))
            {
                await FlushAsync().ConfigureAwait(false);
                continue;
            }

            var control = TextRules.IndexOfForbiddenControl(text);
            if (control >= 0)
            {
                session.Error(ImportErrorKind.ControlCharacter, reader.LineNumber, null, null,
                    $"contains the control character {TextRules.DescribeControl(text[control])} at column {control + 1}");
                invalid = true;
            }

            if (split == TextSplit.Line)
            {
                if (!invalid)
                {
                    await session.AcceptTextAsync(reader.LineNumber, text.TrimEnd()).ConfigureAwait(false);
                }

                invalid = false;
                continue;
            }

            if (start == 0)
            {
                start = reader.LineNumber;
            }

            bytes += reader.Current.Length + 1;
            if (bytes > session.Limits.MaxRecordBytes)
            {
                session.Fatal(ImportErrorKind.RecordTooLarge, start, null, null,
                    $"the paragraph is larger than the {TextRules.FormatSize(session.Limits.MaxRecordBytes)} record limit; reading stopped there (separate paragraphs with a blank line, or import a record per line)");
                return;
            }

            if (paragraph.Length > 0)
            {
                paragraph.Append('\n');
            }

            paragraph.Append(text.TrimEnd());
        }

        if (reader.TooLong)
        {
            session.Fatal(ImportErrorKind.RecordTooLarge, reader.LineNumber, null, null,
                $"the line is longer than the {TextRules.FormatSize(session.Limits.MaxRecordBytes)} record limit; reading stopped there");
            return;
        }

        await FlushAsync().ConfigureAwait(false);

        async ValueTask FlushAsync()
        {
            if (start != 0 && !invalid)
            {
                await session.AcceptTextAsync(start, paragraph.ToString()).ConfigureAwait(false);
            }

            paragraph.Clear();
            (start, bytes, invalid) = (0, 0, false);
        }
    }
}

/// <summary>
/// CSV and TSV with a header row, read with CsvHelper one row at a time. Each row becomes a JSON object of its columns
/// (header → string), so shapes and mappings work exactly as for JSON records; a header that names a known field in
/// another case or with spaces (<c>Text</c>, <c> Instruction </c>) is read as that field.
/// </summary>
internal static class DelimitedSource
{
    private static readonly string[] KnownFields =
        ["text", "content", "instruction", "input", "output", "prompt", "completion", "response", "question", "answer"];

    public static async Task ReadAsync(Stream utf8, StreamingSession session, bool tabs, CancellationToken ct)
    {
        var malformed = new Queue<CsvMalformedRecord>();
        var options = CsvReaderOptions.Default with
        {
            Separator = tabs ? '\t' : ',',
            HasHeader = false, // read here, to name empty and repeated column names
            // TSV exports rarely quote: a quote is just a character there. CSV follows RFC 4180.
            Mode = tabs ? CsvMode.NoEscape : CsvMode.Rfc4180,
            SkipEmptyLines = true,
            TrackLineNumbers = true,
            MaxRecordSize = session.Limits.MaxRecordBytes,
            MalformedData = CsvMalformedDataHandling.Skip,
            FieldCountMismatch = CsvFieldCountHandling.Allow, // checked here against the header, with its names
            OnMalformedRecord = malformed.Enqueue,
            DetectSeparatorHint = false,
        };

        var kind = tabs ? "TSV" : "CSV";
        await using var reader = CsvReader.Create(utf8, options, leaveOpen: true);
        string[]? header = null;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        while (!session.Stopped)
        {
            ct.ThrowIfCancellationRequested();
            bool more;
            try
            {
                more = await reader.ReadAsync(ct).ConfigureAwait(false);
            }
            catch (CsvFormatException e)
            {
                var line = e.LineNumber > 0 ? e.LineNumber : (long?)null;
                if (e.Message.Contains("large", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("size", StringComparison.OrdinalIgnoreCase))
                {
                    session.Fatal(ImportErrorKind.RecordTooLarge, line, null, null,
                        $"the row is larger than the {TextRules.FormatSize(session.Limits.MaxRecordBytes)} record limit; reading stopped there (is a quote left open?)");
                }
                else
                {
                    session.Fatal(ImportErrorKind.MalformedCsv, line, null, null, $"unreadable {kind}: {e.Message.Split('\n')[0]}");
                }

                return;
            }

            while (malformed.TryDequeue(out var bad))
            {
                if (bad.Reason == CsvMalformedReason.UnterminatedQuote)
                {
                    session.Fatal(ImportErrorKind.TruncatedRecord, bad.LineNumber, null, null,
                        "a quoted field is never closed: the file ends inside it (expected a closing \")");
                    return;
                }

                session.Error(ImportErrorKind.MalformedCsv, bad.LineNumber, null, null, bad.Reason switch
                {
                    CsvMalformedReason.StrayQuote => "a quote inside an unquoted field; expected a field quoted throughout (\"…\", inner quotes doubled) or without quotes",
                    CsvMalformedReason.TextAfterClosingQuote => "text after the closing quote of a field; expected a separator or the end of the row (double inner quotes: \"\")",
                    _ => $"malformed {kind} row ({bad.Reason})",
                });
            }

            if (!more || session.Stopped)
            {
                break;
            }

            var at = reader.LineNumber;
            var count = reader.FieldCount;
            if (header is null)
            {
                if (!ReadHeader(reader, at, session, out header))
                {
                    return;
                }

                continue;
            }

            if (count != header.Length)
            {
                session.Error(ImportErrorKind.WrongColumnCount, at, null, null,
                    $"expected {header.Length} columns ({Shorten(string.Join(", ", header))}) as in the header row but found {count}");
                continue;
            }

            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer, StreamingSession.WriterOptions))
            {
                writer.WriteStartObject();
                for (var i = 0; i < header.Length; i++)
                {
                    writer.WriteString(header[i], reader.GetString(i));
                }

                writer.WriteEndObject();
            }

            using var document = JsonDocument.Parse(buffer.WrittenMemory);
            await session.AcceptJsonAsync(document.RootElement, at, at, null).ConfigureAwait(false);
        }
    }

    private static bool ReadHeader(CsvReader reader, long line, StreamingSession session, out string[] header)
    {
        header = new string[reader.FieldCount];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < header.Length; i++)
        {
            var name = reader.GetString(i).Trim();
            var known = KnownFields.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
            header[i] = known ?? name;
            if (name.Length == 0)
            {
                session.Fatal(ImportErrorKind.MissingField, line, null, null, $"the header row has no name for column {i + 1}; expected a name in every header cell");
                return false;
            }

            if (!seen.Add(header[i]))
            {
                session.Fatal(ImportErrorKind.DuplicateKey, line, null, header[i], $"the header row names the column \"{header[i]}\" twice");
                return false;
            }
        }

        return true;
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "…";
}
