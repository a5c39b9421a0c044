using System.Diagnostics;
using System.Globalization;
using DeepSeek.Portal.Datasets.Cli;

namespace DeepSeek.Portal.Evaluations.Cli;

/// <summary>
/// Progress of <c>eval run</c> and <c>eval ppl</c> on stderr, as <c>data</c> shows a job's: on a terminal one line
/// rewritten in place at most ten times a second; otherwise (a log, a pipe) a plain line every few seconds. Updates
/// come from the command's loop; once <see cref="Close"/> has run, late ones are ignored.
/// </summary>
internal sealed class EvaluationProgress(TextWriter error, bool terminal, string label, string unit, int total, TimeSpan lineEvery, bool quiet)
{
    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(100);
    private readonly Lock _gate = new();
    private readonly Stopwatch _started = Stopwatch.StartNew();
    private readonly Stopwatch _sinceLast = Stopwatch.StartNew();
    private int _width;
    private bool _closed;
    private bool _shown;

    public void Show(int done, int failed)
    {
        if (quiet)
            return;
        lock (_gate)
        {
            if (_closed)
                return;
            // A log gets its first line only after the interval too: a short run logs none.
            if (terminal ? _shown && _sinceLast.Elapsed < RedrawEvery : _sinceLast.Elapsed < lineEvery)
                return;
            _sinceLast.Restart();
            _shown = true;
            var text = Describe(label, unit, done, total, failed, _started.Elapsed.TotalSeconds);
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

    /// <summary><c>run suite.jsonl  12/40 items  1 failed  3.1 items/s  ETA 0:09</c>.</summary>
    public static string Describe(string label, string unit, int done, int total, int failed, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var parts = new List<string> { label, string.Format(c, "{0:N0}/{1:N0} {2}", done, total, unit) };
        if (failed > 0)
            parts.Add(string.Format(c, "{0:N0} failed", failed));
        if (done > 0 && seconds > 0)
        {
            var rate = done / seconds;
            parts.Add(string.Format(c, "{0:0.0} {1}/s", rate, unit));
            parts.Add("ETA " + ProgressLine.Duration((total - done) / rate));
        }
        return string.Join("  ", parts);
    }
}
