using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace DeepSeek.Portal.Data;

/// <summary>
/// The portal's one database (Identity, datasets, runs, per-step metrics). Each feature's entities and their
/// <see cref="IEntityTypeConfiguration{TEntity}"/> live in that feature's folder of this project.
/// </summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : IdentityDbContext<PortalUser>(options)
{
    public DbSet<Dataset> Datasets => Set<Dataset>();
    public DbSet<DatasetVersion> DatasetVersions => Set<DatasetVersion>();
    public DbSet<DataJob> DataJobs => Set<DataJob>();
    public DbSet<StagedUpload> StagedUploads => Set<StagedUpload>();
    public DbSet<TrainingRun> Runs => Set<TrainingRun>();
    public DbSet<RunMetric> RunMetrics => Set<RunMetric>();
    public DbSet<RunSourceMetric> RunSourceMetrics => Set<RunSourceMetric>();
    public DbSet<RegisteredModel> Models => Set<RegisteredModel>();
    public DbSet<EvaluationEndpoint> EvaluationEndpoints => Set<EvaluationEndpoint>();
    public DbSet<EvaluationRun> Evaluations => Set<EvaluationRun>();
    public DbSet<EvaluationItemResult> EvaluationItems => Set<EvaluationItemResult>();
    public DbSet<EvaluationMetricRow> EvaluationMetrics => Set<EvaluationMetricRow>();
    public DbSet<EvaluationSchedule> EvaluationSchedules => Set<EvaluationSchedule>();
    public DbSet<FeedbackRecord> Feedback => Set<FeedbackRecord>();
    public DbSet<MetricTarget> MetricTargets => Set<MetricTarget>();
    public DbSet<EvaluationOutputCacheEntry> EvaluationOutputCache => Set<EvaluationOutputCacheEntry>();
    public DbSet<RoadmapPhase> RoadmapPhases => Set<RoadmapPhase>();
    public DbSet<RoadmapMilestone> RoadmapMilestones => Set<RoadmapMilestone>();
    public DbSet<MilestoneDependency> RoadmapDependencies => Set<MilestoneDependency>();
    public DbSet<KpiGate> RoadmapGates => Set<KpiGate>();
    public DbSet<KpiGateEvent> RoadmapGateEvents => Set<KpiGateEvent>();
    public DbSet<RoadmapChange> RoadmapChanges => Set<RoadmapChange>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
        // SQLite cannot order or compare DateTimeOffset natively; store UTC ticks.
        foreach (var entity in builder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties().Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)))
                property.SetValueConverter(new DateTimeOffsetToBinaryConverter());
        }
    }
}
