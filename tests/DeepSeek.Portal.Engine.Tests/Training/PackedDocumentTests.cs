using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Engine.Training;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Tests.Training;

public class PackedDocumentTests
{
    private static readonly string[] Documents =
    [
        "The quick brown fox jumps over the lazy dog.",
        "张伟在北京工作。",
        "Numbers 12345 and more words here",
    ];

    public static TheoryData<string> Families => new() { "deepseek", "llama" };

    [Theory]
    [MemberData(nameof(Families))]
    public void Loss_of_a_packed_row_equals_the_token_weighted_loss_of_its_documents_run_separately(string family)
    {
        var tokenizer = Tokenizer.Train(Documents.Concat(DemoCorpus.Generate(50, 3)), 400);
        ModelConfig config = family == "llama" ? TestModels.TinyLlama(tokenizer.VocabSize) : TestModels.TwoLayer(tokenizer.VocabSize);
        using var model = TestModels.NewModel(config);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var encoded = Documents.Select(d => tokenizer.Encode(d, addBos: true, addEos: true)).ToArray();
        int length = encoded.Sum(e => e.Length) + 5; // one row holds all three, with padding at the end
        var packed = PackedSequences.Build(tokenizer, Documents, length);
        var batch = new MicroBatch(1, length);
        packed.FillRow(0, 0, batch);
        var (x, y, forward) = batch.ToDevice(CPU);
        double packedLoss = model.Forward(x, y, forward).Loss!.item<float>();

        double sum = 0;
        long targets = 0;
        foreach (var ids in encoded)
        {
            var inputs = tensor(ids[..^1].Select(i => (long)i).ToArray(), [1, ids.Length - 1]);
            var labels = tensor(ids[1..].Select(i => (long)i).ToArray(), [1, ids.Length - 1]);
            sum += model.Forward(inputs, labels).Loss!.item<float>() * (ids.Length - 1);
            targets += ids.Length - 1;
        }

        Assert.Equal(targets, batch.TargetCount);
        Assert.Equal(sum / targets, packedLoss, 5);
    }

    [Fact]
    public void Packing_marks_documents_and_never_labels_the_next_documents_first_token()
    {
        var tokenizer = Tokenizer.Train(Documents, 300);
        var encoded = Documents.Select(d => tokenizer.Encode(d, addBos: true, addEos: true)).ToArray();
        int length = encoded.Sum(e => e.Length) + 3;
        var batch = new MicroBatch(1, length);
        PackedSequences.Build(tokenizer, Documents, length).FillRow(0, 0, batch);

        int at = 0;
        for (int d = 0; d < encoded.Length; d++)
        {
            for (int i = 0; i < encoded[d].Length; i++, at++)
            {
                Assert.Equal(d, batch.Documents[at]);
                Assert.Equal(i + 1 < encoded[d].Length ? encoded[d][i + 1] : CausalLM.IgnoreIndex, batch.Labels[at]);
            }
        }
        for (; at < length; at++)
        {
            Assert.Equal(MicroBatch.PaddingDocument, batch.Documents[at]);
            Assert.Equal(CausalLM.IgnoreIndex, batch.Labels[at]);
        }
    }
}
