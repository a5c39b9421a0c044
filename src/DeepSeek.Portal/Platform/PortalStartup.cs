using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Options;
using DeepSeek.Portal.Training;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Platform;

/// <summary>
/// Prepares the embedded default before the scheduler starts: database schema (WAL mode), roles and the first admin,
/// the demo workspace, and re-queues runs that a restart interrupted.
/// </summary>
public sealed class PortalStartup(IServiceScopeFactory scopes, DataPaths paths, IOptions<PortalOptions> options, ILogger<PortalStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        paths.EnsureCreated();
        TempFileSweep.Run(paths, logger);
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PortalDbContext>();
        await db.Database.MigrateAsync(ct);
        // WAL lets the pages read while the progress publisher writes; the mode sticks to the file.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);

        await services.GetRequiredService<AccountService>().InitialiseAsync(ct);
        if (options.Value.SeedDemoWorkspace)
            await services.GetRequiredService<DatasetService>().EnsureDemoAsync(ct);

        var device = EngineDevice.Current;
        logger.LogInformation("Training engine device: {Kind} ({Description})", device.Kind, device.Description);

        // A run left "Running" by a crash is queued again; its job resumes from the last checkpoint.
        await db.Runs.Where(r => r.Status == RunStatus.Running).ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Queued), ct);
        var runs = services.GetRequiredService<RunService>();
        var interrupted = await db.Runs.Where(r => r.Status == RunStatus.Queued).Select(r => r.Id).ToListAsync(ct);
        foreach (var id in interrupted)
            await runs.ScheduleAsync(id, ct);
        if (interrupted.Count > 0)
            logger.LogInformation("Re-queued {Count} interrupted run(s): {Runs}", interrupted.Count, interrupted);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
