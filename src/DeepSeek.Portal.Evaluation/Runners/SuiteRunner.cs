using DeepSeek.Portal.Evaluation.Suites;

namespace DeepSeek.Portal.Evaluation.Runners;

/// <summary>A store of outputs by key, so a re-run does not pay twice (the portal keeps it in its database).</summary>
public interface IOutputCache
{
    /// <summary>The stored value, or null.</summary>
    Task<string?> GetAsync(string key, CancellationToken ct);

    /// <summary>Stores (or replaces) a value.</summary>
    Task SetAsync(string key, string value, CancellationToken ct);
}

/// <summary>How a suite is run.</summary>
public sealed record SuiteRunOptions
{
    /// <summary>Items in flight at once (1–64).</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Most new tokens per generation.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>Whether to measure the first reference's perplexity where the target offers log-probabilities.</summary>
    public bool MeasurePerplexity { get; init; } = true;

    /// <summary>Where outputs are cached; null: no cache.</summary>
    public IOutputCache? Cache { get; init; }

    /// <summary>Items already done (a resumed evaluation): skipped.</summary>
    public IReadOnlySet<string> Skip { get; init; } = new HashSet<string>();
}

/// <summary>
/// Runs a suite's items against a target with bounded concurrency and yields each item's output as it completes
/// (completion order). A failed item yields an output with <see cref="ItemOutput.Failure"/>; only cancellation ends
/// the enumeration early.
/// </summary>
public static class SuiteRunner
{
    /// <summary>Runs the items (those not in <see cref="SuiteRunOptions.Skip"/>).</summary>
    public static IAsyncEnumerable<ItemOutput> RunAsync(IEvaluationTarget target, IReadOnlyList<SuiteItem> items, SuiteRunOptions options, CancellationToken ct) =>
        throw new NotImplementedException("runner helper fills this in");
}
