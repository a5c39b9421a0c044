using DeepSeek.Portal.Feeding.Dedup;
using DeepSeek.Portal.Feeding.Demo;
using Xunit.Abstractions;
using static DeepSeek.Portal.Feeding.Tests.Dedup.NearDuplicateTexts;

namespace DeepSeek.Portal.Feeding.Tests.Dedup;

public class NearDuplicateIndexTests(ITestOutputHelper output)
{
    private const double Threshold = 0.7;

    [Fact]
    public void Optimal_bands_and_rows_match_datasketch_for_256_permutations_at_0_7() =>
        Assert.Equal(new LshParameters(25, 10), LshParameters.Optimal(0.7, 256));

    [Fact]
    public void Default_index_uses_256_permutations_in_25_bands_of_10_rows()
    {
        var index = new NearDuplicateIndex();
        Assert.Equal(256, index.Hasher.Permutations);
        Assert.Equal(new LshParameters(25, 10), index.Parameters);
    }

    [Fact]
    public void Optimal_parameters_use_at_most_the_permutations_and_move_with_the_threshold()
    {
        var loose = LshParameters.Optimal(0.5, 128);
        var strict = LshParameters.Optimal(0.9, 128);
        Assert.True(loose.Bands * loose.Rows <= 128 && strict.Bands * strict.Rows <= 128);
        Assert.True(loose.CandidateProbability(0.5) > strict.CandidateProbability(0.5));
        Assert.True(strict.CandidateProbability(0.99) > 0.99);
        Assert.Equal(new LshParameters(5, 25), strict); // datasketch's defaults (0.9, 128); (computed) with mpmath quad over the same search
    }

    [Fact]
    public void English_near_duplicates_are_found_and_distant_pairs_are_not()
    {
        var random = new SplitMix64(2026);
        var vocabulary = Vocabulary(random);
        var pairs = new List<(string, string)>();
        for (int i = 0; i < 400; i++)
        {
            var words = EnglishWords(random, vocabulary);
            pairs.Add((string.Join(' ', words), EditWords(random, words, vocabulary, random.Next(1000) / 1000.0 * 0.5)));
        }
        AssertRecallAndFalsePositives(pairs, "en");
    }

    [Fact]
    public void Chinese_near_duplicates_are_found_and_distant_pairs_are_not()
    {
        var random = new SplitMix64(2027);
        var pairs = new List<(string, string)>();
        for (int i = 0; i < 400; i++)
        {
            var text = Chinese(random);
            pairs.Add((text, EditChinese(random, text, random.Next(1000) / 1000.0 * 0.22)));
        }
        AssertRecallAndFalsePositives(pairs, "zh");
    }

    private void AssertRecallAndFalsePositives(List<(string Original, string Edited)> pairs, string language)
    {
        var options = new MinHashOptions { Threshold = Threshold };
        var hasher = new MinHasher(options);
        int near = 0, found = 0, far = 0, falsePositives = 0;
        double worstEstimateError = 0;
        foreach (var (original, edited) in pairs)
        {
            double jaccard = Jaccard(hasher.ShingleSet(original), hasher.ShingleSet(edited));
            var index = new NearDuplicateIndex(options);
            index.Add("a", original);
            var match = index.Add("b", edited);
            if (jaccard >= Threshold + 0.1)
            {
                near++;
                if (match.IsDuplicate) found++;
            }
            else if (jaccard <= Threshold - 0.2)
            {
                far++;
                if (match.IsDuplicate) falsePositives++;
            }
            double estimate = MinHasher.EstimateJaccard(hasher.ComputeSignature(original), hasher.ComputeSignature(edited));
            worstEstimateError = Math.Max(worstEstimateError, Math.Abs(estimate - jaccard));
        }
        output.WriteLine($"{language}: recall {found}/{near}, false positives {falsePositives}/{far}, worst |estimate − J| {worstEstimateError:F3}");
        Assert.True(near >= 50 && far >= 50, $"The generator must cover both classes ({near} near, {far} far pairs).");
        Assert.True(found >= 0.9 * near, $"Recall {found}/{near} for J ≥ {Threshold + 0.1}.");
        Assert.True(falsePositives <= 0.1 * far, $"False positives {falsePositives}/{far} for J ≤ {Threshold - 0.2}.");
        Assert.True(worstEstimateError < 0.15, $"Worst signature estimate error {worstEstimateError}.");
    }

