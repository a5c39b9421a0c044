using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Training;

public class LossScalingTests
{
    /// <summary>The same two rows every micro-batch; can set one gradient to +inf during a chosen step.</summary>
    private sealed class FixedBatches(CausalLM model, int vocab) : TrainingBatches
    {
        private int micro;

        public int InjectAtStep { get; set; } = -1;

        public int Step { get; private set; }

        public override long Consumed => 0;

        public override bool ObservesLosses => true;

        public override void Next(MicroBatch batch)
        {
            for (int i = 0; i < batch.Inputs.Length; i++)
            {
                batch.Inputs[i] = (i * 7 + 3) % vocab;
                batch.Labels[i] = (i * 7 + 10) % vocab;
                batch.Documents[i] = i / batch.SequenceLength;
            }
        }

        // Called after each micro-batch's forward; from the second one on, the first micro-batch's gradients exist.
        public override void Observe(Tensor logits, Tensor labels)
        {
            if (++micro == 2 && Step == InjectAtStep)
            {
                using var noGrad = no_grad();
                model.parameters().First(p => p.grad is not null).grad!.view(-1)[0] = float.PositiveInfinity;
            }
        }

        public override void BeginStep()
        {
            Step++;
            micro = 0;
        }

        public override void RollBackStep() { }

        public override TrainerState Record(TrainerState state) => state;

        public override void Restore(TrainerState state) { }
    }

    private static Dictionary<string, Tensor> Snapshot(CausalLM model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    [Fact]
    public void An_injected_overflow_skips_the_step_halves_the_scale_and_training_recovers_and_the_scale_grows_back()
    {
        using var scope = NewDisposeScope();
        var options = new TrainingOptions
        {
            MicroBatchSize = 2, GradientAccumulationSteps = 2, SequenceLength = 8, Steps = 10, WarmupSteps = 0,
            Precision = TrainingPrecision.Fp16, LossScaleGrowthInterval = 3,
        };
        const int vocab = 97;
        using var model = TestModels.NewModel(TestModels.TwoLayer(vocab));
        var precision = new TrainingPrecisionPolicy(options);
        precision.Apply(model);
        Assert.Equal(ScalarType.Float16, model.ComputeDType);
        using var optimizer = new TrainingOptimizer(model, options);
        var batches = new FixedBatches(model, vocab) { InjectAtStep = 2 };
        var loop = new TrainingStepLoop(model, batches, optimizer, precision, options, CPU);
        var scaler = precision.Scaler!;
        model.train();

        var first = loop.Run(1, CancellationToken.None)!.Value;
        Assert.True(first.Applied);
        Assert.Equal(DynamicLossScaler.DefaultInitialScale, scaler.Scale);
        Assert.All(optimizer.Parameters, p => Assert.Equal(ScalarType.Float32, p.dtype)); // fp32 master weights

        var before = Snapshot(model);
        var overflowed = loop.Run(2, CancellationToken.None)!.Value;
        Assert.False(overflowed.Applied);
        Assert.Equal(DynamicLossScaler.DefaultInitialScale / 2, scaler.Scale);
        Assert.Equal(1, scaler.SkippedSteps);
        foreach (var (name, parameter) in model.named_parameters())
            Assert.True(before[name].equal(parameter).all().item<bool>(), $"{name} changed in a skipped step");
        Assert.All(optimizer.Parameters, p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0));

        // Recovers: the next steps update the weights with finite gradients; after 3 of them the scale doubles back.
        var losses = new List<double>();
        for (int step = 3; step <= 5; step++)
        {
            var result = loop.Run(step, CancellationToken.None)!.Value;
            Assert.True(result.Applied);
            Assert.True(double.IsFinite(result.GradNorm) && result.GradNorm > 0);
            losses.Add(result.Loss);
            Assert.Equal(step < 5 ? DynamicLossScaler.DefaultInitialScale / 2 : DynamicLossScaler.DefaultInitialScale, scaler.Scale);
        }
        Assert.False(before.All(b => b.Value.equal(model.named_parameters().First(p => p.name == b.Key).parameter).all().item<bool>()));
        Assert.True(losses[^1] < losses[0], string.Join(", ", losses));
    }

    [Fact]
    public void Unscaled_gradients_equal_the_unscaled_backward()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.NewModel(TestModels.TwoLayer());
        model.train();
        var x = tensor(Enumerable.Range(0, 16).Select(i => (long)(i * 5 % 97)).ToArray(), [2, 8]);
        var y = tensor(Enumerable.Range(0, 16).Select(i => (long)(i * 11 % 97)).ToArray(), [2, 8]);
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();

        model.Forward(x, y).Loss!.backward();
        var plain = parameters.Select(p => p.grad!.clone()).ToList();
        foreach (var p in parameters) p.grad!.zero_();

        var scaler = new DynamicLossScaler(1024);
        scaler.ScaleLoss(model.Forward(x, y).Loss!).backward();
        Assert.True(scaler.UnscaleAndUpdate(parameters));
        for (int i = 0; i < parameters.Count; i++)
            Assert.True(plain[i].allclose(parameters[i].grad!, rtol: 1e-4, atol: 1e-7), $"parameter {i}");
    }

    [Fact]
    public void Growth_and_backoff_follow_grad_scaler_rules()
    {
        var scaler = new DynamicLossScaler(8, growthInterval: 2);
        using var scope = NewDisposeScope();
        var p = new Parameter(ones(3));
        p.grad = ones(3);
        Assert.True(scaler.UnscaleAndUpdate([p]));
        Assert.Equal(8, scaler.Scale);
        p.grad = ones(3);
        Assert.True(scaler.UnscaleAndUpdate([p]));
        Assert.Equal(16, scaler.Scale);
        Assert.Equal(0, scaler.GrowthTracker);
        p.grad = full(3, float.NaN);
        Assert.False(scaler.UnscaleAndUpdate([p]));
        Assert.Equal(8, scaler.Scale);
        var restored = new DynamicLossScaler();
        restored.Restore(scaler.Capture());
        Assert.Equal(scaler.Capture(), restored.Capture());
    }
}
