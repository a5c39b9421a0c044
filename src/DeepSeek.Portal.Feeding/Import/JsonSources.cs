using System.Text.Json;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>Splits a UTF-8 stream into lines, holding at most one line of up to <c>maxLineBytes</c> (plus a 64 KB read buffer).</summary>
internal sealed class BoundedLineReader(Stream stream, int maxLineBytes)
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _start, _end, _scanned;
    private bool _eof;

    /// <summary>The 1-based number of <see cref="Current"/> (or of the over-long line once <see cref="TooLong"/>).</summary>
    public long LineNumber { get; private set; }

    /// <summary>The current line without its line ending (CR LF or LF); valid until the next call.</summary>
    public ReadOnlyMemory<byte> Current { get; private set; }

    /// <summary>True once a line longer than the bound was met; reading stopped just past the bound.</summary>
    public bool TooLong { get; private set; }

    /// <summary>The largest buffer this reader allocated, for tests of the memory bound.</summary>
    public int BufferBytes => _buffer.Length;

    public async ValueTask<bool> MoveNextAsync(CancellationToken ct)
    {
        while (true)
        {
            var from = _start + _scanned;
            var newline = _buffer.AsSpan(from, _end - from).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                Set(_start, from + newline);
                _start = from + newline + 1;
                _scanned = 0;
                return true;
            }

            _scanned = _end - _start;
            if (_scanned > maxLineBytes)
            {
                TooLong = true;
                LineNumber++;
                return false;
            }

            if (_eof)
            {
                if (_start == _end)
                {
                    return false;
                }

                Set(_start, _end);
                _start = _end;
                _scanned = 0;
                return true;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                // Only a line longer than the buffer gets here; the bound caps the growth.
                Array.Resize(ref _buffer, (int)Math.Min((long)_buffer.Length * 2, maxLineBytes + 64L * 1024 + 1));
            }

            var read = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            _eof = read == 0;
            _end += read;
        }
    }

    private void Set(int start, int end)
    {
        if (end > start && _buffer[end - 1] == (byte)'\r')
        {
            end--;
        }

        LineNumber++;
        Current = _buffer.AsMemory(start, end - start);
    }
}

/// <summary>Reads JSON Lines: one JSON value per non-blank line, each parsed alone.</summary>
internal static class JsonLinesSource
{
    public static async Task ReadAsync(Stream utf8, StreamingSession session, CancellationToken ct)
    {
        var reader = new BoundedLineReader(utf8, session.Limits.MaxRecordBytes);
        while (!session.Stopped && await reader.MoveNextAsync(ct).ConfigureAwait(false))
        {
            ct.ThrowIfCancellationRequested();
            var bytes = reader.Current;
            if (bytes.Span.IndexOfAnyExcept(" \t\r"u8) < 0)
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(bytes, StreamingSession.DocumentOptions);
            }
            catch (JsonException e)
            {
                var (kind, message) = JsonProblems.Classify(e, bytes.Span, default, "the line");
                session.Error(kind, reader.LineNumber, null, null, kind == ImportErrorKind.TruncatedRecord
                    ? "the line ends before its JSON value does (a truncated record; or pretty-printed JSON, which is not JSON Lines: name the file .json)"
                    : message);
                continue;
            }

            using (document)
            {
                await session.AcceptJsonAsync(document.RootElement, reader.LineNumber, reader.LineNumber, null).ConfigureAwait(false);
            }
        }

        if (reader.TooLong)
        {
            session.Fatal(ImportErrorKind.RecordTooLarge, reader.LineNumber, null, null,
                $"the line is longer than the {TextRules.FormatSize(session.Limits.MaxRecordBytes)} record limit; reading stopped there");
        }
    }
}

/// <summary>Names JSON problems for people.</summary>
internal static class JsonProblems
{
    public static (ImportErrorKind Kind, string Message) Classify(JsonException e, ReadOnlySpan<byte> data, JsonReaderState state, string where)
    {
        if (e.Message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return (ImportErrorKind.NestingTooDeep, $"JSON nested deeper than 64 levels in {where}; flatten the record");
        }

        return IsValidPrefix(data, state)
            ? (ImportErrorKind.TruncatedRecord, "")
            : (ImportErrorKind.MalformedJson, JsonlRecordReader.DescribeMalformed(e));
    }

