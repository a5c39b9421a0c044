using System.Globalization;
using System.Text.Json;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Devices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Classification;

/// <summary>What a saved classifier's JSON holds besides its weights.</summary>
/// <param name="FeatureVersion">The <see cref="NoiseFeatures.Version"/> it was trained with.</param>
/// <param name="Options">Its settings.</param>
/// <param name="CleanExamples">Clean examples it was trained on.</param>
/// <param name="NoisyExamples">Noisy examples it was trained on.</param>
/// <param name="FinalLoss">Mean binary cross-entropy over the last epoch.</param>
public sealed record NoiseClassifierSettings(int FeatureVersion, NoiseClassifierOptions Options, int CleanExamples, int NoisyExamples, double FinalLoss);

/// <summary>
/// A small text classifier that gives P(noisy) for a record: hashed character 1–3-grams plus scalar features
/// (<see cref="NoiseFeatures"/>) into a one-hidden-layer MLP (or a logistic regression), trained with AdamW on the CPU
/// from labelled examples the user confirmed in the portal (bootstrapped by heuristic rules). Keep a record when
/// P(noisy) &lt; <see cref="NoiseClassifierOptions.DropAtOrAbove"/> (0.9 by default, the seed's threshold).
/// </summary>
/// <remarks>
/// Deterministic: the same examples, options and seed give the same weights (initialised from a private generator,
/// examples shuffled by a seeded <see cref="Random"/>). Trains on the CPU whatever device the engine trains models on:
/// the network is tiny and a GPU round trip would cost more than it saves. Predictions run in .NET and are thread-safe.
/// </remarks>
public sealed class NoiseClassifier : IDisposable
{
    /// <summary>File name of the weights inside a saved classifier's folder.</summary>
    public const string WeightsFile = "noise-classifier.safetensors";

    /// <summary>File name of the settings inside a saved classifier's folder.</summary>
    public const string SettingsFile = "noise-classifier.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly NoiseNetwork _network;
    private readonly Lock _gate = new();
    private readonly NoiseNetwork.Weights _weights;

    private NoiseClassifier(NoiseClassifierSettings settings, NoiseNetwork network)
    {
        Settings = settings;
        _network = network;
        _weights = network.CopyWeights();
    }

    /// <summary>Settings, feature version and training summary (what <see cref="Save"/> writes as JSON).</summary>
    public NoiseClassifierSettings Settings { get; }

    /// <summary>The settings in use.</summary>
    public NoiseClassifierOptions Options => Settings.Options;

    /// <summary>The machine name of the score, <c>noise_probability</c>.</summary>
    public static string Name => "noise_probability";

