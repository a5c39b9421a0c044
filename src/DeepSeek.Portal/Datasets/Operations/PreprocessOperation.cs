using System.Text.Json.Nodes;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Feeding.Cleaning;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>
/// The seed's preprocessing (2.1): Unicode NFKC, whitespace collapsing, optional lower-casing of ASCII letter/digit
/// runs, and truncation at a token length (default 512) with a run's trained tokenizer — or, when none is named, an
/// approximate count (a token per Han character, word or symbol). Records left empty are dropped with that reason.
/// </summary>
public sealed class PreprocessOperation(VersionStatisticsFactory tokenizers) : IDataOperation
{
    public string Name => "preprocess";

    public (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Validate(JsonObject? parameters)
    {
        var p = new ParameterReader(parameters);
        p.Bool("nfkc", true);
        p.Choice("whitespace", "collapseKeepParagraphs", "keep", "collapseKeepParagraphs", "collapseAll");
        p.Bool("lowercaseAscii", false);
        p.Integer("maxTokens", 512, 0, 1_000_000);
        if (p.OptionalInteger("tokenizerRunId", 1, int.MaxValue) is { } runId && tokenizers.Tokenizer(runId) is null)
            p.Errors.Add(ParameterReader.Error("tokenizerRunId", $"run {runId} has no tokenizer (it must have succeeded and its folder must be present)"));
        return p.Result();
    }

    public async Task<IReadOnlyList<ImportError>> RunAsync(DataOperationContext context)
    {
        var parameters = context.Parameters;
        var maxTokens = (int)parameters["maxTokens"]!;
        ITextTokenizer tokenizer = ApproximateTokenizer.Instance;
        if (parameters["tokenizerRunId"] is { } run && tokenizers.Tokenizer((int)run) is { } choice)
        {
            tokenizer = new EngineTokenizer(Tokenizer.Load(choice.Path));
            parameters["tokenizer"] = choice.Label;
        }
        else
        {
            parameters["tokenizer"] = "approximate";
        }
        var preprocessor = new Preprocessor(new PreprocessOptions
        {
            Nfkc = (bool)parameters["nfkc"]!,
            Whitespace = (string)parameters["whitespace"]! switch { "keep" => WhitespaceHandling.Keep, "collapseAll" => WhitespaceHandling.CollapseAll, _ => WhitespaceHandling.CollapseKeepParagraphs },
            LowercaseAscii = (bool)parameters["lowercaseAscii"]!,
            MaxTokens = maxTokens == 0 ? null : maxTokens,
        }, tokenizer);
        long read = 0, truncated = 0;
        await foreach (var record in context.ReadSource())
        {
            read++;
            var result = preprocessor.Process(record.Text);
            if (result.Truncated)
                truncated++;
            if (string.IsNullOrWhiteSpace(result.Text))
                await context.DropAsync(record, "empty after preprocessing");
            else
                await context.KeepAsync(record with { Text = result.Text });
            if (read % 512 == 0)
                context.Progress(read);
        }
        context.Progress(read);
        parameters["truncated"] = truncated;
        return [];
    }

    private sealed class EngineTokenizer(Tokenizer tokenizer) : ITextTokenizer
    {
        public int CountTokens(string text) => tokenizer.CountTokens(text).Tokens;

        public string Truncate(string text, int maxTokens) => tokenizer.Truncate(text, maxTokens);
    }
}
