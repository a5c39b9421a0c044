using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>A problem with the bytes of the file found while decoding it, before any format reader saw the line.</summary>
internal sealed record EncodingFault(ImportErrorKind Kind, long Line, string Message);

/// <summary>The encodings the streaming importer reads, their detection and the decoding chain.</summary>
internal static class SourceEncodings
{
    // Static initialisers run in order: the code-page provider must be registered before GB18030 is looked up.
    private static readonly bool ProviderRegistered = RegisterProvider();

    public const string Utf8 = "utf-8";
    public const string Utf16Le = "utf-16le";
    public const string Utf16Be = "utf-16be";
    public const string Gb18030 = "gb18030";

    /// <summary>How much of the file encoding and format detection look at: the bounded prefix.</summary>
    public const int PrefixBytes = 64 * 1024;

    /// <summary>GB18030 that turns undecodable bytes into U+FFFF, a noncharacter no real text holds, so they can be found after decoding.</summary>
    public static Encoding Gb18030Marking { get; } = !ProviderRegistered ? throw new InvalidOperationException() : Encoding.GetEncoding(54936, EncoderFallback.ReplacementFallback, new DecoderReplacementFallback("\uFFFF"));

    private static Encoding Gb18030Strict { get; } = Encoding.GetEncoding(54936, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    private static bool RegisterProvider()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return true;
    }

    /// <summary>The canonical name of an encoding a user chose, or <see langword="null"/> when the importer does not read it.</summary>
    public static string? Canonical(string name) => name.Trim().ToLowerInvariant().Replace("_", "-") switch
    {
        "utf-8" or "utf8" or "utf-8-sig" => Utf8,
        "utf-16le" or "utf-16" or "utf16le" or "utf16" or "unicode" => Utf16Le,
        "utf-16be" or "utf16be" => Utf16Be,
        "gb18030" or "gbk" or "gb2312" or "cp936" or "936" or "54936" => Gb18030,
        _ => null,
    };

    /// <summary>The byte-order mark at the start of <paramref name="head"/>: its encoding and length, or (null, 0).</summary>
    public static (string? Encoding, int Length, bool Utf32) ByteOrderMark(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00]) || head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
        {
            return (null, 4, true);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return (Utf8, 3, false);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return (Utf16Le, 2, false);
        }

        return head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) ? (Utf16Be, 2, false) : (null, 0, false);
    }

    /// <summary>
    /// Decides a BOM-less file's encoding from its prefix: UTF-8 when the prefix is valid UTF-8 (a character cut at the
    /// prefix's end is allowed), else GB18030 when it decodes cleanly as GB18030, else UTF-8 (whose errors then name the line).
    /// </summary>
    public static string Detect(ReadOnlySpan<byte> prefix, bool complete)
    {
        var whole = complete ? prefix : prefix[..^IncompleteUtf8Tail(prefix)];
        if (System.Text.Unicode.Utf8.IsValid(whole))
        {
            return Utf8;
        }

        return LooksLikeGb18030(prefix, complete) ? Gb18030 : Utf8;
    }

    /// <summary>Whether the bytes decode as GB18030 without a single invalid sequence (a cut final character is allowed unless complete).</summary>
    public static bool LooksLikeGb18030(ReadOnlySpan<byte> bytes, bool complete)
    {
        var decoder = Gb18030Strict.GetDecoder();
        var chars = ArrayPool<char>.Shared.Rent(bytes.Length + 4);
        try
        {
            decoder.GetChars(bytes, chars, flush: complete);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>How many bytes at the end of <paramref name="bytes"/> begin a UTF-8 sequence that continues past it (0–3).</summary>
    public static int IncompleteUtf8Tail(ReadOnlySpan<byte> bytes)
    {
        for (var back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte: look further back for its lead
            }

            var needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return needed > back ? back : 0;
        }

        return 0;
    }
}

/// <summary>
/// The upload as read: counts bytes, reports them as progress, and ends the stream just past <c>maxBytes</c> so that
/// an oversized file is refused after reading one byte too many, not all of it.
/// </summary>
internal sealed class CountingStream(Stream inner, long maxBytes, IProgress<long>? progress) : Stream
{
    public long BytesRead { get; private set; }

    public bool LimitExceeded => BytesRead > maxBytes;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (LimitExceeded)
        {
            return 0;
        }

