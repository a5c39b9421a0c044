using System.Text.Json.Nodes;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Datasets.Jobs;

/// <summary>What an import job reads and how (stored as the job's request, replayed whole after a restart).</summary>
/// <param name="UploadId">The staged upload (see <c>POST /api/datasets/uploads</c>).</param>
/// <param name="Name">The new dataset's name.</param>
/// <param name="Description">Optional description.</param>
/// <param name="Format">The format; <see langword="null"/> detects it from the name and content.</param>
/// <param name="Encoding">utf-8, utf-16le, utf-16be or gb18030; <see langword="null"/> detects it.</param>
/// <param name="TextSplit">For text files: a record per line or per blank-line paragraph.</param>
/// <param name="Mapping">The field mapping, when the records' shape is not one the importer knows.</param>
public sealed record ImportJobRequest(string UploadId, string Name, string? Description = null, SourceFormat? Format = null, string? Encoding = null,
    TextSplit TextSplit = TextSplit.Paragraph, FieldMapping? Mapping = null);

/// <summary>How to read a staged upload for its preview (the same settings an import takes).</summary>
public sealed record InspectRequest(SourceFormat? Format = null, string? Encoding = null, TextSplit TextSplit = TextSplit.Paragraph, FieldMapping? Mapping = null, int Sample = 5);

/// <summary>
/// A transformation of one version into a new version of the same dataset; or, for <c>mix</c>, of several versions
/// into version 1 of a new dataset.
/// </summary>
/// <param name="Operation">preprocess, score, filter, dedup, mask, compose or mix.</param>
/// <param name="Parameters">The operation's settings (each operation documents its own; absent ones take defaults).</param>
public sealed record TransformJobRequest(string Operation, JsonObject? Parameters = null);

/// <summary>A data job as the API and the pages show it, with progress computed from its counters.</summary>
public sealed record DataJobView(
    int Id, string Kind, DataJobStatus Status, int? DatasetId, string? DatasetName, int? SourceVersionId, int? ResultVersionId,
    long Done, long Total, string Unit, long Records, double? Percent, double? RecordsPerSecond, double? EtaSeconds,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, IReadOnlyList<ImportError> Errors, string? CreatedBy,
    int? ConflictDatasetId)
{
    public bool IsActive => Status is DataJobStatus.Queued or DataJobStatus.Running;

    public static DataJobView From(DataJob job, DateTimeOffset now)
    {
        double? percent = job.Status == DataJobStatus.Succeeded ? 100 : job.Total > 0 ? Math.Min(100, 100.0 * job.Done / job.Total) : null;
        double? rate = null, eta = null;
        if (job.StartedAt is { } started && job.Records > 0)
        {
            var seconds = ((job.FinishedAt ?? now) - started).TotalSeconds;
            if (seconds > 0)
            {
                rate = job.Records / seconds;
                if (job.Status == DataJobStatus.Running && job.Total > 0 && job.Done > 0 && job.Done < job.Total)
                    eta = seconds * (job.Total - job.Done) / job.Done;
            }
        }
        return new DataJobView(job.Id, job.Kind, job.Status, job.DatasetId, job.DatasetName, job.SourceVersionId, job.ResultVersionId,
            job.Done, job.Total, job.Kind == DataJobKinds.Import ? "bytes" : "records", job.Records, percent, rate, eta,
            job.CreatedAt, job.StartedAt, job.FinishedAt, DataJobErrors.Parse(job.Error), job.CreatedBy, job.ConflictDatasetId);
    }
}

public static class DataJobKinds
{
    public const string Import = "import";
}

/// <summary>Errors are stored on the job as a JSON array of <see cref="ImportError"/>.</summary>
public static class DataJobErrors
{
    public static string Serialize(IReadOnlyList<ImportError> errors) => System.Text.Json.JsonSerializer.Serialize(errors);

    public static IReadOnlyList<ImportError> Parse(string? json) =>
        string.IsNullOrEmpty(json) ? [] : System.Text.Json.JsonSerializer.Deserialize<List<ImportError>>(json) ?? [];
}
