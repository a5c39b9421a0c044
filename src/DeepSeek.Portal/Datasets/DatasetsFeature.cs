using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Operations;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Options;
using DeepSeek.Portal.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Quartz;

namespace DeepSeek.Portal.Datasets;

/// <summary>Datasets: uploads, import and transformation jobs, versions, and the demo workspace's dataset.</summary>
public static class DatasetsFeature
{
    public static IHostApplicationBuilder AddPortalDatasets(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddScoped<DatasetService>();
        services.AddScoped<DatasetVersionService>();
        services.AddScoped<DataJobService>();
        services.AddSingleton<DataJobFeed>();
        services.AddSingleton<DataJobCancellation>();
        services.AddSingleton<VersionStatisticsFactory>();
        services.AddSingleton<RecordLabelStore>();
        services.AddDataOperations();
        services.AddSignalR();
        services.AddHostedService<DemoWorkspaceStartup>();
        services.AddHostedService<InterruptedDataJobsStartup>();
        // Two data jobs at a time per node: each is one core of parsing, and training runs need the rest.
        builder.AddExecutionLimit(DataWorkJob.ExecutionGroup, 2);
        return builder;
    }

    public static IEndpointRouteBuilder MapPortalDatasets(this IEndpointRouteBuilder app)
    {
        app.MapDatasetEndpoints();
        app.MapDataPipelineEndpoints();
        app.MapHub<DataJobsHub>(DataJobsHub.Path);
        return app;
    }

    /// <summary>
    /// After a restart: jobs left running start again from the beginning (their output was never placed, so nothing
    /// of the interrupted attempt is visible), and staged uploads no import claimed within a day are removed.
    /// </summary>
    private sealed class InterruptedDataJobsStartup(IServiceScopeFactory scopes, DataPaths paths, TimeProvider clock, ILogger<InterruptedDataJobsStartup> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            await db.DataJobs.Where(j => j.Status == DataJobStatus.Running).ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, DataJobStatus.Queued), ct);
            var jobs = scope.ServiceProvider.GetRequiredService<DataJobService>();
            var queued = await db.DataJobs.Where(j => j.Status == DataJobStatus.Queued).Select(j => j.Id).ToListAsync(ct);
            foreach (var id in queued)
                await jobs.ScheduleAsync(id, ct);
            if (queued.Count > 0)
                logger.LogInformation("Re-queued {Count} interrupted data job(s): {Jobs}", queued.Count, queued);

            var cutoff = clock.GetUtcNow().AddDays(-1);
            var stale = (await db.StagedUploads.ToListAsync(ct)).Where(u => u.CreatedAt < cutoff).ToList();
            var claimed = await db.DataJobs.Where(j => j.Status == DataJobStatus.Queued).Select(j => j.Request).ToListAsync(ct);
            foreach (var upload in stale.Where(u => !claimed.Any(r => r.Contains(u.Id, StringComparison.Ordinal))))
            {
                File.Delete(Path.Combine(paths.Uploads, upload.StoredName));
                db.StagedUploads.Remove(upload);
            }
            await db.SaveChangesAsync(ct);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }

    /// <summary>Seeds the bilingual demo dataset on first start (Portal:SeedDemoWorkspace).</summary>
    private sealed class DemoWorkspaceStartup(IServiceScopeFactory scopes, IOptions<PortalOptions> options) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            if (!options.Value.SeedDemoWorkspace)
                return;
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DatasetService>().EnsureDemoAsync(ct);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
