using System.Text.Json.Nodes;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Feeding.Statistics;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Datasets.Versions;

/// <summary>Accumulates a version's statistics while its records are written.</summary>
public interface IVersionStatistics
{
    void Add(string text);

    /// <summary>Tokens under the statistics' tokenizer, when one was used.</summary>
    long? Tokens { get; }

    JsonObject ToJson();
}

/// <summary>A tokenizer the statistics can measure coverage with: one trained by a finished run.</summary>
public sealed record TokenizerChoice(int RunId, string Name, string Path)
{
    /// <summary>How statistics name it (<c>run 12 (my-run)</c>).</summary>
    public string Label => $"run {RunId} ({Name})";
}

/// <summary>
/// Makes the statistics accumulator for each new version: records, characters, language mix, length histogram,
/// distinct characters and — with a tokenizer — tokens per character and the byte-fallback rate. Without a choice, the
/// tokenizer of the newest succeeded run is used (the one the next run on this data would most likely be compared
/// with); with no finished run there is no token coverage.
/// </summary>
public sealed class VersionStatisticsFactory(IServiceScopeFactory scopes, DataPaths paths)
{
    /// <summary>The tokenizer's file name in a run's folder (written by the engine with each run).</summary>
    public const string TokenizerFile = "tokenizer.json";

    public IVersionStatistics Create() => Create(DefaultTokenizer());

    public IVersionStatistics Create(TokenizerChoice? tokenizer)
    {
        var coverage = tokenizer is null ? null : new EngineTokenCoverage(Engine.Tokenization.Tokenizer.Load(tokenizer.Path));
        return new Statistics(new DatasetStatistics(coverage), tokenizer);
    }

    /// <summary>Tokenizers of succeeded runs whose files are present, newest first.</summary>
    public IReadOnlyList<TokenizerChoice> Tokenizers()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        return db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Succeeded).OrderByDescending(r => r.Id).Take(50)
            .Select(r => new { r.Id, r.Name }).AsEnumerable()
            .Select(r => new TokenizerChoice(r.Id, r.Name, Path.Combine(paths.RunDirectory(r.Id), TokenizerFile)))
            .Where(t => File.Exists(t.Path)).ToList();
    }

    public TokenizerChoice? DefaultTokenizer() => Tokenizers().FirstOrDefault();

    public TokenizerChoice? Tokenizer(int runId) => Tokenizers().FirstOrDefault(t => t.RunId == runId);

    private sealed class EngineTokenCoverage(Engine.Tokenization.Tokenizer tokenizer) : ITokenCoverage
    {
        public (int Tokens, int ByteFallbackTokens) Measure(string text) => tokenizer.CountTokens(text);
    }

    private sealed class Statistics(DatasetStatistics statistics, TokenizerChoice? tokenizer) : IVersionStatistics
    {
        public void Add(string text) => statistics.Add(text);

        public long? Tokens => statistics.Result().Tokens?.Tokens;

        public JsonObject ToJson()
        {
            var json = statistics.Result().ToJson();
            if (tokenizer is not null)
                json["tokenizer"] = new JsonObject { ["runId"] = tokenizer.RunId, ["runName"] = tokenizer.Name };
            return json;
        }
    }
}
