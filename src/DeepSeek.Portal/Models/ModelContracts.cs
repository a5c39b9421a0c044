namespace DeepSeek.Portal.Models;

/// <summary>Registers a model folder on the server.</summary>
/// <param name="Path">The folder, absolute or relative to the first model root; it must lie inside a configured root.</param>
/// <param name="Name">The name the portal shows (unique); defaults to the folder's name.</param>
public sealed record RegisterModelRequest(string Path, string? Name = null);

/// <summary>A registered model with its card.</summary>
/// <param name="Id">The registration's id.</param>
/// <param name="Name">Its unique name.</param>
/// <param name="Path">The canonical folder on the server.</param>
/// <param name="RegisteredAt">When it was registered.</param>
/// <param name="RegisteredBy">Who registered it.</param>
/// <param name="Card">What the folder held at registration.</param>
public sealed record ModelSummary(int Id, string Name, string Path, DateTimeOffset RegisteredAt, string? RegisteredBy, ModelCard Card);

/// <summary>The result of a registration: the model, or the field errors / folder problem that stopped it.</summary>
public sealed record ModelRegistration(ModelSummary? Model, ModelFolderException? Problem, bool NameTaken)
{
    /// <summary>Whether the model was registered.</summary>
    public bool Succeeded => Model is not null;
}
