namespace DeepSeek.Portal.Evaluation.Runners;

/// <summary>Which OpenAI route plain prompts go to.</summary>
public enum EndpointProtocol
{
    /// <summary>Everything through <c>/chat/completions</c> (a plain prompt becomes one user turn); the widest support.</summary>
    Chat,

    /// <summary>Plain prompts through the legacy <c>/completions</c> (raw text, no chat template); conversations still through chat.</summary>
    Completions,
}

/// <summary>
/// How to reach an OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, the portal's own server, …).
/// The key is held here only for the request header: <see cref="ToString"/> leaves it out, and so does every message
/// the target writes.
/// </summary>
public sealed class OpenAiCompatibleOptions
{
    /// <summary>The API's base address including the version segment, for example <c>https://api.openai.com/v1</c>. A query string is sent with every request but never shown in messages or labels.</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>The model name sent with every request.</summary>
    public required string Model { get; init; }

    /// <summary>Sent as <c>Authorization: Bearer …</c>; null for endpoints without keys.</summary>
    public string? ApiKey { get; init; }

    /// <summary>What people see; defaults to <c>host · model</c>.</summary>
    public string? Label { get; init; }

    /// <summary>Where plain prompts go; log-likelihood always uses <c>/completions</c> (chat routes have no prompt log-probabilities).</summary>
    public EndpointProtocol Protocol { get; init; } = EndpointProtocol.Chat;

    /// <summary>Time allowed for one request (each retry gets its own).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt for timeouts, 429, 5xx and connection failures.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First back-off; doubled for every retry, with jitter (half to all of it).</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between two attempts, whether from back-off or from the server's <c>Retry-After</c>.</summary>
    public TimeSpan BackoffCap { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the endpoint is taken to offer prompt log-probabilities before <see cref="OpenAiCompatibleTarget.ProbeAsync"/> says otherwise.</summary>
    public bool AssumeLogLikelihood { get; init; } = true;

    /// <summary>For tests: the handler requests go through (the target owns it unless <see cref="HttpClient"/> is given).</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>For hosts with their own client (not disposed by the target); its own timeout should be infinite.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Everything but the key (only said to be there or not), the URL's user info and its query.</summary>
    public override string ToString() =>
        $"{BaseUrl.Scheme}://{BaseUrl.Authority}{BaseUrl.AbsolutePath} · {Model} · {Protocol} · key {(string.IsNullOrEmpty(ApiKey) ? "none" : "set")} · timeout {Timeout.TotalSeconds:0.###} s · {MaxRetries} retries";
}

/// <summary>What a probe of an endpoint found.</summary>
/// <param name="Models">The model names <c>GET /models</c> listed (empty where the endpoint has no such route).</param>
/// <param name="ModelsListed">Whether the endpoint answered <c>GET /models</c> at all.</param>
/// <param name="LogLikelihood">Whether a tiny echo request came back with prompt log-probabilities.</param>
/// <param name="LogLikelihoodUnavailable">Why not, when not.</param>
public sealed record EndpointProbe(IReadOnlyList<string> Models, bool ModelsListed, bool LogLikelihood, string? LogLikelihoodUnavailable);
