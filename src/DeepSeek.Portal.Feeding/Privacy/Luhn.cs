namespace DeepSeek.Portal.Feeding.Privacy;

/// <summary>The Luhn (mod 10) check of payment card numbers (ISO/IEC 7812-1).</summary>
public static class Luhn
{
    /// <summary>True when the digits of <paramref name="number"/> (spaces and dashes ignored, anything else invalid) pass the Luhn check.</summary>
    public static bool IsValid(ReadOnlySpan<char> number)
    {
        int sum = 0, digits = 0;
        for (int i = number.Length - 1; i >= 0; i--)
        {
            char c = number[i];
            if (c is ' ' or '-') continue;
            int d = c - '0';
            if ((uint)d > 9) return false;
            if (digits++ % 2 == 1)
            {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
        }
        return digits > 0 && sum % 10 == 0;
    }
}
