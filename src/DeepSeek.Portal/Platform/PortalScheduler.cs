using Quartz;

namespace DeepSeek.Portal.Platform;

/// <summary>
/// The one in-process Quartz scheduler (persistent SQLite job store). Features add their jobs' settings (execution
/// limits, schedules) with <see cref="AddScheduledWork"/>; <see cref="AddPortalScheduler"/> composes them once.
/// </summary>
public static class PortalScheduler
{
    public const string InstanceName = "DeepSeekPortal";

    /// <summary>Adds a feature's part of the scheduler's configuration.</summary>
    public static IHostApplicationBuilder AddScheduledWork(this IHostApplicationBuilder builder, Action<IQuartzBuilder> configure)
    {
        Parts(builder.Services).Add(configure);
        return builder;
    }

    /// <summary>
    /// Limits how many jobs of an execution group run at once on this node. Quartz keeps one set of limits (a second
    /// <c>UseExecutionLimits</c> replaces the first), so features declare theirs here and they are applied together.
    /// </summary>
    public static IHostApplicationBuilder AddExecutionLimit(this IHostApplicationBuilder builder, string group, int limit)
    {
        Limits(builder.Services)[group] = limit;
        return builder;
    }

    /// <summary>
    /// Registers Quartz with every feature's part. Call it after the features: hosted services stop in reverse order,
    /// so everything registered before it (the progress publisher, for one) outlives the jobs that use it.
    /// </summary>
    public static IHostApplicationBuilder AddPortalScheduler(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var schedulerDb = ((DataPaths)services.Single(d => d.ServiceType == typeof(DataPaths)).ImplementationInstance!).Scheduler;
        var parts = Parts(services);
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o => o.InstanceName = InstanceName);
            q.UseDefaultThreadPool(tp => tp.MaxConcurrency = 4);
            q.UsePersistentStore(store =>
            {
                store.UseSqlite($"Data Source={schedulerDb};Default Timeout=30");
                store.UseSystemTextJsonSerializer();
                store.ProvisionSchema();
            });
            var limits = Limits(services);
            if (limits.Count > 0)
                q.UseExecutionLimits(builder =>
                {
                    foreach (var (group, limit) in limits)
                        builder.ForGroup(group, limit);
                });
            foreach (var part in parts)
                part(q);
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return builder;
    }

    private static List<Action<IQuartzBuilder>> Parts(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(SchedulerParts))?.ImplementationInstance is SchedulerParts existing)
            return existing.Configure;
        var parts = new SchedulerParts();
        services.AddSingleton(parts);
        return parts.Configure;
    }

    private static Dictionary<string, int> Limits(IServiceCollection services)
    {
        Parts(services);
        return ((SchedulerParts)services.Single(d => d.ServiceType == typeof(SchedulerParts)).ImplementationInstance!).Limits;
    }

    private sealed class SchedulerParts
    {
        public List<Action<IQuartzBuilder>> Configure { get; } = [];
        public Dictionary<string, int> Limits { get; } = [];
    }
}
