using System.Globalization;

namespace DeepSeek.Portal.Engine.Devices;

/// <summary>The process's memory at one moment.</summary>
/// <param name="ResidentBytes">Resident set now (VmRSS).</param>
/// <param name="PeakResidentBytes">Highest resident set since the process started or since <see cref="ProcessMemory.ResetPeak"/> (VmHWM).</param>
public sealed record MemorySample(long ResidentBytes, long PeakResidentBytes);

/// <summary>
/// Reads the process's resident and peak resident set from <c>/proc/self/status</c> (Linux). The engine runs on the
/// CPU build of libtorch, whose tensors live in that resident set; TorchSharp 0.107 has no
/// <c>torch.cuda.max_memory_allocated</c>, so on a GPU this reports host memory only.
/// </summary>
public static class ProcessMemory
{
    private const string Status = "/proc/self/status";
    private const string ClearRefs = "/proc/self/clear_refs";

    /// <summary>The current sample; <see langword="null"/> where <c>/proc</c> is not available (not Linux).</summary>
    public static MemorySample? Read()
    {
        try
        {
            long? rss = null, hwm = null;
            foreach (var line in File.ReadLines(Status))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kilobytes(line);
            }
            return rss is long r && hwm is long h ? new MemorySample(r * 1024, Math.Max(h, r) * 1024) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Starts a new peak: writing "5" to <c>/proc/self/clear_refs</c> sets VmHWM to the current resident set (Linux 4.0+).
    /// The peak is process-wide, so two runs at once share it; each run keeps the highest value it read.
    /// </summary>
    /// <returns>Whether the peak was reset.</returns>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText(ClearRefs, "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // "VmRSS:	  123456 kB"
    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
}
