using System.Diagnostics;
using System.Text;
using DeepSeek.Portal.Engine.Classification;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Scoring;

/// <summary>
/// The portal's intended loop, measured: heuristic rules label demo records and generated noise (Unsure left out, as a
/// user would leave them unlabelled), the classifier trains on those labels, and both are scored against the truth on
/// held-out data, per kind of noise.
/// </summary>
internal static class NoiseMeasure
{
    private static readonly string[] Kinds = ["repeated words", "repeated Chinese", "symbols", "HTML boilerplate", "mojibake", "keyboard mash", "spam suffix"];

    private static string Pick(Random r, params string[] items) => items[r.Next(items.Length)];

    private static string Noise(int kind, Random r, IReadOnlyList<string> clean) => kind switch
    {
        0 => string.Join(' ', Enumerable.Repeat(Pick(r, "buy now", "click here", "free gift", "limited offer"), r.Next(5, 25))),
        1 => string.Concat(Enumerable.Repeat(Pick(r, "点击领取", "哈哈", "免费送", "加微信"), r.Next(5, 25))),
        2 => new string([.. Enumerable.Range(0, r.Next(20, 150)).Select(_ => "#$%^&*@!~|<>{}[]=+_-0123456789"[r.Next(30)])]),
        3 => string.Concat(Enumerable.Range(0, r.Next(1, 5)).Select(k =>
            $"<div class=\"{Pick(r, "nav", "footer", "menu")}-{k}\"><a href=\"/{Pick(r, "home", "login", "about")}\">{Pick(r, "Home", "Login", "About us")}</a>&nbsp;|</div>")),
        4 => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(clean.Where(t => t.Any(c => c > 127)).ElementAt(r.Next(100)))),
        // Random lower-case "words": entropy and word length look like English, so the rules miss them.
        5 => string.Join(' ', Enumerable.Range(0, r.Next(6, 30)).Select(_ => new string([.. Enumerable.Range(0, r.Next(2, 9)).Select(_ => (char)r.Next('a', 'z' + 1))]))),
        // A clean record with advertising glued on: mostly clean text, which rules see as clean.
        _ => clean[r.Next(clean.Count)] + " " + Pick(r, "加微信领红包", "Click here for FREE bitcoin!!!", "【广告】低息贷款秒到账") ,
    };

    private static List<(string Text, bool Noisy, int Kind)> Data(int seed, int perClass)
    {
        var clean = DemoDataset.Generate(seed, perClass);
        var r = new Random(seed);
        var data = clean.Select(t => (t, false, -1)).ToList();
        for (int i = 0; i < perClass; i++) data.Add((Noise(i % Kinds.Length, r, clean), true, i % Kinds.Length));
        return data;
    }

    public static void Run()
    {
        var train = Data(seed: 11, perClass: 1400);
        var test = Data(seed: 12, perClass: 700);
        var rules = HeuristicRules.Default;
        var labelled = train.Select(e => (e.Text, Label: rules.SuggestLabel(e.Text), e.Noisy)).ToList();
        var used = labelled.Where(e => e.Label != NoiseLabel.Unsure).Select(e => (e.Text, e.Label == NoiseLabel.Noisy)).ToList();
        Console.WriteLine($"Training set: {train.Count} texts (1400 demo records, 1400 generated noise, 7 kinds); rules labelled {used.Count} (unsure left out: {labelled.Count - used.Count}); "
            + $"rule labels wrong on {labelled.Count(e => e.Label != NoiseLabel.Unsure && (e.Label == NoiseLabel.Noisy) != e.Noisy)}.\n");

        foreach (var (name, examples) in new[] { ("rule labels", used), ("true labels", train.Select(e => (e.Text, e.Noisy)).ToList()) })
        {
            var clock = Stopwatch.StartNew();
            using var classifier = NoiseClassifier.Train(examples);
            var trainSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var p = classifier.Predict(test.Select(e => e.Text).ToList());
            var predictRate = test.Count / clock.Elapsed.TotalSeconds;
            Console.WriteLine($"### Classifier trained on {name} ({examples.Count} examples, {trainSeconds:0.0} s; predicts {predictRate:0} records/s)\n");
            Console.WriteLine("| held-out group | n | rules say noisy | P ≥ 0.5 | P ≥ 0.9 (dropped) |");
            Console.WriteLine("|---|---|---|---|---|");
            void Row(string group, IEnumerable<int> idx)
            {
                var ix = idx.ToArray();
                Console.WriteLine($"| {group} | {ix.Length} | {ix.Count(i => rules.SuggestLabel(test[i].Text) == NoiseLabel.Noisy) / (double)ix.Length:P1} | {ix.Count(i => p[i] >= 0.5) / (double)ix.Length:P1} | {ix.Count(i => p[i] >= 0.9) / (double)ix.Length:P1} |");
            }
            Row("clean demo records", Enumerable.Range(0, test.Count).Where(i => !test[i].Noisy));
            for (int k = 0; k < Kinds.Length; k++) Row(Kinds[k], Enumerable.Range(0, test.Count).Where(i => test[i].Kind == k));
            var accuracy = Enumerable.Range(0, test.Count).Count(i => (p[i] >= 0.5) == test[i].Noisy) / (double)test.Count;
            Console.WriteLine($"\nHeld-out accuracy at 0.5: {accuracy:P1}.\n");
        }
    }

    /// <summary>Records per second of each scorer on one thread, over 3,000 demo records (after one warm-up pass).</summary>
    public static void Speed()
    {
        var records = DemoDataset.Generate(21, 3000);
        var domain = DomainSimilarityScorer.Fit(DemoDataset.Generate(7, 500));
        var entropy = new EntropyScorer();
        using var classifier = NoiseClassifier.Train(Data(seed: 11, perClass: 400).Select(e => (e.Text, e.Noisy)));
        var scorers = new (string Name, Func<string, double> Score)[]
        {
            ("entropy", t => entropy.Evaluate(t).BitsPerCharacter),
            ("noise rules (all 22)", HeuristicRules.Default.Score),
            ("domain similarity, 500 references, max", domain.Score),
            ("noise classifier", classifier.Predict),
        };
        Console.WriteLine("| scorer | records/s (1 thread) |");
        Console.WriteLine("|---|---|");
        foreach (var (name, score) in scorers)
        {
            foreach (var t in records.Take(300)) score(t);
            var clock = Stopwatch.StartNew();
            double sink = 0;
            foreach (var t in records) sink += score(t);
            Console.WriteLine($"| {name} | {records.Count / clock.Elapsed.TotalSeconds:0} |");
            GC.KeepAlive(sink);
        }
    }
}
