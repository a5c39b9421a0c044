using DeepSeek.Portal.Evaluation.Suites;

namespace DeepSeek.Portal.Evaluation.Runners;

/// <summary>What a target can do; a suite runner asks only for what the target offers and says so for the rest.</summary>
/// <param name="LogLikelihood">Whether the target returns log-probabilities of given text (perplexity, log-likelihood choices).</param>
public sealed record TargetCapabilities(bool LogLikelihood);

/// <summary>One generation call (temperature 0 unless set: evaluation wants repeatable outputs).</summary>
public sealed record GenerationCall
{
    /// <summary>A plain prompt (completion style); or <see cref="Messages"/>.</summary>
    public string? Prompt { get; init; }

    /// <summary>Chat messages (chat style).</summary>
    public IReadOnlyList<ChatTurn>? Messages { get; init; }

    /// <summary>Most new tokens.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>Sampling temperature; 0 = greedy.</summary>
    public double Temperature { get; init; }

    /// <summary>Strings that end the generation (not included in the output).</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];
}

/// <summary>A generation's result.</summary>
/// <param name="Text">The generated text.</param>
/// <param name="PromptTokens">Prompt tokens, when the target reports them.</param>
/// <param name="CompletionTokens">Generated tokens, when the target reports them.</param>
public sealed record GenerationOutput(string Text, int? PromptTokens, int? CompletionTokens);

/// <summary>The log-likelihood of a continuation after a context.</summary>
/// <param name="LogProbability">Sum of the continuation tokens' natural-log probabilities.</param>
/// <param name="Tokens">Tokens in the continuation.</param>
/// <param name="IsGreedy">Whether every continuation token was the most likely one (when the target reports it).</param>
public sealed record LogLikelihoodOutput(double LogProbability, int Tokens, bool? IsGreedy);

/// <summary>
/// Something a suite is run against: the built-in engine (a run's checkpoint or a registered model folder) or an
/// OpenAI-compatible endpoint. Implementations throw <see cref="TargetException"/> for every failure that has a kind.
/// </summary>
public interface IEvaluationTarget
{
    /// <summary>What people see (for example <c>run #12</c>, <c>vllm · deepseek-v3</c>).</summary>
    string Label { get; }

    /// <summary>What the outputs depend on (endpoint URL + model name; a model's weight fingerprint): part of every cache key.</summary>
    string CacheIdentity { get; }

    /// <summary>What the target can do.</summary>
    TargetCapabilities Capabilities { get; }

    /// <summary>Generates for a prompt or a conversation.</summary>
    Task<GenerationOutput> GenerateAsync(GenerationCall call, CancellationToken ct);

    /// <summary>Log-likelihood of <paramref name="continuation"/> after <paramref name="context"/>; throws <see cref="TargetException"/> of kind <see cref="FailureKind.NotSupported"/> where the target has none.</summary>
    Task<LogLikelihoodOutput> LogLikelihoodAsync(string context, string continuation, CancellationToken ct);
}

/// <summary>Why a call to a target failed.</summary>
public enum FailureKind
{
    /// <summary>No answer within the timeout (after retries).</summary>
    Timeout,
    /// <summary>HTTP 429 after every retry.</summary>
    RateLimited,
    /// <summary>The body was not the JSON the protocol prescribes.</summary>
    Malformed,
    /// <summary>The response had a content type other than JSON.</summary>
    ContentType,
    /// <summary>HTTP 401/403: the key is wrong or lacks access.</summary>
    Unauthorized,
    /// <summary>The model name does not exist on the endpoint (HTTP 404).</summary>
    ModelNotFound,
    /// <summary>The target cannot do what was asked (for example no log-probabilities).</summary>
    NotSupported,
    /// <summary>HTTP 5xx after every retry, or another server-side error.</summary>
    Server,
    /// <summary>The connection failed (refused, reset, DNS).</summary>
    Network,
    /// <summary>The request was refused as invalid (HTTP 400, for example a prompt beyond the context length).</summary>
    BadRequest,
    /// <summary>The item itself cannot be run (for example a classification item without choices).</summary>
    InvalidItem,
}

/// <summary>A failure of a target call, with its kind and a message fit for the evaluation's page.</summary>
public sealed class TargetException(FailureKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Why it failed.</summary>
    public FailureKind Kind { get; } = kind;
}

/// <summary>A failure recorded on an item: nothing was scored for it.</summary>
public sealed record ItemFailure(FailureKind Kind, string Message);

/// <summary>What a target produced for one item; scored afterwards by <c>EvaluationScoring</c>.</summary>
/// <param name="ItemId">The item's id.</param>
public sealed record ItemOutput(string ItemId)
{
    /// <summary>The generated text (generation, extraction, conversation, and classification by generation).</summary>
    public string? Text { get; init; }

    /// <summary>Classification by log-likelihood: each choice's log-likelihood, in <see cref="SuiteItem.Choices"/> order.</summary>
    public IReadOnlyList<double>? ChoiceLogLikelihoods { get; init; }

    /// <summary>Negative log-likelihood (nats, summed) of the first reference after the prompt.</summary>
    public double? ReferenceNll { get; init; }

    /// <summary>Tokens of the first reference that <see cref="ReferenceNll"/> sums over.</summary>
    public int? ReferenceTokens { get; init; }

    /// <summary>Why perplexity was not measured for the item (for example "not supported by this endpoint"); null when measured or not applicable.</summary>
    public string? PerplexityUnavailable { get; init; }

    /// <summary>Set when the item failed: nothing is scored for it and the evaluation is partial.</summary>
    public ItemFailure? Failure { get; init; }

    /// <summary>Whether the output came from the cache (no call was paid for).</summary>
    public bool FromCache { get; init; }

    /// <summary>Seconds the target took (0 for a cached output).</summary>
    public double Seconds { get; init; }
}
