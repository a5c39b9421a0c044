using System.Collections.Concurrent;

namespace DeepSeek.Portal.Evaluation.Runners;

/// <summary>An output cache held in memory (tests, the CLI, one process's repeated runs); the portal keeps its own in the database.</summary>
public sealed class InMemoryOutputCache : IOutputCache
{
    private readonly ConcurrentDictionary<string, string> _entries = new(StringComparer.Ordinal);

    /// <summary>Entries held.</summary>
    public int Count => _entries.Count;

    /// <inheritdoc />
    public Task<string?> GetAsync(string key, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_entries.TryGetValue(key, out var value) ? value : null);
    }

    /// <inheritdoc />
    public Task SetAsync(string key, string value, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        _entries[key] = value;
        return Task.CompletedTask;
    }
}
