using System.Globalization;
using System.Text.Json;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// The format-independent half of a streaming import: shape recognition or mapping, the text rules, the limits, the
/// error cap and the counts. Format readers hand it one record at a time and stop when <see cref="Stopped"/>.
/// </summary>
internal sealed class StreamingSession
{
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>CSV rows, Parquet rows and text records become JSON with their text readable (the preview shows it), not \u-escaped.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions SerializerOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _fileName;
    private readonly ImportLimits _limits;
    private readonly Func<ImportedRecord, CancellationToken, ValueTask> _sink;
    private readonly RecordTemplate? _template, _prompt, _response;
    private readonly FieldMapping? _mapping;
    private readonly List<ImportError> _errors = [];
    private readonly CancellationToken _ct;

    public StreamingSession(string fileName, ImportLimits limits, FieldMapping? mapping,
        Func<ImportedRecord, CancellationToken, ValueTask> sink, CancellationToken ct)
    {
        (_fileName, _limits, _mapping, _sink, _ct) = (fileName, limits, mapping, sink, ct);
        if (mapping is not null)
        {
            RecordTemplate.TryParse(mapping.Template, out _template!, out _);
            if (mapping.PromptTemplate is not null)
            {
                RecordTemplate.TryParse(mapping.PromptTemplate, out _prompt!, out _);
            }

            if (mapping.ResponseTemplate is not null)
            {
                RecordTemplate.TryParse(mapping.ResponseTemplate, out _response!, out _);
            }
        }
    }

    /// <summary>Sees every record as JSON before it is shaped (the inspection's sample); null for an import.</summary>
    public Action<JsonElement>? Observer { get; init; }

    /// <summary>Stop after this many records (inspection); <see langword="null"/> reads the whole file.</summary>
    public int? SampleLimit { get; init; }

    /// <summary>Keep going after an unknown shape in the first record (inspection wants the sample all the same).</summary>
    public bool ContinueWithoutShape { get; init; }

    public string FileName => _fileName;
    public ImportLimits Limits => _limits;
    public bool Stopped { get; private set; }
    public long Records { get; private set; }
    public long Characters { get; private set; }
    public long Seen { get; private set; }
    public RecordShape? Shape { get; private set; }
    public List<ImportError> Errors => _errors;

    /// <summary>True once the sink threw; format readers that turn library exceptions into errors let that one pass.</summary>
    public bool SinkFailed { get; private set; }

    public void Error(ImportErrorKind kind, long? line, long? record, string? field, string message)
    {
        if (Stopped)
        {
            return;
        }

        if (_errors.Count == _limits.MaxErrors)
        {
            _errors.Add(new ImportError(_fileName, null, null, "… further errors not shown") { Kind = ImportErrorKind.TooManyErrors });
            Stopped = true;
            return;
        }

        _errors.Add(new ImportError(_fileName, line, field, message) { Kind = kind, Record = record });
    }

    /// <summary>Fatal problems (the file is unreadable, a record is over the memory bound): reported, and reading stops.</summary>
    public void Fatal(ImportErrorKind kind, long? line, long? record, string? field, string message)
    {
        Error(kind, line, record, field, message);
        Stopped = true;
    }

    /// <summary>Shapes (or maps) one JSON record and passes it to the sink. <paramref name="position"/> becomes <see cref="ImportedRecord.Line"/>.</summary>
    public ValueTask AcceptJsonAsync(JsonElement root, long position, long? line, long? record)
    {
        if (Stopped)
        {
            return ValueTask.CompletedTask;
        }

        if (SampleLimit is { } limit && Seen >= limit)
        {
            Stopped = true;
            return ValueTask.CompletedTask;
        }

        Seen++;
        ShapedRecord shaped;
        try
        {
            Observer?.Invoke(root);
            if (!TryShape(root, line, record, out shaped))
            {
                return ValueTask.CompletedTask;
            }
        }
        catch (InvalidOperationException)
        {
            // JsonElement throws for a key or string holding a \uD800-style escape that is not half of a surrogate pair.
            Error(ImportErrorKind.WrongType, line, record, null, "a key or string contains an unpaired \\u surrogate escape, which is not text");
            return ValueTask.CompletedTask;
        }

        return AddAsync(position, line, record, shaped.Field, shaped.Text, shaped.Prompt, shaped.Response, shaped.Shape, shaped.Turns);
    }

