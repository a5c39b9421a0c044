using System.ComponentModel.DataAnnotations;

namespace DeepSeek.Portal.Options;

/// <summary>The "Portal" configuration section: where data lives and how the first start behaves.</summary>
public sealed class PortalOptions
{
    public const string Section = "Portal";

    /// <summary>Directory for the SQLite databases, uploaded dataset files and checkpoints. Relative paths are resolved against the content root.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>The first administrator, created on first start when no user exists. Leave empty to use the first-run page.</summary>
    public AdminAccountOptions Admin { get; set; } = new();

    /// <summary>Upload limits.</summary>
    public UploadOptions Uploads { get; set; } = new();

    /// <summary>How much one training run may ask of this machine (memory, tokens per step).</summary>
    public Training.RunLimitOptions RunLimits { get; set; } = new();

    /// <summary>Seeds the demo workspace (dataset and a ready-to-start run configuration) on first start.</summary>
    public bool SeedDemoWorkspace { get; set; } = true;
}

public sealed class AdminAccountOptions
{
    public string? Email { get; set; }
    public string? Password { get; set; }
}

public sealed class UploadOptions
{
    /// <summary>Largest accepted dataset upload in bytes.</summary>
    // The importer holds the validated records in memory, so the ceiling stays well below the machine's RAM.
    [Range(1024, 512L * 1024 * 1024)]
    public long MaxBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>
    /// Largest file staged for a job import (<c>POST /api/datasets/uploads</c>): it streams to disk and imports record by
    /// record in bounded memory, so the ceiling is about disk space, not RAM.
    /// </summary>
    [Range(1024, 1L << 40)]
    public long MaxStagedBytes { get; set; } = 4L << 30;
}
