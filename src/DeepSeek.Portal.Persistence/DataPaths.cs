using System.Globalization;

namespace DeepSeek.Portal.Data;

/// <summary>Resolved absolute paths below the data directory (databases, dataset files, run folders, keys, temp).</summary>
public sealed class DataPaths(string root)
{
    public string Root { get; } = Path.GetFullPath(root);
    public string Database => Path.Combine(Root, "portal.db");
    public string Scheduler => Path.Combine(Root, "scheduler.db");
    public string Datasets => Path.Combine(Root, "datasets");
    public string Runs => Path.Combine(Root, "runs");
    /// <summary>Uploaded files as they arrived: staged for the field-mapping step, then kept as a dataset's original.</summary>
    public string Uploads => Path.Combine(Root, "uploads");
    public string Keys => Path.Combine(Root, "keys");
    /// <summary>Model folders the portal writes itself (runs saved as models); always an allowed model root.</summary>
    public string Models => Path.Combine(Root, "models");
    /// <summary>Files that exist only while a request or an import is under way (uploads, canonical files before their move); swept at start.</summary>
    public string Temp => Path.Combine(Root, "temp");
    public string RunDirectory(int runId) => Path.Combine(Runs, runId.ToString(CultureInfo.InvariantCulture));

    public void EnsureCreated()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Datasets);
        Directory.CreateDirectory(Runs);
        Directory.CreateDirectory(Uploads);
        Directory.CreateDirectory(Temp);
    }
}