    /// <summary>
    /// Trains a classifier on <paramref name="examples"/> (text, is it noisy?). Needs at least one example of each label.
    /// </summary>
    public static NoiseClassifier Train(IEnumerable<(string Text, bool Noisy)> examples, NoiseClassifierOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new NoiseClassifierOptions();
        options.Validate();
        var data = examples.Select(e => (Features: NoiseFeatures.Extract(e.Text, options), Label: e.Noisy ? 1f : 0f)).ToArray();
        int noisy = data.Count(d => d.Label == 1);
        if (noisy == 0 || noisy == data.Length)
            throw new ArgumentException($"Training needs clean and noisy examples; got {data.Length - noisy} clean and {noisy} noisy.", nameof(examples));

        // Applies the engine's intra-op thread policy (one core left to the rest of the process).
        _ = EngineDevice.Current;
        var network = new NoiseNetwork(FeatureCount(options), options.HiddenSize);
        try
        {
            using (var generator = new Generator((ulong)options.Seed))
                network.Initialise(generator);

            var named = network.named_parameters().ToList();
            using var optimizer = optim.AdamW(
                [
                    new AdamW.ParamGroup(named.Where(p => p.parameter.dim() >= 2).Select(p => p.parameter), options.LearningRate, 0.9, 0.999, 1e-8, options.WeightDecay, false, false),
                    new AdamW.ParamGroup(named.Where(p => p.parameter.dim() < 2).Select(p => p.parameter), options.LearningRate, 0.9, 0.999, 1e-8, 0.0, false, false),
                ],
                options.LearningRate, 0.9, 0.999, 1e-8, options.WeightDecay, false, false);

            var order = Enumerable.Range(0, data.Length).ToArray();
            var random = new Random(options.Seed);
            double epochLoss = double.NaN;
            network.train();
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                random.Shuffle(order);
                double lossSum = 0;
                for (int start = 0; start < order.Length; start += options.BatchSize)
                {
                    ct.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var rows = order.AsSpan(start, Math.Min(options.BatchSize, order.Length - start)).ToArray();
                    using var x = Dense(rows.Select(i => data[i].Features).ToArray(), options);
                    using var y = tensor(rows.Select(i => data[i].Label).ToArray());
                    var loss = nn.functional.binary_cross_entropy_with_logits(network.call(x), y);
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>() * rows.Length;
                }
                epochLoss = lossSum / order.Length;
            }
            network.eval();
            return new NoiseClassifier(new NoiseClassifierSettings(NoiseFeatures.Version, options, data.Length - noisy, noisy, epochLoss), network);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>P(noisy) of <paramref name="text"/>, in [0, 1].</summary>
    public double Predict(string text) => Predict([text])[0];

    /// <summary>
    /// P(noisy) of each text, in order. Inference runs in .NET over the sparse features (a few hundred non-zero inputs
    /// per text) with the trained weights copied out of libtorch: exact and repeatable to the bit (a batched matmul's
    /// rounding depends on the batch and on memory alignment), thread-safe, and cheaper than a dense 16k-wide batch.
    /// </summary>
    public IReadOnlyList<double> Predict(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new double[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            var logit = _weights.Logit(NoiseFeatures.Extract(texts[i], Options), Options.HashBuckets);
            result[i] = 1 / (1 + Math.Exp(-logit));
        }
        return result;
    }

    /// <summary>P(noisy) through the libtorch network, for tests that check the .NET inference against it.</summary>
    internal IReadOnlyList<double> PredictWithTorch(IReadOnlyList<string> texts)
    {
        lock (_gate)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var x = Dense([.. texts.Select(t => NoiseFeatures.Extract(t, Options))], Options);
            return [.. torch.sigmoid(_network.call(x)).data<float>().ToArray().Select(p => (double)p)];
        }
    }

    /// <summary>Whether a record is kept: P(noisy) below <see cref="NoiseClassifierOptions.DropAtOrAbove"/>.</summary>
    public bool Keeps(string text) => Predict(text) < Options.DropAtOrAbove;

    /// <summary>A short explanation for users.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Noise classifier: probability that a record is noise, from hashed character 1–{Options.MaxNgram}-grams and {NoiseFeatures.ScalarNames.Count} scalar features "
        + $"({(Options.HiddenSize == 0 ? "logistic regression" : $"MLP with {Options.HiddenSize} hidden units")}), trained on {Settings.CleanExamples} clean and {Settings.NoisyExamples} noisy labelled records. "
        + $"Keep below {Options.DropAtOrAbove:0.##} (seed default 0.9).");

    /// <summary>Writes <see cref="WeightsFile"/> (safetensors) and <see cref="SettingsFile"/> (JSON) into <paramref name="directory"/>, creating it.</summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        lock (_gate)
        {
            SafeTensors.SaveModule(_network, Path.Combine(directory, WeightsFile),
                new Dictionary<string, string> { ["feature_version"] = NoiseFeatures.Version.ToString(CultureInfo.InvariantCulture) });
        }
        var temp = Path.Combine(directory, SettingsFile + ".tmp");
        File.WriteAllText(temp, JsonSerializer.Serialize(Settings, Json));
        File.Move(temp, Path.Combine(directory, SettingsFile), overwrite: true);
    }

    /// <summary>Loads a classifier written by <see cref="Save"/>; refuses one whose features differ from this version's.</summary>
    public static NoiseClassifier Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var settings = JsonSerializer.Deserialize<NoiseClassifierSettings>(File.ReadAllText(Path.Combine(directory, SettingsFile)), Json)
            ?? throw new InvalidDataException($"{SettingsFile} is empty.");
        if (settings.FeatureVersion != NoiseFeatures.Version)
            throw new InvalidDataException($"{SettingsFile} was written with feature version {settings.FeatureVersion}; this build computes version {NoiseFeatures.Version}. Retrain the classifier.");
        settings.Options.Validate();
        _ = EngineDevice.Current;
        var network = new NoiseNetwork(FeatureCount(settings.Options), settings.Options.HiddenSize);
        try
        {
            SafeTensors.LoadModule(network, Path.Combine(directory, WeightsFile));
            network.eval();
            return new NoiseClassifier(settings, network);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _network.Dispose();

    private static int FeatureCount(NoiseClassifierOptions options) => options.HashBuckets + NoiseFeatures.ScalarNames.Count;

    // [rows, buckets + scalars], built in libtorch from the non-zero entries only. With a dense managed array per batch
    // (2 MB, large-object heap churn) AdamW.step failed twice in native code on a Scalar ("Unknown scalar type" from
    // div, once "toFloat") — most likely a Scalar finalised by a collection while in use. Without that garbage it has
    // not recurred (4 runs of the tests and the 2,800-example measurement).
    private static Tensor Dense((int[] Buckets, float[] Weights, float[] Scalars)[] rows, NoiseClassifierOptions options)
    {
        int width = FeatureCount(options);
        int nonZero = rows.Sum(r => r.Buckets.Length + r.Scalars.Length);
        var positions = new long[nonZero];
        var values = new float[nonZero];
        int k = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            var (buckets, weights, scalars) = rows[r];
            long offset = (long)r * width;
            for (int j = 0; j < buckets.Length; j++, k++) (positions[k], values[k]) = (offset + buckets[j], weights[j]);
            for (int j = 0; j < scalars.Length; j++, k++) (positions[k], values[k]) = (offset + options.HashBuckets + j, scalars[j]);
        }
        using var index = tensor(positions);
        using var source = tensor(values);
        using var flat = zeros(rows.Length * (long)width);
        return flat.scatter(0, index, source).view(rows.Length, width);
    }
}

