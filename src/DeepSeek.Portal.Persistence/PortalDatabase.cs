using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Data;

/// <summary>How every host (the portal, Quartz jobs, a command line) opens and prepares the database.</summary>
public static class PortalDatabase
{
    /// <summary>SQLite on the data directory's <c>portal.db</c>; busy connections retry for up to 30 s.</summary>
    public static DbContextOptionsBuilder UsePortalDatabase(this DbContextOptionsBuilder options, DataPaths paths) =>
        options.UseSqlite($"Data Source={paths.Database};Default Timeout=30");

    /// <summary>Registers <see cref="PortalDbContext"/> (scoped) on the data directory.</summary>
    public static IServiceCollection AddPortalDatabase(this IServiceCollection services) =>
        services.AddDbContext<PortalDbContext>((sp, o) => o.UsePortalDatabase(sp.GetRequiredService<DataPaths>()));

    /// <summary>Applies pending migrations and switches the file to WAL (readers never wait for the metrics writer).</summary>
    public static async Task PrepareAsync(PortalDbContext db, CancellationToken ct)
    {
        await db.Database.MigrateAsync(ct);
        // The journal mode sticks to the file; Microsoft.Data.Sqlite has no connection-string keyword for it.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
    }
}

/// <summary>Lets <c>dotnet ef</c> build the context without the web host (<c>-p src/DeepSeek.Portal.Persistence</c>).</summary>
internal sealed class DesignTimePortalDbContextFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        options.UsePortalDatabase(new DataPaths(Path.Combine(Path.GetTempPath(), "deepseek-portal-design")));
        return new PortalDbContext(options.Options);
    }
}