    [Fact]
    public void Clusters_list_members_with_estimated_jaccard_to_the_earliest_record()
    {
        var random = new SplitMix64(7);
        var vocabulary = Vocabulary(random);
        var words = EnglishWords(random, vocabulary);
        var index = new NearDuplicateIndex();
        Assert.False(index.Add("unrelated", string.Join(' ', EnglishWords(random, vocabulary))).IsDuplicate);
        var first = index.Add("original", string.Join(' ', words));
        Assert.False(first.IsDuplicate);
        var copy = index.Add("copy", string.Join(' ', words).ToUpperInvariant());
        var edit = index.Add("edit", EditWords(random, words, vocabulary, 0.02));

        Assert.True(copy.IsDuplicate);
        Assert.Equal("original", copy.RepresentativeId);
        Assert.Equal(1.0, copy.EstimatedJaccard);
        Assert.True(edit.IsDuplicate);
        Assert.Equal(first.RecordIndex, edit.ClusterId);
        Assert.InRange(edit.EstimatedJaccard, 0.75, 0.999);
        Assert.Equal(2, index.DuplicateCount);

        var cluster = Assert.Single(index.Clusters());
        Assert.Equal("original", cluster.RepresentativeId);
        Assert.Equal(["original", "copy", "edit"], cluster.Members.Select(m => m.Id));
        Assert.Equal(1.0, cluster.Members[0].EstimatedJaccard);
        Assert.Equal("original", index.RepresentativeOf(edit.RecordIndex));
    }

    [Fact]
    public void A_record_that_links_two_clusters_merges_them_under_the_earliest_representative()
    {
        // Bands of one row make every shared minimum a link: "a b" ~ "b c" ~ nothing else.
        var options = new MinHashOptions { ShingleSize = 1, Bands = 128, Rows = 1, Permutations = 128 };
        var index = new NearDuplicateIndex(options);
        index.Add("x", "xxxxxxxx");
        index.Add("y", "yyyyyyyy");
        var bridge = index.Add("xy", "xxxxyyyy");
        Assert.True(bridge.IsDuplicate);
        var cluster = Assert.Single(index.Clusters());
        Assert.Equal("x", cluster.RepresentativeId);
        Assert.Equal(["x", "y", "xy"], cluster.Members.Select(m => m.Id));
    }

    [Fact]
    public void Signatures_are_deterministic_for_a_seed_and_differ_between_seeds()
    {
        const string text = "The same text gives the same signature on every machine.";
        var a = new MinHasher(new MinHashOptions()).ComputeSignature(text);
        var b = new MinHasher(new MinHashOptions()).ComputeSignature(text);
        var c = new MinHasher(new MinHashOptions { Seed = 43 }).ComputeSignature(text);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData("The vectorised minimum must equal the definition, lane by lane.", 256)]
    [InlineData("向量化的最小值必须与定义逐位一致。", 130)] // 130: sixteen 8-lane blocks and a scalar tail
    public void Signature_is_the_documented_multiply_add_shift_minimum(string text, int permutations)
    {
        var hasher = new MinHasher(new MinHashOptions { Permutations = permutations, Seed = 7 });
        var keys = hasher.ShingleSet(text);
        var random = new SplitMix64(7);
        var expected = new uint[permutations];
        for (int i = 0; i < permutations; i++)
        {
            ulong a = random.NextUInt64() | 1, b = random.NextUInt64();
            expected[i] = keys.Min(x => (uint)((a * x + b) >> 32));
        }
        Assert.Equal(expected, hasher.ComputeSignature(text));
    }

    [Fact]
    public void Chinese_text_is_shingled_in_threes_and_english_in_fives()
    {
        var hasher = new MinHasher(new MinHashOptions());
        Assert.Equal(3, hasher.ShingleSizeFor("银行卡挂失需要携带身份证到柜台办理。"));
        Assert.Equal(5, hasher.ShingleSizeFor("How do I report a lost bank card?"));
        Assert.Equal(17 - 3 + 1, hasher.ShingleSet("银行卡挂失需要携带身份证到柜台办理").Count);
    }

    [Fact]
    public void Empty_and_short_texts_have_signatures()
    {
        var hasher = new MinHasher(new MinHashOptions());
        Assert.All(hasher.ComputeSignature(""), v => Assert.Equal(uint.MaxValue, v));
        Assert.Single(hasher.ShingleSet("abc"));
        Assert.True(new NearDuplicateIndex().Add("short", "ok").RecordIndex == 0);
    }

    [Fact]
    public void Options_out_of_range_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new NearDuplicateIndex(new MinHashOptions { Permutations = 64 }));
        Assert.Throws<ArgumentException>(() => new NearDuplicateIndex(new MinHashOptions { Threshold = 1 }));
        Assert.Throws<ArgumentException>(() => new NearDuplicateIndex(new MinHashOptions { Bands = 30, Rows = 10 }));
        Assert.Throws<ArgumentException>(() => new NearDuplicateIndex(new MinHashOptions { Bands = 30 }));
    }
}
