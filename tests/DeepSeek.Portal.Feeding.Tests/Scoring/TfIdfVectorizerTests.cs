using DeepSeek.Portal.Feeding.Scoring;

namespace DeepSeek.Portal.Feeding.Tests.Scoring;

public class TfIdfVectorizerTests
{
    // scikit-learn's doc/modules/feature_extraction.rst example, counts [[3,0,1],[2,0,0],[3,0,0],[4,0,0],[3,2,0],[3,0,2]],
    // written as texts over the terms "aa" < "bb" < "cc" so the whole pipeline (tokens, vocabulary order, idf, norm) runs.
    private static readonly int[][] Counts = [[3, 0, 1], [2, 0, 0], [3, 0, 0], [4, 0, 0], [3, 2, 0], [3, 0, 2]];

    private static string[] CountDocuments() =>
        [.. Counts.Select(row => string.Join(' ', new[] { "aa", "bb", "cc" }.SelectMany((term, i) => Enumerable.Repeat(term, row[i]))))];

    // The reference prints 7–8 significant digits, so agreement is checked to half a unit of its last digit.
    private static void AssertVector(double[] expected, double[] actual, int digits)
    {
        Assert.Equal(expected.Length, actual.Length);
        var tolerance = 0.5 * Math.Pow(10, -digits);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], tolerance);
    }

    [Fact]
    public void Smoothed_idf_matches_scikit_learn()
    {
        var vectorizer = TfIdfVectorizer.Fit(CountDocuments());
        Assert.Equal(["aa", "bb", "cc"], vectorizer.Terms);
        AssertVector([1, 2.2527630, 1.8472979], [.. vectorizer.Idf], 7);
    }

    [Fact]
    public void Rows_match_scikit_learn()
    {
        var documents = CountDocuments();
        var vectorizer = TfIdfVectorizer.Fit(documents);
        AssertVector([0.85151335, 0, 0.52433293], vectorizer.Transform(documents[0]).ToDense(3), 8);
        AssertVector([0.55422893, 0.83236428, 0], vectorizer.Transform(documents[4]).ToDense(3), 8);
        AssertVector([1, 0, 0], vectorizer.Transform(documents[1]).ToDense(3), 7);
    }

    [Fact]
    public void Sublinear_tf_row_matches_reference()
    {
        var documents = CountDocuments();
        var vectorizer = TfIdfVectorizer.Fit(documents, new TfIdfOptions { SublinearTf = true });
        AssertVector([0.7506214, 0, 0.6607325], vectorizer.Transform(documents[0]).ToDense(3), 7);
    }

    [Fact]
    public void Unsmoothed_idf_is_ln_n_over_df_plus_one()
    {
        var vectorizer = TfIdfVectorizer.Fit(CountDocuments(), new TfIdfOptions { SmoothIdf = false });
        AssertVector([1, Math.Log(6.0 / 1) + 1, Math.Log(6.0 / 2) + 1], [.. vectorizer.Idf], 9);
    }

    [Fact]
    public void Chinese_character_bigrams_match_reference()
    {
        Assert.Equal(["机器", "器学", "学习", "习模", "模型", "型训", "训练"], TfIdfVectorizer.Analyze("机器学习模型训练", TfIdfAnalyzer.CharBigrams));
        string[] documents = ["机器学习模型训练", "深度学习模型推理", "今天天气很好"];
        foreach (var analyzer in new[] { TfIdfAnalyzer.CharBigrams, TfIdfAnalyzer.Auto })
        {
            var vectorizer = TfIdfVectorizer.Fit(documents, new TfIdfOptions { Analyzer = analyzer });
            Assert.Equal(0.302552, vectorizer.Cosine(documents[0], documents[1]), 6);
            Assert.Equal(0, vectorizer.Cosine(documents[0], documents[2]), 12);
        }
    }

    [Fact]
    public void Char_bigrams_collapse_whitespace_runs_like_scikit_learn() =>
        Assert.Equal(["a ", " b"], TfIdfVectorizer.Analyze("A  \t b", TfIdfAnalyzer.CharBigrams));

    [Fact]
    public void Words_follow_the_default_token_pattern() =>
        // Single characters ("s", "3", "5", "a") are not tokens; case is folded; \w is Unicode-aware.
        Assert.Equal(["the", "bank", "rate", "is", "over", "café"], TfIdfVectorizer.Analyze("The Bank's  rate is 3.5% over a Café", TfIdfAnalyzer.Words));

    [Fact]
    public void Mixed_text_gives_han_bigrams_and_latin_words()
    {
        Assert.Equal(["用", "python", "训练", "练模", "模型", "银行", "atm"],
            TfIdfVectorizer.Analyze("用 Python 训练 模型，银行ATM", TfIdfAnalyzer.Auto));
    }

    [Fact]
    public void Unknown_terms_lengthen_the_norm_when_asked()
    {
        var vectorizer = TfIdfVectorizer.Fit(["loan rate", "deposit rate"]);
        Assert.Equal(1, vectorizer.Transform("loan weather forecast").Norm, 9);
        var counted = vectorizer.Transform("loan weather forecast", countUnknownTermsInNorm: true);
        Assert.True(counted.Norm < 0.6, $"norm {counted.Norm}");
    }
}
