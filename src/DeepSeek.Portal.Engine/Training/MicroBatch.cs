using DeepSeek.Portal.Engine.Models;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// Host buffers of one micro-batch <c>[rows, L]</c>: input ids, next-token labels and the document each token
/// belongs to, and the tensors and forward options the model is called with. Every forward over packed data goes
/// through <see cref="ToDevice"/>, so no token attends across a document boundary and positions restart per document.
/// </summary>
internal sealed class MicroBatch(int rows, int sequenceLength)
{
    /// <summary>Document id of padding past the end of the stream (a document of its own).</summary>
    public const long PaddingDocument = -1;

    public int Rows { get; } = rows;

    public int SequenceLength { get; } = sequenceLength;

    public long[] Inputs { get; } = new long[rows * sequenceLength];

    public long[] Labels { get; } = new long[rows * sequenceLength];

    public long[] Documents { get; } = new long[rows * sequenceLength];

    /// <summary>Target tokens (labels other than <see cref="CausalLM.IgnoreIndex"/>).</summary>
    public long TargetCount => Labels.LongCount(l => l != CausalLM.IgnoreIndex);

    /// <summary>Inputs, labels and the document-aware forward options on <paramref name="device"/>.</summary>
    public (Tensor Inputs, Tensor Labels, ForwardOptions Options) ToDevice(Device device) =>
        (tensor(Inputs, [Rows, SequenceLength], device: device),
         tensor(Labels, [Rows, SequenceLength], device: device),
         new ForwardOptions { DocumentIds = tensor(Documents, [Rows, SequenceLength], device: device) });
}
