using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepSeek.Portal.Planning.Deployment;

/// <summary>
/// An ordered YAML mapping for <see cref="YamlWriter"/>: keys keep the order they were added in (so generated files read
/// like hand-written ones), and comment lines can sit between keys.
/// </summary>
internal sealed class YamlMap : System.Collections.IEnumerable
{
    private readonly List<(string? Key, object? Value)> _entries = [];

    /// <summary>The entries in order; a null key is a comment line whose text is the value.</summary>
    public IReadOnlyList<(string? Key, object? Value)> Entries => _entries;

    public void Add(string key, object? value) => _entries.Add((key, value));

    /// <summary>A comment line before the next key.</summary>
    public YamlMap Comment(string text)
    {
        _entries.Add((null, text));
        return this;
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => _entries.GetEnumerator();
}

/// <summary>A YAML sequence for <see cref="YamlWriter"/>.</summary>
internal sealed class YamlSeq : List<object?>
{
    public YamlSeq() { }

    public YamlSeq(IEnumerable<object?> items) : base(items) { }
}

/// <summary>
/// A minimal block-style YAML emitter (BCL only). Every string scalar is written double-quoted with escapes, so no value
/// can be read back as another type (<c>"on"</c>, <c>"1e3"</c>, <c>"null"</c>, a port <c>"8000:8000"</c>) or break the
/// document (newlines, <c>#</c>, <c>: </c>); floats always carry a dot and a signed exponent, which YAML 1.1 readers
/// such as PyYAML (LLaMA-Factory) need to read them as floats rather than strings.
/// </summary>
internal static partial class YamlWriter
{
    /// <summary>One document, preceded by comment lines.</summary>
    public static string Document(YamlMap root, IEnumerable<string>? header = null)
    {
        var sb = new StringBuilder();
        foreach (var line in header ?? [])
            AppendComment(sb, 0, line);
        WriteMap(sb, root, 0);
        return sb.ToString();
    }

    /// <summary>Several documents separated by <c>---</c>, the header before the first.</summary>
    public static string Documents(IEnumerable<YamlMap> roots, IEnumerable<string>? header = null)
    {
        var sb = new StringBuilder();
        foreach (var line in header ?? [])
            AppendComment(sb, 0, line);
        var first = true;
        foreach (var root in roots)
        {
            if (!first || sb.Length > 0) sb.Append("---\n");
            first = false;
            WriteMap(sb, root, 0);
        }
        return sb.ToString();
    }

    private static void WriteMap(StringBuilder sb, YamlMap map, int indent)
    {
        foreach (var (key, value) in map.Entries)
        {
            if (key is null)
            {
                AppendComment(sb, indent, (string)value!);
                continue;
            }
            sb.Append(' ', indent).Append(Key(key)).Append(':');
            WriteValueAfterKey(sb, value, indent);
        }
    }

    private static void WriteValueAfterKey(StringBuilder sb, object? value, int indent)
    {
        switch (value)
        {
            case YamlMap m when !HasKeys(m):
                sb.Append(" {}\n");
                WriteMap(sb, m, indent + 2); // its comments, if any
                break;
            case YamlMap m:
                sb.Append('\n');
                WriteMap(sb, m, indent + 2);
                break;
            case YamlSeq s when s.Count == 0:
                sb.Append(" []\n");
                break;
            case YamlSeq s:
                sb.Append('\n');
                WriteSeq(sb, s, indent + 2);
                break;
            default:
                sb.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static void WriteSeq(StringBuilder sb, YamlSeq seq, int indent)
    {
        foreach (var item in seq)
        {
            switch (item)
            {
                case YamlMap m when m.Entries.Count > 0 && m.Entries[0].Key is not null && !IsEmptyCollection(m.Entries[0].Value):
                {
                    // "- key: value" on the dash's line, the rest aligned under the first key.
                    var first = new StringBuilder();
                    WriteMap(first, m, indent + 2);
                    sb.Append(' ', indent).Append("- ").Append(first.ToString(indent + 2, first.Length - indent - 2));
                    break;
                }
                case YamlMap m when !HasKeys(m):
                    WriteMap(sb, m, indent); // its comments, if any
                    sb.Append(' ', indent).Append("- {}\n");
                    break;
                case YamlSeq { Count: 0 }:
                    sb.Append(' ', indent).Append("- []\n");
                    break;
                case YamlMap m:
                    sb.Append(' ', indent).Append("-\n");
                    WriteMap(sb, m, indent + 2);
                    break;
                case YamlSeq s:
                    sb.Append(' ', indent).Append("-\n");
                    WriteSeq(sb, s, indent + 2);
                    break;
                default:
                    sb.Append(' ', indent).Append("- ").Append(Scalar(item)).Append('\n');
                    break;
            }
        }
    }

    private static bool IsEmptyCollection(object? value) =>
        value is YamlMap m && !HasKeys(m) || value is YamlSeq { Count: 0 };

    private static bool HasKeys(YamlMap map) => map.Entries.Any(e => e.Key is not null);

    private static void AppendComment(StringBuilder sb, int indent, string text)
    {
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            sb.Append(' ', indent).Append('#');
            if (line.Length > 0) sb.Append(' ').Append(line);
            sb.Append('\n');
        }
    }

    /// <summary>A key: plain when it is an identifier-like word that no YAML version reads as a bool or null, else quoted.</summary>
    internal static string Key(string key) =>
        PlainKey().IsMatch(key) && !ReservedWord().IsMatch(key) ? key : Quote(key);

    /// <summary>A scalar: strings quoted, numbers invariant, floats with a dot, bools lower-case.</summary>
    internal static string Scalar(object? value) => value switch
    {
        null => "null",
        string s => Quote(s),
        bool b => b ? "true" : "false",
        int or long or short or byte or uint or ulong => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        double d => Float(d),
        float f => Float(f),
        decimal m => Float((double)m),
        _ => throw new ArgumentException($"No YAML form for a {value.GetType().Name}.", nameof(value)),
    };

    /// <summary>A float both YAML 1.2 and YAML 1.1 (PyYAML) read as a float: <c>3.0</c>, <c>0.0002</c>, <c>2.0e-05</c>.</summary>
    internal static string Float(double d)
    {
        if (!double.IsFinite(d)) throw new ArgumentException("Only finite floats are written.", nameof(d));
        var abs = Math.Abs(d);
        if (abs == 0 || (abs >= 1e-4 && abs < 1e15))
            return d.ToString("0.0##############", CultureInfo.InvariantCulture);
        return d.ToString("0.0##############e+00", CultureInfo.InvariantCulture);
    }

    /// <summary>A double-quoted YAML string with every character that could end or bend it escaped.</summary>
    internal static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                        sb.Append(c).Append(s[++i]);
                    else if (char.IsSurrogate(c))
                        sb.Append("\\uFFFD"); // a lone half of a pair has no UTF-8 form
                    else if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF')
                        sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_./-]*$")]
    private static partial Regex PlainKey();

    [GeneratedRegex("^(y|n|yes|no|on|off|true|false|null)$", RegexOptions.IgnoreCase)]
    private static partial Regex ReservedWord();
}
