using System.Collections.Concurrent;

namespace DeepSeek.Portal.Training;

/// <summary>
/// Owns the cancellation of the runs executing on this node. It does not decide how many run at once: the Quartz
/// execution limit of the "training" group does, alone (see <see cref="TrainingFeature"/>).
/// </summary>
public sealed class RunSupervisor
{
    private readonly ConcurrentDictionary<int, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<int, bool> _userCancelled = new();

    public bool IsRunning(int runId) => _running.ContainsKey(runId);

    /// <summary>Registers a run as executing; the returned lease unregisters it. Its token fires on user cancel or <paramref name="ct"/>.</summary>
    public Lease Register(int runId, CancellationToken ct)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (!_running.TryAdd(runId, cts))
        {
            cts.Dispose();
            throw new InvalidOperationException($"Run {runId} is already executing on this node.");
        }
        if (_userCancelled.ContainsKey(runId))
            cts.Cancel();
        return new Lease(this, runId, cts);
    }

    public void Cancel(int runId)
    {
        _userCancelled[runId] = true;
        if (_running.TryGetValue(runId, out var cts))
            cts.Cancel();
    }

    public bool WasCancelledByUser(int runId) => _userCancelled.ContainsKey(runId);

    private void Release(int runId)
    {
        if (_running.TryRemove(runId, out var cts))
            cts.Dispose();
        _userCancelled.TryRemove(runId, out _);
    }

    public sealed class Lease(RunSupervisor owner, int runId, CancellationTokenSource cts) : IDisposable
    {
        private int _disposed;
        public CancellationToken Token => cts.Token;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                owner.Release(runId);
        }
    }
}
