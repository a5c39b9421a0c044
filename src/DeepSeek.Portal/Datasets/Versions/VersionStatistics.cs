using System.Text.Json.Nodes;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Datasets.Versions;

/// <summary>Accumulates a version's statistics while its records are written.</summary>
public interface IVersionStatistics
{
    void Add(string text);

    /// <summary>Tokens under the statistics' tokenizer, when one was used.</summary>
    long? Tokens { get; }

    JsonObject ToJson();
}

/// <summary>Makes the statistics accumulator for each new version.</summary>
public sealed class VersionStatisticsFactory
{
    public IVersionStatistics Create() => new BasicStatistics();

    private sealed class BasicStatistics : IVersionStatistics
    {
        private readonly long[] _languages = new long[3];
        private long _records;

        public long? Tokens => null;

        public void Add(string text)
        {
            _records++;
            _languages[(int)LanguageGuess.Classify(text)]++;
        }

        public JsonObject ToJson() => new()
        {
            ["records"] = _records,
            ["languages"] = new JsonObject { ["zh"] = _languages[0], ["en"] = _languages[1], ["other"] = _languages[2] },
        };
    }
}
