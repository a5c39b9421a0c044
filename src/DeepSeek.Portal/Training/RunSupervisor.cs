using System.Collections.Concurrent;

namespace DeepSeek.Portal.Training;

/// <summary>
/// Owns the cancellation of the run in progress and the engine slot. Quartz's execution limit for the training group
/// already fires one training job at a time per node (runs compete for the same cores or GPU); the slot makes that
/// hold for any other path into the engine too.
/// </summary>
public sealed class RunSupervisor : IDisposable
{
    private readonly SemaphoreSlim _slot = new(1, 1);
    private readonly ConcurrentDictionary<int, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<int, bool> _userCancelled = new();

    public bool IsRunning(int runId) => _running.ContainsKey(runId);

    /// <summary>Waits for the engine slot; the returned lease releases it.</summary>
    public async Task<Lease> AcquireAsync(int runId, CancellationToken ct)
    {
        await _slot.WaitAsync(ct);
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _running[runId] = cts;
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
        _slot.Release();
    }

    public void Dispose() => _slot.Dispose();

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
