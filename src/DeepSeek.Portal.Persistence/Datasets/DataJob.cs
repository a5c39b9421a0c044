using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DeepSeek.Portal.Data;

/// <summary>Where a data job (an import or a transformation) stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DataJobStatus>))]
public enum DataJobStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>
/// A long piece of data work run by Quartz: an import of an uploaded file, or a transformation of a version. Its
/// result is a new <see cref="DatasetVersion"/>, written only when the work is complete.
/// </summary>
public sealed class DataJob
{
    public int Id { get; set; }
    /// <summary><c>import</c> or the transformation's operation name.</summary>
    public required string Kind { get; set; }
    public DataJobStatus Status { get; set; }
    /// <summary>The request as JSON (what the job will do; replayed whole after a restart).</summary>
    public required string Request { get; set; }
    /// <summary>The dataset the job writes into (an import creates it on success).</summary>
    public int? DatasetId { get; set; }
    /// <summary>The name an import gives its new dataset (reserved while the job is queued or running).</summary>
    public string? DatasetName { get; set; }
    public int? SourceVersionId { get; set; }
    public int? ResultVersionId { get; set; }
    /// <summary>Progress: <see cref="Done"/> of <see cref="Total"/> (bytes for an import, records for a transformation).</summary>
    public long Done { get; set; }
    public long Total { get; set; }
    public long Records { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>Why it failed: JSON array of errors (file, line, field, message).</summary>
    public string? Error { get; set; }
    public string? CreatedBy { get; set; }
    /// <summary>When the job failed because its result already exists (same name or same records): that dataset.</summary>
    public int? ConflictDatasetId { get; set; }
}

internal sealed class DataJobConfiguration : IEntityTypeConfiguration<DataJob>
{
    public void Configure(EntityTypeBuilder<DataJob> e)
    {
        e.ToTable("DataJobs");
        e.Property(j => j.Kind).HasMaxLength(32);
        e.Property(j => j.Status).HasConversion<string>().HasMaxLength(16);
        e.HasIndex(j => j.Status);
    }
}
