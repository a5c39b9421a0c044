using System.Text;
using DeepSeek.Portal.Feeding.Import;
using DeepSeek.Portal.Options;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace DeepSeek.Portal.Datasets;

/// <summary>
/// One dataset upload read off the wire: the file part streamed to a temporary file under the data directory, and
/// the text fields. Disposing it removes the temporary file; the file is opened delete-on-close as well, so even an
/// exception between the two leaves nothing behind (a crash is covered by the start-up sweep).
/// </summary>
public sealed class DatasetUpload : IAsyncDisposable
{
    internal DatasetUpload(FileStream content, string path, string fileName, string? name, string? description)
    {
        Content = content;
        TempPath = path;
        FileName = fileName;
        Name = name;
        Description = description;
    }

    /// <summary>The file's bytes, positioned at the start; seekable, so the importer can refuse an oversized file up front.</summary>
    public FileStream Content { get; }

    /// <summary>Where the bytes are while the request lasts (under <see cref="DataPaths.Temp"/>).</summary>
    public string TempPath { get; }

    /// <summary>The uploaded file name: its last path segment only.</summary>
    public string FileName { get; }

    public string? Name { get; }
    public string? Description { get; }

    /// <summary>
    /// Moves the uploaded file to <paramref name="target"/> and keeps it there (a staged upload). Only for uploads read
    /// with <c>keepable: true</c>; the content stream is closed.
    /// </summary>
    public async Task KeepAsAsync(string target)
    {
        await Content.DisposeAsync();
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(TempPath, target);
    }

    public async ValueTask DisposeAsync()
    {
        await Content.DisposeAsync();
        File.Delete(TempPath);
    }
}

/// <summary>Why an upload could not be read: the HTTP status and one error that says what and where.</summary>
public sealed record DatasetUploadFailure(int StatusCode, ImportError Error);

/// <summary>
/// Reads <c>multipart/form-data</c> uploads section by section with <see cref="MultipartReader"/>: the file goes straight
/// to disk in 64 KB pieces, never into memory or the framework's form buffer, and every way a body can be malformed
/// becomes a 400 (or 413) that names the problem, never an exception for the caller.
/// </summary>
public static class DatasetUploadReader
{
    public const string FileField = "file";
    public const string NameField = "name";
    public const string DescriptionField = "description";

    /// <summary>Room for the multipart envelope and the text fields on top of the file size limit.</summary>
    public const long EnvelopeAllowance = 64 * 1024;

    private const int MaxFieldChars = 4000;
    private const int MaxFileNameChars = 255;
    private const string RequestBody = "request body";

    /// <summary>Reads the request. Exactly one of the results is set; an aborted request throws <see cref="OperationCanceledException"/>.</summary>
    /// <param name="keepable">
    /// Whether the file may be kept (<see cref="DatasetUpload.KeepAsAsync"/>): it is then not opened delete-on-close, and
    /// only disposing the upload or the start-up sweep removes it.
    /// </param>
    public static async Task<(DatasetUpload? Upload, DatasetUploadFailure? Failure)> ReadAsync(HttpRequest request, DataPaths paths, long maxFileBytes, CancellationToken ct, bool keepable = false)
    {
        if (request.ContentLength is { } length && length > maxFileBytes + EnvelopeAllowance)
            return (null, TooLarge(RequestBody, maxFileBytes));
        // Compressed bodies would be a way around the size limit (a zip bomb); the browser and curl never send them.
        if (request.Headers.ContentEncoding is { Count: > 0 } encoding && !string.Equals(encoding.ToString(), "identity", StringComparison.OrdinalIgnoreCase))
            return (null, Invalid(RequestBody, null, $"the body is sent with Content-Encoding: {encoding}; send the file uncompressed"));
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return (null, Invalid(RequestBody, null, StatusCodes.Status415UnsupportedMediaType, $"expected Content-Type multipart/form-data with a \"{FileField}\" part but got {(string.IsNullOrEmpty(request.ContentType) ? "none" : $"\"{request.ContentType}\"")}"));
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        // RFC 2046 §5.1.1: 1 to 70 characters.
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
            return (null, Invalid(RequestBody, null, "the multipart/form-data Content-Type has no usable boundary (1 to 70 characters)"));

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = maxFileBytes + EnvelopeAllowance;

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        FileStream? file = null;
        string? tempPath = null, fileName = null, name = null, description = null;
        var sectionNumber = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                sectionNumber++;
                var where = $"part {sectionNumber} of the form";
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    return Fail(Invalid(RequestBody, null, $"{where} has no \"Content-Disposition: form-data\" header"));
                var field = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (disposition.IsFileDisposition())
                {
                    var rawName = disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                    if (file is not null)
                        return Fail(Invalid(fileName!, field, $"the form has a second file part (\"{rawName}\" in {where}); upload one file at a time"));
                    if (field != FileField)
                        return Fail(Invalid(RequestBody, field, $"the file is in a part named \"{field}\"; send it in the \"{FileField}\" part"));
                    if (!TryCleanFileName(rawName, out fileName, out var nameProblem))
                        return Fail(Invalid(RequestBody, FileField, nameProblem));
                    Directory.CreateDirectory(paths.Temp);
                    tempPath = Path.Combine(paths.Temp, $"upload-{Guid.NewGuid():N}.tmp");
                    file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
                        keepable ? FileOptions.Asynchronous : FileOptions.Asynchronous | FileOptions.DeleteOnClose);
                    if (!await CopyBoundedAsync(section.Body, file, maxFileBytes, ct))
                        return Fail(TooLarge(fileName, maxFileBytes));
                    continue;
                }

