using System.Globalization;
using System.Security.Claims;
using System.Text;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Evaluation.Metrics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Evaluations.Feedback;

/// <summary>One problem of a feedback CSV, by line (1-based, the header is line 1) and column.</summary>
public sealed record FeedbackImportError(int Line, string? Field, string Message)
{
    public override string ToString() => Line == 0 ? Message : Field is null ? $"line {Line}: {Message}" : $"line {Line}, {Field}: {Message}";
}

public sealed record FeedbackImported(int ImportId, int Records, string Encoding);

public sealed record FeedbackImportOutcome(FeedbackImported? Imported, IReadOnlyList<FeedbackImportError> Errors)
{
    public bool Succeeded => Imported is not null;
}

public sealed record FeedbackView(long Id, string Model, int? Score, bool? Completed, string? Task, string? Comment, DateTimeOffset RecordedAt, string Source);

/// <summary>A figure from feedback with its 95 % interval.</summary>
public sealed record FeedbackFigure(double Value, double Lower, double Upper, int Count);

/// <summary>Stored feedback of one model (or all): NPS and task completion with their intervals, and the newest rows.</summary>
public sealed record FeedbackSummary(int Records, FeedbackFigure? Nps, FeedbackFigure? TaskCompletion, IReadOnlyList<FeedbackView> Latest);

/// <summary>
/// User feedback (tier 3): imported from survey CSVs. Header <c>model,score,completed,task,comment,recorded_at</c>
/// (any order, any case); <c>model</c> and <c>recorded_at</c> are required, and each row needs a score (0–10) or a
/// completion judgement (true/false, yes/no, 1/0, 是/否). UTF-8 (a BOM is fine) or, when the bytes are not UTF-8, GBK —
/// what Excel saves on Chinese Windows. All or nothing, every problem by line and column.
/// </summary>
public sealed class FeedbackService(PortalDbContext db)
{
    public const int MaxRows = 200_000;
    private static readonly string[] Columns = ["model", "score", "completed", "task", "comment", "recorded_at"];
    private static readonly string[] Required = ["model", "recorded_at"];

