using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Datasets.Cli;

/// <summary>How the portal's command lines (<c>data</c>, <c>eval</c>, <c>plan</c>) print: aligned tables and one JSON document.</summary>
public static class CommandOutput
{
    /// <summary>
    /// The <c>--json</c> document of the file-based command lines (<c>eval</c>, <c>plan</c>): indented, enums as names,
    /// nulls left out, Chinese readable (the output is data, never HTML), NaN and infinities as names.
    /// </summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes <paramref name="value"/> as one JSON document and flushes (a pipeline reads it at once).</summary>
    public static async Task WriteJsonAsync<T>(TextWriter output, T value, JsonSerializerOptions? options = null)
    {
        await output.WriteLineAsync(JsonSerializer.Serialize(value, options ?? Json));
        await output.FlushAsync(CancellationToken.None);
    }

    /// <summary>A table: columns padded to their widest cell (the last one not), two spaces apart; "(none)" under a header alone.</summary>
    public static async Task WriteTableAsync(TextWriter output, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, c) => all.Max(r => r[c].Length)).ToArray();
        foreach (var row in all)
            await output.WriteLineAsync(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        if (all.Count == 1)
            await output.WriteLineAsync("(none)");
    }
}