    private bool TryShape(JsonElement root, long? line, long? record, out ShapedRecord shaped)
    {
        shaped = default;
        if (JsonText.FindDuplicateKey(root, "") is { } duplicate)
        {
            Error(ImportErrorKind.DuplicateKey, line, record, duplicate.Path, $"the key \"{duplicate.Key}\" appears more than once in the same object");
            return false;
        }

        if (_template is not null)
        {
            string? prompt = null, response = null;
            if (!_template.TryRender(root, _mapping!.ListSeparator, out var text, out var field, out var kind, out var message)
                || (_prompt is not null && !_prompt.TryRender(root, _mapping.ListSeparator, out prompt, out field, out kind, out message))
                || (_response is not null && !_response.TryRender(root, _mapping.ListSeparator, out response, out field, out kind, out message)))
            {
                Error(kind, line, record, field, message);
                return false;
            }

            var control = TextRules.IndexOfForbiddenControl(text);
            if (control >= 0)
            {
                Error(ImportErrorKind.ControlCharacter, line, record, null,
                    $"the mapped text contains the control character {TextRules.DescribeControl(text[control])} at character {control + 1}");
                return false;
            }

            shaped = new(text, prompt, response, RecordShape.Mapped, null);
            return true;
        }

        if (root.ValueKind == JsonValueKind.String && record is not null)
        {
            // An array of strings: each string is a text record.
            if (!RecordShapes.TryReadString(root, "", out var text, out var stringError))
            {
                Error(stringError.Kind, line, record, null, stringError.Message);
                return false;
            }

            shaped = new(text, null, null, RecordShape.Text, null);
            return true;
        }

        if (RecordShapes.TryExtract(root, out shaped, out var error))
        {
            return true;
        }

        Error(error.Kind, line, record, error.Field, error.Message);
        if (error.Kind == ImportErrorKind.NeedsMapping && Records == 0 && !ContinueWithoutShape)
        {
            // The whole file has an unknown shape: one error that says what to do beats twenty that repeat it.
            Stopped = true;
        }

        return false;
    }

    /// <summary>Checks and passes on a plain-text record (a line or a paragraph).</summary>
    public ValueTask AcceptTextAsync(long line, string text)
    {
        if (Stopped)
        {
            return ValueTask.CompletedTask;
        }

        if (_template is not null || Observer is not null)
        {
            // Mapping a text record, or sampling it, goes through its JSON form {"text": …}.
            using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(new { text }, SerializerOptions));
            return AcceptJsonAsync(document.RootElement.Clone(), line, line, null);
        }

        Seen++;
        return AddAsync(line, line, null, null, text, null, null, RecordShape.Text);
    }

    private async ValueTask AddAsync(long position, long? line, long? record, string? field, string text, string? prompt, string? response, RecordShape shape,
        IReadOnlyList<ConversationTurn>? turns = null)
    {
        text = TextRules.NormaliseLineEndings(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            Error(ImportErrorKind.EmptyText, line, record, field, "the text is empty after trimming whitespace");
            return;
        }

        var characters = TextRules.CountCharacters(text);
        if (characters > _limits.MaxRecordChars)
        {
            Error(ImportErrorKind.RecordTooLong, line, record, field,
                $"the record is {N(characters)} characters long; the limit is {N(_limits.MaxRecordChars)}");
            return;
        }

        if (Records == _limits.MaxRecords)
        {
            Error(ImportErrorKind.TooManyRecords, line, record, null, $"the file has more than {N(_limits.MaxRecords)} records, the limit");
            Stopped = true;
            return;
        }

        Shape ??= shape;
        Records++;
        Characters += characters;
        try
        {
            await _sink(new ImportedRecord(position, text)
            {
                Prompt = prompt is null ? null : TextRules.NormaliseLineEndings(prompt),
                Response = response is null ? null : TextRules.NormaliseLineEndings(response),
                Turns = turns?.Select(t => t with { Content = TextRules.NormaliseLineEndings(t.Content) }).ToArray(),
            }, _ct).ConfigureAwait(false);
        }
        catch
        {
            SinkFailed = true; // the caller's exception, not a problem with the file: readers must let it through
            throw;
        }
    }

    /// <summary>Ends the session: an encoding fault replaces the format errors it caused, and an empty file gets its error.</summary>
    public IReadOnlyList<ImportError> Finish(EncodingFault? fault)
    {
        if (fault is not null)
        {
            // The validator ends the stream at the fault, so a record the reader saw cut off there is an echo too,
            // whatever line the reader gives it (a JSON element is placed where the previous one ended).
            _errors.RemoveAll(e => e.Kind == ImportErrorKind.TruncatedRecord || (e.Line is null ? e.Kind == ImportErrorKind.TooManyErrors : e.Line >= fault.Line));
            _errors.Add(new ImportError(_fileName, fault.Line, null, fault.Message) { Kind = fault.Kind });
        }

        if (_errors.Count == 0 && Records == 0)
        {
            _errors.Add(new ImportError(_fileName, null, null, "the file contains no records") { Kind = ImportErrorKind.NoRecords });
        }

        return _errors;
    }

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
