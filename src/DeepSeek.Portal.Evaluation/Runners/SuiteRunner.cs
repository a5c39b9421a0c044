using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
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
/// <remarks>
/// Per item: generation and extraction generate from the prompt and, where perplexity is measured and the target has
/// log-probabilities, score the first reference after the prompt (joined as choices are); classification by log-likelihood scores every choice
/// as a continuation of the prompt (<see cref="ChoiceContinuation"/>), by generation it generates; a conversation
/// generates the next assistant turn. Outputs that did not fail are cached under <see cref="CacheKey"/>; the cache only
/// saves calls, so a cache that fails is passed by. An exception other than <see cref="TargetException"/> from a target
/// fails its item (as <see cref="FailureKind.Server"/>) rather than the run.
/// </remarks>
public static class SuiteRunner
{
    /// <summary>Runs the items (those not in <see cref="SuiteRunOptions.Skip"/>).</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled: in-flight calls are cancelled and the enumeration ends.</exception>
    public static IAsyncEnumerable<ItemOutput> RunAsync(IEvaluationTarget target, IReadOnlyList<SuiteItem> items, SuiteRunOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Concurrency is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(options), options.Concurrency, "Concurrency must be between 1 and 64.");
        if (options.MaxNewTokens < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxNewTokens, "Max new tokens must be at least 1.");
        return RunCoreAsync(target, items, options, ct);
    }

    private static async IAsyncEnumerable<ItemOutput> RunCoreAsync(IEvaluationTarget target, IReadOnlyList<SuiteItem> items, SuiteRunOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        var todo = items.Where(i => !options.Skip.Contains(i.Id)).ToList();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Bounded: a slow reader (a job writing each output to the database) holds the runner back instead of piling up outputs.
        var channel = Channel.CreateBounded<ItemOutput>(new BoundedChannelOptions(options.Concurrency) { SingleReader = true });
        var pump = Task.Run(async () =>
        {
            try
            {
                await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = stop.Token },
                    async (item, token) => await channel.Writer.WriteAsync(await RunItemAsync(target, item, options, token).ConfigureAwait(false), token).ConfigureAwait(false)).ConfigureAwait(false);
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var output in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                yield return output;
        }
        finally
        {
            // Ends in-flight calls when the reader stops early (cancellation, an exception, or a break).
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// The continuation a choice (or the first reference, for perplexity) is scored as after a prompt: the choice as it is when the prompt ends in white space,
    /// the choice starts with white space, or either side of the join is a CJK character (Chinese and Japanese text has
    /// no spaces between words); otherwise one space, then the choice ("Answer:" + "Paris" → " Paris"), since word-piece
    /// tokenizers carry the space on the word that follows it.
    /// </summary>
    public static string ChoiceContinuation(string prompt, string choice)
    {
        if (prompt.Length == 0 || choice.Length == 0 || char.IsWhiteSpace(prompt[^1]) || char.IsWhiteSpace(choice[0])) return choice;
        if (IsCjk(prompt[^1]) || IsCjk(choice[0])) return choice;
        return " " + choice;
    }

    private static bool IsCjk(char c) =>
        c is >= '\u2E80' and <= '\u9FFF' // radicals, punctuation, kana, CJK unified ideographs
        or >= '\uAC00' and <= '\uD7AF' // Hangul syllables
        or >= '\uF900' and <= '\uFAFF' // compatibility ideographs
        or >= '\uFF00' and <= '\uFFEF' // full-width forms
        || char.IsSurrogate(c); // beyond the BMP: CJK extensions (and emoji), joined without a space either way

    /// <summary>What an item asks of the target, worked out before any call (and so hashed into the cache key).</summary>
    internal sealed record Plan(GenerationCall? Generate, IReadOnlyList<(string Context, string Continuation)> Choices, (string Context, string Continuation)? Reference, string? PerplexityUnavailable);

    internal static Plan MakePlan(IEvaluationTarget target, SuiteItem item, SuiteRunOptions options)
    {
        string? Invalid(string why) => throw new TargetException(FailureKind.InvalidItem, $"Item {item.Id}: {why}");
        switch (item.Kind)
        {
            case ItemKind.Generation or ItemKind.Extraction:
            {
                if (string.IsNullOrEmpty(item.Prompt)) Invalid($"a {item.Kind.ToString().ToLowerInvariant()} item needs a prompt.");
                var call = new GenerationCall { Prompt = item.Prompt, MaxNewTokens = options.MaxNewTokens };
                if (!options.MeasurePerplexity || item.References.Count == 0 || string.IsNullOrEmpty(item.References[0]))
                    return new Plan(call, [], null, null);
                if (!target.Capabilities.LogLikelihood)
                    return new Plan(call, [], null, $"Perplexity is not measured: {target.Label} offers no log-probabilities.");
                return new Plan(call, [], (item.Prompt!, ChoiceContinuation(item.Prompt!, item.References[0])), null);
            }
            case ItemKind.Classification:
            {
                if (item.Choices is not { Count: > 0 } choices) { Invalid("a classification item needs choices."); return null!; }
                if (choices.Any(string.IsNullOrEmpty)) Invalid("a classification item has an empty choice.");
                if (string.IsNullOrEmpty(item.Prompt)) Invalid("a classification item needs a prompt.");
                if (item.Scoring == ChoiceScoring.Generation)
                    return new Plan(new GenerationCall { Prompt = item.Prompt, MaxNewTokens = options.MaxNewTokens }, [], null, null);
                if (!target.Capabilities.LogLikelihood)
                    throw new TargetException(FailureKind.NotSupported, $"{target.Label} offers no log-probabilities, so choices cannot be scored by log-likelihood; score this suite's choices by generation instead.");
                return new Plan(null, choices.Select(c => (item.Prompt!, ChoiceContinuation(item.Prompt!, c))).ToList(), null, null);
            }
            case ItemKind.Conversation:
            {
                if (item.Messages is not { Count: > 0 } messages) { Invalid("a conversation item needs messages."); return null!; }
                if (messages.Any(m => m.Role is not ("system" or "user" or "assistant" or "developer")))
                    Invalid("a conversation turn's role must be system, user or assistant.");
                return new Plan(new GenerationCall { Messages = messages, MaxNewTokens = options.MaxNewTokens }, [], null, null);
            }
            default:
                Invalid($"unknown item kind {item.Kind}.");
                return null!;
        }
    }

    /// <summary>
    /// The cache key of an item's output: SHA-256 (hex) of the target's identity, the item's kind and the exact inputs
    /// of its calls, max new tokens and whether perplexity is measured. The item id is left out on purpose: the same
    /// prompt in another suite is the same call.
    /// </summary>
    internal static string CacheKey(IEvaluationTarget target, SuiteItem item, SuiteRunOptions options, Plan plan)
    {
        var p = plan;
        var key = new JsonObject
        {
            ["v"] = 1,
            ["target"] = target.CacheIdentity,
            ["kind"] = item.Kind.ToString(),
            ["maxNewTokens"] = options.MaxNewTokens,
            ["perplexity"] = options.MeasurePerplexity,
        };
        if (p.Generate is { } g)
        {
            key["prompt"] = g.Prompt;
            if (g.Messages is { } m) key["messages"] = new JsonArray(m.Select(t => (JsonNode?)new JsonArray(t.Role, t.Content)).ToArray());
            key["temperature"] = g.Temperature;
        }
        if (p.Choices.Count > 0) key["choices"] = new JsonArray(p.Choices.Select(c => (JsonNode?)new JsonArray(c.Context, c.Continuation)).ToArray());
        if (p.Reference is { } r) key["reference"] = new JsonArray(r.Context, r.Continuation);
        if (p.PerplexityUnavailable is { } u) key["noPerplexity"] = u;
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToJsonString())));
    }

    private static readonly JsonSerializerOptions CacheJson = new(JsonSerializerDefaults.Web);

    private static async Task<ItemOutput> RunItemAsync(IEvaluationTarget target, SuiteItem item, SuiteRunOptions options, CancellationToken ct)
    {
        Plan plan;
        try
        {
            plan = MakePlan(target, item, options);
        }
        catch (TargetException e)
        {
            return new ItemOutput(item.Id) { Failure = new ItemFailure(e.Kind, e.Message) };
        }

        string? key = null;
        if (options.Cache is { } cache)
        {
            key = CacheKey(target, item, options, plan);
            string? stored = null;
            try
            {
                stored = await cache.GetAsync(key, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // The cache only saves calls: a store that fails is a miss, never a failed item.
            }
            if (stored is not null)
            {
                ItemOutput? cached = null;
                try
                {
                    cached = JsonSerializer.Deserialize<ItemOutput>(stored, CacheJson);
                }
                catch (JsonException)
                {
                    // An unreadable entry is paid for again and replaced.
                }
                if (cached is { Failure: null })
                    return cached with { ItemId = item.Id, FromCache = true, Seconds = 0 };
            }
        }

        var clock = Stopwatch.StartNew();
        var output = new ItemOutput(item.Id) { PerplexityUnavailable = plan.PerplexityUnavailable };
        try
        {
            if (plan.Generate is { } call)
                output = output with { Text = (await target.GenerateAsync(call, ct).ConfigureAwait(false)).Text };
            if (plan.Choices.Count > 0)
            {
                var scores = new double[plan.Choices.Count];
                for (int i = 0; i < scores.Length; i++)
                    scores[i] = (await target.LogLikelihoodAsync(plan.Choices[i].Context, plan.Choices[i].Continuation, ct).ConfigureAwait(false)).LogProbability;
                output = output with { ChoiceLogLikelihoods = scores };
            }
            if (plan.Reference is { } reference)
            {
                try
                {
                    var ll = await target.LogLikelihoodAsync(reference.Context, reference.Continuation, ct).ConfigureAwait(false);
                    output = output with { ReferenceNll = -ll.LogProbability, ReferenceTokens = ll.Tokens };
                }
                catch (TargetException e) when (e.Kind == FailureKind.NotSupported)
                {
                    output = output with { PerplexityUnavailable = e.Message };
                }
            }
        }
        catch (TargetException e)
        {
            return output with { Failure = new ItemFailure(e.Kind, e.Message), Seconds = clock.Elapsed.TotalSeconds };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException e)
        {
            // A target's own timeout that did not come as a TargetException.
            return output with { Failure = new ItemFailure(FailureKind.Timeout, $"{target.Label}: {e.Message}"), Seconds = clock.Elapsed.TotalSeconds };
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return output with { Failure = new ItemFailure(FailureKind.Network, $"{target.Label}: {e.Message}"), Seconds = clock.Elapsed.TotalSeconds };
        }
        catch (Exception e)
        {
            // A target that broke its contract (every failure a TargetException): the item fails, the run goes on.
            return output with { Failure = new ItemFailure(FailureKind.Server, $"{target.Label} failed unexpectedly: {e.GetType().Name}: {e.Message}"), Seconds = clock.Elapsed.TotalSeconds };
        }
        output = output with { Seconds = clock.Elapsed.TotalSeconds };
        if (key is not null)
        {
            try
            {
                await options.Cache!.SetAsync(key, JsonSerializer.Serialize(output with { Seconds = 0 }, CacheJson), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Not stored: the next run pays again, this one has its output.
            }
        }
        return output;
    }
}
