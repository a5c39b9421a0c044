using DeepSeek.Portal.Feeding.Dedup;
using DeepSeek.Portal.Feeding.Tests.Reference;

namespace DeepSeek.Portal.Feeding.Tests.Dedup;

/// <summary>The optimised normal form, fingerprint and (vectorised) MinHash signature against <see cref="ReferenceDedup"/>, value for value.</summary>
public class DedupEquivalenceTests
{
    [Fact]
    public void Normal_form_and_fingerprint_match_the_reference()
    {
        foreach (var text in TextSamples.All(generated: 200))
        {
            Assert.Equal(ReferenceDedup.Normalize(text), DuplicateText.Normalize(text));
            Assert.Equal(ReferenceDedup.Fingerprint(text), ExactDuplicateIndex.Fingerprint(text));
        }
    }

    [Theory]
    [InlineData(256, 5, 3)]
    [InlineData(128, 4, 2)]
    [InlineData(200, 7, 1)] // not a multiple of the vector widths: the remainder loops run too
    [InlineData(131, 5, 3)]
    public void Signatures_match_the_scalar_reference(int permutations, int shingle, int chineseShingle)
    {
        var options = new MinHashOptions { Permutations = permutations, ShingleSize = shingle, ChineseShingleSize = chineseShingle, Seed = (ulong)permutations };
        var hasher = new MinHasher(options);
        foreach (var text in TextSamples.All(seed: 9, generated: 60))
            Assert.Equal(ReferenceDedup.Signature(text, options), hasher.ComputeSignature(text));
    }

    [Fact]
    public void A_text_normalised_for_one_detector_is_normalised_afresh_for_another_text()
    {
        // The normal form of the last text is remembered per thread: alternating texts must never see each other's.
        var texts = TextSamples.All(seed: 2, generated: 30).ToArray();
        for (int i = 1; i < texts.Length; i++)
        {
            Assert.Equal(ReferenceDedup.Fingerprint(texts[i]), ExactDuplicateIndex.Fingerprint(texts[i]));
            Assert.Equal(ReferenceDedup.Normalize(texts[i]), DuplicateText.Normalize(texts[i]));
            Assert.Equal(ReferenceDedup.Fingerprint(texts[i - 1]), ExactDuplicateIndex.Fingerprint(texts[i - 1]));
            // Equal content in a different string instance gives the same answer.
            Assert.Equal(ExactDuplicateIndex.Fingerprint(texts[i]), ExactDuplicateIndex.Fingerprint(new string(texts[i].AsSpan())));
        }
    }
}
