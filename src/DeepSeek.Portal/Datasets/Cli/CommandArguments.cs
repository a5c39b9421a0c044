namespace DeepSeek.Portal.Datasets.Cli;

/// <summary>A command line that could not be understood: exit code 2, the message and the command's usage on stderr.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The arguments of one <c>data</c> (or <c>eval</c>) command, parsed by hand (the grammar is small): positional values, <c>--name value</c>
/// or <c>--name=value</c> options (repeatable), and bare flags. An option whose next token starts with <c>--</c>, or
/// that ends the line, is a flag; a value that itself starts with <c>--</c> is written <c>--name=--value</c>.
/// Settings for the host (<c>--Portal:DataDirectory=/srv/data</c>, any key with a colon, and <c>--data-dir</c>) are
/// set apart first, so the command line reaches the same configuration keys as the portal.
/// </summary>
public sealed class CommandArguments
{
    /// <summary>Options that never take a value, wherever they stand.</summary>
    private static readonly HashSet<string> KnownFlags = ["json", "help", "dropped", "quiet", "verbose", "all", "allow-repeats"];

    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private CommandArguments()
    {
    }

    /// <summary>The command (<c>import</c>, <c>list</c>, …), or <see langword="null"/> when none was given.</summary>
    public string? Command { get; private init; }

    /// <summary>Positional values after the command, in order.</summary>
    public IReadOnlyList<string> Positionals { get; private init; } = [];

    /// <summary>Host settings in <c>--Key:Sub=value</c> form, for the configuration's command-line source.</summary>
    public IReadOnlyList<string> Settings { get; private init; } = [];

    /// <summary>Every option name given, in order of first appearance (for operation shortcuts that take any flag).</summary>
    public IEnumerable<string> OptionNames => _options.Keys;

    /// <summary>Splits <paramref name="args"/> (without the leading <c>data</c>).</summary>
    public static CommandArguments Parse(IReadOnlyList<string> args) => Parse(args, []);

    /// <summary>Splits <paramref name="args"/>; <paramref name="flags"/> are a command line's own options that never take a value (<c>eval</c>'s <c>--no-ppl</c>).</summary>
    public static CommandArguments Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> flags)
    {
        var positionals = new List<string>();
        var settings = new List<string>();
        var options = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string? command = null;
        for (var i = 0; i < args.Count; i++)
        {
            var token = args[i];
            if (token == "--")
            {
                positionals.AddRange(args.Skip(i + 1));
                break;
            }
            if (token.StartsWith("--", StringComparison.Ordinal) && token.Length > 2)
            {
                var body = token[2..];
                var equals = body.IndexOf('=');
                var name = equals < 0 ? body : body[..equals];
                string? value = equals < 0 ? null : body[(equals + 1)..];
                if (value is null && !KnownFlags.Contains(name) && !flags.Contains(name) && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    value = args[++i];
                if (name == "data-dir")
                {
                    settings.Add($"--Portal:DataDirectory={value ?? throw new UsageException("--data-dir needs a directory")}");
                    continue;
                }
                if (name.Contains(':', StringComparison.Ordinal))
                {
                    settings.Add($"--{name}={value ?? throw new UsageException($"--{name} needs a value")}");
                    continue;
                }
                if (!options.TryGetValue(name, out var list))
                    options[name] = list = [];
                // A bare flag is recorded as "true", so shortcut operations can pass it on as a boolean parameter.
                list.Add(value ?? "true");
                continue;
            }
            if (command is null && positionals.Count == 0)
                command = token;
            else
                positionals.Add(token);
        }
        var parsed = new CommandArguments { Command = command, Positionals = positionals, Settings = settings };
        foreach (var (name, values) in options)
            parsed._options[name] = values;
        return parsed;
    }

    /// <summary>True when the flag (or the option) was given.</summary>
    public bool Has(string name)
    {
        _used.Add(name);
        return _options.ContainsKey(name);
    }

    /// <summary>The option's last value, or <see langword="null"/>.</summary>
    public string? Value(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var values) ? values[^1] : null;
    }

    /// <summary>Every value given for a repeatable option.</summary>
    public IReadOnlyList<string> Values(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var values) ? values : [];
    }

    /// <summary>The option as a whole number in a range, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback, int min, int max)
    {
        var text = Value(name);
        if (text is null)
            return fallback;
        if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new UsageException($"--{name} expects a whole number from {min} to {max}, not \"{text}\"");
        return value;
    }

    /// <summary>The option as a number in a range, or <see langword="null"/> when absent.</summary>
    public double? Number(string name, double min, double max)
    {
        var text = Value(name);
        if (text is null)
            return null;
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return double.TryParse(text, System.Globalization.NumberStyles.Float, c, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"--{name} expects a number from {min.ToString(c)} to {max.ToString(c)}, not \"{text}\"");
    }

    /// <summary>The positional value at <paramref name="index"/>, or a usage error naming what was expected.</summary>
    public string Positional(int index, string what) =>
        index < Positionals.Count ? Positionals[index] : throw new UsageException($"missing {what}");

    /// <summary>Refuses options the command did not read and positional values beyond <paramref name="positionals"/>.</summary>
    public void EnsureNothingElse(int positionals)
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"unknown option{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => "--" + u))}");
        if (Positionals.Count > positionals)
            throw new UsageException($"unexpected argument \"{Positionals[positionals]}\"");
    }

    /// <summary>Marks an option as read (shortcut operations consume every option they are given).</summary>
    public void MarkUsed(string name) => _used.Add(name);
}
