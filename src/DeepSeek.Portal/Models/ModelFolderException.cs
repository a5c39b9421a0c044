namespace DeepSeek.Portal.Models;

/// <summary>Why a folder cannot be registered or loaded; <see cref="Code"/> is the stable machine-readable reason the API returns.</summary>
public sealed class ModelFolderException(string code, string title, string detail) : Exception(detail)
{
    /// <summary>The path is outside every configured model root (after <c>..</c> and symlinks are resolved).</summary>
    public const string OutsideRoots = "outside_roots";
    /// <summary>No folder at the path.</summary>
    public const string NotFound = "folder_not_found";
    /// <summary>The folder has no config.json.</summary>
    public const string MissingConfig = "missing_config";
    /// <summary>config.json is not valid JSON or not a valid config of a supported family.</summary>
    public const string MalformedConfig = "malformed_config";
    /// <summary>config.json asks for something the engine does not implement.</summary>
    public const string UnsupportedConfig = "unsupported_config";
    /// <summary>Neither model.safetensors nor model.safetensors.index.json.</summary>
    public const string MissingWeights = "missing_weights";
    /// <summary>A safetensors header or the index is malformed, or a shard is missing.</summary>
    public const string MalformedWeights = "malformed_weights";
    /// <summary>The weights do not fit config.json (e.g. embedding shape).</summary>
    public const string WeightsMismatch = "weights_mismatch";

    /// <summary>One of the constants above.</summary>
    public string Code { get; } = code;

    /// <summary>A one-line summary for the problem title.</summary>
    public string Title { get; } = title;
}
