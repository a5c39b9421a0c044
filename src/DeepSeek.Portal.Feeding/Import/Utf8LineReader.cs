namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Splits a stream into lines of raw bytes while counting what it reads, so that an oversized upload is
/// rejected after reading just past the limit rather than after buffering all of it.
/// </summary>
/// <remarks>
/// Splitting on the byte 0x0A is safe before decoding: in UTF-8 that byte never occurs inside a
/// multi-byte sequence. Decoding, and with it validation, is left to the caller per line so that an
/// invalid sequence can be reported with its line number.
/// </remarks>
internal sealed class Utf8LineReader(Stream stream, long maxBytes)
{
    private static ReadOnlySpan<byte> Bom => [0xEF, 0xBB, 0xBF];

    private byte[] _buffer = new byte[64 * 1024];
    private int _start;   // first byte of the unconsumed data
    private int _end;     // one past the last byte of valid data
    private int _scanned; // bytes after _start already known to hold no '\n'
    private bool _eof;

    /// <summary>Bytes read from the stream so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>True once more than the allowed bytes were read; reading stops there.</summary>
    public bool LimitExceeded { get; private set; }

    /// <summary>The 1-based number of <see cref="Current"/>.</summary>
    public int LineNumber { get; private set; }

    /// <summary>The current line without its line ending; valid until the next call to <see cref="MoveNextAsync"/>.</summary>
    public ReadOnlyMemory<byte> Current { get; private set; }

    public async ValueTask<bool> MoveNextAsync(CancellationToken ct)
    {
        while (true)
        {
            var from = _start + _scanned;
            var newline = _buffer.AsSpan(from, _end - from).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                SetCurrent(_start, from + newline);
                _start = from + newline + 1;
                _scanned = 0;
                return true;
            }

            _scanned = _end - _start;
            if (_eof)
            {
                // A final newline ends the last line; it does not start an empty one.
                if (_start == _end)
                {
                    return false;
                }

                SetCurrent(_start, _end);
                _start = _end;
                _scanned = 0;
                return true;
            }

            await FillAsync(ct).ConfigureAwait(false);
            if (LimitExceeded)
            {
                return false;
            }
        }
    }

    private void SetCurrent(int start, int end)
    {
        if (end > start && _buffer[end - 1] == (byte)'\r')
        {
            end--;
        }

        if (LineNumber == 0 && _buffer.AsSpan(start, end - start).StartsWith(Bom))
        {
            start += Bom.Length;
        }

        LineNumber++;
        Current = _buffer.AsMemory(start, end - start);
    }

    private async ValueTask FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // Only a line longer than the buffer gets here; the byte limit bounds the growth.
            Array.Resize(ref _buffer, checked(_buffer.Length * 2));
        }

        // Ask for at most one byte past the limit: enough to tell "exactly at the limit" from "over it".
        var free = _buffer.Length - _end;
        var remaining = maxBytes - BytesRead;
        var toRead = remaining >= free ? free : (int)remaining + 1;
        var read = await stream.ReadAsync(_buffer.AsMemory(_end, toRead), ct).ConfigureAwait(false);
        if (read == 0)
        {
            _eof = true;
            return;
        }

        _end += read;
        BytesRead += read;
        LimitExceeded = BytesRead > maxBytes;
    }
}
