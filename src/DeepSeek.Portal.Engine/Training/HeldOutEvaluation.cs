using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>Mean cross-entropy per target token over the held-out texts, packed like the training data.</summary>
internal sealed class HeldOutEvaluation(IReadOnlyList<string>? texts, Tokenizer tokenizer, TrainingOptions options)
{
    private PackedSequences? packed;

    public bool HasTexts => texts is { Count: > 0 };

    public double? Evaluate(CausalLM model, Device device)
    {
        if (!HasTexts) return null;
        packed ??= PackedSequences.Build(tokenizer, texts!, options.SequenceLength);
        if (packed.Count == 0) return null;
        model.eval();
        using var noGrad = no_grad();
        int batch = options.MicroBatchSize, length = options.SequenceLength;
        double lossSum = 0;
        long targets = 0;
        for (int start = 0; start < packed.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            int rows = Math.Min(batch, packed.Count - start);
            var blocks = Enumerable.Range(start, rows).ToArray();
            var inputs = new long[rows * length];
            var labels = new long[rows * length];
            packed.Fill(blocks, inputs, labels);
            var x = tensor(inputs, [rows, length], device: device);
            var y = tensor(labels, [rows, length], device: device);
            var logits = model.forward(x);
            var sum = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), y.view(-1),
                ignore_index: CausalLM.IgnoreIndex, reduction: nn.Reduction.Sum);
            lossSum += sum.item<float>();
            targets += labels.Count(l => l != CausalLM.IgnoreIndex);
        }
        model.train();
        return targets == 0 ? null : lossSum / targets;
    }
}
