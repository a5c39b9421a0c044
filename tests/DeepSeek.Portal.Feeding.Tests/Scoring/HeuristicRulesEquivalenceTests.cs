using DeepSeek.Portal.Feeding.Scoring;
using DeepSeek.Portal.Feeding.Tests.Reference;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Tests.Scoring;

/// <summary>The optimised rules (one scan, window hashes, pooled tables) against <see cref="ReferenceRules"/>, rule by rule.</summary>
public class HeuristicRulesEquivalenceTests
{
    private static void AssertSameAsReference(HeuristicRules rules, string text)
    {
        var expected = ReferenceRules.Evaluate(text, rules.Options);
        var actual = rules.Evaluate(text);
        Assert.Equal(expected.Select(r => r.Name), actual.Select(r => r.Name));
        for (int i = 0; i < expected.Count; i++)
        {
            // Same integer counts divided the same way: equal to the last bit, not merely close.
            Assert.True(expected[i].Value == actual[i].Value && expected[i].Fired == actual[i].Fired,
                $"{expected[i].Name}: expected {expected[i].Value:R} (fired {expected[i].Fired}), got {actual[i].Value:R} (fired {actual[i].Fired}) for \"{text[..Math.Min(80, text.Length)]}\" ({text.Length} chars)");
        }
    }

    [Fact]
    public void Every_rule_matches_the_reference_on_generated_chinese_english_mixed_and_edge_case_texts()
    {
        int checkedTexts = 0;
        foreach (var text in TextSamples.All())
        {
            AssertSameAsReference(HeuristicRules.Default, text);
            checkedTexts++;
        }
        Assert.True(checkedTexts > 700);
    }

    [Fact]
    public void Every_rule_matches_the_reference_with_non_default_repetition_settings()
    {
        // minOccurrences 1 and 2 everywhere, scale 1 and 3: the paths where unique n-grams cannot be skipped, and where they can.
        var settings = new[]
        {
            new HeuristicOptions { ShortRecordMinOccurrences = 1, GopherMinWords = 1000 },
            new HeuristicOptions { ShortRecordMinOccurrences = 2, ChineseNgramScale = 1 },
            new HeuristicOptions { GopherMinWords = 5, ChineseNgramScale = 3 },
            new HeuristicOptions { ShortRecordMinOccurrences = 3 },
        };
        foreach (var options in settings)
        {
            var rules = new HeuristicRules(options);
            foreach (var text in TextSamples.All(seed: 8, generated: 60)) AssertSameAsReference(rules, text);
        }
    }

    [Fact]
    public void Per_thread_buffers_fit_texts_of_every_length_in_any_order()
    {
        // The buffers live per thread and grow (and shrink after a very long text): a fresh thread sees lengths in an
        // order that crosses every boundary, starting with a text whose units outnumber the initial unit buffer.
        var chinese = string.Concat(Enumerable.Repeat("银行卡挂失需要携带身份证到柜台办理", 25)); // 425 Han characters
        var texts = new[] { chinese[..300], chinese, "a", chinese + chinese, new string('好', 70_000), chinese[..400], "", chinese[..257] };
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                foreach (var text in texts) AssertSameAsReference(HeuristicRules.Default, text);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
    }

    [Fact]
    public void Rules_fire_on_the_generated_samples_so_the_comparison_covers_both_outcomes()
    {
        // Guards the equivalence tests against samples too tame to exercise the repetition rules.
        var fired = TextSamples.All(generated: 100).SelectMany(t => HeuristicRules.Default.Evaluate(t).Where(r => r.Fired).Select(r => r.Name)).ToHashSet();
        foreach (var name in new[] { "top_2gram_char_fraction", "duplicate_5gram_char_fraction", "duplicate_10gram_char_fraction", "duplicate_line_fraction", "character_repetition_ratio", "special_character_ratio", "mojibake_fraction", "markup_fraction" })
            Assert.Contains(name, fired);
    }

    [Fact]
    public void Language_entropy_and_length_match_the_reference()
    {
        var scorer = new EntropyScorer();
        foreach (var text in TextSamples.All(generated: 200))
        {
            Assert.Equal(ReferenceText.Classify(text), LanguageGuess.Classify(text));
            Assert.Equal(ReferenceText.CodePointLength(text), CharacterEntropy.CodePointLength(text));
            var bits = ReferenceText.BitsPerCharacter(text);
            Assert.True(bits == CharacterEntropy.BitsPerCharacter(text), text);
            var result = scorer.Evaluate(text);
            Assert.True(bits == result.BitsPerCharacter, text);
            Assert.Equal(ReferenceText.CodePointLength(text), result.Length);
            Assert.Same(scorer.RangeFor(ReferenceText.Classify(text), result.Length), result.Range);
        }
    }

    [Fact]
    public void Units_match_the_reference_segmentation()
    {
        foreach (var text in TextSamples.All(generated: 50))
            Assert.Equal(ReferenceRules.Units(text), HeuristicRules.Units(text));
    }
}
