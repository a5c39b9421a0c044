namespace DeepSeek.Portal.Evaluations.Cli;

/// <summary>The help texts of <c>eval --help</c> and <c>eval &lt;command&gt; --help</c>.</summary>
internal static class EvaluationCommandUsage
{
    public const string Overview = """
        Usage: dotnet DeepSeek.Portal.dll eval <command> [options]
               dotnet run --project src/DeepSeek.Portal -- eval <command> ...

        Scores of files (one segment per line; the same metrics as the portal, docs/EVALUATION.md):
          bleu --hyp <file> --ref <file> [--ref <file>]...   corpus BLEU, identical to sacrebleu
          rouge --hyp <file> --ref <file> [--ref <file>]...  ROUGE-L (mean of the lines' F-measures)
          squad --pred <file> --gold <file>                  SQuAD exact match and token F1
          ppl --model-folder <dir> --file <file.txt|.jsonl>  perplexity with the built-in engine

        Suites:
          run --suite <file.jsonl> (--endpoint <url> --model <name> [--key-env <VAR>] | --model-folder <dir>)
                                    a suite file's items against an OpenAI-compatible endpoint or a model folder

        Options for every command:
          --json                    one JSON document on stdout (errors included); progress stays on stderr
          --quiet                   no progress on stderr

        Exit codes: 0 success, 1 failed (missing or mismatched files, failed items or lines: the figures are partial),
        2 usage error, 130 cancelled (Ctrl+C). 'eval <command> --help' shows a command's options.
        """;

    public static string? For(string command) => command switch
    {
        "bleu" => """
            Usage: eval bleu --hyp <file> --ref <file> [--ref <file>]... [--tokenize auto|13a|zh|intl|none]
                   [--smooth exp|floor|add-k|none] [--smooth-value <x>] [--lowercase] [--json]

            Corpus BLEU of the hypotheses (one segment per line) against one or more reference files (line i of each
            --ref is a reference of hypothesis line i; an empty reference line is skipped, as sacrebleu skips it).
            Every file must have as many lines as the hypotheses. The figures are sacrebleu's: score, n-gram
            matches/totals, precisions, brevity penalty, hypothesis and reference lengths, and its signature.
            --tokenize auto (the default) picks zh when the references are mostly Chinese, else 13a (sacrebleu's
            default). --smooth defaults to exp; --smooth-value is floor's epsilon (0.1) or add-k's k (1).
            """,
        "rouge" => """
            Usage: eval rouge --hyp <file> --ref <file> [--ref <file>]... [--json]

            ROUGE-L (longest common subsequence; characters for Chinese, words otherwise) of each hypothesis line against
            its reference line(s) (the best F-measure when several --ref are given), and the corpus figure: the mean
            F-measure over lines (× 100), with the mean precision and recall.
            """,
        "squad" => """
            Usage: eval squad --pred <file> --gold <file> [--json]

            SQuAD exact match and token F1 (× 100; characters for Chinese) of each prediction line against its gold
            line, averaged over lines. A gold line holds one answer, or several separated by tabs; a gold line that
            starts with [ is read as a JSON array of answers (for answers that hold tabs). The best answer counts.
            """,
        "ppl" => """
            Usage: eval ppl --model-folder <dir> --file <file.txt|file.jsonl> [--field text] [--json]

            Token-weighted perplexity, exp(total NLL / total tokens), of each line of a text file or the --field
            (default "text") of each JSONL record, scored by the built-in engine from a model folder (config.json,
            model.safetensors, tokenizer.json: a registered model's folder or a run's exported checkpoint). Each text
            is scored after the tokenizer's BOS. Empty lines are skipped; a text longer than the model's context fails
            its line (exit 1; the figure is over the rest). Prints texts, tokens, total NLL, PPL and tokens/s.
            """,
        "run" => """
            Usage: eval run --suite <file.jsonl>
                   (--endpoint <base url incl. /v1> --model <name> [--key-env <VAR>] [--protocol chat|completions]
                    [--timeout <seconds>] [--retries <n>] | --model-folder <dir>)
                   [--concurrency <n>] [--max-new-tokens <n>] [--no-ppl] [--out <results.json>] [--json]

            Runs a suite file (the portal's suite format, docs/EVALUATION.md) against an OpenAI-compatible endpoint or
            the built-in engine on a model folder, with progress on stderr, then prints the figures per scope (all,
            slice:…, domain:…) as a table or, with --json, as one JSON document. --out writes the figures and every
            item's output, references, scores or failure as JSON (also when items failed or the run was cancelled).
            The key is read from the environment variable --key-env names (never from the command line, where the
            process list would show it) and is never printed. --concurrency defaults to 4 (the engine evaluates
            one item at a time whatever it is); --max-new-tokens to 128; --timeout (per request) to 60; --retries
            (of a timeout, 429, 5xx or network error, with back-off) to 4; --no-ppl skips perplexity of the references. Exit 1 when any item failed (the figures leave those items out and
            the run is partial: stderr says how many and why), 130 on Ctrl+C.
            """,
        _ => null,
    };
}
