using System.Text.Json;
using DeepSeek.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Models;

/// <summary>Registers, lists and unregisters model folders. Never writes to or deletes a model folder.</summary>
public sealed class ModelService(PortalDbContext db, ModelRoots roots, TimeProvider clock)
{
    private static readonly JsonSerializerOptions CardJson = new(JsonSerializerDefaults.Web);

    /// <summary>Every registered model, by name.</summary>
    public async Task<IReadOnlyList<ModelSummary>> ListAsync(CancellationToken ct)
    {
        var rows = await db.Models.AsNoTracking().OrderBy(m => m.Name).ToListAsync(ct);
        return [.. rows.Select(ToSummary)];
    }

    /// <summary>One model, or null.</summary>
    public async Task<ModelSummary?> GetAsync(int id, CancellationToken ct) =>
        await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, ct) is { } row ? ToSummary(row) : null;

    /// <summary>Checks the path against the roots, reads the card (headers only) and stores the registration.</summary>
    public async Task<ModelRegistration> RegisterAsync(RegisterModelRequest request, string? user, CancellationToken ct)
    {
        ModelCard card;
        string folder;
        try
        {
            if (string.IsNullOrWhiteSpace(request.Path))
                throw new ModelFolderException(ModelFolderException.NotFound, "No folder at that path.", "The path is empty.");
            folder = roots.Resolve(request.Path);
            // Reading headers of a large sharded checkpoint touches many files: off the request thread's sync context.
            card = await Task.Run(() => ModelCardReader.Read(folder, roots.Resolve), ct);
        }
        catch (ModelFolderException e)
        {
            return new ModelRegistration(null, e, false);
        }
        var name = string.IsNullOrWhiteSpace(request.Name) ? Path.GetFileName(folder) : request.Name.Trim();
        if (name.Length > 200) name = name[..200];
        if (await db.Models.AnyAsync(m => m.Name == name, ct))
            return new ModelRegistration(null, null, true);
        var row = new RegisteredModel
        {
            Name = name,
            Path = folder,
            Card = JsonSerializer.Serialize(card, CardJson),
            CardVersion = ModelCard.Version,
            RegisteredAt = clock.GetUtcNow(),
            RegisteredBy = user,
        };
        db.Models.Add(row);
        await db.SaveChangesAsync(ct);
        return new ModelRegistration(ToSummary(row), null, false);
    }

    /// <summary>Forgets the registration; the folder stays as it is. False when there was none.</summary>
    public async Task<bool> UnregisterAsync(int id, CancellationToken ct) =>
        await db.Models.Where(m => m.Id == id).ExecuteDeleteAsync(ct) > 0;

    private static ModelSummary ToSummary(RegisteredModel row) =>
        new(row.Id, row.Name, row.Path, row.RegisteredAt, row.RegisteredBy, JsonSerializer.Deserialize<ModelCard>(row.Card, CardJson)!);
}
