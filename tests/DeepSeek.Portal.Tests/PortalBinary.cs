namespace DeepSeek.Portal.Tests;

/// <summary>The built portal, for tests that start it as its own process.</summary>
internal static class PortalBinary
{
    /// <summary>The portal project's own output (same configuration as this test build), else the copy beside the tests.</summary>
    public static string Dll()
    {
        var baseDir = AppContext.BaseDirectory;
        var configuration = new DirectoryInfo(baseDir).Parent!.Name;
        for (var dir = new DirectoryInfo(baseDir); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "DeepSeek.Portal", "bin", configuration, "net10.0", "DeepSeek.Portal.dll");
            if (File.Exists(candidate))
                return candidate;
        }
        return Path.Combine(baseDir, "DeepSeek.Portal.dll");
    }
}
