using System.Text.Json;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Devices;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace DeepSeek.Portal.Platform;

public sealed class SchedulerHealthCheck(ISchedulerFactory factory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var scheduler = await factory.GetScheduler(ct);
        var meta = await scheduler.GetMetaData(ct);
        var data = new Dictionary<string, object>
        {
            ["name"] = meta.SchedulerName,
            ["jobStore"] = meta.JobStoreType.Name,
            ["persistent"] = meta.JobStoreSupportsPersistence,
            ["clustered"] = meta.JobStoreClustered,
            ["started"] = scheduler.IsStarted,
            ["jobsExecuted"] = meta.NumberOfJobsExecuted,
        };
        if (scheduler.IsShutdown)
            return HealthCheckResult.Unhealthy("The scheduler is shut down.", data: data);
        return scheduler.IsStarted && !scheduler.InStandbyMode
            ? HealthCheckResult.Healthy($"{meta.JobStoreType.Name}, persistent={meta.JobStoreSupportsPersistence}", data)
            : HealthCheckResult.Degraded("The scheduler has not started yet.", data: data);
    }
}

public sealed class DatabaseHealthCheck(PortalDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            var runs = await db.Runs.CountAsync(ct);
            return HealthCheckResult.Healthy($"SQLite, {runs} run(s)", new Dictionary<string, object> { ["provider"] = "SQLite", ["runs"] = runs });
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("The database cannot be read: " + e.Message);
        }
    }
}

public sealed class EngineHealthCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            var device = EngineDevice.Current;
            return Task.FromResult(HealthCheckResult.Healthy(device.Description, new Dictionary<string, object>
            {
                ["device"] = device.Kind,
                ["description"] = device.Description,
            }));
        }
        catch (Exception e)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The TorchSharp engine could not load: " + e.Message));
        }
    }
}

public static class HealthEndpoints
{
    public static IServiceCollection AddPortalHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database")
            .AddCheck<SchedulerHealthCheck>("scheduler")
            .AddCheck<EngineHealthCheck>("engine");
        return services;
    }

    /// <summary>/health: anonymous, so load balancers and systemd can probe it; it reveals no data, only component states.</summary>
    public static IEndpointRouteBuilder MapPortalHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteAsync }).AllowAnonymous().WithTags("Health");
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            totalMilliseconds = report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonOptions));
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
