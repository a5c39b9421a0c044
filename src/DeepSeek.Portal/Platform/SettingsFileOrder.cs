using Microsoft.Extensions.Configuration.Json;

namespace DeepSeek.Portal.Platform;

/// <summary>
/// Adds settings files where they belong in the precedence chain: after the host's own appsettings files, before
/// environment variables and the command line. <c>AddJsonFile</c> appends, so a file added after the host is built
/// would override both, and two instances started with different data directories would silently share one.
/// </summary>
public static class SettingsFileOrder
{
    /// <summary>Inserts optional JSON files, in the given order, just after the last settings file already in the chain.</summary>
    public static void AddJsonFilesBeforeOverrides(this IConfigurationBuilder configuration, params string[] paths)
    {
        var sources = configuration.Sources;
        var index = 0;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is FileConfigurationSource)
                index = i + 1;
        }
        foreach (var path in paths)
        {
            var source = new JsonConfigurationSource { Path = Path.GetFullPath(path), Optional = true, ReloadOnChange = false };
            source.ResolveFileProvider();
            sources.Insert(index++, source);
        }
    }
}
