using DeepSeek.Portal.Data;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Models;

/// <summary>
/// The configured model roots and the one containment rule: a path is canonicalised (absolute, <c>.</c>/<c>..</c>
/// removed, every symlink along it resolved) and must then lie inside a root, itself canonicalised the same way.
/// </summary>
public sealed class ModelRoots
{
    private readonly IReadOnlyList<string> configured;

    public ModelRoots(IOptions<ModelRegistryOptions> options, DataPaths paths)
    {
        var roots = options.Value.Roots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => Path.GetFullPath(r, paths.Root)).ToList();
        // The portal's own models folder (runs saved as models) is always allowed; first when nothing else is configured.
        Directory.CreateDirectory(paths.Models);
        if (!roots.Contains(paths.Models)) roots.Add(paths.Models);
        configured = roots;
        PortalOwned = paths.Models;
    }

    /// <summary>The folder the portal writes model folders into (<see cref="DataPaths.Models"/>); always one of <see cref="Configured"/>.</summary>
    public string PortalOwned { get; }

    /// <summary>The roots as configured (absolute), for display; the portal's own models folder is always among them.</summary>
    public IReadOnlyList<string> Configured => configured;

    /// <summary>
    /// The canonical form of <paramref name="path"/> (relative paths are taken from the first root) when it lies inside
    /// a root; otherwise throws <see cref="ModelFolderException"/> with <see cref="ModelFolderException.OutsideRoots"/>.
    /// </summary>
    public string Resolve(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (path.Contains('\0'))
            throw new ModelFolderException(ModelFolderException.OutsideRoots, "The path is not inside a model root.", "The path contains a NUL character.");
        var canonical = Canonicalise(Path.GetFullPath(path, configured[0]));
        foreach (var root in configured)
        {
            var canonicalRoot = Canonicalise(root);
            if (IsInside(canonical, canonicalRoot)) return canonical;
        }
        throw new ModelFolderException(ModelFolderException.OutsideRoots, "The path is not inside a model root.",
            $"'{path}' resolves to '{canonical}', which is outside the model roots ({string.Join(", ", configured)}). Set Portal:Models:Roots to allow another folder.");
    }

    private static bool IsInside(string path, string root)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var trimmed = Path.TrimEndingDirectorySeparator(root);
        return path.Equals(trimmed, comparison) || path.StartsWith(trimmed + Path.DirectorySeparatorChar, comparison);
    }

    /// <summary>Resolves every symlink along an absolute path (the part that exists), as <c>realpath</c> does.</summary>
    internal static string Canonicalise(string absolute)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(absolute));
        var root = Path.GetPathRoot(full)!;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        int hops = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is { } target)
            {
                if (++hops > 40) throw new ModelFolderException(ModelFolderException.NotFound, "The path has too many symbolic links.", $"'{absolute}' loops through symbolic links.");
                // A link's target is relative to the link's folder; it may itself contain links, so start over on it.
                var resolved = Path.GetFullPath(target, current);
                var rest = string.Join(Path.DirectorySeparatorChar, parts[(i + 1)..]);
                full = Path.TrimEndingDirectorySeparator(rest.Length == 0 ? resolved : Path.Combine(resolved, rest));
                root = Path.GetPathRoot(full)!;
                parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
                current = root;
                i = -1;
                continue;
            }
            current = next;
        }
        return current;
    }
}
