using System.Globalization;
using System.Threading.Channels;

namespace DeepSeek.Portal.Training;

/// <summary>
/// One watcher's waiting updates and the single task that hands them over, so that a watcher that is slow or gone
/// never holds up the store pump or any other watcher. Waiting updates are coalesced per run: a slow watcher gets the
/// points it missed merged into one update that carries the newest status.
/// </summary>
internal sealed class UpdateMailbox : IDisposable
{
    // A list-page watcher sees every run; more runs than this waiting means the watcher is not reading at all.
    private const int MaxPendingRuns = 64;

    private readonly object _gate = new();
    private readonly List<RunUpdate> _pending = []; // at most one per run, oldest first
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly string _name;
    private readonly Func<RunUpdate, CancellationToken, Task> _deliver;
    private readonly bool _dropOnFailure;
    private readonly LiveUpdateOptions _options;
    private readonly ILogger _logger;
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;
    private readonly Action<UpdateMailbox>? _dropped;
    private bool _closed;
    private bool _overflowLogged;

    /// <param name="name">Who the watcher is, for the log.</param>
    /// <param name="deliver">Hands one update over; the token is cancelled when the delivery times out or the mailbox closes.</param>
    /// <param name="dropOnFailure">Whether a delivery that throws or times out ends this mailbox (a circuit) or only is logged (a hub group).</param>
    /// <param name="options">Timeout and bounds.</param>
    /// <param name="logger">Where drops and overflows are reported.</param>
    /// <param name="dropped">Called once when the mailbox drops its watcher.</param>
    public UpdateMailbox(string name, Func<RunUpdate, CancellationToken, Task> deliver, bool dropOnFailure, LiveUpdateOptions options, ILogger logger, Action<UpdateMailbox>? dropped = null)
    {
        (_name, _deliver, _dropOnFailure, _options, _logger, _dropped) = (name, deliver, dropOnFailure, options, logger, dropped);
        Completion = Task.Run(PumpAsync);
    }

    /// <summary>Ends when the mailbox is closed, has dropped its watcher, or has drained after <see cref="CompleteAfterDrain"/>.</summary>
    public Task Completion { get; }

    /// <summary>Queues an update for the watcher and returns at once; merges it into one still waiting for the same run.</summary>
    public void Post(RunUpdate update)
    {
        lock (_gate)
        {
            if (_closed)
                return;
            var index = _pending.FindIndex(u => u.RunId == update.RunId);
            if (index >= 0)
                _pending[index] = Merge(_pending[index], update);
            else
            {
                if (_pending.Count >= MaxPendingRuns)
                {
                    LogOverflow($"updates of {_pending.Count} runs");
                    _pending.RemoveAt(0);
                }
                _pending.Add(update);
                index = _pending.Count - 1;
            }
            if (_pending[index].Points.Count > _options.MaxPendingPoints)
            {
                LogOverflow($"{_pending[index].Points.Count} points of run {update.RunId}");
                var points = _pending[index].Points;
                _pending[index] = _pending[index] with { Points = points.Skip(points.Count - _options.MaxPendingPoints).ToList() };
            }
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Lets the pump deliver what is waiting, then end.</summary>
    public void CompleteAfterDrain() => _wake.Writer.TryComplete();

    /// <summary>Stops delivering at once; a delivery in progress is abandoned, not awaited.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            _pending.Clear();
        }
        _wake.Writer.TryComplete();
        _stop.Cancel();
    }

    /// <summary>Merges two waiting updates of one run: every point (a repeated step keeps the newer value), newest everything else.</summary>
    internal static RunUpdate Merge(RunUpdate older, RunUpdate newer)
    {
        if (older.Points.Count == 0)
            return newer;
        if (newer.Points.Count == 0)
            return newer with { Points = older.Points };
        var byStep = new SortedDictionary<int, RunPoint>();
        foreach (var point in older.Points.Concat(newer.Points))
            byStep[point.Step] = point;
        return newer with { Points = [.. byStep.Values] };
    }

    private void LogOverflow(string what)
    {
        if (_overflowLogged)
            return;
        _overflowLogged = true;
        _logger.LogWarning("{Watcher} is not keeping up: {What} were waiting, the oldest are dropped", _name, what);
    }

    private bool TryTake(out RunUpdate update)
    {
        lock (_gate)
        {
            if (_closed || _pending.Count == 0)
            {
                _overflowLogged = false;
                update = null!;
                return false;
            }
            update = _pending[0];
            _pending.RemoveAt(0);
            return true;
        }
    }

    private async Task PumpAsync()
    {
        // Deliver in the watcher's culture: a Blazor circuit re-renders inside the handler, and code it runs through
        // InvokeAsync keeps the caller's culture, not the circuit's (see FACTS.md). Captured when the watcher subscribed.
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
        try
        {
            while (await _wake.Reader.WaitToReadAsync(_stop.Token))
            {
                _wake.Reader.TryRead(out _);
                while (TryTake(out var update))
                {
                    if (await DeliverAsync(update))
                        continue;
                    Dispose();
                    _dropped?.Invoke(this);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <returns>Whether to keep delivering to this watcher.</returns>
    private async Task<bool> DeliverAsync(RunUpdate update)
    {
        using var call = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        call.CancelAfter(_options.SubscriberTimeout);
        Task delivery;
        try
        {
            delivery = _deliver(update, call.Token);
        }
        catch (Exception e)
        {
            delivery = Task.FromException(e);
        }
        try
        {
            // The watcher may ignore the token (a circuit's handler takes none); the wait itself is bounded.
            await delivery.WaitAsync(_options.SubscriberTimeout, _stop.Token);
            return true;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            Observe(delivery);
            throw;
        }
        catch (TimeoutException)
        {
            Observe(delivery);
            _logger.LogWarning(
                "{Watcher} did not take run {RunId}'s update within {Timeout} s; {Consequence}", _name, update.RunId,
                _options.SubscriberTimeout.TotalSeconds, _dropOnFailure ? "it gets no more live updates" : "later updates wait for it, merged");
            return !_dropOnFailure;
        }
        catch (Exception e)
        {
            _logger.Log(
                _dropOnFailure ? LogLevel.Information : LogLevel.Warning, e,
                "{Watcher} failed to take run {RunId}'s update; {Consequence}", _name, update.RunId,
                _dropOnFailure ? "it gets no more live updates" : "the next update is tried");
            return !_dropOnFailure;
        }
    }

    // An abandoned delivery may still fail later; nobody awaits it, so its exception is read here.
    private static void Observe(Task delivery) =>
        delivery.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
