using DeepSeek.Portal.Planning.Estimates;

namespace DeepSeek.Portal.Planning.Tests.Estimates;

public class SeedClaimTests
{
    private static ClaimVerdict Claim(string id) => Planner.SeedClaims().Single(c => c.Id == id);

    [Fact]
    public void Each_claim_quotes_the_seed_and_shows_numbers()
    {
        var claims = Planner.SeedClaims();
        Assert.Equal(["int8-quarter", "a100x4-13b", "xeon-512gb", "tp4-58", "checkpointing-35", "jetson-int4-0.8b"], claims.Select(c => c.Id));
        Assert.All(claims, c =>
        {
            Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", c.Quote);
            Assert.Matches(@"\d", c.Computation.Text);
            Assert.False(string.IsNullOrWhiteSpace(c.Verdict.Text));
        });
    }

    [Fact]
    public void INT8_is_half_of_FP16_not_a_quarter()
    {
        // V2: 235.7e9 params; INT8 ≈ 1 B + 2/5120 B of scales per param (embeddings 16-bit) ≈ 0.50 of FP16; INT4 ≈ 0.27.
        var c = Claim("int8-quarter");
        Assert.False(c.Holds);
        Assert.Contains("= 0.502 of FP16", c.Computation.Text);
        Assert.Contains("= 0.269 of FP16", c.Computation.Text);
    }

    [Fact]
    public void Four_A100_80GB_hold_144B_parameters_of_FP16_not_13B()
    {
        // 4 × 80 GB × 0.9 = 288 GB ÷ 2 B = 144e9 params; 13B × 2 B = 26 GB fits one A100 80GB; V2 in FP16 needs 471 GB.
        var c = Claim("a100x4-13b");
        Assert.False(c.Holds);
        Assert.Contains("288 GB usable ÷ 2 B = 144e9 params", c.Computation.Text);
        Assert.Contains("26 GB: 1 A100 80GB", c.Computation.Text);
        Assert.Contains("weights 471 GB", c.Computation.Text);
        Assert.Contains("(fits: False)", c.Computation.Text);
    }

    [Fact]
    public void Xeon_512GB_is_too_little_for_V2_in_BF16_and_enough_in_INT8()
    {
        var c = Claim("xeon-512gb");
        Assert.False(c.Holds);
        Assert.Contains("against 512 GB × 0.9 = 461 GB usable → fits: False", c.Computation.Text);
        Assert.Contains("→ fits: True", c.Computation.Text);
    }

    [Fact]
    public void Tensor_parallel_and_checkpointing_savings_are_computed_for_the_7B_example()
    {
        var tp = Claim("tp4-58");
        var ckpt = Claim("checkpointing-35");
        Assert.Contains("DeepSeek-LLM 7B full fine-tune", tp.Computation.Text);
        Assert.False(tp.Holds); // about 70% here, beyond 58 ± 5
        Assert.False(ckpt.Holds); // about 45% here, beyond 35 ± 5
    }

    [Fact]
    public void A_distilled_INT4_model_fits_the_Jetson()
    {
        // 0.8e9 × (0.5 + 4/128) B = 425 MB; 204.8 GB/s ÷ 0.425 GB = 482 tokens/s.
        var c = Claim("jetson-int4-0.8b");
        Assert.True(c.Holds);
        Assert.Contains("= 425 MB of INT4 weights", c.Computation.Text);
        Assert.Contains("= 482 tokens/s", c.Computation.Text);
    }
}

