using System.Globalization;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace DeepSeek.Portal.Evaluations.Reports;

/// <summary>
/// A report as CSV (UTF-8 with a byte-order mark, so Excel reads Chinese correctly) and as an XLSX workbook with three
/// sheets: Summary, Metrics, Items. Words are in the request's culture; numbers are plain invariant numbers (CSV) or
/// numeric cells (XLSX), so spreadsheets can compute with them.
/// </summary>
public static class ReportExport
{
    private static readonly string[] MetricColumns = ["tier", "metric", "name", "scope", "value", "lower", "upper", "count", "target", "met", "trend", "previous", "source"];

    /// <summary>The metrics table as CSV bytes (with BOM).</summary>
    public static byte[] Csv(EvaluationReport report, ReportText text) => Csv([MetricColumns, .. MetricRows(report, text)]);

    /// <summary>
    /// Rows as CSV bytes with a BOM: numbers invariant, text quoted per RFC 4180 and kept from running as a formula.
    /// Shared with the roadmap's export.
    /// </summary>
    internal static byte[] Csv(IEnumerable<object?[]> rows)
    {
        var sb = new StringBuilder();
        foreach (var row in rows)
            sb.AppendJoin(',', row.Select(c => Escape(c switch { null => "", double d => d.ToString("R", CultureInfo.InvariantCulture), int i => i.ToString(CultureInfo.InvariantCulture), _ => c.ToString()! }))).Append("\r\n");
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(sb.ToString())];
    }

    /// <summary>A workbook of the given sheets (name → rows; the first row is the header). Shared with the roadmap's export.</summary>
    internal static byte[] Xlsx(IEnumerable<(string Name, IEnumerable<object?[]> Rows)> sheets)
    {
        using var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook(new Sheets());
            foreach (var (name, rows) in sheets)
                AddSheet(workbook, name, rows);
            workbook.Workbook.Save();
        }
        return stream.ToArray();
    }

    /// <summary>The workbook: Summary (label/value), Metrics (one row per figure), Items (one row per item with its scores).</summary>
    public static byte[] Xlsx(EvaluationReport report, IReadOnlyList<ReportItem> items, ReportText text)
    {
        using var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook(new Sheets());
            var e = report.Evaluation;
            AddSheet(workbook, "Summary", [["field", "value"],
                [text["ReportEvaluation"], e.Name], [text["RptEvaluationTarget"], e.TargetLabel], [text["RptEvaluationSuite"], e.SuiteVersionId],
                [text["RptEvaluationStatus"], e.Status.ToString()], [text["RptEvaluationFinished"], e.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)],
                [text["RptItemsScored"], e.ItemsDone - e.ItemsFailed], [text["RptItemsFailed"], e.ItemsFailed],
                [text["ReportHeadlineLabel"], text.Headline(report)], [text["RptTargetsMet"], report.TargetsMet], [text["TargetsJudged"], report.TargetsTotal],
                .. e.IsPartial ? new[] { new object?[] { text["RptPartialResults"], text["RptPartialResultsText"] } } : []]);
            AddSheet(workbook, "Metrics", [MetricColumns, .. MetricRows(report, text)]);
            var scoreNames = items.SelectMany(i => i.Scores.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
            AddSheet(workbook, "Items", [["item", "kind", "slice", "domain", "input", "output", "references", "error", .. scoreNames],
                .. items.Select(i => new object?[] { i.ItemId, i.Kind, i.Slice, i.Domain, i.Input, i.Output, i.References, i.Error }
                    .Concat(scoreNames.Select(n => i.Scores.TryGetValue(n, out var v) ? (object?)v : null)).ToArray())]);
            workbook.Workbook.Save();
        }
        return stream.ToArray();
    }

    private static IEnumerable<object?[]> MetricRows(EvaluationReport report, ReportText text) =>
        report.Lines.Select(l => new object?[]
        {
            l.Tier, l.Metric, text.MetricName(l.Metric), text.ScopeName(l.Scope), l.Value, l.Lower, l.Upper, l.Count, l.Target,
            l.Met is null ? null : text.Met(l.Met), l.Trend == Trend.None ? null : text.Trend(l.Trend, l.Previous), l.Previous, l.Source,
        });

    private static void AddSheet(WorkbookPart workbook, string name, IEnumerable<object?[]> rows)
    {
        var part = workbook.AddNewPart<WorksheetPart>();
        var data = new SheetData();
        uint r = 0;
        foreach (var values in rows)
        {
            var row = new Row { RowIndex = ++r };
            for (int c = 0; c < values.Length; c++)
            {
                var reference = ColumnName(c) + r.ToString(CultureInfo.InvariantCulture);
                row.Append(values[c] switch
                {
                    null => new Cell { CellReference = reference },
                    double d => new Cell { CellReference = reference, DataType = CellValues.Number, CellValue = new CellValue(d) },
                    int i => new Cell { CellReference = reference, DataType = CellValues.Number, CellValue = new CellValue(i) },
                    var o => new Cell { CellReference = reference, DataType = CellValues.InlineString, InlineString = new InlineString(new Text(Clean(o.ToString()!)) { Space = SpaceProcessingModeValues.Preserve }) },
                });
            }
            data.Append(row);
        }
        part.Worksheet = new Worksheet(data);
        var sheets = workbook.Workbook.Sheets!;
        sheets.Append(new Sheet { Id = workbook.GetIdOfPart(part), SheetId = (uint)sheets.Count() + 1, Name = name });
    }

    // Column letters: 0 → A, 25 → Z, 26 → AA.
    private static string ColumnName(int index)
    {
        var name = "";
        for (index++; index > 0; index = (index - 1) / 26)
            name = (char)('A' + (index - 1) % 26) + name;
        return name;
    }

    // XML 1.0 forbids most control characters; a model's output may contain them. Cells also hold at most 32,767 characters.
    private static string Clean(string s)
    {
        var kept = new string(s.Where(ch => ch is '\t' or '\n' or '\r' || ch >= 0x20 && ch != '\uFFFE' && ch != '\uFFFF').ToArray());
        return kept.Length > 32_767 ? kept[..32_767] : kept;
    }

    // RFC 4180 quoting; a leading =, + or @ is prefixed (a leading - is left: negative numbers are data) with ' so spreadsheets never run text as a formula.
    private static string Escape(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '@')
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
