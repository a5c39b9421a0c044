using System.Text;

namespace DeepSeek.Portal.Feeding.Text;

/// <summary>Unicode normal forms as the data pipeline applies them.</summary>
internal static class UnicodeForms
{
    /// <summary>
    /// NFKC, allocating only when the text is not already in it (ASCII and most Chinese text is). Text with unpaired
    /// surrogates is not Unicode text and has no normal form: it comes back unchanged, and readers of runes see U+FFFD.
    /// </summary>
    public static string Nfkc(string text)
    {
        try
        {
            return text.IsNormalized(NormalizationForm.FormKC) ? text : text.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return text;
        }
    }
}
