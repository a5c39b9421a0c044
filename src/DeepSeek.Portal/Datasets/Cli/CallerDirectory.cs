namespace DeepSeek.Portal.Datasets.Cli;

/// <summary>
/// Where relative paths on the command line (the file to import, --mapping, --params-file, --out) are resolved: the
/// directory the user typed the command in. <c>dotnet run --project src/DeepSeek.Portal</c> starts the portal in its
/// project folder (the portal's content root, which the Development settings rely on), so under <c>dotnet run</c> the
/// directory of the <c>dotnet run</c> process is used instead (read from <c>/proc</c>; elsewhere the current directory).
/// </summary>
internal static class CallerDirectory
{
    private static readonly Lazy<string> Directory = new(Find);

    /// <summary>The absolute form of <paramref name="path"/>, relative paths taken from the caller's directory.</summary>
    public static string Resolve(string path) => Path.GetFullPath(path, Directory.Value);

    private static string Find()
    {
        var current = Environment.CurrentDirectory;
        if (!OperatingSystem.IsLinux())
            return current;
        try
        {
            // /proc/self/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ')'.
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var parent = fields[1];
            var command = File.ReadAllText($"/proc/{parent}/cmdline").Split('\0');
            var underDotnetRun = command.Length > 1 && Path.GetFileNameWithoutExtension(command[0]) == "dotnet" && command[1] == "run";
            return underDotnetRun && new DirectoryInfo($"/proc/{parent}/cwd").LinkTarget is { } shell && System.IO.Directory.Exists(shell) ? shell : current;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentException)
        {
            return current;
        }
    }
}
