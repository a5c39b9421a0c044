using System.Text;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Chooses how to read an upload from its first bytes. UTF-8 (with or without a byte-order mark) is read as is;
/// UTF-16 with a byte-order mark — what Windows Notepad and Excel's "Unicode text" save — is transcoded to UTF-8 on the
/// fly; UTF-32 is refused with its own error. Without a byte-order mark a file is UTF-8: guessing other encodings
/// (GB18030 and UTF-16 without BOM look like valid bytes of each other) would silently corrupt text.
/// </summary>
internal static class TextEncodings
{
    /// <summary>The stream to split into UTF-8 lines, the encoding's name for messages, or an error for an encoding that is refused.</summary>
    public static async Task<(Stream? Utf8, Utf16ToUtf8Stream? Utf16, string? Refused)> OpenAsync(Stream content, long maxBytes, CancellationToken ct)
    {
        var prefix = new byte[4];
        var count = 0;
        int read;
        while (count < prefix.Length && (read = await content.ReadAsync(prefix.AsMemory(count), ct).ConfigureAwait(false)) > 0)
        {
            count += read;
        }

        var head = prefix.AsSpan(0, count);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00]) || head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
        {
            return (null, null, "the file is UTF-32 (it starts with a UTF-32 byte-order mark); save it as UTF-8 or UTF-16");
        }

        var littleEndian = head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]);
        if (littleEndian || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            var utf16 = new Utf16ToUtf8Stream(content, bigEndian: !littleEndian, head[2..].ToArray(), maxBytes);
            return (null, utf16, null);
        }

        return (new PrefixedStream(prefix[..count], content), null, null);
    }
}

/// <summary>Replays bytes already read (the sniffed prefix), then the rest of the stream.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
{
    private int _served;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_served < prefix.Length)
        {
            var n = Math.Min(buffer.Length, prefix.Length - _served);
            prefix.AsSpan(_served, n).CopyTo(buffer.Span);
            _served += n;
            return ValueTask.FromResult(n);
        }

        return rest.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // The importer reads asynchronously only; a synchronous read would block a request thread on a network upload.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// UTF-16 (after its byte-order mark) as UTF-8, streamed. An unpaired surrogate or an odd last byte becomes the byte
/// 0xFF, which never occurs in UTF-8, so the line reader reports the line it is on; the message then names UTF-16.
/// </summary>
internal sealed class Utf16ToUtf8Stream : Stream
{
    private readonly Stream _source;
    private readonly bool _bigEndian;
    private readonly long _maxSourceBytes;
    private readonly byte[] _in = new byte[16 * 1024];
    private readonly byte[] _out = new byte[24 * 1024 + 8]; // two bytes in become at most three out
    private int _inStart, _inEnd, _outStart, _outEnd;
    private bool _sourceDone;

    public Utf16ToUtf8Stream(Stream source, bool bigEndian, byte[] afterBom, long maxSourceBytes)
    {
        _source = source;
        _bigEndian = bigEndian;
        _maxSourceBytes = maxSourceBytes;
        afterBom.CopyTo(_in, 0);
        _inEnd = afterBom.Length;
        SourceBytesRead = 2 + afterBom.Length;
    }

    /// <summary>Bytes of the original (UTF-16) file read so far, the byte-order mark included.</summary>
    public long SourceBytesRead { get; private set; }

    /// <summary>True once more than the allowed bytes of the original file were read; the stream ends there.</summary>
    public bool LimitExceeded => SourceBytesRead > _maxSourceBytes;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_outStart == _outEnd)
        {
            if (_sourceDone && _inStart == _inEnd)
            {
                return 0;
            }

            // Four bytes is the most one character needs (a surrogate pair).
            if (!_sourceDone && _inEnd - _inStart < 4)
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
            }

            Decode();
        }

        var n = Math.Min(buffer.Length, _outEnd - _outStart);
        _out.AsSpan(_outStart, n).CopyTo(buffer.Span);
        _outStart += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private async ValueTask FillAsync(CancellationToken ct)
    {
        Buffer.BlockCopy(_in, _inStart, _in, 0, _inEnd - _inStart);
        _inEnd -= _inStart;
        _inStart = 0;
        var read = await _source.ReadAsync(_in.AsMemory(_inEnd), ct).ConfigureAwait(false);
        SourceBytesRead += read;
        _inEnd += read;
        if (read == 0 || LimitExceeded)
        {
            _sourceDone = true;
        }
    }

    private void Decode()
    {
        _outStart = _outEnd = 0;
        while (_inEnd - _inStart >= 2 && _outEnd + 4 <= _out.Length)
        {
            var unit = (char)Unit(_inStart);
            if (char.IsHighSurrogate(unit))
            {
                if (_inEnd - _inStart < 4 && !_sourceDone)
                {
                    break; // the low half has not arrived yet
                }

                if (_inEnd - _inStart >= 4 && char.IsLowSurrogate((char)Unit(_inStart + 2)))
                {
                    Emit(new Rune(unit, (char)Unit(_inStart + 2)));
                    _inStart += 4;
                    continue;
                }

                Invalid();
            }
            else if (char.IsLowSurrogate(unit))
            {
                Invalid();
            }
            else
            {
                Emit(new Rune(unit));
            }

            _inStart += 2;
        }

        if (_sourceDone && _inEnd - _inStart == 1)
        {
            Invalid(); // an odd byte count: the last character is cut off
            _inStart++;
        }
    }

    private int Unit(int at) => _bigEndian ? (_in[at] << 8) | _in[at + 1] : _in[at] | (_in[at + 1] << 8);

    private void Emit(Rune rune) => _outEnd += rune.EncodeToUtf8(_out.AsSpan(_outEnd));

    private void Invalid() => _out[_outEnd++] = 0xFF;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
