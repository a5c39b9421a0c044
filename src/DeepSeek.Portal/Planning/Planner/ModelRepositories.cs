namespace DeepSeek.Portal.Planning.Planner;

/// <summary>
/// The Hugging Face repository each catalogue model is served from (the chat/instruct release where one exists, since
/// serving is for answering). Matched on the id with "deepseek", case and punctuation ignored, so <c>deepseek-v3</c>,
/// <c>v3</c> and <c>DeepSeek-V3</c> are one model and <c>r1-distill-qwen-1.5b</c> matches with or without its prefix.
/// </summary>
public static class ModelRepositories
{
    private static readonly Dictionary<string, string> Repositories = new(StringComparer.Ordinal)
    {
        ["llm7b"] = "deepseek-ai/deepseek-llm-7b-chat",
        ["llm67b"] = "deepseek-ai/deepseek-llm-67b-chat",
        ["v2lite"] = "deepseek-ai/DeepSeek-V2-Lite-Chat",
        ["v2"] = "deepseek-ai/DeepSeek-V2-Chat",
        ["v3"] = "deepseek-ai/DeepSeek-V3",
        ["v3r1"] = "deepseek-ai/DeepSeek-V3",
        ["r1"] = "deepseek-ai/DeepSeek-R1",
        ["r1distillqwen15b"] = "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
        ["r1distillqwen7b"] = "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        ["r1distillqwen14b"] = "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
        ["r1distillqwen32b"] = "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
        ["r1distillllama8b"] = "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
        ["r1distillllama70b"] = "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
    };

    /// <summary>The repository of a catalogue model id, or null when the id is not a known DeepSeek release.</summary>
    public static string? For(string catalogueId) => Repositories.GetValueOrDefault(Key(catalogueId));

    private static string Key(string id)
    {
        var lower = id.ToLowerInvariant().Replace("deepseek", "", StringComparison.Ordinal);
        return new string([.. lower.Where(char.IsAsciiLetterOrDigit)]);
    }
}
