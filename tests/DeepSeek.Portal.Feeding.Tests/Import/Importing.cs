using System.Text;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Feeding.Tests.Import;

/// <summary>Runs the importer the way the upload endpoint does, from bytes or text.</summary>
internal static class Importing
{
    public static Task<ImportResult> ImportAsync(string content, string fileName = "data.jsonl", ImportLimits? limits = null) =>
        ImportAsync(Encoding.UTF8.GetBytes(content), fileName, limits);

    public static Task<ImportResult> ImportAsync(byte[] content, string fileName = "data.jsonl", ImportLimits? limits = null) =>
        DatasetImporter.ParseAsync(new MemoryStream(content), fileName, limits ?? new ImportLimits(), CancellationToken.None);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static ImportError SingleError(ImportResult result)
    {
        Assert.False(result.Succeeded);
        Assert.Empty(result.Records);
        return Assert.Single(result.Errors);
    }
}

/// <summary>
/// A network-like upload: not seekable, and each read returns at most a few bytes, so lines and
/// multi-byte characters arrive split across reads.
/// </summary>
internal sealed class TrickleStream(byte[] content, int bytesPerRead = 1) : Stream
{
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public int BytesServed => _position;

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = Math.Min(Math.Min(count, bytesPerRead), content.Length - _position);
        Array.Copy(content, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A seekable stream that reports a size but must never be read: proves the up-front size check.</summary>
internal sealed class HugeUnreadableStream(long length) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get; set; }

    public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("The importer read a stream it should have refused by size.");
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
