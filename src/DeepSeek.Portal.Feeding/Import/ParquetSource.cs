using System.Globalization;
using System.Text.Json;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Parquet read one row group at a time (a row group is the unit Parquet compresses, so it is read whole; its size is
/// bounded by <see cref="ImportLimits.MaxRowGroupBytes"/>). Each row becomes a JSON object of its columns: strings,
/// numbers (with their exact value), booleans, dates (ISO 8601) and lists of them; other columns (binary, maps,
/// structs) are left out and listed by the inspection.
/// </summary>
internal static class ParquetSource
{
    public static async Task ReadAsync(Stream seekable, StreamingSession session, IProgress<long>? progress, CancellationToken ct)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(seekable, null, leaveStreamOpen: true, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            session.Fatal(ImportErrorKind.UnreadableFile, null, null, null, $"not a readable Parquet file: {Reason(e)}");
            return;
        }

        await using (reader.ConfigureAwait(false))
        {
            try
            {
                await ReadRowGroupsAsync(reader, seekable, session, progress, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException && !session.SinkFailed)
            {
                session.Fatal(ImportErrorKind.UnreadableFile, null, null, null, $"not a readable Parquet file: {Reason(e)}");
            }
        }
    }

    private static async Task ReadRowGroupsAsync(ParquetReader reader, Stream seekable, StreamingSession session, IProgress<long>? progress, CancellationToken ct)
    {
        {
            var columns = reader.Schema.Fields
                .Select(f => f switch
                {
                    DataField d when d.MaxRepetitionLevel == 0 => (f.Name, Leaf: d, List: false),
                    ListField { Item: DataField item } when item.MaxRepetitionLevel == 1 => (f.Name, Leaf: item, List: true),
                    _ => (f.Name, Leaf: (DataField?)null, List: false),
                })
                .Where(c => c.Leaf is not null)
                .ToList();
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            long row = 0;
            for (var g = 0; g < reader.RowGroupCount && !session.Stopped; g++)
            {
                ct.ThrowIfCancellationRequested();
                using var group = reader.OpenRowGroupReader(g);
                var size = group.RowGroup.TotalByteSize;
                if (size > session.Limits.MaxRowGroupBytes)
                {
                    session.Fatal(ImportErrorKind.RowGroupTooLarge, null, row + 1, null,
                        $"row group {g + 1} holds {TextRules.FormatSize(size)} uncompressed, more than the {TextRules.FormatSize(session.Limits.MaxRowGroupBytes)} limit; write the file with smaller row groups");
                    return;
                }

                var rows = checked((int)group.RowCount);
                var values = new List<object?[]>(columns.Count);
                try
                {
                    foreach (var column in columns)
                    {
                        values.Add(await ReadColumnAsync(group, column.Leaf!, column.List, rows, ct).ConfigureAwait(false));
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException && !session.SinkFailed)
                {
                    session.Fatal(ImportErrorKind.UnreadableFile, null, row + 1, null, $"row group {g + 1} is not readable: {Reason(e)}");
                    return;
                }

                for (var r = 0; r < rows && !session.Stopped; r++)
                {
                    row++;
                    buffer.ResetWrittenCount();
                    using (var writer = new Utf8JsonWriter(buffer, StreamingSession.WriterOptions))
                    {
                        writer.WriteStartObject();
                        for (var c = 0; c < columns.Count; c++)
                        {
                            writer.WritePropertyName(columns[c].Name);
                            Write(writer, values[c][r]);
                        }

                        writer.WriteEndObject();
                    }

                    using var document = JsonDocument.Parse(buffer.WrittenMemory, StreamingSession.DocumentOptions);
                    await session.AcceptJsonAsync(document.RootElement, row, null, row).ConfigureAwait(false);
                }

                progress?.Report(seekable.CanSeek ? Math.Min(seekable.Length, (long)((double)seekable.Length * (g + 1) / reader.RowGroupCount)) : 0);
            }
        }
    }

    /// <summary>The column's value per row: a boxed scalar, null, or for a list column a <c>List&lt;object?&gt;</c>.</summary>
    private static async Task<object?[]> ReadColumnAsync(ParquetRowGroupReader group, DataField field, bool list, int rows, CancellationToken ct)
    {
        using var raw = await group.ReadRawColumnDataBaseAsync(field, ct).ConfigureAwait(false);
        var present = Box(raw);
        var result = new object?[rows];
        if (!list)
        {
            if (field.MaxDefinitionLevel == 0)
            {
                Array.Copy(present, result, Math.Min(rows, present.Length));
                return result;
            }

            var definitions = raw.DefinitionLevels;
            var next = 0;
            for (var i = 0; i < rows && i < definitions.Length; i++)
            {
                result[i] = definitions[i] == field.MaxDefinitionLevel ? present[next++] : null;
            }

            return result;
        }

        // One slot per list item (or per empty/null list): repetition level 0 starts a row; only fully defined slots hold an item.
        var repetitions = raw.RepetitionLevels;
        var levels = raw.DefinitionLevels;
        var valueIndex = 0;
        var row = -1;
        for (var i = 0; i < repetitions.Length; i++)
        {
            if (repetitions[i] == 0)
            {
                row++;
                if (row < rows)
                {
                    result[row] = new List<object?>();
                }
            }

            if (levels[i] == field.MaxDefinitionLevel && row >= 0 && row < rows)
            {
                ((List<object?>)result[row]!).Add(present[valueIndex++]);
            }
        }

        return result;
    }

    private static object?[] Box(RawColumnData raw) => raw switch
    {
        RawColumnData<ReadOnlyMemory<char>> s => Map(s.Values, v => new string(v.Span)),
        RawColumnData<bool> b => Map(b.Values, v => v),
        RawColumnData<int> i => Map(i.Values, v => v),
        RawColumnData<long> l => Map(l.Values, v => v),
        RawColumnData<short> s => Map(s.Values, v => v),
        RawColumnData<byte> b => Map(b.Values, v => v),
        RawColumnData<sbyte> b => Map(b.Values, v => v),
        RawColumnData<ushort> u => Map(u.Values, v => v),
        RawColumnData<uint> u => Map(u.Values, v => v),
        RawColumnData<ulong> u => Map(u.Values, v => v),
        RawColumnData<float> f => Map(f.Values, v => v),
        RawColumnData<double> d => Map(d.Values, v => v),
        RawColumnData<decimal> d => Map(d.Values, v => v),
        RawColumnData<DateTime> d => Map(d.Values, v => v),
        RawColumnData<DateOnly> d => Map(d.Values, v => v),
        _ => throw new NotSupportedException($"columns of type {raw.GetType().GetGenericArguments().FirstOrDefault()?.Name ?? "?"} are not supported"),
    };

    private static object?[] Map<T>(ReadOnlySpan<T> values, Func<T, object?> box)
    {
        var result = new object?[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = box(values[i]);
        }

        return result;
    }

    private static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case List<object?> items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case float f when !float.IsFinite(f):
                writer.WriteStringValue(f.ToString(CultureInfo.InvariantCulture));
                break;
            case double d when !double.IsFinite(d):
                writer.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                break;
            case float f:
                writer.WriteRawValue(f.ToString("R", CultureInfo.InvariantCulture));
                break;
            case double d:
                writer.WriteRawValue(d.ToString("R", CultureInfo.InvariantCulture));
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case DateTime t:
                writer.WriteStringValue(t.ToString("O", CultureInfo.InvariantCulture));
                break;
            case DateOnly d:
                writer.WriteStringValue(d.ToString("O", CultureInfo.InvariantCulture));
                break;
            case IFormattable number:
                writer.WriteRawValue(number.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteStringValue(value.ToString());
                break;
        }
    }

    private static string Reason(Exception e) => (e.InnerException?.Message ?? e.Message).Split('\n')[0].TrimEnd('.');
}
