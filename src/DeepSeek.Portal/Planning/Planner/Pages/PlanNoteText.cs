using System.Globalization;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Planning.Planner.Pages;

/// <summary>
/// The planner's sentences (<see cref="PlanNote"/>: warnings, memory notes, claim computations and verdicts, field
/// errors, serving and machine-check notes) in the page's language: the resx template <c>PlNote_&lt;code&gt;</c> with the
/// note's arguments, or — only when a code has no key — the English text, which the page then marks <c>lang="en"</c>.
/// </summary>
public static class PlanNoteText
{
    /// <summary>Resx key of a note's template: this prefix and the code.</summary>
    public const string KeyPrefix = "PlNote_";

    /// <summary>
    /// Resx key of a word among the arguments (an enum name such as <c>FullFineTune</c>, <c>True</c>, <c>measured</c>):
    /// this prefix and the word; a word without a key is shown as it is (model and GPU names, numbers).
    /// </summary>
    public const string ArgPrefix = "PlNoteArg_";

    /// <summary>The note in the UI language, and whether it fell back to English.</summary>
    public static (string Text, bool English) Localise(IStringLocalizer l, PlanNote note)
    {
        var template = l[KeyPrefix + note.Code];
        if (template.ResourceNotFound)
            return (note.Text, true);
        var args = note.Args.Select(a => Argument(l, a)).ToArray<object?>();
        try
        {
            return (string.Format(CultureInfo.CurrentCulture, template.Value, args), false);
        }
        catch (FormatException)
        {
            // A translation whose holes do not match the arguments (the resx tests catch this): the English stands.
            return (note.Text, true);
        }
    }

    /// <summary>The note's text in the UI language (English where it has no translation).</summary>
    public static string Text(IStringLocalizer l, PlanNote note) => Localise(l, note).Text;

    /// <summary>
    /// A refusal's field errors in the UI language: coded messages by their templates, the others (the deployment
    /// library's option checks) as they are, after <paramref name="leadIn"/> when one is given.
    /// </summary>
    public static Dictionary<string, string[]> Errors(IStringLocalizer l, PlannerRequestException e, Func<string, string>? leadIn = null)
    {
        var result = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (field, messages) in e.Errors)
        {
            result[field] = e.Notes.TryGetValue(field, out var notes)
                ? [.. notes.Select(n => Text(l, n))]
                : leadIn is null ? messages : [leadIn(string.Join(" ", messages))];
        }
        return result;
    }

    /// <summary>
    /// An argument in the UI language: a word with a <see cref="ArgPrefix"/> key becomes its translation; a list of
    /// names (<c>MemoryGB, BandwidthGBps</c>) has each translated and is joined with the language's separator.
    /// </summary>
    private static string Argument(IStringLocalizer l, string arg)
    {
        var parts = arg.Split(", ");
        if (parts.Length < 2 || !parts.All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')))
            return Word(l, arg);
        var separator = l["PlNoteListSeparator"];
        return string.Join(separator.ResourceNotFound ? ", " : separator.Value, parts.Select(p => Word(l, p)));
    }

    private static string Word(IStringLocalizer l, string arg)
    {
        if (arg.Length is 0 or > 40 || !char.IsAsciiLetter(arg[0]) || !arg.All(char.IsAsciiLetterOrDigit))
            return arg;
        var word = l[ArgPrefix + arg];
        return word.ResourceNotFound ? arg : word.Value;
    }
}
