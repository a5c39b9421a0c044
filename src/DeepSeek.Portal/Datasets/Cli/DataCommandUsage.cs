namespace DeepSeek.Portal.Datasets.Cli;

/// <summary>The help texts of <c>data --help</c> and <c>data &lt;command&gt; --help</c>.</summary>
internal static class DataCommandUsage
{
    public const string Overview = """
        Usage: dotnet DeepSeek.Portal.dll data <command> [arguments] [options]
               dotnet run --project src/DeepSeek.Portal -- data <command> ...

        Datasets and versions (same database and files as the portal):
          import <file>             import a file as a new dataset (version 1)
          list                      datasets
          versions <dataset>        a dataset's versions
          stats <version>           a version's statistics (JSON)
          show <version>            a page of records, with scores and drop rules
          compare <a> <b>           records added and removed between two versions
          export <version>          write a version to JSONL or Parquet
          jobs                      the latest data jobs

        Transformations (each makes a new version; the old one stays):
          transform <version> <operation> [--params <json> | --params-file <f>]
          filter <version> --min <score>=<x> --max <score>=<y> [--missing keep|drop]
          <operation> <version> [--<parameter> <value> ...]   (score, dedup, mask, preprocess, … when registered)
          mix --source <version>=<weight> ... --name <new dataset>   several versions mixed into a new dataset

        <dataset> is a name or an id. <version> is a version id, <dataset> (its newest version) or <dataset>:v<N>.

        Options for every command:
          --json                    one JSON document on stdout (errors included); progress stays on stderr
          --quiet                   no progress on stderr
          --verbose                 the portal's log on stderr
          --data-dir <dir>          the data directory (Portal:DataDirectory; env Portal__DataDirectory)
          --Section:Key=value       any portal setting, as for the web host

        Exit codes: 0 success, 1 failed (job failed, validation errors, not found), 2 usage error, 130 cancelled (Ctrl+C).
        'data <command> --help' shows a command's options.
        """;

    public static string? For(string command) => command switch
    {
        "import" => """
            Usage: data import <file> [--name <name>] [--description <text>]
                   [--format jsonl|jsonarray|csv|tsv|text|parquet] [--encoding utf-8|utf-16le|utf-16be|gb18030]
                   [--split line|paragraph]
                   [--mapping <mapping.json> | --template "{title}\n{paragraphs}" [--separator "\n"]
                    [--records-path <path>] [--prompt-template <t>] [--response-template <t>]]

            Copies the file into the portal's uploads (kept as the dataset's original) and imports it as version 1, with
            progress. Format and encoding are detected when not given; --split applies to text files (default paragraph).
            --name defaults to the file name without its extension. In --template, --separator and the other templates
            \n, \t and \\ stand for a line feed, a tab and a backslash. --mapping reads a mapping as stored in lineage:
            {"template": "...", "listSeparator": "\n", "recordsPath": "data"}.
            A file that does not import leaves no dataset, no version and no staged upload; its errors name the file,
            the line (or record) and the field.
            """,
        "list" => """
            Usage: data list [--all] [--json]

            Datasets, the demo first, then by name. --all includes archived ones.
            """,
        "versions" => """
            Usage: data versions <dataset> [--json]

            A dataset's versions, oldest first: id, number, operation, records, dropped.
            """,
        "stats" => """
            Usage: data stats <version> [--json]

            The version's statistics (language mix and whatever the portal measures) as JSON, with its counts.
            """,
        "show" => """
            Usage: data show <version> [--page <n>] [--page-size <n>] [--q <text>] [--dropped] [--json]

            A page of records (default 20, at most 200) with their scores; --q searches text, prompt and response;
            --dropped lists what the version's filter dropped, each with the rule that dropped it.
            """,
        "compare" => """
            Usage: data compare <version-a> <version-b> [--json]

            Records of b that are not in a (added) and of a that are not in b (removed), by text, with samples.
            """,
        "export" => """
            Usage: data export <version> --out <file> [--format jsonl|parquet] [--dropped] [--json]

            JSONL is the version's canonical file as it is stored. Parquet has the columns text, prompt, response,
            score_<name> (double, one per score any record has; null where a record lacks it), dropped_by (with
            --dropped) and origin (JSON text, when records have one). The format defaults to the file's extension.
            The file is written beside the target and moved over it when complete.
            """,
        "jobs" => """
            Usage: data jobs [--dataset <dataset>] [--json]

            The latest 100 data jobs (imports and transformations, from the portal or this command line), newest first.
            """,
        "transform" => """
            Usage: data transform <version> <operation> [--params '<json>' | --params-file <file>] [--json]

            Runs a registered operation on the version and stores the result as the dataset's next version. The
            parameters are the operation's own (the same JSON as POST /api/datasets/versions/{id}/transform);
            absent ones take the operation's defaults. Ctrl+C cancels: the job is marked Cancelled and no version is made.
            """,
        "mix" => """
            Usage: data mix --source <version>=<weight> [--source <version>=<weight>]... --name <new dataset>
                   [--records <n>] [--seed <s>] [--policy static|uniform] [--allow-repeats] [--json]

            Mixes dataset versions into version 1 of a new dataset. Each --source names a version (an id, <dataset>
            for its newest version, or <dataset>:v<N>) and its weight (> 0; default 1). The target --records is split
            by the weights (static, the default) or equally (uniform) with largest remainders, so each source gives
            exactly its share; without --records the mix takes the most records it can without repeating one. A
            larger target needs --allow-repeats (a source then repeats its records as evenly as possible). --seed
            (default 7) decides which records each source gives and the order they are written in: the same sources,
            target and seed give the same file. Each record's origin names its source version and record.
            Example: data mix --source bank=3 --source general:v1=1 --records 2000 --name bank-general
            """,
        "filter" => """
            Usage: data filter <version> [--min <score>=<x>]... [--max <score>=<y>]... [--missing keep|drop]
                   [--params '<json>'] [--json]

            Keeps records whose scores pass every rule (min ≤ score ≤ max); dropped records are kept with the rule
            that dropped them (data show <new version> --dropped). A record without a named score is kept unless
            --missing drop. Example: data filter faq --min domain=0.75 --max noise=0.9
            """,
        _ => null,
    };

    /// <summary>Help for an operation shortcut (<c>data dedup --help</c>), which takes any parameter as a flag.</summary>
    public static string Operation(string name) => $$"""
        Usage: data {{name}} <version> [--<parameter> <value>]... [--params '<json>' | --params-file <file>] [--json]

        Runs the "{{name}}" operation (same as: data transform <version> {{name}} --params '<json>'). Each
        --kebab-case-name value becomes the parameter kebabCaseName: true/false and numbers become JSON booleans and
        numbers, [..] and {..} are read as JSON, anything else is a string; a bare --flag is true.
        Example: data dedup faq --threshold 0.8
        """;
}
