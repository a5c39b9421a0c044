using System.IO.Hashing;
using System.Text;
using DeepSeek.Portal.Feeding.Dedup;

namespace DeepSeek.Portal.Feeding.Tests.Dedup;

public class ExactDuplicateIndexTests
{
    [Theory]
    [InlineData("  Hello,\t\tWorld \n", "hello, world")]
    [InlineData("ＡＢＣ１２３　全角", "abc123 全角")]
    [InlineData("第一段。\n\n第二段。", "第一段。 第二段。")]
    [InlineData("", "")]
    public void Normal_form_is_nfkc_lower_case_with_white_space_collapsed(string text, string expected) =>
        Assert.Equal(expected, DuplicateText.Normalize(text));

    [Fact]
    public void Fingerprint_is_xxhash64_of_the_normal_forms_utf8()
    {
        Assert.Equal(0xEF46DB3751D8E999UL, ExactDuplicateIndex.Fingerprint("")); // xxHash64 reference: empty input, seed 0
        Assert.Equal(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes("abc123 全角")), ExactDuplicateIndex.Fingerprint("ＡＢＣ１２３　全角"));
    }

    [Fact]
    public void A_duplicate_reports_the_first_record_it_repeats()
    {
        var index = new ExactDuplicateIndex();
        Assert.False(index.Add("r1", "How do I report a lost card?").IsDuplicate);
        Assert.False(index.Add("r2", "如何挂失银行卡？").IsDuplicate);
        var again = index.Add("r3", "how do I  report a lost CARD?\n");
        var fullWidth = index.Add("r4", "如何挂失银行卡?");
        var different = index.Add("r5", "How do I report a lost card");

        Assert.True(again.IsDuplicate);
        Assert.Equal("r1", again.FirstId);
        Assert.True(fullWidth.IsDuplicate); // full-width ？ is NFKC-equal to ?
        Assert.Equal("r2", fullWidth.FirstId);
        Assert.False(different.IsDuplicate); // punctuation counts
        Assert.Equal("r5", different.FirstId);
        Assert.Equal(5, index.Count);
        Assert.Equal(2, index.DuplicateCount);
    }

    [Fact]
    public void Unpaired_surrogates_do_not_throw()
    {
        var index = new ExactDuplicateIndex();
        index.Add("a", "bad \uD800 text");
        Assert.True(index.Add("b", "BAD \uD800 TEXT").IsDuplicate);
    }
}