    static FeedbackService() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>The text of the bytes and the encoding's name: UTF-8 when they are valid UTF-8, otherwise GBK.</summary>
    public static (string Text, string Encoding) Decode(byte[] bytes)
    {
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return (text.StartsWith('\uFEFF') ? text[1..] : text, "utf-8");
        }
        catch (DecoderFallbackException)
        {
            return (Encoding.GetEncoding(936).GetString(bytes), "gbk");
        }
    }

    public async Task<FeedbackImportOutcome> ImportAsync(Stream content, string fileName, long maxBytes, CancellationToken ct)
    {
        var safeName = fileName.Split('/', '\\')[^1];
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, ct);
        if (buffer.Length > maxBytes)
            return Fail(0, null, $"the file is larger than {ByteSize.Format(maxBytes)}");
        var (text, encoding) = Decode(buffer.ToArray());
        var rows = CsvRows.Parse(text, out var parseError);
        if (parseError is { } pe)
            return Fail(pe.Line, null, pe.Message);
        if (rows.Count == 0)
            return Fail(0, null, "the file is empty; expected the header model,score,completed,task,comment,recorded_at and one row per response");

        var header = rows[0].Fields.Select(h => h.Trim().ToLowerInvariant()).ToList();
        var errors = new List<FeedbackImportError>();
        var unknown = header.Where(h => !Columns.Contains(h)).ToList();
        if (unknown.Count > 0)
            errors.Add(new(1, null, $"unknown column(s) {string.Join(", ", unknown.Select(u => $"\"{u}\""))}; the columns are {string.Join(",", Columns)}"));
        foreach (var missing in Required.Where(r => !header.Contains(r)))
            errors.Add(new(1, missing, $"the header has no {missing} column; expected {string.Join(",", Columns)}"));
        if (header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            errors.Add(new(1, repeated.Key, "the column appears twice"));
        if (errors.Count > 0)
            return new FeedbackImportOutcome(null, errors);
        if (rows.Count - 1 > MaxRows)
            return Fail(0, null, $"the file has {rows.Count - 1:N0} rows; at most {MaxRows:N0} are imported at once");

        int Col(string name) => header.IndexOf(name);
        var records = new List<FeedbackRecord>();
        foreach (var row in rows.Skip(1))
        {
            if (row.Fields.All(string.IsNullOrWhiteSpace))
                continue;
            if (errors.Count >= 200)
                break;
            string? Get(string name) => Col(name) is var i and >= 0 && i < row.Fields.Count && !string.IsNullOrWhiteSpace(row.Fields[i]) ? row.Fields[i].Trim() : null;
            if (row.Fields.Count != header.Count)
                errors.Add(new(row.Line, null, $"the row has {row.Fields.Count} fields; the header has {header.Count}"));
            var model = Get("model");
            if (model is null) errors.Add(new(row.Line, "model", "the model is empty; name the model the feedback is about"));
            else if (model.Length > 200) errors.Add(new(row.Line, "model", "the model name is longer than 200 characters"));
            int? score = null;
            if (Get("score") is { } scoreText)
            {
                if (int.TryParse(scoreText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s is >= 0 and <= 10) score = s;
                else errors.Add(new(row.Line, "score", $"the score must be a whole number from 0 to 10 (was \"{scoreText}\")"));
            }
            bool? completed = null;
            if (Get("completed") is { } completedText)
            {
                completed = completedText.ToLowerInvariant() switch
                {
                    "true" or "yes" or "y" or "1" or "是" or "完成" => true,
                    "false" or "no" or "n" or "0" or "否" or "未完成" => false,
                    _ => null,
                };
                if (completed is null) errors.Add(new(row.Line, "completed", $"completed must be true or false (yes/no, 1/0, 是/否; was \"{completedText}\")"));
            }
            if (Get("score") is null && Get("completed") is null)
                errors.Add(new(row.Line, "score", "the row has neither a score nor a completion judgement"));
            DateTimeOffset recordedAt = default;
            if (Get("recorded_at") is not { } when)
                errors.Add(new(row.Line, "recorded_at", "the time is empty; give it as ISO 8601 (2026-05-01 or 2026-05-01T09:30:00+08:00)"));
            else if (!DateTimeOffset.TryParse(when, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out recordedAt))
                errors.Add(new(row.Line, "recorded_at", $"not a date and time (was \"{when}\"); give it as ISO 8601 (2026-05-01 or 2026-05-01T09:30:00+08:00)"));
            if (model is not null)
                records.Add(new FeedbackRecord
                {
                    ModelLabel = model, Score = score, TaskCompleted = completed, Task = Get("task"), Comment = Get("comment"),
                    RecordedAt = recordedAt, Source = $"{safeName}:{row.Line}",
                });
        }
        if (errors.Count > 0)
            return new FeedbackImportOutcome(null, errors);
        if (records.Count == 0)
            return Fail(0, null, "the file has a header but no rows");

        // One import id for the file's rows: the next after the largest so far.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var importId = (await db.Feedback.MaxAsync(f => (int?)f.ImportId, ct) ?? 0) + 1;
        foreach (var record in records)
            record.ImportId = importId;
        db.Feedback.AddRange(records);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return new FeedbackImportOutcome(new FeedbackImported(importId, records.Count, encoding), []);
    }

    private static FeedbackImportOutcome Fail(int line, string? field, string message) => new(null, [new FeedbackImportError(line, field, message)]);

    /// <summary>Feedback of a model (or all), from and to a time, with NPS and task completion.</summary>
    public async Task<FeedbackSummary> SummaryAsync(string? model, DateTimeOffset? from, DateTimeOffset? to, int? importId, int take, CancellationToken ct)
    {
        var query = db.Feedback.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(model)) query = query.Where(f => f.ModelLabel == model.Trim());
        if (importId is { } i) query = query.Where(f => f.ImportId == i);
        var rows = await query.ToListAsync(ct);
        // SQLite compares DateTimeOffset as text; filtered here so any offset compares right.
        if (from is { } f0) rows = rows.Where(r => r.RecordedAt >= f0).ToList();
        if (to is { } t0) rows = rows.Where(r => r.RecordedAt <= t0).ToList();
        var scores = rows.Where(r => r.Score is not null).Select(r => r.Score!.Value).ToList();
        var completions = rows.Where(r => r.TaskCompleted is not null).Select(r => r.TaskCompleted!.Value).ToList();
        FeedbackFigure? nps = scores.Count > 0 ? BusinessMetrics.Nps(scores) is var n ? new FeedbackFigure(n.Value, n.Lower, n.Upper, n.Count) : null : null;
        FeedbackFigure? tcr = completions.Count > 0 ? BusinessMetrics.TaskCompletion(completions.Count(c => c), completions.Count) is var c ? new FeedbackFigure(c.Value, c.Lower, c.Upper, c.Count) : null : null;
        var latest = rows.OrderByDescending(r => r.RecordedAt).ThenByDescending(r => r.Id).Take(Math.Clamp(take, 0, 500))
            .Select(r => new FeedbackView(r.Id, r.ModelLabel, r.Score, r.TaskCompleted, r.Task, r.Comment, r.RecordedAt, r.Source)).ToList();
        return new FeedbackSummary(rows.Count, nps, tcr, latest);
    }
}

