using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Data;

namespace DeepSeek.Portal.Datasets.Versions;

/// <summary>
/// Clean/noisy labels people give records, per dataset, keyed by the record's text (SHA-256), so a label follows the
/// text into every later version. The noise classifier trains on them, with the heuristic rules' labels filling in.
/// Stored as one small JSON file per dataset under the data directory, replaced atomically on each change.
/// </summary>
public sealed class RecordLabelStore(DataPaths paths)
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new();

    private string FilePath(int datasetId) => Path.Combine(paths.Root, "labels", $"dataset-{datasetId}.json");

    public static string Key(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];

    public async Task<IReadOnlyDictionary<string, bool>> ReadAsync(int datasetId, CancellationToken ct)
    {
        var path = FilePath(datasetId);
        if (!File.Exists(path))
            return new Dictionary<string, bool>();
        await using var file = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<Dictionary<string, bool>>(file, cancellationToken: ct) ?? [];
    }

    /// <summary>Sets (true = noisy, false = clean) or clears (null) the label of a text.</summary>
    public async Task SetAsync(int datasetId, string text, bool? noisy, CancellationToken ct)
    {
        var gate = Locks.GetOrAdd(FilePath(datasetId), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var labels = new Dictionary<string, bool>(await ReadAsync(datasetId, ct));
            if (noisy is { } value)
                labels[Key(text)] = value;
            else
                labels.Remove(Key(text));
            var path = FilePath(datasetId);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + $".{Guid.NewGuid():N}.tmp";
            await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(labels), ct);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            gate.Release();
        }
    }

    public void Delete(int datasetId) => File.Delete(FilePath(datasetId));
}
