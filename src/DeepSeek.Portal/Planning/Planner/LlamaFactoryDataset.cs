using System.Text.Json;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training;

namespace DeepSeek.Portal.Planning.Planner;

/// <summary>
/// A dataset version's supervised examples in the files LLaMA-Factory reads (<c>data/README.md</c> of LLaMA-Factory):
/// <c>alpaca</c> — a JSON array of <c>{"instruction", "input", "output"}</c> — when every example is a prompt/response
/// pair, <c>sharegpt</c> — <c>{"conversations": [{"from": "human"|"gpt", "value"}], "system"}</c> — when any is a
/// conversation. Which records are examples, and how, is the portal's own training rule (<see cref="Training.SupervisedRecords"/>),
/// so the bundle trains on what a portal run would.
/// </summary>
public static class LlamaFactoryDataset
{
    public const string Alpaca = "alpaca";
    public const string ShareGpt = "sharegpt";
    public const string HumanTag = "human";
    public const string AssistantTag = "gpt";

    /// <summary>The format for a set of examples: sharegpt when any example is a conversation, else alpaca.</summary>
    public static string FormatFor(bool anyConversation) => anyConversation ? ShareGpt : Alpaca;

    /// <summary>One example as LLaMA-Factory's sharegpt reads it, or null when it has no answer to train on.</summary>
    /// <remarks>
    /// LLaMA-Factory wants a system prompt apart, then strictly alternating human/gpt turns ending with gpt (it drops
    /// any other example as broken). Leading system turns become <c>system</c>; neighbouring turns of the same side
    /// (two user turns, a tool's output after the user's words) are joined with <c>\n</c> and counted in
    /// <see cref="ShareGptExample.Merged"/>; a trailing question without an answer is left out.
    /// </remarks>
    public static ShareGptExample? ToShareGpt(SupervisedExample example)
    {
        var messages = example.Messages;
        var index = 0;
        var system = new List<string>();
        while (index < messages.Count && messages[index].Role == ChatRole.System)
            system.Add(messages[index++].Content);
        var turns = new List<(string From, string Value)>();
        var merged = 0;
        for (; index < messages.Count; index++)
        {
            var from = messages[index].Role == ChatRole.Assistant ? AssistantTag : HumanTag;
            if (turns.Count == 0 && from == AssistantTag)
            {
                // An opening assistant turn has no question to answer: LLaMA-Factory would drop the whole example.
                turns.Add((HumanTag, ""));
                merged++;
            }
            if (turns.Count > 0 && turns[^1].From == from)
            {
                turns[^1] = (from, turns[^1].Value + "\n" + messages[index].Content);
                merged++;
            }
            else
            {
                turns.Add((from, messages[index].Content));
            }
        }
        if (turns.Count > 0 && turns[^1].From == HumanTag)
            turns.RemoveAt(turns.Count - 1);
        return turns.Count == 0 ? null : new ShareGptExample(system.Count == 0 ? null : string.Join('\n', system), turns, merged);
    }

    /// <summary>Writes one alpaca object: the prompt as the instruction, no input, the response as the output.</summary>
    public static void WriteAlpaca(Utf8JsonWriter writer, SupervisedExample example)
    {
        writer.WriteStartObject();
        writer.WriteString("instruction", example.Prompt);
        writer.WriteString("input", "");
        writer.WriteString("output", example.Response);
        writer.WriteEndObject();
    }

    /// <summary>Writes one sharegpt object (conversations, then system when there is one).</summary>
    public static void WriteShareGpt(Utf8JsonWriter writer, ShareGptExample example)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("conversations");
        foreach (var (from, value) in example.Turns)
        {
            writer.WriteStartObject();
            writer.WriteString("from", from);
            writer.WriteString("value", value);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        if (example.System is { } system)
            writer.WriteString("system", system);
        writer.WriteEndObject();
    }
}

/// <summary>An example in sharegpt form.</summary>
/// <param name="System">The system prompt, or null.</param>
/// <param name="Turns">Alternating human/gpt turns, ending with gpt.</param>
/// <param name="Merged">Turns joined or added to make the turns alternate (0 for a clean conversation).</param>
public sealed record ShareGptExample(string? System, IReadOnlyList<(string From, string Value)> Turns, int Merged);
