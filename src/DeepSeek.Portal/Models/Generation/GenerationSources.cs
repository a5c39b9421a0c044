using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Checkpoints;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Models.Generation;

/// <summary>Why a run cannot be generated from.</summary>
public enum RunSourceProblem
{
    /// <summary>It can.</summary>
    None,
    /// <summary>No such run.</summary>
    NotFound,
    /// <summary>The run has not succeeded.</summary>
    NotSucceeded,
    /// <summary>The run's folder holds no complete checkpoint.</summary>
    NoCheckpoint,
}

/// <summary>Finds what a registered model or a finished run generates from.</summary>
public sealed class GenerationSources(PortalDbContext db, ModelRoots roots, DataPaths paths)
{
    /// <summary>The registered model's folder, re-checked against the roots (a folder may have become a link since), or null.</summary>
    public async Task<GenerationSource?> ForModelAsync(int id, CancellationToken ct)
    {
        var path = await db.Models.Where(m => m.Id == id).Select(m => m.Path).FirstOrDefaultAsync(ct);
        return path is null ? null : new GenerationSource($"model:{id}", roots.Resolve(path), roots.Resolve);
    }

    /// <summary>A succeeded run's last checkpoint (its model, config.json and tokenizer.json), or why there is none.</summary>
    public async Task<(GenerationSource? Source, RunSourceProblem Problem)> ForRunAsync(int id, CancellationToken ct)
    {
        var status = await db.Runs.Where(r => r.Id == id).Select(r => (RunStatus?)r.Status).FirstOrDefaultAsync(ct);
        if (status is null) return (null, RunSourceProblem.NotFound);
        if (status != RunStatus.Succeeded) return (null, RunSourceProblem.NotSucceeded);
        var folder = LatestCheckpoint(paths.RunDirectory(id));
        return folder is null ? (null, RunSourceProblem.NoCheckpoint) : (new GenerationSource($"run:{id}", folder, f => f), RunSourceProblem.None);
    }

    /// <summary>
    /// The last complete <c>checkpoint-NNNNNN</c> folder (zero-padded, so name order is step order; half-written
    /// ones end in <c>.tmp…</c> and are skipped).
    /// </summary>
    internal static string? LatestCheckpoint(string runFolder) =>
        !Directory.Exists(runFolder) ? null : Directory.EnumerateDirectories(runFolder, "checkpoint-*")
            .Where(d => !Path.GetFileName(d).Contains(".tmp", StringComparison.Ordinal))
            .Where(d => File.Exists(Path.Combine(d, SafeTensorsCheckpoint.SingleFile)) && File.Exists(Path.Combine(d, HuggingFaceFolder.ConfigFile)))
            .Order(StringComparer.Ordinal)
            .LastOrDefault();
}
