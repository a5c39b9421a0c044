using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DeepSeek.Portal.Data;

/// <summary>
/// An uploaded file waiting to be imported (inspected, mapped, then imported by a job). The file lies under
/// <see cref="DataPaths.Uploads"/> as <see cref="StoredName"/>; an import that succeeds hands it to its dataset as the
/// original, and unclaimed uploads are removed after a day.
/// </summary>
public sealed class StagedUpload
{
    /// <summary>A random 32-hex-digit id (not guessable; the API addresses uploads by it).</summary>
    public required string Id { get; set; }
    /// <summary>The file name the client sent (last path segment only).</summary>
    public required string FileName { get; set; }
    /// <summary>The file's name under <see cref="DataPaths.Uploads"/>.</summary>
    public required string StoredName { get; set; }
    public long Bytes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
}

internal sealed class StagedUploadConfiguration : IEntityTypeConfiguration<StagedUpload>
{
    public void Configure(EntityTypeBuilder<StagedUpload> e)
    {
        e.ToTable("StagedUploads");
        e.Property(u => u.Id).HasMaxLength(32);
    }
}
