namespace DeepSeek.Portal.Feeding.Privacy;

/// <summary>
/// Chinese resident identity card numbers (GB 11643-1999): six digits of region (first digit 1–8), the birth date
/// YYYYMMDD, a three-digit sequence and a check character computed with ISO 7064 MOD 11-2.
/// </summary>
public static class ChineseIdNumber
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]; // 2^(17−i) mod 11

    /// <summary>
    /// The ISO 7064 MOD 11-2 check character of the first 17 digits: c = (12 − Σ wᵢ·dᵢ mod 11) mod 11 with
    /// wᵢ = 2^(17−i) mod 11, written as <c>X</c> when it is 10.
    /// </summary>
    public static char CheckCharacter(ReadOnlySpan<char> first17)
    {
        if (first17.Length < 17) throw new ArgumentException("An identity number has 17 digits before its check character.", nameof(first17));
        int sum = 0;
        for (int i = 0; i < 17; i++)
        {
            int digit = first17[i] - '0';
            if ((uint)digit > 9) throw new ArgumentException($"Character {i} ('{first17[i]}') is not a digit.", nameof(first17));
            sum += digit * Weights[i];
        }
        int check = (12 - sum % 11) % 11;
        return check == 10 ? 'X' : (char)('0' + check);
    }

    /// <summary>True when <paramref name="candidate"/> is shaped like an identity number: 18 characters, the last a digit or X,
    /// a region starting with 1–8 and a real birth date from 1800 to today. The check character is not looked at.</summary>
    public static bool HasIdShape(ReadOnlySpan<char> candidate)
    {
        if (candidate.Length != 18 || candidate[0] is < '1' or > '8') return false;
        foreach (char c in candidate[..17])
        {
            if (c is < '0' or > '9') return false;
        }
        if (candidate[17] is not (>= '0' and <= '9' or 'X' or 'x')) return false;
        int year = Number(candidate.Slice(6, 4)), month = Number(candidate.Slice(10, 2)), day = Number(candidate.Slice(12, 2));
        var today = DateTime.UtcNow.Date;
        return year >= 1800 && year <= today.Year && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            && new DateTime(year, month, day) <= today;
    }

    /// <summary>True for a well-shaped number (<see cref="HasIdShape"/>) whose check character is right (x and X alike).</summary>
    public static bool IsValid(ReadOnlySpan<char> candidate) =>
        HasIdShape(candidate) && char.ToUpperInvariant(candidate[17]) == CheckCharacter(candidate);

    private static int Number(ReadOnlySpan<char> digits)
    {
        int value = 0;
        foreach (char c in digits) value = value * 10 + (c - '0');
        return value;
    }
}
