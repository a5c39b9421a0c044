using System.Runtime.CompilerServices;
using DeepSeek.Portal.Engine.Devices;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// This suite runs many small trainings at once (test classes run in parallel). The engine's measured thread choice
/// could pick every core on a moment when the machine happened to be idle, and then concurrent runs would make
/// OpenMP barriers wait on each other (steps of seconds instead of tenths, see FACTS.md), so the suite pins one
/// intra-op thread unless the caller set a count. The measurement still runs and /api/engine still reports it; the
/// choice rule itself is tested in the engine tests, which run one test at a time.
/// </summary>
internal static class EngineThreadsForTests
{
    [ModuleInitializer]
    internal static void PinOneThread()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(EngineDevice.ThreadsVariable)))
            Environment.SetEnvironmentVariable(EngineDevice.ThreadsVariable, "1");
    }
}
