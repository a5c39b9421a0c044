using System.ComponentModel.DataAnnotations;

namespace DeepSeek.Portal.Models;

/// <summary>The "Portal:Models" section: where model folders may be registered from, and how much one generation may ask.</summary>
public sealed class ModelRegistryOptions
{
    public const string Section = "Portal:Models";

    /// <summary>
    /// Folders under which model folders may be registered, besides <c>&lt;data dir&gt;/models</c> (where the portal
    /// saves runs as models), which is always allowed. Relative entries
    /// are resolved against the data directory. Symlinks are resolved before the check, so a link inside a root that
    /// points outside every root is refused.
    /// </summary>
    public List<string> Roots { get; set; } = [];

    /// <summary>Most new tokens one generation request may ask for.</summary>
    [Range(1, 32_768)]
    public int MaxNewTokens { get; set; } = 512;

    /// <summary>Longest prompt, in tokens, a generation request may send.</summary>
    [Range(1, 1_000_000)]
    public int MaxPromptTokens { get; set; } = 4096;
}