    /// <summary>Whether the bytes are the beginning of valid JSON that simply stops: then the problem is truncation, not syntax.</summary>
    private static bool IsValidPrefix(ReadOnlySpan<byte> data, JsonReaderState state)
    {
        try
        {
            var reader = new Utf8JsonReader(data, isFinalBlock: false, state);
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>
/// Reads one JSON array of records, or a top-level object holding one, element by element with
/// <see cref="Utf8JsonReader"/> over a buffer that grows only to hold the current element (bounded by
/// <see cref="ImportLimits.MaxRecordBytes"/>). Each element is then parsed alone.
/// </summary>
internal sealed class JsonArraySource(Stream utf8, StreamingSession session, string? recordsPath)
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 + 8 };

    private byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;
    private bool _final;
    private JsonReaderState _state = new(ReaderOptions);
    private long _line = 1;     // the line at _start
    private long _record;
    private bool _sawToken;
    private bool _inArray;

    public int BufferBytes => _buffer.Length;

    private enum Step { Token, NeedMore, Failed, End }

    public async Task ReadAsync(CancellationToken ct)
    {
        // Top level: an array, or an object to search for the array.
        var (step, token, _, _) = await NextAsync(ct).ConfigureAwait(false);
        if (step != Step.Token)
        {
            return;
        }

        if (token == JsonTokenType.StartObject)
        {
            if (!await FindRecordsAsync(ct).ConfigureAwait(false))
            {
                return;
            }
        }
        else if (token != JsonTokenType.StartArray)
        {
            session.Fatal(ImportErrorKind.NotAnObject, 1, null, null,
                "expected a JSON array of records, or an object holding one, but the file holds a single value");
            return;
        }

        await ReadElementsAsync(ct).ConfigureAwait(false);
        if (session.Stopped)
        {
            return;
        }

        // The rest of the document must still be well-formed (closing braces, other properties), whatever it holds.
        while (!session.Stopped)
        {
            var (rest, _, _, _) = await NextAsync(ct).ConfigureAwait(false);
            if (rest != Step.Token)
            {
                return;
            }
        }
    }

    private async Task<bool> FindRecordsAsync(CancellationToken ct)
    {
        var path = recordsPath?.Split('.') ?? [];
        var depth = 0; // index into path of the object we are in
        while (!session.Stopped)
        {
            var (step, token, name, _) = await NextAsync(ct).ConfigureAwait(false);
            if (step != Step.Token)
            {
                return false;
            }

            if (token == JsonTokenType.EndObject)
            {
                session.Fatal(ImportErrorKind.MissingField, null, null, recordsPath,
                    recordsPath is null
                        ? "the top-level object holds no array of records; expected an array, or an object with an array-valued property"
                        : "the top-level object has no array at this path (the mapping's recordsPath)");
                return false;
            }

            // A property name: look at its value.
            var wanted = recordsPath is null || name == path[depth];
            var (peek, valueToken, _, _) = await PeekAsync(ct).ConfigureAwait(false);
            if (peek != Step.Token)
            {
                return false;
            }

            if (wanted && valueToken == JsonTokenType.StartArray && (recordsPath is null || depth == path.Length - 1))
            {
                await NextAsync(ct).ConfigureAwait(false); // consume '['
                return true;
            }

            if (wanted && recordsPath is not null && valueToken == JsonTokenType.StartObject && depth < path.Length - 1)
            {
                await NextAsync(ct).ConfigureAwait(false); // consume '{' and search inside it
                depth++;
                continue;
            }

            if (!await SkipValueAsync(ct).ConfigureAwait(false))
            {
                return false;
            }
        }

        return false;
    }

    private async Task ReadElementsAsync(CancellationToken ct)
    {
        _inArray = true;
        while (!session.Stopped)
        {
            ct.ThrowIfCancellationRequested();
            var (step, start, end, line) = await NextValueAsync(ct).ConfigureAwait(false);
            if (step != Step.Token)
            {
                return; // the end of the array, or an error already reported
            }

            _record++;
            if (end - start > session.Limits.MaxRecordBytes)
            {
                session.Fatal(ImportErrorKind.RecordTooLarge, line, _record, null,
                    $"the record is larger than the {TextRules.FormatSize(session.Limits.MaxRecordBytes)} record limit; reading stopped there");
                return;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(_buffer.AsMemory(start, end - start), StreamingSession.DocumentOptions);
            }
            catch (JsonException e)
            {
                var (kind, message) = JsonProblems.Classify(e, _buffer.AsSpan(start, end - start), default, "the record");
                session.Error(kind, line, _record, null, message);
                continue;
            }

            using (document)
            {
                await session.AcceptJsonAsync(document.RootElement, _record, line, _record).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The next element of the array being read: its byte range in the buffer and its line; <see cref="Step.End"/> at <c>]</c>.</summary>
    private async ValueTask<(Step Step, int Start, int End, long Line)> NextValueAsync(CancellationToken ct)
    {
        while (true)
        {
            var step = TryReadValue(out var start, out var end, out var line, out var endOfArray);
            if (step == Step.NeedMore)
            {
                if (!await FillAsync(ct).ConfigureAwait(false))
                {
                    return (Step.Failed, 0, 0, 0);
                }

                continue;
            }

            return endOfArray ? (Step.End, 0, 0, line) : (step, start, end, line);
        }
    }

    private Step TryReadValue(out int start, out int end, out long line, out bool endOfArray)
    {
        (start, end, line, endOfArray) = (0, 0, _line, false);
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _final, _state);
        try
        {
            if (!reader.Read())
            {
                return _final ? Step.End : Step.NeedMore;
            }

            _sawToken = true;
            start = _start + (int)reader.TokenStartIndex;
            line = _line + _buffer.AsSpan(_start, start - _start).Count((byte)'\n');
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                endOfArray = true;
                Advance(reader);
                return Step.Token;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
            {
                return _final ? Truncated(line) : Step.NeedMore;
            }

            if (reader.TokenType is JsonTokenType.Number && !_final && _start + (int)reader.BytesConsumed == _end)
            {
                return Step.NeedMore; // a number at the end of the buffer may go on
            }

            end = _start + (int)reader.BytesConsumed;
            Advance(reader);
            return Step.Token;
        }
        catch (JsonException e)
        {
            return Failed(e, line);
        }
    }

    private async ValueTask<(Step Step, JsonTokenType Token, string? Name, long Line)> NextAsync(CancellationToken ct)
    {
        while (true)
        {
            var step = TryReadToken(consume: true, out var token, out var name, out var line);
            if (step == Step.NeedMore)
            {
                if (!await FillAsync(ct).ConfigureAwait(false))
                {
                    return (Step.Failed, default, null, 0);
                }

                continue;
            }

            return (step, token, name, line);
        }
    }

    private async ValueTask<(Step Step, JsonTokenType Token, string? Name, long Line)> PeekAsync(CancellationToken ct)
    {
        while (true)
        {
            var step = TryReadToken(consume: false, out var token, out var name, out var line);
            if (step == Step.NeedMore)
            {
                if (!await FillAsync(ct).ConfigureAwait(false))
                {
                    return (Step.Failed, default, null, 0);
                }

                continue;
            }

            return (step, token, name, line);
        }
    }

    private async ValueTask<bool> SkipValueAsync(CancellationToken ct)
    {
        while (true)
        {
            var step = TryReadValue(out _, out _, out _, out _);
            if (step == Step.NeedMore)
            {
                if (!await FillAsync(ct).ConfigureAwait(false))
                {
                    return false;
                }

                continue;
            }

            return step == Step.Token;
        }
    }

    private Step TryReadToken(bool consume, out JsonTokenType token, out string? name, out long line)
    {
        (token, name, line) = (default, null, _line);
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _final, _state);
        try
        {
            if (!reader.Read())
            {
                return _final ? Step.End : Step.NeedMore;
            }

            _sawToken = true;
            token = reader.TokenType;
            line = _line + _buffer.AsSpan(_start, (int)reader.TokenStartIndex).Count((byte)'\n');
            if (token == JsonTokenType.PropertyName)
            {
                name = reader.GetString();
            }

            if (consume)
            {
                Advance(reader);
            }

            return Step.Token;
        }
        catch (JsonException e)
        {
            return Failed(e, line);
        }
        catch (InvalidOperationException)
        {
            session.Fatal(ImportErrorKind.MalformedJson, line, null, null, "a property name contains an unpaired \\u surrogate escape, which is not text");
            return Step.Failed;
        }
    }

    private void Advance(Utf8JsonReader reader)
    {
        var consumed = (int)reader.BytesConsumed;
        _line += _buffer.AsSpan(_start, consumed).Count((byte)'\n');
        _start += consumed;
        _state = reader.CurrentState;
    }

    private Step Truncated(long line)
    {
        session.Fatal(ImportErrorKind.TruncatedRecord, line, _record + 1, null,
            "the file ends inside this record: expected the rest of the record and the closing ]");
        return Step.Failed;
    }

    private Step Failed(JsonException e, long line)
    {
        if (!_sawToken && _buffer.AsSpan(_start, _end - _start).IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            return Step.End; // an empty file: the session reports it has no records
        }

        var (kind, message) = JsonProblems.Classify(e, _buffer.AsSpan(_start, _end - _start), _state, "the record");
        if (kind == ImportErrorKind.TruncatedRecord)
        {
            return Truncated(line);
        }

        var at = e.LineNumber is { } l ? _line + l : line;
        if (_inArray && kind == ImportErrorKind.NestingTooDeep)
        {
            session.Fatal(kind, line, _record + 1, null, message);
            return Step.Failed;
        }

        session.Fatal(kind, at, null, null, message);
        return Step.Failed;
    }

    /// <summary>Makes room and reads more; false when the current value already fills the record bound.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            var limit = session.Limits.MaxRecordBytes;
            if (_end > limit)
            {
                var pending = _buffer.AsSpan(0, _end);
                var first = pending.IndexOfAnyExcept(" \t\r\n,"u8);
                session.Fatal(ImportErrorKind.RecordTooLarge, _line + pending[..Math.Max(first, 0)].Count((byte)'\n'), _record + 1, null,
                    $"the record is larger than the {TextRules.FormatSize(limit)} record limit; reading stopped there");
                return false;
            }

            Array.Resize(ref _buffer, (int)Math.Min((long)_buffer.Length * 2, limit + 64L * 1024 + 1));
        }

        var read = await utf8.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
        _end += read;
        _final = read == 0;
        return true;
    }
}
