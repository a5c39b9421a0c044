using System.Text;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Feeding.Tests.Import;

/// <summary>Runs the streaming importer the way the import job does: a non-seekable stream, records collected by the sink.</summary>
internal static class Streaming
{
    public sealed record Outcome(ImportSummary Summary, List<ImportedRecord> Records, List<long> Progress)
    {
        public ImportError SingleError()
        {
            Assert.False(Summary.Succeeded);
            return Assert.Single(Summary.Errors);
        }

        public IEnumerable<string> Texts => Records.Select(r => r.Text);
    }

    public static Task<Outcome> ImportAsync(string content, string fileName, Func<ImportRequest, ImportRequest>? configure = null) =>
        ImportAsync(Encoding.UTF8.GetBytes(content), fileName, configure);

    public static Task<Outcome> ImportAsync(byte[] content, string fileName, Func<ImportRequest, ImportRequest>? configure = null, int bytesPerRead = 4096) =>
        ImportAsync(new TrickleStream(content, bytesPerRead), fileName, configure);

    public static async Task<Outcome> ImportAsync(Stream content, string fileName, Func<ImportRequest, ImportRequest>? configure = null)
    {
        var request = new ImportRequest { FileName = fileName };
        request = configure?.Invoke(request) ?? request;
        var records = new List<ImportedRecord>();
        var progress = new List<long>();
        var summary = await StreamingImporter.ReadAsync(content, request, (r, _) =>
        {
            records.Add(r);
            return ValueTask.CompletedTask;
        }, new SynchronousProgress(progress.Add), CancellationToken.None);
        return new Outcome(summary, records, progress);
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static string Errors(ImportSummary summary) => string.Join("; ", summary.Errors);

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests want the reports in order, on the spot.</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}

/// <summary>
/// A large upload generated on the fly: a head, then a body repeated, then a tail — never held in memory whole, so a
/// 100 MB line costs nothing to produce.
/// </summary>
internal sealed class GeneratedStream(byte[] head, byte[] body, long repeats, byte[] tail) : Stream
{
    private long _position;
    private readonly long _length = head.Length + body.Length * repeats + tail.Length;

    public long BytesServed => _position;

    public override int Read(byte[] buffer, int offset, int count)
    {
        var written = 0;
        while (written < count && _position < _length)
        {
            byte[] part;
            long at;
            var bodyEnd = head.Length + body.Length * repeats;
            if (_position < head.Length)
            {
                (part, at) = (head, _position);
            }
            else if (_position < bodyEnd)
            {
                (part, at) = (body, (_position - head.Length) % body.Length);
            }
            else
            {
                (part, at) = (tail, _position - bodyEnd);
            }

            var n = (int)Math.Min(count - written, part.Length - at);
            Array.Copy(part, at, buffer, offset + written, n);
            written += n;
            _position += n;
        }

        return written;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
