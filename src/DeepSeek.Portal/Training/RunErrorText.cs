using System.Text.RegularExpressions;

namespace DeepSeek.Portal.Training;

/// <summary>
/// What readers of a failed run may see: the first lines of the message, no stack frames, no server paths (a path tells
/// an outsider where data lives and who runs it; the file name is enough to act on). The full exception goes to the log.
/// </summary>
public static partial class RunErrorText
{
    private const int MaxLength = 500;

    public static string? ForReaders(string? error)
    {
        if (string.IsNullOrWhiteSpace(error))
            return error;
        var lines = error.ReplaceLineEndings("\n").Split('\n')
            .TakeWhile(l => !StackFrame().IsMatch(l))
            .Where(l => l.Length > 0)
            .Select(l => WindowsPath().Replace(UnixPath().Replace(l, LastSegment), LastSegment));
        var text = string.Join(" ", lines).Trim();
        if (text.Length == 0)
            return "The run failed; the portal's log has the details.";
        return text.Length <= MaxLength ? text : text[..MaxLength] + "…";
    }

    private static string LastSegment(Match m)
    {
        var name = m.Value.TrimEnd('/', '\\');
        var cut = name.LastIndexOfAny(['/', '\\']);
        return cut >= 0 && cut < name.Length - 1 ? name[(cut + 1)..] : "…";
    }

    // "   at Namespace.Type.Method(...) in /src/File.cs:line 12" and the async separators between frames.
    [GeneratedRegex(@"^\s*(at\s+\S+\(|---\s*End of)")]
    private static partial Regex StackFrame();

    // An absolute Unix path: starts a word (after space, quote, bracket or '='), has at least two segments.
    [GeneratedRegex(@"(?<=^|[\s'""(\[=])/[^\s'""()\[\],;]+/[^\s'""()\[\],;]*")]
    private static partial Regex UnixPath();

    [GeneratedRegex(@"(?<![\w])[A-Za-z]:\\[^\s'""()\[\],;]*")]
    private static partial Regex WindowsPath();
}
