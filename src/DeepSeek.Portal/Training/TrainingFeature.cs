using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Platform;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace DeepSeek.Portal.Training;

/// <summary>Training runs: the launch/cancel service, the Quartz job, live progress (store, then push) and the hub.</summary>
public static class TrainingFeature
{
    public static IHostApplicationBuilder AddPortalTraining(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<RunSupervisor>();
        services.AddOptions<LiveUpdateOptions>().BindConfiguration(LiveUpdateOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RunLiveFeed>();
        services.AddSingleton<RunHubRelay>();
        services.AddSingleton<RunProgressPublisher>();
        services.AddScoped<RunService>();
        services.AddScoped<RunModelExport>();
        // RunStatus carries its own name converter, so hub payloads read "Running" like the REST API.
        services.AddSignalR();
        services.AddHostedService<InterruptedRunsStartup>();
        // Registered before the scheduler, so it stops after the jobs that report to it.
        services.AddHostedService(sp => sp.GetRequiredService<RunProgressPublisher>());

        // The one rule for how many runs train at once: one per node (runs compete for the same cores or GPU).
        // Queued runs wait in the job store, not on a scheduler thread.
        builder.AddExecutionLimit(TrainingRunJob.ExecutionGroup, 1);
        return builder;
    }

    public static IEndpointRouteBuilder MapPortalTraining(this IEndpointRouteBuilder app)
    {
        app.MapRunEndpoints();
        app.MapHub<RunsHub>(RunsHub.Path);
        return app;
    }

    /// <summary>Re-queues runs a restart interrupted; their jobs resume from the last checkpoint.</summary>
    private sealed class InterruptedRunsStartup(IServiceScopeFactory scopes, ILogger<InterruptedRunsStartup> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            var device = EngineDevice.Current;
            logger.LogInformation("Training engine device: {Kind} ({Description})", device.Kind, device.Description);

            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            // A run left "Running" by a crash is queued again.
            await db.Runs.Where(r => r.Status == RunStatus.Running).ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Queued), ct);
            var runs = scope.ServiceProvider.GetRequiredService<RunService>();
            var interrupted = await db.Runs.Where(r => r.Status == RunStatus.Queued).Select(r => r.Id).ToListAsync(ct);
            foreach (var id in interrupted)
                await runs.ScheduleAsync(id, ct);
            if (interrupted.Count > 0)
                logger.LogInformation("Re-queued {Count} interrupted run(s): {Runs}", interrupted.Count, interrupted);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
