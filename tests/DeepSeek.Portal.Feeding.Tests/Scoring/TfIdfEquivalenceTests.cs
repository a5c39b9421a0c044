using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Scoring;
using DeepSeek.Portal.Feeding.Tests.Reference;

namespace DeepSeek.Portal.Feeding.Tests.Scoring;

/// <summary>The span-based TF-IDF path (no string per term, pooled buffers, flat postings) against <see cref="ReferenceTfIdf"/>.</summary>
public class TfIdfEquivalenceTests
{
    private static readonly string[] References = [.. DemoDataset.Generate(seed: 99, count: 200), .. TextSamples.All(seed: 5, generated: 40).Take(300)];

    [Theory]
    [InlineData(TfIdfAnalyzer.Auto)]
    [InlineData(TfIdfAnalyzer.Words)]
    [InlineData(TfIdfAnalyzer.CharBigrams)]
    public void Terms_match_the_reference_analyzer(TfIdfAnalyzer analyzer)
    {
        foreach (var text in TextSamples.All(generated: 150))
            Assert.Equal(ReferenceTfIdf.Analyze(text, analyzer), TfIdfVectorizer.Analyze(text, analyzer));
    }

    [Theory]
    [InlineData(TfIdfAnalyzer.Auto, false)]
    [InlineData(TfIdfAnalyzer.Auto, true)]
    [InlineData(TfIdfAnalyzer.Words, false)]
    [InlineData(TfIdfAnalyzer.CharBigrams, true)]
    public void Vectors_match_the_reference_transform(TfIdfAnalyzer analyzer, bool sublinear)
    {
        var vectorizer = TfIdfVectorizer.Fit(References, new TfIdfOptions { Analyzer = analyzer, SublinearTf = sublinear });
        foreach (var countUnknown in new[] { false, true })
        {
            foreach (var text in TextSamples.All(seed: 11, generated: 60))
            {
                var expected = ReferenceTfIdf.Transform(vectorizer, text, countUnknown);
                var actual = vectorizer.Transform(text, countUnknown);
                Assert.Equal(expected.Select(p => p.Index), actual.Indices);
                for (int k = 0; k < expected.Count; k++)
                    Assert.True(Math.Abs(expected[k].Value - actual.Values[k]) <= 1e-12, $"{text}: term {expected[k].Index} {expected[k].Value:R} ≠ {actual.Values[k]:R}");
            }
        }
    }

    [Theory]
    [InlineData(DomainSimilarityMode.MaxOverReferences, true)]
    [InlineData(DomainSimilarityMode.MaxOverReferences, false)]
    [InlineData(DomainSimilarityMode.Centroid, true)]
    public void Domain_scores_match_the_reference_cosines(DomainSimilarityMode mode, bool countUnknown)
    {
        var options = new DomainSimilarityOptions { Mode = mode, CountUnknownTermsInNorm = countUnknown };
        var scorer = DomainSimilarityScorer.Fit(References, options);
        var vectorizer = scorer.Vectorizer;
        var references = References.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => ReferenceTfIdf.Transform(vectorizer, t)).ToList();
        var centroid = ReferenceCentroid(references).ToDictionary(p => p.Index, p => p.Value);
        var referenceWeights = references.Select(r => r.ToDictionary(p => p.Index, p => p.Value)).ToList();
        int inDomain = 0;
        foreach (var text in TextSamples.All(seed: 13, generated: 150).Concat(DemoDataset.Generate(seed: 4, count: 300)))
        {
            var vector = ReferenceTfIdf.Transform(vectorizer, text, countUnknown);
            double expected = mode == DomainSimilarityMode.Centroid
                ? ReferenceTfIdf.Dot(vector, centroid)
                : vector.Count == 0 ? 0 : Math.Min(1, referenceWeights.Max(r => ReferenceTfIdf.Dot(vector, r)));
            var actual = scorer.Score(text);
            Assert.True(Math.Abs(expected - actual) <= 1e-12, $"{text}: {expected:R} ≠ {actual:R}");
            if (actual >= 0.75) inDomain++;
        }
        if (mode == DomainSimilarityMode.MaxOverReferences) Assert.True(inDomain > 100); // the comparison covers high scores too
    }

    private static List<(int Index, double Value)> ReferenceCentroid(List<List<(int Index, double Value)>> vectors)
    {
        var sum = new SortedDictionary<int, double>();
        foreach (var v in vectors)
            foreach (var (index, value) in v) sum[index] = sum.GetValueOrDefault(index) + value;
        var norm = Math.Sqrt(sum.Values.Sum(x => x * x));
        return [.. sum.Select(kv => (kv.Key, kv.Value / norm))];
    }
}
