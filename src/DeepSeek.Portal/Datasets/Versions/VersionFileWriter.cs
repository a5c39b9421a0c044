using System.Security.Cryptography;
using System.Text;

namespace DeepSeek.Portal.Datasets.Versions;

/// <summary>
/// Writes a version's canonical JSONL to a temporary file while hashing and counting it. Nothing is visible until
/// <see cref="Place"/> moves the complete file to its content-hash name; disposing an unplaced writer deletes it.
/// </summary>
public sealed class VersionFileWriter : IAsyncDisposable
{
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _newline = "\n"u8.ToArray();
    private bool _finished;

    private readonly IVersionStatistics? _statistics;

    /// <param name="tempDirectory">Where the file is written until it is placed.</param>
    /// <param name="statistics">Receives each record's text as it is written (the version's statistics), if given.</param>
    public VersionFileWriter(string tempDirectory, IVersionStatistics? statistics)
    {
        _statistics = statistics;
        Directory.CreateDirectory(tempDirectory);
        TempPath = Path.Combine(tempDirectory, $"version-{Guid.NewGuid():N}.tmp");
        _file = new FileStream(TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
    }

    public string TempPath { get; }
    public long Records { get; private set; }
    public long Characters { get; private set; }
    public long Bytes { get; private set; }

    public async ValueTask WriteAsync(VersionRecord record, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(record.ToLine());
        _hash.AppendData(bytes);
        _hash.AppendData(_newline);
        await _file.WriteAsync(bytes, ct);
        await _file.WriteAsync(_newline, ct);
        Bytes += bytes.Length + 1;
        Records++;
        Characters += record.Text.EnumerateRunes().Count();
        _statistics?.Add(record.Text);
    }

    /// <summary>Flushes and closes the file; returns its SHA-256 (lower-case hex).</summary>
    public async Task<string> FinishAsync(CancellationToken ct)
    {
        await _file.FlushAsync(ct);
        await _file.DisposeAsync();
        _finished = true;
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    /// <summary>Moves the finished file to <paramref name="target"/>; false when a file with that content is already there.</summary>
    public bool Place(string target)
    {
        if (!_finished)
            throw new InvalidOperationException("Finish the file before placing it.");
        try
        {
            File.Move(TempPath, target, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(target))
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_finished)
            await _file.DisposeAsync();
        _hash.Dispose();
        File.Delete(TempPath);
    }
}
