using System.Globalization;
using DeepSeek.Portal.Datasets.Jobs;

namespace DeepSeek.Portal.Datasets.Cli;

/// <summary>
/// Shows a running job's progress on stderr: on a terminal one line rewritten in place (percent, records, records/s,
/// ETA) at most ten times a second; otherwise (a log, a pipe) a plain line every few seconds, so logs stay readable.
/// Updates arrive from the job feed's delivery task; once <see cref="Close"/> has run, late ones are ignored.
/// </summary>
internal sealed class ProgressLine(TextWriter error, bool terminal, string label, TimeSpan? lineEvery = null)
{
    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(100);
    private readonly TimeSpan _lineEvery = lineEvery ?? TimeSpan.FromSeconds(5);
    private readonly Lock _gate = new();
    private readonly System.Diagnostics.Stopwatch _sinceLast = System.Diagnostics.Stopwatch.StartNew();
    private int _width;
    private bool _closed;
    private bool _shown;

    public Task ShowAsync(DataJobView job)
    {
        lock (_gate)
        {
            if (_closed || job.Status != Data.DataJobStatus.Running)
                return Task.CompletedTask;
            // A log gets its first line only after the interval too: a job that ends sooner logs none.
            if (terminal ? _shown && _sinceLast.Elapsed < RedrawEvery : _sinceLast.Elapsed < _lineEvery)
                return Task.CompletedTask;
            _sinceLast.Restart();
            _shown = true;
            var text = Describe(label, job);
            if (terminal)
            {
                error.Write("\r" + text.PadRight(_width));
                _width = text.Length;
            }
            else
            {
                error.WriteLine(text);
            }
            error.Flush();
        }
        return Task.CompletedTask;
    }

    /// <summary>Stops showing updates and clears the in-place line, so what follows starts at the left margin.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            if (terminal && _width > 0)
            {
                error.Write("\r" + new string(' ', _width) + "\r");
                error.Flush();
            }
        }
    }

    /// <summary><c>import faq  37.5%  12,345 records  8,100 records/s  ETA 0:12</c>.</summary>
    public static string Describe(string label, DataJobView job)
    {
        var c = CultureInfo.InvariantCulture;
        var parts = new List<string> { label };
        if (job.Percent is { } percent)
            parts.Add(string.Format(c, "{0,5:0.0}%", percent));
        parts.Add(string.Format(c, "{0:N0} records", job.Records));
        if (job.RecordsPerSecond is { } rate)
            parts.Add(string.Format(c, "{0:N0} records/s", rate));
        if (job.EtaSeconds is { } eta)
            parts.Add("ETA " + Duration(eta));
        return string.Join("  ", parts);
    }

    public static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, Math.Round(seconds)));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
    }
}
