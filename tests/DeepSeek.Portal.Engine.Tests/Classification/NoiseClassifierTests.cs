using System.Text;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Engine.Classification;
using Xunit.Abstractions;

namespace DeepSeek.Portal.Engine.Tests.Classification;

public class NoiseClassifierTests(ITestOutputHelper output)
{
    private static readonly NoiseClassifierOptions Quick = new() { Epochs = 4 };

    /// <summary>Clean bilingual demo sentences and as many generated noise records, every kind in turn.</summary>
    internal static List<(string Text, bool Noisy)> Labelled(int perClass, int seed)
    {
        var r = new Random(seed);
        var clean = DemoCorpus.Generate(perClass, seed);
        var examples = clean.Select(t => (t, false)).ToList();
        for (int i = 0; i < perClass; i++)
        {
            examples.Add(((i % 6) switch
            {
                0 => string.Join(' ', Enumerable.Repeat(Pick(r, "buy now", "click here", "free gift", "limited offer"), r.Next(5, 25))),
                1 => string.Concat(Enumerable.Repeat(Pick(r, "点击领取", "哈哈", "免费送", "加微信"), r.Next(5, 25))),
                2 => new string([.. Enumerable.Range(0, r.Next(20, 150)).Select(_ => "#$%^&*@!~|<>{}[]=+_-0123456789"[r.Next(30)])]),
                3 => string.Concat(Enumerable.Range(0, r.Next(1, 5)).Select(k =>
                        $"<div class=\"{Pick(r, "nav", "footer", "menu")}-{k}\"><a href=\"/{Pick(r, "home", "login", "about")}\">{Pick(r, "Home", "Login", "About us")}</a>&nbsp;|</div>")),
                // UTF-8 read as Latin-1 changes only non-ASCII text, so mojibake is made from Chinese-bearing sentences.
                4 => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(clean.First(t => t.Any(c => c > 127) && r.Next(3) == 0))),
                _ => new string([.. Enumerable.Range(0, r.Next(20, 120)).Select(_ => (char)r.Next('a', 'z' + 1))]),
            }, true));
        }
        return examples;
    }

    private static string Pick(Random r, params string[] items) => items[r.Next(items.Length)];

    [Fact]
    public void Held_out_accuracy_is_at_least_0_9()
    {
        using var classifier = NoiseClassifier.Train(Labelled(400, seed: 1), Quick);
        var heldOut = Labelled(200, seed: 2);
        var probabilities = classifier.Predict(heldOut.Select(e => e.Text).ToList());
        var accuracy = heldOut.Zip(probabilities).Count(x => (x.Second >= 0.5) == x.First.Noisy) / (double)heldOut.Count;
        output.WriteLine($"held-out accuracy {accuracy:P2}, final training loss {classifier.Settings.FinalLoss:0.0000}");
        Assert.True(accuracy >= 0.9, $"held-out accuracy {accuracy:P1}");
        // At the seed's drop threshold, clean records stay.
        var cleanDropped = heldOut.Zip(probabilities).Count(x => !x.First.Noisy && x.Second >= 0.9);
        Assert.True(cleanDropped <= 4, $"{cleanDropped} of 200 clean records dropped at 0.9");
    }

    [Fact]
    public void Same_seed_gives_same_weights_and_another_seed_does_not()
    {
        using var directory = new TempDirectory();
        var data = Labelled(120, seed: 3);
        string Weights(int seed, string name)
        {
            using var classifier = NoiseClassifier.Train(data, Quick with { Epochs = 2, Seed = seed });
            classifier.Save(Path.Combine(directory.Path, name));
            return Convert.ToHexString(File.ReadAllBytes(Path.Combine(directory.Path, name, NoiseClassifier.WeightsFile)));
        }
        var first = Weights(5, "a");
        Assert.Equal(first, Weights(5, "b"));
        Assert.NotEqual(first, Weights(6, "c"));
    }

    [Fact]
    public void Save_and_load_give_identical_probabilities()
    {
        using var directory = new TempDirectory();
        var texts = Labelled(40, seed: 4).Select(e => e.Text).ToList();
        using var trained = NoiseClassifier.Train(Labelled(120, seed: 3), Quick with { Epochs = 2, HiddenSize = 8, HashBuckets = 1 << 12 });
        trained.Save(directory.Path);
        using var loaded = NoiseClassifier.Load(directory.Path);
        Assert.Equal(trained.Predict(texts), loaded.Predict(texts));
        Assert.Equal(trained.Settings, loaded.Settings with { Options = trained.Options });
        Assert.Equal(trained.Options, loaded.Options);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(0)]
    public void Dotnet_inference_matches_the_torch_network(int hiddenSize)
    {
        using var classifier = NoiseClassifier.Train(Labelled(100, seed: 3), Quick with { Epochs = 2, HiddenSize = hiddenSize, HashBuckets = 1 << 12 });
        var texts = Labelled(30, seed: 4).Select(e => e.Text).ToList();
        var torch = classifier.PredictWithTorch(texts);
        var dotnet = classifier.Predict(texts);
        for (int i = 0; i < texts.Count; i++) Assert.Equal(torch[i], dotnet[i], 1e-5);
    }

    [Fact]
    public void Logistic_regression_is_a_hidden_size_of_zero()
    {
        using var classifier = NoiseClassifier.Train(Labelled(120, seed: 3), Quick with { HiddenSize = 0 });
        Assert.Contains("logistic regression", classifier.Describe());
        var p = classifier.Predict("<div class=\"nav\"><a href=\"/home\">Home</a>&nbsp;|</div>");
        Assert.InRange(p, 0, 1);
    }

    [Fact]
    public void Training_needs_both_labels() =>
        Assert.Throws<ArgumentException>(() => NoiseClassifier.Train([("clean text", false), ("more clean text", false)], Quick));

    [Fact]
    public void A_classifier_saved_with_other_features_is_refused()
    {
        using var directory = new TempDirectory();
        using (var trained = NoiseClassifier.Train(Labelled(30, seed: 3), Quick with { Epochs = 1, HashBuckets = 256 }))
            trained.Save(directory.Path);
        var path = Path.Combine(directory.Path, NoiseClassifier.SettingsFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["FeatureVersion"] = NoiseFeatures.Version + 1;
        File.WriteAllText(path, json.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => NoiseClassifier.Load(directory.Path));
        Assert.Contains("Retrain", error.Message);
    }

    [Fact]
    public void Defaults_follow_the_seed()
    {
        var options = new NoiseClassifierOptions();
        Assert.Equal(0.9, options.DropAtOrAbove);
        Assert.Throws<ArgumentOutOfRangeException>(() => (options with { DropAtOrAbove = 1.5 }).Validate());
    }

    [Fact]
    public void Features_are_deterministic_and_normalised()
    {
        var options = new NoiseClassifierOptions();
        var a = NoiseFeatures.Extract("银行卡挂失 lost card", options);
        var b = NoiseFeatures.Extract("银行卡挂失 lost card", options);
        Assert.Equal(a.Buckets, b.Buckets);
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(1, Math.Sqrt(a.Weights.Sum(w => (double)w * w)), 5);
        Assert.Equal(NoiseFeatures.ScalarNames.Count, a.Scalars.Length);
        Assert.All(a.Scalars, s => Assert.InRange(s, 0f, 1f));
    }
}
