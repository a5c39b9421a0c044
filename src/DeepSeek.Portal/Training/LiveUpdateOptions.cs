using System.ComponentModel.DataAnnotations;

namespace DeepSeek.Portal.Training;

/// <summary>The "Portal:LiveUpdates" section: how long the live fan-out waits for one watcher.</summary>
public sealed class LiveUpdateOptions
{
    public const string Section = "Portal:LiveUpdates";

    /// <summary>
    /// Longest time one delivery to a watcher (a Blazor circuit's handler, a hub group send) may take. A circuit that
    /// takes longer is dropped from the feed; a hub group keeps receiving, coalesced. Healthy deliveries take
    /// milliseconds; a browser that lost its network never answers.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan SubscriberTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most points one watcher may have waiting; beyond it the oldest waiting points are dropped (with a warning).</summary>
    [Range(10, 1_000_000)]
    public int MaxPendingPoints { get; set; } = 2_000;
}
