using System.Text.RegularExpressions;

namespace DeepSeek.Portal.Planning.Deployment;

/// <summary>
/// Field checks for the deployment specs. Every value ends up inside a YAML scalar, a shell word or a Kubernetes name,
/// so each is held to the narrowest form its consumer accepts; a bad field throws <see cref="ArgumentException"/> whose
/// <see cref="ArgumentException.ParamName"/> is the spec's field name and whose message says what was expected.
/// </summary>
internal static partial class SpecChecks
{
    /// <summary>
    /// Longest served name: Kubernetes names are built as <c>name-leader</c>/<c>name-worker</c>/<c>name-headless</c>,
    /// and a StatefulSet's name must leave room for the 11-character revision hash in its pods' 63-character label.
    /// </summary>
    public const int MaxServedNameLength = 40;

    public static void Require(bool ok, string field, string expected)
    {
        if (!ok) throw new ArgumentException($"{field}: {expected}", field);
    }

    /// <summary>Refuses <paramref name="field"/> with a translatable message (which starts with the field's name, as <see cref="Require"/>'s do).</summary>
    private static void Refuse(string field, PlanNote message) => throw new SpecFieldException(field, message);

    public static void Range(int value, int min, int max, string field)
    {
        if (value < min || value > max)
            Refuse(field, PlanNote.Of("SpecRange", $"{field}: expected {min}–{max}, got {value}."));
    }

    public static void Port(int value, string field) => Range(value, 1, 65535, field);

    /// <summary>Non-empty, no whitespace, quotes, <c>$</c>, backquotes or control characters (image refs, model ids, paths).</summary>
    public static void Word(string? value, string field, string example)
    {
        if (string.IsNullOrEmpty(value))
            Refuse(field, PlanNote.Of("SpecWordMissing", $"{field}: expected a value such as {example}, got nothing."));
        if (!SafeWord().IsMatch(value!))
            Refuse(field, PlanNote.Of("SpecWordUnsafe", $"{field}: expected letters, digits and . _ - / : @ + = only (such as {example}), got \"{Printable(value!)}\"."));
    }

    /// <summary>An absolute container or host path without <c>..</c> segments.</summary>
    public static void AbsolutePath(string? value, string field)
    {
        Word(value, field, "/srv/models/deepseek-7b");
        if (!value!.StartsWith('/') || value.Split('/').Contains(".."))
            Refuse(field, PlanNote.Of("SpecPathNotAbsolute", $"{field}: expected an absolute path without '..', got \"{value}\"."));
        if (value.Contains(':'))
            Refuse(field, PlanNote.Of("SpecPathColon", $"{field}: expected a path without ':' (a volume separator), got \"{value}\"."));
    }

    public static void DnsLabel(string? value, string field, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
            Refuse(field, PlanNote.Of("SpecNameMissing", $"{field}: expected a lower-case name such as deepseek-r1-7b, got nothing."));
        if (value!.Length > maxLength || !Dns1123Label().IsMatch(value))
            Refuse(field, PlanNote.Of("SpecNameInvalid", $"{field}: expected lower-case letters, digits and '-', starting and ending with a letter or digit, at most {maxLength} characters (such as deepseek-r1-7b), got \"{Printable(value)}\"."));
    }

    /// <summary>A DNS-1035 label (a Service name must start with a letter), at most <paramref name="maxLength"/>.</summary>
    public static void Dns1035(string? value, string field, int maxLength)
    {
        DnsLabel(value, field, maxLength);
        if (!char.IsAsciiLetterLower(value![0]))
            Refuse(field, PlanNote.Of("SpecNameStartsWithDigit", $"{field}: expected a name that starts with a letter (Kubernetes Service names do), got \"{value}\"."));
    }

    public static bool IsDnsLabel(string value) => Dns1123Label().IsMatch(value) && value.Length <= 63;

    /// <summary>The env var a secret name maps to in compose: <c>deepseek-api-key</c> → <c>DEEPSEEK_API_KEY</c>.</summary>
    public static string EnvVarFor(string secretName) => secretName.ToUpperInvariant().Replace('-', '_');

    public static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).Take(80).ToArray());

    [GeneratedRegex("^[A-Za-z0-9._/:@+=-]+$")]
    private static partial Regex SafeWord();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[a-z0-9_]+$")]
    public static partial Regex QuantizationName();

    [GeneratedRegex("^\\^?=?[A-Za-z0-9_.*-]+(,\\^?=?[A-Za-z0-9_.*-]+)*$")]
    public static partial Regex InterfaceList();

    [GeneratedRegex("^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$|^\\[?[0-9A-Fa-f:.]+\\]?$")]
    public static partial Regex HostOrAddress();

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    public static partial Regex DatasetName();

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9_.-]*\\.(json|jsonl)$")]
    public static partial Regex DatasetFile();
}

/// <summary>
/// A spec field refused by one of <see cref="SpecChecks"/>' shared checks: an <see cref="ArgumentException"/> on the field
/// (as every refusal is) that also carries its message as a translatable <see cref="PlanNote"/>.
/// </summary>
public sealed class SpecFieldException(string field, PlanNote note) : ArgumentException(note.Text, field)
{
    /// <summary>The message with its code and arguments.</summary>
    public PlanNote Note { get; } = note;
}
