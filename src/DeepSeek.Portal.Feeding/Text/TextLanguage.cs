using System.Text;

namespace DeepSeek.Portal.Feeding.Text;

/// <summary>The coarse language classes the data pipeline tells apart (statistics, per-language thresholds).</summary>
public enum TextLanguage
{
    /// <summary>Han characters make up at least <see cref="LanguageGuess.HanShare"/> of the letters.</summary>
    Chinese,

    /// <summary>Basic Latin letters make up at least <see cref="LanguageGuess.LatinShare"/> of the letters (English and other Latin-script text).</summary>
    English,

    /// <summary>Anything else: other scripts, kana-heavy text, or no letters at all.</summary>
    Other,
}

/// <summary>
/// Classifies a text by script, not by vocabulary: counting Han characters against Latin letters is enough to split a
/// Chinese/English corpus, needs no model, and is exact on the mixed texts Chinese users write ("用 Python 训练模型" is
/// Chinese). A Latin-script text in French or German is reported as <see cref="TextLanguage.English"/>; the class
/// means "Latin script", and the documentation says so.
/// </summary>
public static class LanguageGuess
{
    /// <summary>The share of letters that must be Han for a text to count as Chinese (0.3: technical Chinese carries many Latin terms).</summary>
    public const double HanShare = 0.3;

    /// <summary>The share of letters that must be basic Latin for a text to count as English.</summary>
    public const double LatinShare = 0.7;

    /// <summary>Kana above this share of letters makes a text Japanese, hence <see cref="TextLanguage.Other"/>, whatever its Han share.</summary>
    public const double KanaShare = 0.1;

    /// <summary>The language class of <paramref name="text"/>.</summary>
    public static TextLanguage Classify(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var counts = new LanguageCounts();
        var span = text.AsSpan();
        for (int i = 0; i < span.Length;) counts.Add(CodePoints.Next(span, ref i));
        return counts.Classify();
    }

    /// <summary>CJK unified ideographs: the basic block, extension A, the compatibility block and the supplementary ideographic planes.</summary>
    public static bool IsHan(int codePoint) =>
        codePoint is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0xF900 and <= 0xFAFF or >= 0x20000 and <= 0x3FFFF;

    /// <summary>The short code used in statistics and the API: <c>zh</c>, <c>en</c> or <c>other</c>.</summary>
    public static string Code(TextLanguage language) => language switch
    {
        TextLanguage.Chinese => "zh",
        TextLanguage.English => "en",
        _ => "other",
    };
}

/// <summary>The letter counts <see cref="LanguageGuess.Classify"/> decides on, fed one code point at a time so that a scorer that already walks a text's code points classifies it in the same pass.</summary>
internal struct LanguageCounts
{
    private int letters, han, latin, kana;

    public void Add(int codePoint)
    {
        if (codePoint < 0x80)
        {
            if ((uint)((codePoint | 0x20) - 'a') <= 'z' - 'a')
            {
                latin++;
                letters++;
            }
        }
        else if (LanguageGuess.IsHan(codePoint))
        {
            han++;
            letters++;
        }
        else if (codePoint is >= 0x3040 and <= 0x30FF)
        {
            kana++;
            letters++;
        }
        else if (Rune.IsLetter(new Rune(codePoint)))
        {
            letters++;
        }
    }

    public readonly TextLanguage Classify()
    {
        if (letters == 0 || kana > LanguageGuess.KanaShare * letters)
            return TextLanguage.Other;
        if (han >= LanguageGuess.HanShare * letters)
            return TextLanguage.Chinese;
        return latin >= LanguageGuess.LatinShare * letters ? TextLanguage.English : TextLanguage.Other;
    }
}
