using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Devices;

/// <summary>
/// libtorch's intra-op thread count for a stretch of work on the calling thread, put back afterwards. Set on the
/// thread that does the work: with the OpenMP backend the count is part of each thread's own OpenMP settings.
/// </summary>
public sealed class ThreadCount : IDisposable
{
    private readonly int previous;

    private ThreadCount(int threads)
    {
        previous = get_num_threads();
        if (threads != previous) set_num_threads(threads);
    }

    /// <summary>Uses <paramref name="threads"/> (at least 1) until disposed.</summary>
    public static ThreadCount Use(int threads) => new(Math.Max(1, threads));

    public void Dispose()
    {
        if (get_num_threads() != previous) set_num_threads(previous);
    }
}
