using DeepSeek.Portal.Feeding.Privacy;

namespace DeepSeek.Portal.Feeding.Tests.Privacy;

public class PiiMaskerTests
{
    private readonly PiiMasker masker = new();

    /// <summary>ISO 7064 MOD 11-2 from its definition: the check character c makes Σ aᵢ·2^(i−1) ≡ 1 (mod 11), positions i counted from the right, c at i = 1.</summary>
    private static string WithCheck(string first17)
    {
        long sum = 0;
        for (int k = 0; k < 17; k++)
        {
            int position = 18 - k;
            sum += (first17[k] - '0') * (long)Math.Pow(2, position - 1);
        }
        int check = (int)(((1 - sum) % 11 + 11) % 11);
        return first17 + (check == 10 ? "X" : check.ToString());
    }

    private static string WrongCheck(string id)
    {
        char last = id[^1] == 'X' ? '0' : id[^1] == '9' ? 'X' : (char)(id[^1] + 1);
        return id[..17] + last;
    }

    [Theory]
    [InlineData("11010519491231002X")] // GB 11643-1999's examples
    [InlineData("440524188001010014")]
    public void Standard_examples_are_valid_identity_numbers(string id)
    {
        Assert.True(ChineseIdNumber.IsValid(id));
        Assert.Equal(WithCheck(id[..17]), id);
    }

    [Fact]
    public void Check_characters_match_the_iso_7064_definition_including_x()
    {
        int xs = 0;
        for (int sequence = 0; sequence < 200; sequence++)
        {
            var first17 = $"3201021990{1 + sequence % 12:D2}{1 + sequence % 28:D2}{sequence:D3}";
            var id = WithCheck(first17);
            Assert.Equal(id[17], ChineseIdNumber.CheckCharacter(first17));
            Assert.True(ChineseIdNumber.IsValid(id));
            Assert.False(ChineseIdNumber.IsValid(WrongCheck(id)));
            if (id[17] == 'X') xs++;
        }
        Assert.True(xs > 0, "The sample must contain X check characters.");
    }

    [Theory]
    [InlineData("910105194912310021")] // region digit 9
    [InlineData("110105194902300021")] // 30 February
    [InlineData("110105209912310021")] // born in the future
    [InlineData("11010519491231002")]  // 17 characters
    public void Numbers_that_are_not_identity_shaped_are_invalid(string candidate)
    {
        var id = candidate.Length == 18 ? WithCheck(candidate[..17]) : candidate;
        Assert.False(ChineseIdNumber.IsValid(id));
    }

    [Fact]
    public void Valid_ids_are_masked_in_chinese_and_english_sentences_and_wrong_checksums_are_not()
    {
        var id = WithCheck("32010219900307123");
        var x = "11010519491231002X";
        var result = masker.Mask($"身份证号{id}，请核对。ID {x.ToLowerInvariant()} on file.");
        Assert.Equal("身份证号[ID]，请核对。ID [ID] on file.", result.Text);
        Assert.Equal(2, result.Count(PiiKind.IdNumber));

        var wrong = $"身份证号{WrongCheck(id)}，请核对。";
        Assert.Equal(wrong, masker.Mask(wrong).Text); // neither an ID nor, being ID-shaped, a card
    }

    [Fact]
    public void Ids_grouped_by_region_birth_date_and_sequence_are_masked()
    {
        Assert.Equal("身份证：[ID]，[ID]", masker.Mask("身份证：110105 19491231 002X，440524-18800101-0014").Text);
        Assert.Equal("身份证：110105 19491231 0021", masker.Mask("身份证：110105 19491231 0021").Text); // wrong check character
    }

    [Theory]
    [InlineData("4111111111111111")]       // Visa test number
    [InlineData("5500000000000004")]       // Mastercard test number
    [InlineData("378282246310005")]        // American Express test number (15)
    [InlineData("6011111111111117")]       // Discover test number
    [InlineData("4111 1111 1111 1111")]
    [InlineData("4111-1111-1111-1111")]
    [InlineData("3782 822463 10005")]
    public void Luhn_valid_cards_are_masked(string card)
    {
        Assert.True(Luhn.IsValid(card));
        var result = masker.Mask($"卡号{card}已冻结 / card {card}.");
        Assert.Equal("卡号[CARD]已冻结 / card [CARD].", result.Text);
        Assert.Equal(2, result.Count(PiiKind.BankCard));
        Assert.Equal(0, result.Count(PiiKind.Phone));
    }

    [Theory]
    [InlineData("4111111111111112")]
    [InlineData("4111 1111 1111 1113")]
    [InlineData("123456789012")] // 12 digits: too short
    [InlineData("41111111111111111111")] // 20 digits: too long
    public void Luhn_invalid_or_badly_sized_numbers_are_not_cards(string number) =>
        Assert.Equal(0, masker.Mask($"number {number} here").Count(PiiKind.BankCard));

    [Fact]
    public void An_eighteen_digit_valid_id_that_also_passes_luhn_is_an_id()
    {
        string? id = null;
        for (int sequence = 0; id is null; sequence++)
        {
            var candidate = WithCheck($"44052419800101{sequence:D3}");
            if (Luhn.IsValid(candidate)) id = candidate;
        }
        var result = masker.Mask($"号码{id}");
        Assert.Equal("号码[ID]", result.Text);
    }

