using System.Globalization;
using DeepSeek.Portal.Models;
using DeepSeek.Portal.Planning.Catalogue;

namespace DeepSeek.Portal.Planning.Planner;

/// <summary>Model folders the planner plans beside its catalogue: the portal's registered models, or a config file on the command line.</summary>
public interface IPlannerModelSource
{
    /// <summary>Every folder, readable or with its problem.</summary>
    Task<IReadOnlyList<PlannerModel>> ListAsync(CancellationToken ct);

    /// <summary>The folder with this id, or null when the id is not one of this source's.</summary>
    Task<PlannerModel?> FindAsync(string id, CancellationToken ct);
}

/// <summary>Reads a model folder's <c>config.json</c> into a planner model (never throws for a bad folder: the problem is kept).</summary>
public static class ModelConfigFile
{
    /// <summary>A config.json larger than this is not a model config (real ones are a few KB).</summary>
    public const long MaxBytes = 4 << 20;

    /// <summary>The planner model of <paramref name="folder"/> (a folder with config.json, or the config file itself).</summary>
    public static async Task<PlannerModel> ReadAsync(string id, string name, string source, string folder, CancellationToken ct)
    {
        var path = File.Exists(folder) ? folder : Path.Combine(folder, "config.json");
        PlannerModel Problem(PlanNote why) => new(id, name, source, null, null, folder, why);
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists)
                return Problem(PlanNote.Of("FolderNoConfig", $"{folder} has no config.json."));
            if (file.Length > MaxBytes)
                return Problem(PlanNote.Of("FolderConfigTooLarge", $"its config.json is {file.Length} bytes; a model config is a few KB."));
            var json = await File.ReadAllTextAsync(path, ct);
            return new PlannerModel(id, name, source, ModelCatalogue.FromConfigJson(id, name, json), null, folder, null);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException or ArgumentException)
        {
            return Problem(PlanNote.Of("FolderConfigUnreadable", $"its config.json cannot be read: {e.Message}"));
        }
    }
}

/// <summary>The portal's registered models as planner models, id <c>registered:&lt;id&gt;</c>, read from each folder's config.json.</summary>
public sealed class RegisteredModelSource(ModelService models) : IPlannerModelSource
{
    public async Task<IReadOnlyList<PlannerModel>> ListAsync(CancellationToken ct)
    {
        var list = new List<PlannerModel>();
        foreach (var registered in await models.ListAsync(ct))
            list.Add(await ReadAsync(registered, ct));
        return list;
    }

    public async Task<PlannerModel?> FindAsync(string id, CancellationToken ct) =>
        id.StartsWith(PlannerModel.RegisteredPrefix, StringComparison.OrdinalIgnoreCase)
        && int.TryParse(id.AsSpan(PlannerModel.RegisteredPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var registeredId)
        && await models.GetAsync(registeredId, ct) is { } summary
            ? await ReadAsync(summary, ct)
            : null;

    private static Task<PlannerModel> ReadAsync(ModelSummary summary, CancellationToken ct) =>
        ModelConfigFile.ReadAsync(PlannerModel.RegisteredPrefix + summary.Id.ToString(CultureInfo.InvariantCulture), summary.Name, PlannerModel.RegisteredSource, summary.Path, ct);
}
