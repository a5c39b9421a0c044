using System.Text.Json;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Turns one JSONL line into a training text. Each accepted shape is flattened to plain text because the
/// trainer feeds a causal language model; chat templates are applied later, at tokenisation, not here.
/// </summary>
internal static class JsonlRecordReader
{
    private const string ExpectedShapes = "expected one of: text, instruction+output, prompt+completion, conversations";

    private static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    /// <summary>Reads one line; reports at most one error for it so that one bad line cannot use up the error cap.</summary>
    public static void Read(ImportSession session, int line, ReadOnlyMemory<byte> bytes)
    {
        // Blank lines (often a trailing one) are not records. Only JSON whitespace counts as blank.
        if (bytes.Span.IndexOfAnyExcept(" \t\r"u8) < 0)
        {
            return;
        }

        var invalidAt = TextRules.IndexOfInvalidUtf8(bytes.Span);
        if (invalidAt >= 0)
        {
            session.Error(ImportErrorKind.InvalidUtf8, line, null, session.InvalidEncodingMessage(invalidAt));
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, Options);
        }
        catch (JsonException e)
        {
            session.Error(ImportErrorKind.MalformedJson, line, null, DescribeMalformed(e));
            return;
        }

        using (document)
        {
            // JSON parsers disagree on which of two equal keys wins ({"text": "a", "text": "b"}), so neither is guessed.
            if (JsonText.FindDuplicateKey(document.RootElement, "") is { } duplicate)
            {
                session.Error(ImportErrorKind.DuplicateKey, line, duplicate.Path, $"the key \"{duplicate.Key}\" appears more than once in the same object");
                return;
            }

            if (TryExtract(document.RootElement, out var text, out var field, out var error))
            {
                session.AddRecord(line, field, text);
            }
            else
            {
                session.Error(error.Kind, line, error.Field, error.Message);
            }
        }
    }

    internal static string DescribeMalformed(JsonException e)
    {
        // The reader appends "LineNumber: 0 | BytePositionInLine: n." to its message; the line number is
        // meaningless here (each line is parsed alone) and the position is stated once, 1-based, up front.
        var reason = e.Message;
        var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0)
        {
            reason = reason[..cut];
        }

        // Advice addressed to the programmer ("Change the reader options.") means nothing to the uploader.
        reason = reason.Replace(" Change the reader options.", "", StringComparison.Ordinal).TrimEnd().TrimEnd('.');
        var position = e.BytePositionInLine is { } p ? $" at byte {p + 1} of the line" : "";
        return $"malformed JSON{position}: {reason}";
    }

    private static bool TryExtract(JsonElement root, out string text, out string? field, out LineError error)
    {
        if (RecordShapes.TryExtract(root, out var record, out var shapeError))
        {
            (text, field, error) = (record.Text, record.Field, default);
            return true;
        }

        (text, field) = ("", null);
        // The upload endpoint predates field mappings: an unknown shape keeps its original wording there.
        error = shapeError.Kind == ImportErrorKind.NeedsMapping
            ? new(ImportErrorKind.MissingField, null, ExpectedShapes)
            : new(shapeError.Kind, shapeError.Field, shapeError.Message);
        return false;
    }

    private readonly record struct LineError(ImportErrorKind Kind, string? Field, string Message);
}
