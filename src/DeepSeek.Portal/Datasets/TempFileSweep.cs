using DeepSeek.Portal.Options;

namespace DeepSeek.Portal.Datasets;

/// <summary>
/// Removes what a crashed import or upload left behind. Requests delete their own temporary files however they end;
/// only a process that dies mid-request leaves any, and at start no request of this instance is running. (One portal
/// per data directory: a second instance on the same folder would share its database and scheduler too.)
/// </summary>
public static class TempFileSweep
{
    /// <summary>Deletes every file under <see cref="DataPaths.Temp"/> and the <c>.import-*.tmp</c> files that earlier versions wrote beside the datasets.</summary>
    /// <returns>The number of files removed.</returns>
    public static int Run(DataPaths paths, ILogger logger)
    {
        var leftovers = Directory.Exists(paths.Temp) ? Directory.EnumerateFiles(paths.Temp, "*", SearchOption.AllDirectories).ToList() : [];
        if (Directory.Exists(paths.Datasets))
            leftovers.AddRange(Directory.EnumerateFiles(paths.Datasets, ".import-*.tmp"));
        var removed = 0;
        foreach (var file in leftovers)
        {
            try
            {
                File.Delete(file);
                removed++;
            }
            catch (IOException e)
            {
                logger.LogWarning(e, "Could not remove the leftover temporary file {File}", file);
            }
            catch (UnauthorizedAccessException e)
            {
                logger.LogWarning(e, "Could not remove the leftover temporary file {File}", file);
            }
        }
        if (removed > 0)
            logger.LogInformation("Removed {Count} temporary file(s) left by an interrupted import or upload", removed);
        return removed;
    }
}