/// <summary>features → [hidden → ReLU →] 1 logit.</summary>
internal sealed class NoiseNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    public NoiseNetwork(long features, int hiddenSize) : base(nameof(NoiseNetwork))
    {
        layers = hiddenSize == 0
            ? nn.Sequential(("out", nn.Linear(features, 1)))
            : nn.Sequential(("hidden", nn.Linear(features, hiddenSize)), ("relu", nn.ReLU()), ("out", nn.Linear(hiddenSize, 1)));
        RegisterComponents();
    }

    /// <summary>PyTorch's Linear initialisation (uniform ±1/√fan_in) for weights, zero biases, from <paramref name="generator"/> alone.</summary>
    public void Initialise(Generator generator)
    {
        using var noGrad = no_grad();
        foreach (var (_, parameter) in named_parameters())
        {
            if (parameter.dim() >= 2)
            {
                var bound = 1.0 / Math.Sqrt(parameter.shape[1]);
                parameter.uniform_(-bound, bound, generator);
            }
            else
            {
                parameter.zero_();
            }
        }
    }

    // [batch, features] → [batch]
    public override Tensor forward(Tensor input) => layers.call(input).squeeze(-1);

    /// <summary>The trained weights as .NET arrays, for inference without libtorch.</summary>
    public Weights CopyWeights()
    {
        static float[] Read(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();
        var state = named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return state.ContainsKey("layers.hidden.weight")
            ? new Weights(Read(state["layers.hidden.weight"]), Read(state["layers.hidden.bias"]), Read(state["layers.out.weight"]), Read(state["layers.out.bias"])[0])
            : new Weights(null, null, Read(state["layers.out.weight"]), Read(state["layers.out.bias"])[0]);
    }

    /// <summary>Hidden [hidden, features] and output weights; a logistic regression has no hidden layer.</summary>
    internal sealed record Weights(float[]? Hidden, float[]? HiddenBias, float[] Out, float OutBias)
    {
        public double Logit((int[] Buckets, float[] Weights, float[] Scalars) x, int buckets)
        {
            if (Hidden is null) return OutBias + Dot(Out, 0, x, buckets);
            int width = buckets + x.Scalars.Length, hidden = HiddenBias!.Length;
            double logit = OutBias;
            for (int h = 0; h < hidden; h++)
            {
                var a = HiddenBias[h] + Dot(Hidden, h * width, x, buckets);
                if (a > 0) logit += Out[h] * a;
            }
            return logit;
        }

        private static double Dot(float[] w, int row, (int[] Buckets, float[] Weights, float[] Scalars) x, int buckets)
        {
            double sum = 0;
            for (int k = 0; k < x.Buckets.Length; k++) sum += (double)w[row + x.Buckets[k]] * x.Weights[k];
            for (int k = 0; k < x.Scalars.Length; k++) sum += (double)w[row + buckets + k] * x.Scalars[k];
            return sum;
        }
    }
}
