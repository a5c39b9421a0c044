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
            var micro = new MicroBatch(rows, length);
            packed.Fill(blocks, micro);
            var (x, y, forward) = micro.ToDevice(device);
            var logits = model.Forward(x, null, forward).Logits;
            var sum = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), y.view(-1),
                ignore_index: CausalLM.IgnoreIndex, reduction: nn.Reduction.Sum);
            lossSum += sum.item<float>();
            targets += micro.TargetCount;
        }
        model.train();
        return targets == 0 ? null : lossSum / targets;
    }
}
