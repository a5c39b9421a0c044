using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Planning;

/// <summary>
/// A sentence the planning library says to people (a warning, a note, a verdict, a field error), in a form a user
/// interface can translate: <see cref="Code"/> names the sentence and never changes with its wording, <see cref="Text"/>
/// is the English sentence as written, and <see cref="Args"/> are the values put into it, in order, formatted with the
/// invariant culture — so a translation is a template with <c>{0}</c>, <c>{1}</c>, … for the same values.
/// </summary>
/// <param name="Code">Stable name of the sentence (<c>DoesNotFit</c>, <c>ClaimInt8QuarterVerdict</c>, …).</param>
/// <param name="Text">The English sentence with the values in.</param>
/// <param name="Args">The values, invariant-formatted, in the order of the English template's holes.</param>
public sealed record PlanNote(string Code, string Text, IReadOnlyList<string> Args)
{
    /// <summary>The English template with plain holes <c>{0}</c>, <c>{1}</c>, …: <c>string.Format(Template, Args) == Text</c>.</summary>
    /// <remarks>Not sent to clients (they have <see cref="Text"/>); tests compare it with the translations.</remarks>
    [JsonIgnore]
    public string Template { get; init; } = Text;

    /// <summary>The English text, so a note prints as it reads.</summary>
    public override string ToString() => Text;

    /// <summary>
    /// A note from an interpolated English sentence: each hole becomes one of <see cref="Args"/>, formatted with its own
    /// format string (<c>{x:0.###}</c>) in the invariant culture; the text is the sentence formatted the same way.
    /// </summary>
    public static PlanNote Of(string code, FormattableString sentence)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        ArgumentNullException.ThrowIfNull(sentence);
        var values = sentence.GetArguments();
        var args = new string[values.Length];
        var template = new StringBuilder();
        var format = sentence.Format;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if ((c == '{' || c == '}') && i + 1 < format.Length && format[i + 1] == c)
            {
                template.Append(c, 2);
                i++;
                continue;
            }
            if (c != '{')
            {
                template.Append(c);
                continue;
            }
            int end = format.IndexOf('}', i);
            var hole = format.AsSpan(i + 1, end - i - 1);
            int colon = hole.IndexOf(':');
            var head = colon < 0 ? hole : hole[..colon];
            int comma = head.IndexOf(',');
            int index = int.Parse(comma < 0 ? head : head[..comma], CultureInfo.InvariantCulture);
            string? spec = colon < 0 ? null : hole[(colon + 1)..].ToString();
            args[index] = values[index] switch
            {
                null => "",
                IFormattable f => f.ToString(spec, CultureInfo.InvariantCulture),
                var other => other.ToString() ?? "",
            };
            template.Append('{').Append(index.ToString(CultureInfo.InvariantCulture)).Append('}');
            i = end;
        }
        return new PlanNote(code, sentence.ToString(CultureInfo.InvariantCulture), args) { Template = template.ToString() };
    }

    /// <summary>The notes' English texts joined by spaces, or null for none.</summary>
    public static string? Join(IReadOnlyList<PlanNote>? notes) =>
        notes is { Count: > 0 } ? string.Join(" ", notes.Select(n => n.Text)) : null;
}
