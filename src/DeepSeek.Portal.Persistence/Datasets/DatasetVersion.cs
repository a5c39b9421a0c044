using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DeepSeek.Portal.Data;

/// <summary>
/// One immutable version of a dataset: its records are a canonical JSONL file under the data directory named by
/// <see cref="Sha256"/>, and its lineage says where it came from (the parent version, the operation and its
/// parameters, and for an import the field mapping). A version row is written only once its file is complete, so a
/// failed or interrupted import or transformation is never half-visible.
/// </summary>
public sealed class DatasetVersion
{
    public int Id { get; set; }
    public int DatasetId { get; set; }
    /// <summary>1, 2, 3 … within the dataset.</summary>
    public int Number { get; set; }
    /// <summary>The version this one was derived from; <see langword="null"/> for an import.</summary>
    public int? ParentId { get; set; }
    /// <summary>What made it: <c>import</c>, <c>preprocess</c>, <c>score</c>, <c>filter</c>, <c>dedup</c>, <c>mask</c>, <c>compose</c>, <c>mix</c>.</summary>
    public required string Operation { get; set; }
    /// <summary>The operation's parameters as JSON (for an import: format, encoding, split, source file).</summary>
    public string? Parameters { get; set; }
    /// <summary>The import's field mapping as JSON, reusable through the API and the command line.</summary>
    public string? Mapping { get; set; }
    /// <summary>SHA-256 of the canonical JSONL file (also its name).</summary>
    public required string Sha256 { get; set; }
    public long RecordCount { get; set; }
    public long Characters { get; set; }
    /// <summary>Tokens under the tokenizer the statistics were computed with; <see langword="null"/> when none was.</summary>
    public long? Tokens { get; set; }
    public long Bytes { get; set; }
    /// <summary>Statistics as JSON (language mix, length histogram, distinct characters, tokenizer coverage).</summary>
    public string? Statistics { get; set; }
    /// <summary>For a filter: the SHA-256 of the JSONL file of records it dropped, each with the rule that dropped it.</summary>
    public string? DroppedSha256 { get; set; }
    public long DroppedCount { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
}

internal sealed class DatasetVersionConfiguration : IEntityTypeConfiguration<DatasetVersion>
{
    public void Configure(EntityTypeBuilder<DatasetVersion> e)
    {
        e.ToTable("DatasetVersions");
        e.HasIndex(v => new { v.DatasetId, v.Number }).IsUnique();
        e.HasIndex(v => v.Sha256);
        e.Property(v => v.Operation).HasMaxLength(32);
        e.HasOne<Dataset>().WithMany().HasForeignKey(v => v.DatasetId).OnDelete(DeleteBehavior.Cascade);
        // Lineage may cross datasets (a mixture or a suite is built from other datasets' versions) and must not block
        // their removal: a plain indexed column, not a foreign key. A dataset whose versions others derive from is archived.
        e.HasIndex(v => v.ParentId);
    }
}