                switch (field)
                {
                    case FileField:
                        return Fail(Invalid(RequestBody, FileField, $"the \"{FileField}\" part has no file name (Content-Disposition needs filename=\"…\"); send it as a file"));
                    case NameField when name is not null:
                    case DescriptionField when description is not null:
                        return Fail(Invalid(RequestBody, field, $"the form has the field \"{field}\" twice"));
                    case NameField:
                        if ((name = await ReadFieldAsync(section.Body, ct)) is null)
                            return Fail(Invalid(RequestBody, field, $"the field is longer than {MaxFieldChars} characters or not valid UTF-8"));
                        break;
                    case DescriptionField:
                        if ((description = await ReadFieldAsync(section.Body, ct)) is null)
                            return Fail(Invalid(RequestBody, field, $"the field is longer than {MaxFieldChars} characters or not valid UTF-8"));
                        break;
                    default:
                        // Other fields (an antiforgery token in an HTML form, say) are not ours to judge; drain them.
                        if (await ReadFieldAsync(section.Body, ct) is null)
                            return Fail(Invalid(RequestBody, field, $"the field is longer than {MaxFieldChars} characters or not valid UTF-8"));
                        break;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Fail(TooLarge(fileName ?? RequestBody, maxFileBytes));
        }
        catch (InvalidDataException e)
        {
            return Fail(Invalid(fileName ?? RequestBody, null, $"the multipart body is malformed in part {Math.Max(sectionNumber, 1)}: {e.Message.TrimEnd('.')}"));
        }
        catch (IOException) when (!request.HttpContext.RequestAborted.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // MultipartReader reports a body without its closing boundary as an IOException ("Unexpected end of Stream");
            // so does Kestrel for a body shorter than its Content-Length.
            return Fail(Invalid(fileName ?? RequestBody, null,
                $"the multipart body ended before its closing boundary \"--{boundary}--\" (it is empty, truncated, or uses another boundary than its Content-Type names)"));
        }
        catch
        {
            await DisposeAsync(file, tempPath);
            throw;
        }

        if (file is null)
            return Fail(Invalid(RequestBody, FileField, $"the form has no \"{FileField}\" part with a file"));
        file.Position = 0;
        return (new DatasetUpload(file, tempPath!, fileName!, name, description), null);

        (DatasetUpload?, DatasetUploadFailure?) Fail(DatasetUploadFailure failure)
        {
            // Synchronous on purpose: disposing a FileStream that is opened delete-on-close only unlinks it.
            file?.Dispose();
            if (tempPath is not null)
                File.Delete(tempPath);
            return (null, failure);
        }
    }

    /// <summary>
    /// The last segment of a client-supplied file name: browsers on Windows and old clients send full paths with either
    /// separator, and the name is only ever shown and used to choose the format, never to address a file.
    /// </summary>
    public static bool TryCleanFileName(string? raw, out string fileName, out string problem)
    {
        fileName = "";
        problem = "";
        var last = (raw ?? "").Split('/', '\\')[^1].Trim();
        if (last.Length == 0 || last is "." or "..")
        {
            problem = raw is { Length: > 0 } ? $"the file name \"{raw}\" has no name after its last path separator" : "the file part has an empty file name";
            return false;
        }
        if (last.Length > MaxFileNameChars)
        {
            problem = $"the file name is {last.Length} characters long; the limit is {MaxFileNameChars}";
            return false;
        }
        var control = last.AsSpan().IndexOfAnyInRange('\0', '\u001F');
        if (control < 0)
            control = last.IndexOf('\u007F');
        if (control >= 0)
        {
            problem = $"the file name contains the control character U+{(int)last[control]:X4} at character {control + 1}";
            return false;
        }
        fileName = last;
        return true;
    }

    private static async Task<bool> CopyBoundedAsync(Stream source, Stream target, long maxBytes, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
            if (total > maxBytes)
                return false;
            await target.WriteAsync(buffer.AsMemory(0, read), ct);
        }
        await target.FlushAsync(ct);
        return true;
    }

    /// <summary>A text field as UTF-8, or <see langword="null"/> when it is too long or not UTF-8.</summary>
    private static async Task<string?> ReadFieldAsync(Stream body, CancellationToken ct)
    {
        // UTF-8 takes at most 4 bytes a character: anything longer than this is over the limit.
        var buffer = new byte[MaxFieldChars * 4 + 1];
        var length = 0;
        int read;
        while ((read = await body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
            if (length == buffer.Length)
            {
                await body.DrainAsync(ct);
                return null;
            }
        }
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length);
            return text.Length > MaxFieldChars ? null : text;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static async ValueTask DisposeAsync(FileStream? file, string? path)
    {
        if (file is not null)
            await file.DisposeAsync();
        if (path is not null)
            File.Delete(path);
    }

    private static DatasetUploadFailure Invalid(string where, string? field, string message) =>
        Invalid(where, field, StatusCodes.Status400BadRequest, message);

    private static DatasetUploadFailure Invalid(string where, string? field, int status, string message) =>
        new(status, new ImportError(where, null, field, message) { Kind = ImportErrorKind.InvalidUpload });

    /// <summary>The request body as OpenAPI describes it: multipart/form-data with <c>file</c> (required), <c>name</c> and <c>description</c>.</summary>
    public static OpenApiRequestBody OpenApiRequestBody() => new()
    {
        Required = true,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { FileField },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        [FileField] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "A .jsonl, .ndjson or .txt file (UTF-8, or UTF-16 with a byte-order mark)." },
                        [NameField] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Dataset name; defaults to the file name without its extension." },
                        [DescriptionField] = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                },
            },
        },
    };

    private static DatasetUploadFailure TooLarge(string where, long limit) =>
        new(StatusCodes.Status413PayloadTooLarge,
            new ImportError(where, null, null, $"the file is larger than the {ByteSize.Format(limit)} upload limit") { Kind = ImportErrorKind.FileTooLarge });
}