/// <summary>RFC 4180 rows (quoted fields may hold commas, quotes as "" and line breaks), each with the line it starts on.</summary>
internal static class CsvRows
{
    public sealed record Row(int Line, List<string> Fields);

    public static List<Row> Parse(string text, out (int Line, string Message)? error)
    {
        error = null;
        var rows = new List<Row>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, rowLine = 1;
        bool quoted = false, fieldStarted = false, afterQuote = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (quoted)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else { quoted = false; afterQuote = true; }
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"' when !fieldStarted:
                    quoted = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = afterQuote = false;
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    rows.Add(new Row(rowLine, fields));
                    fields = [];
                    field.Clear();
                    fieldStarted = afterQuote = false;
                    line++;
                    rowLine = line;
                    break;
                default:
                    if (afterQuote)
                    {
                        error = (line, "a quoted field is followed by more text before the next comma; double the quotes inside a quoted field (\"\")");
                        return rows;
                    }
                    field.Append(ch);
                    fieldStarted = true;
                    break;
            }
        }
        if (quoted)
        {
            error = (rowLine, "a quoted field is never closed");
            return rows;
        }
        if (fieldStarted || fields.Count > 0)
        {
            fields.Add(field.ToString());
            rows.Add(new Row(rowLine, fields));
        }
        return rows;
    }
}

public static class FeedbackEndpoints
{
    public static IEndpointRouteBuilder MapFeedbackEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/feedback").WithTags("Feedback").RequireAuthorization(PortalPolicies.Read);

        group.MapGet("/", (string? model, DateTimeOffset? from, DateTimeOffset? to, int? importId, int? take, FeedbackService service, CancellationToken ct) =>
                service.SummaryAsync(model, from, to, importId, take ?? 50, ct))
            .WithName("GetFeedback")
            .WithSummary("Stored user feedback, filtered by model, time (from, to) and import; NPS and task completion rate with 95 % intervals, and the newest rows (take, default 50).");

        group.MapPost("/import", ImportAsync)
            .RequireAuthorization(PortalPolicies.Launch)
            .DisableAntiforgery()
            .WithName("ImportFeedback")
            .WithSummary("Imports a survey CSV (multipart field \"file\"): header model,score,completed,task,comment,recorded_at; UTF-8 or GBK. All or nothing; problems by line and column (400).")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = DatasetUploadReader.OpenApiRequestBody();
                return Task.CompletedTask;
            })
            .Produces<FeedbackImported>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task<IResult> ImportAsync(HttpRequest request, FeedbackService service, DatasetService datasets, DataPaths paths, CancellationToken ct)
    {
        var (upload, failure) = await DatasetUploadReader.ReadAsync(request, paths, datasets.MaxUploadBytes, ct);
        if (failure is not null)
            return TypedResults.Problem(title: "The upload could not be read.", detail: failure.Error.ToString(), statusCode: failure.StatusCode,
                extensions: new Dictionary<string, object?> { ["errors"] = new[] { new FeedbackImportError(0, failure.Error.Field, failure.Error.Message) } });
        await using (upload)
        {
            var outcome = await service.ImportAsync(upload!.Content, upload.FileName, datasets.MaxUploadBytes, ct);
            return outcome.Succeeded
                ? TypedResults.Created($"/api/feedback?importId={outcome.Imported!.ImportId}", outcome.Imported)
                : TypedResults.Problem(title: "The feedback was not imported.", detail: string.Join("\n", outcome.Errors.Select(e => e.ToString())),
                    statusCode: StatusCodes.Status400BadRequest, extensions: new Dictionary<string, object?> { ["errors"] = outcome.Errors });
        }
    }
}
