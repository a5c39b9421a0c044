using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training.Mixing;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>
/// Documents tokenised as <c>BOS text EOS</c>, concatenated into one stream and cut into fixed-length blocks.
/// Block i covers stream positions <c>[i·L, i·L + L)</c> as inputs and the next token of each as its label, so
/// consecutive blocks overlap by one token and no target is lost. Each token carries its document's index: a
/// document's last token (EOS) has no label (the next document's BOS is not predicted from it), and the model keeps
/// documents apart (<see cref="MicroBatch"/>). A document cut by a block boundary continues in the next block as a
/// fragment that starts at position 0 and sees only itself. The last block is padded; padded positions get the pad
/// id as input, <see cref="CausalLM.IgnoreIndex"/> as label and <see cref="MicroBatch.PaddingDocument"/>.
/// Tokens of a <see cref="SupervisedExample"/> outside its assistant turns are never targets.
/// </summary>
internal sealed class PackedSequences
{
    private readonly int[] stream;
    private readonly int[] documents;
    private readonly bool[]? untrained;
    private readonly int padId;

    private PackedSequences(int[] stream, int[] documents, bool[]? untrained, int sequenceLength, int padId)
    {
        this.stream = stream;
        this.documents = documents;
        this.untrained = untrained;
        this.padId = padId;
        SequenceLength = sequenceLength;
        Count = stream.Length < 2 ? 0 : (stream.Length - 1 + sequenceLength - 1) / sequenceLength;
    }

    public int SequenceLength { get; }

    public int Count { get; }

    public long TokenCount => stream.Length;

    /// <summary>
    /// Packs plain <paramref name="texts"/> (every token a target: causal LM), then <paramref name="examples"/> laid out
    /// by <paramref name="layout"/> (default <see cref="SupervisedLayout.Plain"/>): targets only in the assistant turns
    /// and the EOS closing each; each part is tokenised on its own, so the boundaries are exact.
    /// </summary>
    public static PackedSequences Build(Tokenizer tokenizer, IEnumerable<string> texts, int sequenceLength,
        IEnumerable<SupervisedExample>? examples = null, SupervisedLayout? layout = null)
    {
        layout ??= SupervisedLayout.Plain;
        var ids = new List<int>();
        var documents = new List<int>();
        var untrained = new List<bool>();
        int document = 0;
        void Add(int[] encoded, bool trained)
        {
            ids.AddRange(encoded);
            documents.AddRange(Enumerable.Repeat(document, encoded.Length));
            untrained.AddRange(Enumerable.Repeat(!trained, encoded.Length));
        }
        foreach (var text in texts)
        {
            if (!string.IsNullOrWhiteSpace(text))
            {
                Add(tokenizer.Encode(text, addBos: true, addEos: true), true);
                document++;
            }
        }
        bool supervised = false;
        foreach (var example in examples ?? [])
        {
            var segments = layout.Encode(tokenizer, example);
            if (segments.Count == 0) continue;
            foreach (var segment in segments) Add(segment.Ids, segment.Trained);
            document++;
            supervised = true;
        }
        return new PackedSequences([.. ids], [.. documents], supervised ? [.. untrained] : null, sequenceLength, tokenizer.PadId);
    }

    /// <summary>Writes the given blocks row by row into a micro-batch of <c>blocks.Count</c> rows.</summary>
    public void Fill(IReadOnlyList<int> blocks, MicroBatch batch)
    {
        for (int row = 0; row < blocks.Count; row++) FillRow(row, blocks[row], batch);
    }

    /// <summary>Writes one block into row <paramref name="row"/> of <paramref name="batch"/>.</summary>
    public void FillRow(int row, int block, MicroBatch batch)
    {
        int length = SequenceLength;
        int start = block * length;
        for (int j = 0; j < length; j++)
        {
            int position = start + j, at = row * length + j;
            bool inStream = position < stream.Length;
            bool hasLabel = position + 1 < stream.Length && documents[position + 1] == documents[position]
                && untrained?[position + 1] != true;
            batch.Inputs[at] = inStream ? stream[position] : padId;
            batch.Labels[at] = hasLabel ? stream[position + 1] : CausalLM.IgnoreIndex;
            batch.Documents[at] = inStream ? documents[position] : MicroBatch.PaddingDocument;
        }
    }
}

/// <summary>
/// Endless shuffled order over blocks: epoch e is a Fisher–Yates permutation drawn from a SplitMix64 stream seeded
/// by (seed, e). The whole position is the number of blocks consumed, which is what a checkpoint stores.
/// </summary>
internal sealed class BlockSampler
{
    private readonly int count;
    private readonly int seed;
    private int[] permutation = [];
    private long permutationEpoch = -1;

    public BlockSampler(int count, int seed, long consumed = 0)
    {
        this.count = count;
        this.seed = seed;
        Consumed = consumed;
    }

    public long Consumed { get; set; }

    public int Next()
    {
        long epoch = Consumed / count;
        if (epoch != permutationEpoch)
        {
            permutation = Permutation(epoch);
            permutationEpoch = epoch;
        }
        return permutation[Consumed++ % count];
    }

    private int[] Permutation(long epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        ulong state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(epoch + 1) * 0xD1B54A32D192ED03UL);
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(SplitMix64.Next(ref state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
