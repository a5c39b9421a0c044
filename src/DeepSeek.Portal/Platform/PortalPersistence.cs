using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Platform;

/// <summary>The database (DeepSeek.Portal.Persistence) in the web host: registered, migrated and in WAL mode before anything else starts.</summary>
public static class PortalPersistence
{
    public static IHostApplicationBuilder AddPortalPersistence(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPortalDatabase();
        // Hosted services start in registration order: the schema exists before any feature's start-up work.
        builder.Services.AddHostedService<DatabaseStartup>();
        return builder;
    }

    private sealed class DatabaseStartup(IServiceScopeFactory scopes, DataPaths paths, ILogger<DatabaseStartup> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            paths.EnsureCreated();
            // Work files of requests or imports a crash interrupted.
            Datasets.TempFileSweep.Run(paths, logger);
            await using var scope = scopes.CreateAsyncScope();
            await PortalDatabase.PrepareAsync(scope.ServiceProvider.GetRequiredService<PortalDbContext>(), ct);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
