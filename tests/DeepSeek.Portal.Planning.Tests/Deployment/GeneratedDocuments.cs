using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DeepSeek.Portal.Planning.Tests.Deployment;

/// <summary>
/// Reads generated YAML back with YamlDotNet (a real parser, not ours) and turns it into JSON with the YAML 1.2 core schema's
/// typing (quoted scalars are strings; plain ones may be null, bool, int or float), then checks it against the schema subsets
/// in Schemas/.
/// </summary>
internal static partial class GeneratedDocuments
{
    private static readonly Lazy<JsonSchema> ComposeSchemaLazy = new(() => Load("compose.schema.json"));
    private static readonly Lazy<JsonSchema> KubernetesSchemaLazy = new(() => Load("kubernetes.schema.json"));

    private static readonly object EvaluationLock = new();

    public static JsonSchema ComposeSchema => ComposeSchemaLazy.Value;

    public static JsonSchema KubernetesSchema => KubernetesSchemaLazy.Value;

    private static JsonSchema Load(string file) =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Deployment", "Schemas", file)));

    /// <summary>Every document in the text, as JSON.</summary>
    public static List<JsonObject> ParseYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => ToJson(d.RootNode) as JsonObject
            ?? throw new InvalidDataException("a document's root is not a mapping")).ToList();
    }

    public static JsonObject ParseSingleYaml(string yaml)
    {
        var docs = ParseYaml(yaml);
        Assert.Single(docs);
        return docs[0];
    }

    /// <summary>Validates and returns the failures (empty when valid), so an assertion shows what failed.</summary>
    public static List<string> Violations(JsonSchema schema, JsonNode instance)
    {
        EvaluationResults result;
        // One evaluation at a time: test classes run in parallel and a shared schema was seen to pass a broken
        // document while another thread evaluated it (JsonSchema.Net keeps per-schema evaluation state).
        lock (EvaluationLock)
            result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return [];
        var list = new List<string>();
        foreach (var d in result.Details.Where(d => d.HasErrors))
            foreach (var (key, message) in d.Errors!)
                list.Add($"{d.InstanceLocation} ({d.EvaluationPath}) {key}: {message}");
        if (list.Count == 0) list.Add("invalid (no detail)");
        return list;
    }

    public static void AssertValid(JsonSchema schema, JsonNode instance)
    {
        var errors = Violations(schema, instance);
        Assert.True(errors.Count == 0, "schema violations:\n" + string.Join('\n', errors) + "\n" + instance.ToJsonString());
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(ToJson).ToArray()),
        YamlScalarNode sc => Scalar(sc),
        _ => throw new InvalidDataException($"unexpected YAML node {node.NodeType}"),
    };

    private static JsonNode? Scalar(YamlScalarNode sc)
    {
        var v = sc.Value ?? "";
        if (sc.Style != ScalarStyle.Plain) return JsonValue.Create(v);
        if (v is "" or "~" or "null" or "Null" or "NULL") return null;
        if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (IntPattern().IsMatch(v)) return JsonValue.Create(long.Parse(v, CultureInfo.InvariantCulture));
        if (FloatPattern().IsMatch(v)) return JsonValue.Create(double.Parse(v, CultureInfo.InvariantCulture));
        return JsonValue.Create(v);
    }

    /// <summary>The argv of a compose service (entrypoint + command) or a Kubernetes container (command + args).</summary>
    public static List<string> Argv(JsonObject container, string first, string second) =>
        (container[first]?.AsArray() ?? []).Concat(container[second]?.AsArray() ?? []).Select(n => n!.GetValue<string>()).ToList();

    /// <summary>The value after a flag in an argv; fails when the flag is absent or repeated.</summary>
    public static string Flag(IReadOnlyList<string> argv, string flag)
    {
        var at = Enumerable.Range(0, argv.Count).Where(i => argv[i] == flag).ToList();
        Assert.True(at.Count == 1, $"{flag} appears {at.Count} times in: {string.Join(' ', argv)}");
        Assert.True(at[0] + 1 < argv.Count, $"{flag} has no value");
        return argv[at[0] + 1];
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
