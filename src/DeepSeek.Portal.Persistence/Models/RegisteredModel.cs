using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DeepSeek.Portal.Data;

/// <summary>
/// A model folder on the server (Hugging Face layout) that the portal knows by name. Registering never copies or
/// changes the folder and unregistering never deletes it. <see cref="Card"/> is the card computed from the folder's
/// config.json and safetensors headers when it was registered.
/// </summary>
public sealed class RegisteredModel
{
    public int Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The canonical folder path (symlinks resolved), inside one of the configured model roots.</summary>
    public required string Path { get; set; }
    /// <summary>The model card as JSON (format <see cref="CardVersion"/>).</summary>
    public required string Card { get; set; }
    /// <summary>Format of <see cref="Card"/>; bumped when the card record changes incompatibly.</summary>
    public int CardVersion { get; set; }
    public DateTimeOffset RegisteredAt { get; set; }
    public string? RegisteredBy { get; set; }
}

internal sealed class RegisteredModelConfiguration : IEntityTypeConfiguration<RegisteredModel>
{
    public void Configure(EntityTypeBuilder<RegisteredModel> e)
    {
        e.ToTable("Models");
        e.HasIndex(m => m.Name).IsUnique();
        e.Property(m => m.Name).HasMaxLength(200);
    }
}
