namespace DeepSeek.Portal.Planning.Catalogue;

/// <summary>The DeepSeek models the planner knows, from their published configs, and registered folders read from config.json.</summary>
public static class ModelCatalogue
{
    /// <summary>DeepSeek-LLM 7B/67B, V2-Lite, V2, V3/R1, R1-Distill Qwen 1.5B/7B/14B/32B and Llama 8B/70B.</summary>
    public static IReadOnlyList<ModelArchitecture> All => throw new NotImplementedException("contract: filled by the planner core");

    /// <summary>The entry with <paramref name="id"/> (case-insensitive), or null.</summary>
    public static ModelArchitecture? Find(string id) => All.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Reads a Hugging Face <c>config.json</c> (llama, qwen2, deepseek_v2, deepseek_v3) into an architecture with an exact
    /// parameter count; throws <see cref="FormatException"/> naming the missing or invalid field.
    /// </summary>
    public static ModelArchitecture FromConfigJson(string id, string name, string configJson) => throw new NotImplementedException("contract: filled by the planner core");
}
