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
        var meta = await scheduler.GetMetadata(ct);
        var data = new Dictionary<string, object>
        {
            ["name"] = meta.SchedulerName,
            ["status"] = meta.Status.ToString(),
            ["jobStore"] = meta.JobStoreTypeName,
            ["persistent"] = meta.JobStorePersistent,
            ["clustered"] = meta.JobStoreClustered,
            ["jobsExecuted"] = meta.JobsExecuted,
        };
        return meta.Status switch
        {
            SchedulerStatus.Running => HealthCheckResult.Healthy($"{meta.JobStoreTypeName}, persistent={meta.JobStorePersistent}", data),
            SchedulerStatus.Created or SchedulerStatus.Standby => HealthCheckResult.Degraded("The scheduler has not started yet.", data: data),
            _ => HealthCheckResult.Unhealthy($"The scheduler is {meta.Status}.", data: data),
        };
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

    /// <summary>
    /// /health: anonymous, so load balancers, Docker and systemd can probe it. Outside Development a caller who is not
    /// signed in gets only the overall status (and 503 when unhealthy); the per-component detail (scheduler name, job
    /// store, engine device, run count, error text) goes to signed-in users.
    /// </summary>
    public static IEndpointRouteBuilder MapPortalHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteAsync }).AllowAnonymous().WithTags("Health");
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var detailed = context.RequestServices.GetRequiredService<IHostEnvironment>().IsDevelopment() || context.User.Identity?.IsAuthenticated == true;
        if (!detailed)
            return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = report.Status.ToString() }, JsonOptions));
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
