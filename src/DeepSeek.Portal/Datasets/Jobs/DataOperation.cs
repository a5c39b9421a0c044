using System.Text.Json.Nodes;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Feeding.Import;

namespace DeepSeek.Portal.Datasets.Jobs;

/// <summary>
/// One transformation a data job can run: reads the source version's records and writes the new version's (and, for
/// a filter, the dropped ones with their rule). The job owns everything else: the files, progress, the version row.
/// </summary>
public interface IDataOperation
{
    /// <summary>The name used in requests, lineage and the command line (<c>filter</c>, <c>dedup</c>, …).</summary>
    string Name { get; }

    /// <summary>
    /// Checks the parameters and returns them complete (defaults filled in), as the lineage will store them; or the
    /// errors (field and expectation), before any job is queued.
    /// </summary>
    (JsonObject? Parameters, IReadOnlyList<ImportError> Errors) Validate(JsonObject? parameters);

    /// <summary>
    /// Checks the validated parameters against what is stored (versions they name, counts they need) before a job is
    /// queued, and says where the result goes. Most operations need nothing of the kind: the default accepts.
    /// </summary>
    /// <param name="source">The version the request was made on.</param>
    /// <param name="parameters">The parameters as <see cref="Validate"/> completed them.</param>
    /// <param name="ct">Cancels the check.</param>
    Task<DataOperationCheck> CheckAsync(DatasetVersion source, JsonObject parameters, CancellationToken ct) => Task.FromResult(DataOperationCheck.Accepted);

    /// <summary>Transforms the records; returns errors that fail the job (nothing is stored then).</summary>
    Task<IReadOnlyList<ImportError>> RunAsync(DataOperationContext context);
}

/// <summary>What <see cref="IDataOperation.CheckAsync"/> found.</summary>
/// <param name="Errors">Problems with the request (field and expectation); no job is queued when there are any.</param>
public sealed record DataOperationCheck(IReadOnlyList<ImportError> Errors)
{
    /// <summary>No problems; the result is the next version of the source's dataset.</summary>
    public static DataOperationCheck Accepted { get; } = new([]);

    /// <summary>
    /// The name of a new dataset the result becomes (as its version 1) instead of the next version of the source's
    /// dataset; <see langword="null"/> for the usual case.
    /// </summary>
    public string? NewDataset { get; init; }

    /// <summary>Records the job will write, when known beforehand (its progress total); else the source's count.</summary>
    public long? Records { get; init; }
}

/// <summary>What an operation works with while it runs.</summary>
public sealed class DataOperationContext(
    DatasetVersion source,
    JsonObject parameters,
    DatasetVersionService versions,
    VersionFileWriter output,
    Func<VersionFileWriter> dropped,
    Action<long> progress,
    IServiceProvider services,
    CancellationToken cancellation)
{
    private VersionFileWriter? _dropped;

    public DatasetVersion Source { get; } = source;
    public JsonObject Parameters { get; } = parameters;
    public IServiceProvider Services { get; } = services;
    public CancellationToken Cancellation { get; } = cancellation;
    public VersionFileWriter Output { get; } = output;

    /// <summary>The source version's records in file order.</summary>
    public IAsyncEnumerable<VersionRecord> ReadSource() => versions.ReadAsync(Source, dropped: false, Cancellation);

    /// <summary>Writes a kept (or transformed) record to the new version.</summary>
    public ValueTask KeepAsync(VersionRecord record) => Output.WriteAsync(record, Cancellation);

    /// <summary>Writes a record the operation dropped, with the rule that dropped it, to the version's dropped file.</summary>
    public ValueTask DropAsync(VersionRecord record, string rule) =>
        (_dropped ??= dropped()).WriteAsync(record with { DroppedBy = rule }, Cancellation);

    /// <summary>The dropped-records writer, if anything was dropped.</summary>
    public VersionFileWriter? Dropped => _dropped;

    /// <summary>Reports that <paramref name="recordsRead"/> source records have been processed.</summary>
    public void Progress(long recordsRead) => progress(recordsRead);
}
