using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DeepSeek.Portal.Data;

/// <summary>
/// An imported dataset. Its first version's content is the immutable JSONL file named by <see cref="Sha256"/>; later versions
/// (<see cref="DatasetVersion"/>) are derived from it. The counts here are those of version 1.
/// </summary>
public sealed class Dataset
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public required string SourceFileName { get; set; }
    public required string Format { get; set; }
    public int RecordCount { get; set; }
    public long Characters { get; set; }
    public long Bytes { get; set; }
    public required string Sha256 { get; set; }
    public bool IsDemo { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    /// <summary>Set when the dataset is archived instead of deleted (a run used it); hidden from lists by default.</summary>
    public DateTimeOffset? ArchivedAt { get; set; }
    /// <summary>The uploaded file as it arrived, under <see cref="DataPaths.Uploads"/>; <see langword="null"/> for data the portal wrote itself.</summary>
    public string? OriginalFile { get; set; }
}

internal sealed class DatasetConfiguration : IEntityTypeConfiguration<Dataset>
{
    public void Configure(EntityTypeBuilder<Dataset> e)
    {
        e.HasIndex(d => d.Name).IsUnique();
        e.Property(d => d.Name).HasMaxLength(200);
    }
}
