using System.Globalization;
using DeepSeek.Portal.Feeding.Import;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Datasets;

/// <summary>Import errors for people: English as the importer words them, Chinese by error kind with the English detail.</summary>
public static class ImportErrorText
{
    public static string Describe(ImportError error, IStringLocalizer localizer)
    {
        if (CultureInfo.CurrentUICulture.TwoLetterISOLanguageName != "zh")
            return error.ToString();
        var where = error.FileName;
        if (error.Record is { } record)
            where += localizer["ImportAtRecord", record];
        if (error.Line is { } line)
            where += localizer["ImportAtLine", line];
        if (error.Field is not null)
            where += localizer["ImportAtField", error.Field];
        return $"{where}：{localizer["ImportKind_" + error.Kind]}（{error.Message}）";
    }
}
