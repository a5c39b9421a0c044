using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Data;

public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : IdentityDbContext<PortalUser>(options)
{
    public DbSet<Dataset> Datasets => Set<Dataset>();
    public DbSet<TrainingRun> Runs => Set<TrainingRun>();
    public DbSet<RunMetric> RunMetrics => Set<RunMetric>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<Dataset>(e =>
        {
            e.HasIndex(d => d.Name).IsUnique();
            e.Property(d => d.Name).HasMaxLength(200);
        });
        builder.Entity<TrainingRun>(e =>
        {
            e.Property(r => r.Status).HasConversion<string>().HasMaxLength(20);
            e.HasIndex(r => r.Status);
            e.Ignore(r => r.IsActive);
        });
        builder.Entity<RunMetric>(e =>
        {
            e.HasIndex(m => new { m.RunId, m.Step }).IsUnique();
        });
        // SQLite cannot order or compare DateTimeOffset natively; store UTC ticks.
        foreach (var entity in builder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties().Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)))
            {
                property.SetValueConverter(new Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter());
            }
        }
    }
}