        var remaining = maxBytes - BytesRead;
        var ask = remaining >= buffer.Length ? buffer.Length : (int)remaining + 1;
        var read = await inner.ReadAsync(buffer[..ask], cancellationToken).ConfigureAwait(false);
        if (read > 0)
        {
            BytesRead += read;
            progress?.Report(BytesRead);
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    // Everything downstream reads asynchronously; a synchronous read would block a thread on a network upload.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>GB18030 (and so GBK and GB2312) as UTF-8, streamed; an undecodable sequence becomes the bytes FF FF FF, which never occur in UTF-8.</summary>
internal sealed class Gb18030ToUtf8Stream(Stream source) : Stream
{
    private readonly Decoder _decoder = SourceEncodings.Gb18030Marking.GetDecoder();
    private readonly Encoder _encoder = new UTF8Encoding(false).GetEncoder();
    private readonly byte[] _in = new byte[16 * 1024];
    private readonly char[] _chars = new char[16 * 1024 + 4];
    private readonly byte[] _out = new byte[3 * (16 * 1024 + 4) + 8];
    private int _outStart, _outEnd;
    private bool _done;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_outStart == _outEnd)
        {
            if (_done)
            {
                return 0;
            }

            var read = await source.ReadAsync(_in, cancellationToken).ConfigureAwait(false);
            _done = read == 0;
            var chars = _decoder.GetChars(_in, 0, read, _chars, 0, flush: _done);
            _outStart = 0;
            _outEnd = _encoder.GetBytes(_chars, 0, chars, _out, 0, flush: _done);
            var span = _out.AsSpan(0, _outEnd);
            int at;
            while ((at = span.IndexOf("\uFFFF"u8)) >= 0)
            {
                span.Slice(at, 3).Fill(0xFF);
                span = span[(at + 3)..];
            }
        }

        var n = Math.Min(buffer.Length, _outEnd - _outStart);
        _out.AsSpan(_outStart, n).CopyTo(buffer.Span);
        _outStart += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// The last step of decoding: passes on only valid UTF-8 without a byte-order mark, counting lines, and stops at the first
/// line that breaks either rule, recording an <see cref="EncodingFault"/> naming that line. Everything before that line
/// is passed on, so the format reader reports the problems before it; problems it reports at or after the line are the
/// fault's echoes and are dropped.
/// </summary>
internal sealed class Utf8Validator(Stream decoded, string encoding, bool detected) : Stream
{
    private byte[] _buffer = new byte[64 * 1024 + 4];
    private int _carry;            // bytes of an incomplete sequence kept at the start of _buffer
    private int _outStart, _outEnd;
    private byte[]? _out;
    private long _lines;           // newlines passed on so far
    private long _bytesSinceNewline;
    private bool _ended;

    public EncodingFault? Fault { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_out is null || _outStart == _outEnd)
        {
            if (_ended)
            {
                return 0;
            }

            var read = await decoded.ReadAsync(_buffer.AsMemory(_carry, _buffer.Length - 4 - _carry), cancellationToken).ConfigureAwait(false);
            var eof = read == 0;
            var total = _carry + read;
            var data = _buffer.AsSpan(0, total);
            var cut = eof ? total : total - SourceEncodings.IncompleteUtf8Tail(data);
            var complete = data[..cut];

            var bad = System.Text.Unicode.Utf8.IsValid(complete) ? -1 : TextRules.IndexOfInvalidUtf8(complete);
            var bom = complete.IndexOf("\uFEFF"u8);
            var first = bad < 0 ? bom : bom < 0 ? bad : Math.Min(bad, bom);
            if (first >= 0)
            {
                var lineStart = complete[..first].LastIndexOf((byte)'\n') + 1;
                var newlines = complete[..lineStart].Count((byte)'\n');
                var column = (lineStart == 0 ? _bytesSinceNewline : 0) + first - lineStart + 1;
                Fault = Describe(first == bom && (bad < 0 || bom < bad), _lines + newlines + 1, column, complete[first..]);
                Emit(complete[..lineStart]);
                _ended = true;
                continue;
            }

            Emit(complete);
            var last = complete.LastIndexOf((byte)'\n');
            _lines += complete.Count((byte)'\n');
            _bytesSinceNewline = last < 0 ? _bytesSinceNewline + complete.Length : complete.Length - last - 1;
            data[cut..].CopyTo(_buffer);
            _carry = total - cut;
            _ended = eof;
        }

        var n = Math.Min(buffer.Length, _outEnd - _outStart);
        _out.AsSpan(_outStart, n).CopyTo(buffer.Span);
        _outStart += n;
        return n;
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        if (_out is null || _out.Length < bytes.Length)
        {
            _out = new byte[Math.Max(bytes.Length, 64 * 1024 + 4)];
        }

        bytes.CopyTo(_out);
        (_outStart, _outEnd) = (0, bytes.Length);
    }

    private EncodingFault Describe(bool byteOrderMark, long line, long column, ReadOnlySpan<byte> rest)
    {
        if (byteOrderMark)
        {
            return new(ImportErrorKind.MisplacedByteOrderMark, line,
                encoding == SourceEncodings.Utf8
                    ? $"a byte-order mark (U+FEFF) at byte {column} of the line, after the start of the file; files were probably joined — remove it"
                    : "a byte-order mark (U+FEFF) after the start of the file; files were probably joined — remove it");
        }

        switch (encoding)
        {
            case SourceEncodings.Utf8:
                var lineEnd = rest.IndexOf((byte)'\n');
                var window = rest[..(lineEnd < 0 ? Math.Min(rest.Length, 256) : Math.Min(lineEnd, 256))];
                if (detected && SourceEncodings.LooksLikeGb18030(window, complete: lineEnd >= 0))
                {
                    return new(ImportErrorKind.MixedEncoding, line,
                        $"not valid UTF-8 at byte {column} of the line, although the first 64 KB of the file are UTF-8; the line looks like GB18030/GBK, so the file mixes encodings — save it in one encoding");
                }

                return new(ImportErrorKind.InvalidUtf8, line, $"not valid UTF-8 at byte {column} of the line {TextRules.NotUtf8Hint}");
            case SourceEncodings.Gb18030:
                return detected
                    ? new(ImportErrorKind.MixedEncoding, line,
                        "not valid GB18030/GBK, although the first 64 KB of the file are; the file mixes encodings — save it in one encoding")
                    : new(ImportErrorKind.InvalidEncoding, line, "not valid GB18030/GBK: the line has a byte sequence that encoding does not define");
            default:
                return new(ImportErrorKind.InvalidEncoding, line,
                    $"not valid {encoding.ToUpperInvariant()}: the line has an unpaired surrogate or the file ends in the middle of a character");
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