    [Theory]
    [InlineData("我的手机号13812345678谢谢", "我的手机号[PHONE]谢谢")]
    [InlineData("电话:+86 138 1234 5678。", "电话:[PHONE]。")]
    [InlineData("电话0086-138-1234-5678", "电话[PHONE]")]
    [InlineData("+8619912345678", "[PHONE]")]
    [InlineData("座机010-12345678，分机请转", "座机[PHONE]，分机请转")]
    [InlineData("座机(0755)87654321", "座机[PHONE]")]
    [InlineData("Call +1 (555) 123-4567 today.", "Call [PHONE] today.")]
    [InlineData("London +44 20 7946 0958, Paris +33.1.23.45.67.89", "London [PHONE], Paris [PHONE]")]
    [InlineData("Reach me at +491711234567.", "Reach me at [PHONE].")]
    public void Phones_are_masked(string text, string expected) =>
        Assert.Equal(expected, masker.Mask(text).Text);

    [Theory]
    [InlineData("订单号12345678901已发货")]       // starts with 12: not a mobile prefix
    [InlineData("编号a13812345678b")]             // glued to ASCII letters
    [InlineData("138123456789012345678")]         // inside a longer run of digits (and not Luhn-valid)
    [InlineData("+12 34")]                        // too few digits for E.164
    [InlineData("+1234567890123456")]             // 16 digits: longer than E.164
    public void Numbers_that_are_not_phones_are_left_alone(string text) =>
        Assert.Equal(0, masker.Mask(text).Count(PiiKind.Phone));

    [Fact]
    public void A_luhn_valid_16_digit_card_is_not_a_phone_but_a_prefixed_phone_is_not_a_card()
    {
        Assert.Equal("[CARD]", masker.Mask("4111111111111111").Text);
        // 0086 138 1234 5678 also reads as a 15-digit grouped number; make it Luhn-valid to test the precedence.
        string? phone = null;
        for (int last = 0; phone is null && last < 10_000; last++)
        {
            var candidate = $"0086 138 1234 {last:D4}";
            if (Luhn.IsValid(candidate)) phone = candidate;
        }
        Assert.NotNull(phone);
        Assert.Equal("电话[PHONE]", masker.Mask($"电话{phone}").Text);
    }

    [Theory]
    [InlineData("联系邮箱zhang.san@example.com谢谢", "联系邮箱[EMAIL]谢谢")]
    [InlineData("Mail first.last+tag@mail.example.co.uk, please.", "Mail [EMAIL], please.")]
    [InlineData("13812345678@qq.com", "[EMAIL]")]
    [InlineData("a@b.cn,c@d.cn;x.y@z.org。", "[EMAIL],[EMAIL];[EMAIL]。")]
    [InlineData("@home and me@ and @@ a@@b.cn", "@home and me@ and @@ a@@b.cn")]
    public void Emails_are_masked_and_win_over_digits_inside_them(string text, string expected) =>
        Assert.Equal(expected, masker.Mask(text).Text);

    [Theory]
    [InlineData("服务器192.168.1.10宕机", "服务器[IP]宕机")]
    [InlineData("from 8.8.8.8.", "from [IP].")]
    [InlineData("IPv6 2001:db8::8a2e:370:7334 and ::1", "IPv6 [IP] and [IP]")]
    [InlineData("mapped ::ffff:192.0.2.128 here", "mapped [IP] here")]
    [InlineData("地址fe80::1ff:fe23:4567:890a连接", "地址[IP]连接")]
    [InlineData("Note: ::1 then 1::2:3.", "Note: [IP] then [IP].")]
    public void Ip_addresses_are_masked(string text, string expected) =>
        Assert.Equal(expected, masker.Mask(text).Text);

    [Theory]
    [InlineData("version 256.1.1.1")]
    [InlineData("version 1.2.3.04")]
    [InlineData("1.2.3.4.5")]
    [InlineData("at 12:30:45 sharp")]
    [InlineData("std::cout and dead::beef")]
    public void Invalid_ip_addresses_are_left_alone(string text) =>
        Assert.Equal(0, masker.Mask(text).Count(PiiKind.IpAddress));

    [Theory]
    [InlineData("")]
    [InlineData("今天天气很好，我们去公园散步吧。")]
    [InlineData("The quick brown fox jumps over the lazy dog.")]
    [InlineData("2024-01-15 的会议在 3 楼，预算 12,000 元。")]
    public void Texts_without_personal_data_come_back_unchanged(string text)
    {
        var result = masker.Mask(text);
        Assert.Same(text, result.Text);
        Assert.Empty(result.Spans);
    }

    [Fact]
    public void Spans_and_counts_describe_the_original_text()
    {
        const string text = "Mail a@b.cn or call 13812345678; card 4111111111111111; host 10.0.0.1.";
        var result = masker.Mask(text);
        Assert.Equal("Mail [EMAIL] or call [PHONE]; card [CARD]; host [IP].", result.Text);
        Assert.Equal(["a@b.cn", "13812345678", "4111111111111111", "10.0.0.1"], result.Spans.Select(s => text.Substring(s.Start, s.Length)));
        Assert.Equal(new Dictionary<PiiKind, int> { [PiiKind.Email] = 1, [PiiKind.Phone] = 1, [PiiKind.BankCard] = 1, [PiiKind.IpAddress] = 1 }, result.Counts);
    }

    [Fact]
    public void Adversarial_digit_runs_scan_in_linear_time()
    {
        var text = string.Concat(Enumerable.Repeat("+12345678901234567890123456789 a.b.c.d@ 1.2.3.4.5.6 ", 4000)); // ~200 KB
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = masker.Mask(text);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}");
        Assert.Empty(result.Spans);
    }

    [Fact]
    public void A_masker_limited_to_some_kinds_leaves_the_others()
    {
        var emailsOnly = new PiiMasker(PiiKind.Email);
        Assert.Equal("[EMAIL] 13812345678", emailsOnly.Mask("a@b.cn 13812345678").Text);
    }
}
