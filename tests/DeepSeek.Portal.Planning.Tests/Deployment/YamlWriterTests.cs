using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Planning.Deployment;
using static DeepSeek.Portal.Planning.Tests.Deployment.GeneratedDocuments;

namespace DeepSeek.Portal.Planning.Tests.Deployment;

public class YamlWriterTests
{
    public static TheoryData<string> AwkwardStrings => new()
    {
        "on", "off", "yes", "no", "null", "~", "true", "1e3", "0x1F", "012", ".inf", "8000:8000", "",
        "a: b # c", "- item", "? key", "*alias", "&anchor", "!tag", "%directive", "@at", "`tick", "|", ">",
        "line\nbreak", "quote \" inside", "back\\slash", "tab\there", "bell\u0007", "nul\0", "del\u007f",
        "中文模型", "emoji 🚀", "trailing space ", " leading", "'single'", "{flow: map}", "[flow, seq]", "---", "...",
        "line\u2028separator", "\uFEFFbom",
    };

    [Theory]
    [MemberData(nameof(AwkwardStrings))]
    public void Every_string_round_trips_through_a_real_parser_as_the_same_string(string value)
    {
        var yaml = YamlWriter.Document(new YamlMap { { "value", value }, { "list", new YamlSeq { value, value } } });
        var doc = ParseSingleYaml(yaml);
        Assert.Equal("String", JsonValueKind(doc["value"]));
        Assert.Equal(value, (string)doc["value"]!);
        Assert.Equal(value, (string)doc["list"]![1]!);
    }

    private static string JsonValueKind(JsonNode? node) => node?.GetValueKind().ToString() ?? "Null";

    [Fact]
    public void A_lone_surrogate_is_replaced_rather_than_written_as_invalid_utf8()
    {
        var doc = ParseSingleYaml(YamlWriter.Document(new YamlMap { { "v", "a\uD800b" } }));
        Assert.Equal("a\uFFFDb", (string)doc["v"]!);
    }

    [Theory]
    [InlineData("on")]
    [InlineData("nvidia.com/gpu")]
    [InlineData("key with space")]
    [InlineData("app.kubernetes.io/name")]
    [InlineData("#hash")]
    public void Keys_round_trip_and_reserved_words_are_quoted(string key)
    {
        var yaml = YamlWriter.Document(new YamlMap { { key, 1 } });
        Assert.Equal(1, (long)ParseSingleYaml(yaml)[key]!);
        if (key == "on") Assert.Contains("\"on\":", yaml);
        if (key == "nvidia.com/gpu") Assert.Contains("nvidia.com/gpu: 1", yaml);
    }

    /// <summary>PyYAML (YAML 1.1, what LLaMA-Factory reads with) only takes floats with a dot and a signed exponent.</summary>
    private static readonly Regex Yaml11Float = new("^[-+]?([0-9][0-9_]*)?\\.[0-9.]*([eE][-+][0-9]+)?$");

    [Theory]
    [InlineData(2e-5)]
    [InlineData(1e-4)]
    [InlineData(0.0002)]
    [InlineData(3.0)]
    [InlineData(0.1)]
    [InlineData(1e20)]
    [InlineData(-5e-7)]
    [InlineData(0.0)]
    public void Floats_read_back_equal_and_as_floats_in_yaml_1_1(double value)
    {
        var text = YamlWriter.Float(value);
        Assert.Matches(Yaml11Float, text);
        var doc = ParseSingleYaml(YamlWriter.Document(new YamlMap { { "lr", value } }));
        Assert.Equal(value, (double)doc["lr"]!, 12);
    }

    [Fact]
    public void Nested_maps_sequences_empties_and_comments_keep_their_shape()
    {
        var root = new YamlMap { { "a", new YamlSeq { new YamlMap { { "x", 1 }, { "y", new YamlSeq { "p" } } }, new YamlMap().Comment("c"), new YamlSeq() } } };
        root.Comment("between");
        root.Add("b", new YamlMap());
        root.Add("c", null);
        root.Add("d", false);
        var yaml = YamlWriter.Documents([root, new YamlMap { { "e", 2L } }], ["header"]);
        var docs = ParseYaml(yaml);
        Assert.Equal(2, docs.Count);
        Assert.Equal("""{"a":[{"x":1,"y":["p"]},{},[]],"b":{},"c":null,"d":false}""", docs[0].ToJsonString());
        Assert.Equal("""{"e":2}""", docs[1].ToJsonString());
        Assert.StartsWith("# header\n---\n", yaml);
    }
}
