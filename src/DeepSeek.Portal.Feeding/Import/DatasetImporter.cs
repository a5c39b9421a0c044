namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Reads and validates training-text uploads. The importer never stores anything: it returns either all
/// records or the errors that make the file unacceptable, each naming the line and field at fault.
/// </summary>
/// <remarks>
/// The upload endpoint's importer: JSONL and text only, the whole file in memory, UTF-8 or UTF-16. New callers use
/// <see cref="StreamingImporter"/>, which streams every format with bounded memory; this one keeps its exact behaviour
/// (and error wording) until the endpoint moves over.
/// </remarks>
public static class DatasetImporter
{
    /// <summary>The format a file name implies: <c>.jsonl</c>/<c>.ndjson</c> → JSONL, <c>.txt</c> → text, anything else → <see langword="null"/>.</summary>
    /// <param name="fileName">A file name or path; the extension is compared case-insensitively.</param>
    public static DatasetFormat? DetectFormat(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return Path.GetExtension(fileName).ToLowerInvariant() switch
        {
            ".jsonl" or ".ndjson" => DatasetFormat.Jsonl,
            ".txt" => DatasetFormat.Text,
            _ => null,
        };
    }

    /// <summary>
    /// Reads an upload whose format follows from its file name (see <see cref="DetectFormat"/>). An
    /// unsupported extension is reported as an <see cref="ImportErrorKind.UnsupportedFormat"/> error.
    /// </summary>
    /// <param name="content">The file's bytes; read once, forward only, and not disposed.</param>
    /// <param name="fileName">The name shown in errors and used to choose the format.</param>
    /// <param name="limits">Size, record and error limits.</param>
    /// <param name="ct">Cancels the read; an <see cref="OperationCanceledException"/> is thrown.</param>
    public static Task<ImportResult> ParseAsync(Stream content, string fileName, ImportLimits limits, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var format = DetectFormat(fileName);
        if (format is null)
        {
            ArgumentNullException.ThrowIfNull(content);
            ArgumentNullException.ThrowIfNull(limits);
            var extension = Path.GetExtension(fileName);
            var what = extension.Length == 0 ? "a file without an extension" : $"\"{extension}\" files";
            return Task.FromResult(ImportResult.Failed(
                new ImportError(fileName, null, null, $"cannot import {what}; expected .jsonl, .ndjson or .txt") { Kind = ImportErrorKind.UnsupportedFormat },
                0));
        }

        return ParseAsync(content, fileName, format.Value, limits, ct);
    }

    /// <summary>Reads an upload in the given format, whatever its file name says.</summary>
    /// <param name="content">The file's bytes; read once, forward only, and not disposed.</param>
    /// <param name="fileName">The name shown in errors.</param>
    /// <param name="format">How to read the content.</param>
    /// <param name="limits">Size, record and error limits.</param>
    /// <param name="ct">Cancels the read; an <see cref="OperationCanceledException"/> is thrown.</param>
    public static async Task<ImportResult> ParseAsync(Stream content, string fileName, DatasetFormat format, ImportLimits limits, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        if (!Enum.IsDefined(format))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown dataset format.");
        }

        // A seekable stream (a file, a buffered upload) says its size up front: no need to read 20 MB to refuse it.
        if (content.CanSeek && content.Length - content.Position > limits.MaxBytes)
        {
            return TooLarge(fileName, limits, content.Length - content.Position);
        }

        var (utf8, utf16, refused) = await TextEncodings.OpenAsync(content, limits.MaxBytes, ct).ConfigureAwait(false);
        if (refused is not null)
        {
            return ImportResult.Failed(new ImportError(fileName, null, null, refused) { Kind = ImportErrorKind.UnsupportedEncoding }, 4);
        }

        var session = new ImportSession(fileName, limits) { SourceIsUtf16 = utf16 is not null };
        // UTF-16 text grows by up to half as UTF-8 (a CJK character: 2 bytes → 3); the limit applies to the file as uploaded.
        var reader = new Utf8LineReader(utf16 ?? utf8!, utf16 is null ? limits.MaxBytes : limits.MaxBytes / 2 * 3 + 3);
        var text = format == DatasetFormat.Text ? new TextDocumentReader(session) : null;
        while (!session.Stopped && await reader.MoveNextAsync(ct).ConfigureAwait(false))
        {
            ct.ThrowIfCancellationRequested();
            if (text is null)
            {
                JsonlRecordReader.Read(session, reader.LineNumber, reader.Current);
            }
            else
            {
                text.Read(reader.LineNumber, reader.Current);
            }
        }

        var bytes = utf16?.SourceBytesRead ?? reader.BytesRead;
        if (reader.LimitExceeded || utf16 is { LimitExceeded: true })
        {
            // The size is the one problem worth stating: any line errors seen so far would only distract.
            return TooLarge(fileName, limits, bytes);
        }

        text?.Flush();
        return session.ToResult(bytes);
    }

    private static ImportResult TooLarge(string fileName, ImportLimits limits, long bytes) =>
        ImportResult.Failed(
            new ImportError(fileName, null, null, $"file is larger than the {TextRules.FormatSize(limits.MaxBytes)} limit") { Kind = ImportErrorKind.FileTooLarge },
            bytes);
}
