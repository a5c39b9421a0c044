using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepSeek.Portal.Evaluation.Runners;

/// <summary>
/// Evaluates any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, the portal's own server) over plain HTTP.
/// Generation goes to <c>/chat/completions</c> (or <c>/completions</c> for plain prompts, see
/// <see cref="OpenAiCompatibleOptions.Protocol"/>); log-likelihood goes to <c>/completions</c> with <c>echo</c>, which is
/// the only route that returns log-probabilities of given text.
/// </summary>
/// <remarks>
/// Every failure is a <see cref="TargetException"/> whose message names the endpoint (its address without credentials
/// or query) and what came back. Timeouts, 408, 429 and 5xx answers (but 501/505) and connection failures are retried with exponential
/// back-off and jitter, honouring <c>Retry-After</c>. The API key goes into the request header and nowhere else: messages
/// have it (and anything that looks like an OpenAI key) blanked out, since some servers quote the key they refused.
/// </remarks>
public sealed partial class OpenAiCompatibleTarget : IEvaluationTarget, IDisposable
{
    private const string LogLikelihoodUnsupportedPrefix = "Perplexity and log-likelihood are not supported by this endpoint: ";

    private readonly OpenAiCompatibleOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _baseUrl;
    private readonly string _displayBase;
    private readonly string _query;
    private volatile TargetCapabilities _capabilities;
    private volatile string? _logLikelihoodUnsupported;
    private volatile int _echoMaxTokens; // 0 until a server refuses it, then 1

    /// <summary>A target for the endpoint the options describe.</summary>
    public OpenAiCompatibleTarget(OpenAiCompatibleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Model)) throw new ArgumentException("The model name is empty.", nameof(options));
        if (!options.BaseUrl.IsAbsoluteUri || options.BaseUrl.Scheme is not ("http" or "https"))
            throw new ArgumentException("The base URL must be an absolute http(s) address ending in the API version, for example https://api.openai.com/v1.", nameof(options));
        if (options.Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "The timeout must be positive.");
        if (options.MaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(options), "Max retries cannot be negative.");
        _options = options;
        _baseUrl = options.BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _query = options.BaseUrl.Query; // kept on requests (for example ?api-version=…), never shown
        _displayBase = $"{options.BaseUrl.Scheme}://{options.BaseUrl.Authority}{options.BaseUrl.AbsolutePath.TrimEnd('/')}";
        _capabilities = new TargetCapabilities(options.AssumeLogLikelihood);
        if (options.HttpClient is { } client)
            _http = client;
        else
        {
            _http = new HttpClient(options.Handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true)
            {
                Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            };
            _ownsHttp = true;
        }
        Label = options.Label ?? $"{options.BaseUrl.Authority} · {options.Model}";
        CacheIdentity = $"openai|{_displayBase}|{options.Model}|{options.Protocol.ToString().ToLowerInvariant()}";
    }

    /// <inheritdoc />
    public string Label { get; }

    /// <inheritdoc />
    public string CacheIdentity { get; }

    /// <inheritdoc />
    public TargetCapabilities Capabilities => _capabilities;

    /// <summary>The label.</summary>
    public override string ToString() => Label;

    /// <inheritdoc />
    public async Task<GenerationOutput> GenerateAsync(GenerationCall call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        bool chat = call.Messages is not null || _options.Protocol == EndpointProtocol.Chat;
        var body = new JsonObject
        {
            ["model"] = _options.Model,
            ["temperature"] = call.Temperature,
            ["max_tokens"] = call.MaxNewTokens,
        };
        if (call.Stop.Count > 0) body["stop"] = new JsonArray(call.Stop.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        if (chat)
        {
            var turns = call.Messages ?? [new Suites.ChatTurn("user", call.Prompt ?? throw new ArgumentException("A generation call needs a prompt or messages.", nameof(call)))];
            body["messages"] = new JsonArray(turns.Select(t => (JsonNode?)new JsonObject { ["role"] = t.Role, ["content"] = t.Content }).ToArray());
        }
        else
            body["prompt"] = call.Prompt ?? throw new ArgumentException("A generation call needs a prompt or messages.", nameof(call));

        string route = chat ? "chat/completions" : "completions";
        var root = await SendAsync(HttpMethod.Post, route, body, Purpose.Generate, ct).ConfigureAwait(false);
        var choice = FirstChoice(root, route);
        string text;
        if (chat)
        {
            if (!choice.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
                throw Malformed(route, "`choices[0].message` is missing");
            if (!message.TryGetProperty("content", out var content))
                throw Malformed(route, "`choices[0].message.content` is missing");
            text = content.ValueKind switch
            {
                JsonValueKind.String => content.GetString()!,
                JsonValueKind.Null => "",
                // Content parts: [{"type":"text","text":"…"}]
                JsonValueKind.Array => string.Concat(content.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : "")),
                _ => throw Malformed(route, "`choices[0].message.content` is neither text nor content parts"),
            };
        }
        else
        {
            if (!choice.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                throw Malformed(route, "`choices[0].text` is missing");
            text = t.GetString()!;
        }
        int? promptTokens = null, completionTokens = null;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            if (usage.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt32(out int pv)) promptTokens = pv;
            if (usage.TryGetProperty("completion_tokens", out var c) && c.TryGetInt32(out int cv)) completionTokens = cv;
        }
        return new GenerationOutput(text, promptTokens, completionTokens);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One <c>POST /completions</c> with <c>prompt = context + continuation</c>, <c>echo: true</c>, <c>logprobs: 1</c>,
    /// temperature 0 and <c>max_tokens: 0</c> (1 where the server refuses 0; the generated token is then left out).
    /// The sum runs over the echoed tokens whose <c>text_offset</c> is at or past the context's end and before the
    /// prompt's end. <c>text_offset</c> is taken to count characters of the decoded text as Python does (Unicode code
    /// points, which vLLM and OpenAI use), so the context's length is measured in code points, not UTF-16 units (they
    /// differ for emoji and rare CJK characters beyond the BMP). Where the tokenizer merges the boundary into one token
    /// that starts inside the context and no token starts inside the continuation, that straddling token is counted.
    /// The echoed tokens are taken to spell the prompt; a leading special token (Llama's <c>&lt;s&gt;</c>) that the
    /// offsets count is allowed for by shifting past it.
    /// An entry whose log-probability is null (the first token has no context) is skipped and not counted.
    /// </remarks>
    public async Task<LogLikelihoodOutput> LogLikelihoodAsync(string context, string continuation, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        if (_logLikelihoodUnsupported is { } why) throw new TargetException(FailureKind.NotSupported, why);
        if (continuation.Length == 0) return new LogLikelihoodOutput(0, 0, true);
        string prompt = context + continuation;
        try
        {
            JsonElement root;
            try
            {
                root = await EchoAsync(prompt, _echoMaxTokens, ct).ConfigureAwait(false);
            }
            catch (TargetException e) when (e.Kind == FailureKind.BadRequest && _echoMaxTokens == 0)
            {
                // OpenAI's own completions route and some proxies refuse max_tokens 0; one generated token is read past.
                root = await EchoAsync(prompt, 1, ct).ConfigureAwait(false);
                _echoMaxTokens = 1;
            }
            return ReadLogLikelihood(root, prompt, CodePoints(context), CodePoints(prompt));
        }
        catch (TargetException e) when (e.Kind == FailureKind.NotSupported)
        {
            // Remembered: the remaining items fail at once with the same message instead of paying a request each.
            _logLikelihoodUnsupported = e.Message;
            throw;
        }
    }

    private async Task<JsonElement> EchoAsync(string prompt, int maxTokens, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["model"] = _options.Model,
            ["prompt"] = prompt,
            ["echo"] = true,
            ["max_tokens"] = maxTokens,
            ["logprobs"] = 1,
            ["temperature"] = 0,
        };
        return await SendAsync(HttpMethod.Post, "completions", body, Purpose.LogLikelihood, ct).ConfigureAwait(false);
    }

    private LogLikelihoodOutput ReadLogLikelihood(JsonElement root, string prompt, int contextLength, int promptLength)
    {
        const string route = "completions";
        var choice = FirstChoice(root, route);
        if (choice.TryGetProperty("text", out var echoed) && echoed.ValueKind == JsonValueKind.String && !echoed.GetString()!.Contains(prompt, StringComparison.Ordinal))
            throw NotSupported($"{Url(route)} did not echo the prompt back (llama.cpp and chat-only servers ignore `echo`), so it gives no log-probabilities of given text.");
        if (!choice.TryGetProperty("logprobs", out var logprobs) || logprobs.ValueKind != JsonValueKind.Object)
            throw NotSupported($"{Url(route)} returned no log-probabilities for the prompt (`choices[0].logprobs` is {(logprobs.ValueKind == JsonValueKind.Undefined ? "missing" : "null")}).");
        if (!logprobs.TryGetProperty("tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array)
            throw Malformed(route, "`choices[0].logprobs.tokens` is missing");
        if (!logprobs.TryGetProperty("token_logprobs", out var tokenLogprobs) || tokenLogprobs.ValueKind != JsonValueKind.Array)
            throw Malformed(route, "`choices[0].logprobs.token_logprobs` is missing");
        int n = tokens.GetArrayLength();
        if (tokenLogprobs.GetArrayLength() != n)
            throw Malformed(route, $"`choices[0].logprobs.token_logprobs` has {tokenLogprobs.GetArrayLength()} entries for {n} tokens");

        var offsets = new int[n];
        if (logprobs.TryGetProperty("text_offset", out var textOffset) && textOffset.ValueKind == JsonValueKind.Array)
        {
            if (textOffset.GetArrayLength() != n) throw Malformed(route, $"`choices[0].logprobs.text_offset` has {textOffset.GetArrayLength()} entries for {n} tokens");
            int i = 0;
            foreach (var o in textOffset.EnumerateArray())
                offsets[i++] = o.TryGetInt32(out int v) ? v : throw Malformed(route, "`choices[0].logprobs.text_offset` holds a non-integer");
        }
        else
        {
            int running = 0, i = 0;
            foreach (var t in tokens.EnumerateArray())
            {
                offsets[i++] = running;
                running += CodePoints(t.GetString() ?? "");
            }
        }
        // A leading special token (Llama's "<s>") counts in the offsets but is not part of the prompt: shift past it.
        string spelled = string.Concat(tokens.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String ? t.GetString() : ""));
        int start = spelled.IndexOf(prompt, StringComparison.Ordinal);
        if (start > 0)
        {
            int shift = CodePoints(spelled[..start]);
            contextLength += shift;
            promptLength += shift;
        }
        // Tokens that never reach past the context: the server returned log-probabilities of generated text only.
        if (n == 0 || offsets[^1] + CodePoints(tokens[n - 1].GetString() ?? "") <= contextLength)
            throw NotSupported($"{Url(route)} returned log-probabilities that do not cover the prompt (it did not echo it).");

        var selected = new List<int>();
        for (int i = 0; i < n; i++)
            if (offsets[i] >= contextLength && offsets[i] < promptLength) selected.Add(i);
        if (selected.Count == 0)
            for (int i = n - 1; i >= 0; i--)
                if (offsets[i] < contextLength) { selected.Add(i); break; }

        JsonElement topLogprobs = default;
        bool haveTop = logprobs.TryGetProperty("top_logprobs", out topLogprobs) && topLogprobs.ValueKind == JsonValueKind.Array && topLogprobs.GetArrayLength() == n;
        // An array of objects is walked from its start by every index: take the elements once.
        var tops = haveTop ? topLogprobs.EnumerateArray().ToArray() : [];
        double sum = 0;
        int counted = 0;
        bool? greedy = haveTop ? true : null;
        foreach (int i in selected)
        {
            var lp = tokenLogprobs[i];
            if (lp.ValueKind == JsonValueKind.Null) continue;
            if (lp.ValueKind != JsonValueKind.Number) throw Malformed(route, $"`choices[0].logprobs.token_logprobs[{i}]` is not a number");
            double value = lp.GetDouble();
            sum += value;
            counted++;
            if (haveTop)
            {
                var top = tops[i];
                if (top.ValueKind != JsonValueKind.Object) { if (greedy == true) greedy = null; haveTop = false; continue; }
                double best = double.NegativeInfinity;
                foreach (var p in top.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.Number) best = Math.Max(best, p.Value.GetDouble());
                if (value < best - 1e-6) greedy = false;
            }
        }
        return new LogLikelihoodOutput(sum, counted, counted == 0 ? null : greedy);
    }

    /// <summary>
    /// Checks the endpoint: <c>GET /models</c> must list the model (where the endpoint has that route), and one tiny echo
    /// request tells whether log-likelihood works; <see cref="Capabilities"/> follows what it found.
    /// </summary>
    /// <exception cref="TargetException">The model is not listed (<see cref="FailureKind.ModelNotFound"/>), or the endpoint failed otherwise.</exception>
    public async Task<EndpointProbe> ProbeAsync(CancellationToken ct = default)
    {
        var models = new List<string>();
        bool listed = false;
        try
        {
            var root = await SendAsync(HttpMethod.Get, "models", null, Purpose.Models, ct).ConfigureAwait(false);
            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw Malformed("models", "`data` is missing");
            foreach (var m in data.EnumerateArray())
                if (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                    models.Add(id.GetString()!);
            listed = true;
        }
        catch (TargetException e) when (e.Kind == FailureKind.NotSupported)
        {
            // No /models route (some proxies): the generation calls will say whether the model exists.
        }
        if (listed && !models.Contains(_options.Model, StringComparer.Ordinal))
            throw new TargetException(FailureKind.ModelNotFound, Redact(
                $"The model `{_options.Model}` is not among the {models.Count} models {Url("models")} lists" +
                (models.Count == 0 ? "." : $": {string.Join(", ", models.Take(10))}{(models.Count > 10 ? ", …" : "")}.")));

        bool logLikelihood;
        string? why = null;
        try
        {
            await LogLikelihoodAsync("The capital of France is", " Paris", ct).ConfigureAwait(false);
            logLikelihood = true;
        }
        catch (TargetException e) when (e.Kind == FailureKind.NotSupported)
        {
            logLikelihood = false;
            why = e.Message;
        }
        _capabilities = new TargetCapabilities(logLikelihood);
        return new EndpointProbe(models, listed, logLikelihood, why);
    }

    /// <summary>Releases the HTTP client where the target made it.</summary>
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private enum Purpose { Generate, LogLikelihood, Models }

    private string Url(string route) => $"{_displayBase}/{route}";

    private async Task<JsonElement> SendAsync(HttpMethod method, string route, JsonObject? body, Purpose purpose, CancellationToken ct)
    {
        string url = $"{_baseUrl}/{route}{_query}";
        string shown = Url(route);
        string? json = body?.ToJsonString();
        for (int attempt = 0; ; attempt++)
        {
            bool last = attempt >= _options.MaxRetries;
            int attempts = attempt + 1;
            HttpResponseMessage response;
            string text;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(_options.Timeout);
                HttpResponseMessage? received = null;
                try
                {
                    using var request = new HttpRequestMessage(method, url);
                    if (!string.IsNullOrEmpty(_options.ApiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
                    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                    if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
                    received = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                    text = await received.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                    response = received;
                }
                catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
                {
                    received?.Dispose();
                    if (last)
                        throw new TargetException(FailureKind.Timeout, $"{shown} gave no answer within {_options.Timeout.TotalSeconds:0.###} s ({Attempts(attempts)}).", e);
                    await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
                    continue;
                }
                catch (HttpRequestException e)
                {
                    received?.Dispose();
                    if (last)
                        throw new TargetException(FailureKind.Network, Redact($"Could not reach {shown}: {e.Message} ({Attempts(attempts)})."), e);
                    await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
                    continue;
                }
            }
            using (response)
            {
                int status = (int)response.StatusCode;
                if (status is 408 or 429 || status >= 500 && status is not (501 or 505))
                {
                    if (!last)
                    {
                        await Task.Delay(RetryDelay(response, attempt), ct).ConfigureAwait(false);
                        continue;
                    }
                    string said = ErrorText(text).Message;
                    throw status switch
                    {
                        429 => new TargetException(FailureKind.RateLimited, Redact($"{shown} kept answering 429 Too Many Requests ({Attempts(attempts)}): {said}")),
                        408 => new TargetException(FailureKind.Timeout, Redact($"{shown} kept answering 408 Request Timeout ({Attempts(attempts)}): {said}")),
                        _ => new TargetException(FailureKind.Server, Redact($"{shown} answered HTTP {status} {response.ReasonPhrase} ({Attempts(attempts)}): {said}")),
                    };
                }
                if (!response.IsSuccessStatusCode) throw MapError(status, response.ReasonPhrase, text, route, purpose);

                string? mediaType = response.Content.Headers.ContentType?.MediaType;
                bool isJson = mediaType is null || mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
                if (!isJson)
                    throw new TargetException(FailureKind.ContentType, Redact($"{shown} answered with content type {mediaType} instead of application/json: {Head(text)}"));
                JsonElement root;
                try
                {
                    using var document = JsonDocument.Parse(text);
                    root = document.RootElement.Clone();
                }
                catch (JsonException e)
                {
                    throw new TargetException(FailureKind.Malformed, Redact($"{shown} answered with invalid JSON ({e.Message}): {Head(text)}"));
                }
                if (root.ValueKind != JsonValueKind.Object)
                    throw new TargetException(FailureKind.Malformed, Redact($"{shown} answered with JSON that is not an object: {Head(text)}"));
                if (root.TryGetProperty("error", out var error) && error.ValueKind is JsonValueKind.Object or JsonValueKind.String && !root.TryGetProperty("choices", out _) && !root.TryGetProperty("data", out _))
                    throw new TargetException(FailureKind.Server, Redact($"{shown} answered HTTP {status} with an error: {ErrorText(text).Message}"));
                return root;
            }
        }
    }

    private TargetException MapError(int status, string? reason, string text, string route, Purpose purpose)
    {
        string shown = Url(route);
        var (message, code) = ErrorText(text);
        string said = $"HTTP {status} {reason}: {message}";
        if (status is 401 or 403)
            return new TargetException(FailureKind.Unauthorized, Redact(string.IsNullOrEmpty(_options.ApiKey)
                ? $"{shown} asks for an API key and none was given ({said})."
                : $"{shown} refused: the API key was refused ({said})."));
        bool modelMissing = code is "model_not_found" || message.Contains("does not exist", StringComparison.OrdinalIgnoreCase)
            || message.Contains(_options.Model, StringComparison.Ordinal) && message.Contains("not found", StringComparison.OrdinalIgnoreCase);
        if (status == 404 && modelMissing && purpose != Purpose.Models)
            return new TargetException(FailureKind.ModelNotFound, Redact($"The model `{_options.Model}` does not exist on {_displayBase} ({said})."));
        if (purpose == Purpose.LogLikelihood && (status is 404 or 405 or 501
            || Regex.IsMatch(message, @"echo|logprob|log[- ]prob|not support|unsupported", RegexOptions.IgnoreCase)))
            return NotSupported($"{shown} refused an echo request with log-probabilities ({said}).");
        if (status is 404 or 405 or 501 or 505)
            return new TargetException(FailureKind.NotSupported, Redact($"{shown} does not offer this route ({said}); check that the base URL ends in the API version, for example /v1."));
        return new TargetException(FailureKind.BadRequest, Redact($"{shown} refused the request ({said})."));
    }

    private TargetException NotSupported(string why) => new(FailureKind.NotSupported, Redact(LogLikelihoodUnsupportedPrefix + why));

    private TargetException Malformed(string route, string what) =>
        new(FailureKind.Malformed, $"{Url(route)} answered with JSON that is not an OpenAI {(route == "chat/completions" ? "chat completion" : route == "models" ? "model list" : "completion")}: {what}.");

    private JsonElement FirstChoice(JsonElement root, string route)
    {
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            throw Malformed(route, "`choices` is missing");
        if (choices.GetArrayLength() == 0) throw Malformed(route, "`choices` is empty");
        var first = choices[0];
        if (first.ValueKind != JsonValueKind.Object) throw Malformed(route, "`choices[0]` is not an object");
        return first;
    }

    /// <summary>The message and code of an error body: OpenAI's <c>{"error":{message,type,param,code}}</c> (code a string), vLLM's (code the HTTP status, at the top or under <c>error</c>), FastAPI's <c>{"detail":…}</c>, or the body's first characters.</summary>
    internal static (string Message, string? Code) ErrorText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                var holder = root.TryGetProperty("error", out var e) ? e : root;
                if (holder.ValueKind == JsonValueKind.String) return (holder.GetString()!, null);
                if (holder.ValueKind == JsonValueKind.Object)
                {
                    string? code = holder.TryGetProperty("code", out var c) ? c.ValueKind switch
                    {
                        JsonValueKind.String => c.GetString(),
                        JsonValueKind.Number => c.GetRawText(),
                        _ => null,
                    } : null;
                    if (holder.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) return (m.GetString()!, code);
                    if (holder.TryGetProperty("detail", out var d)) return (d.ValueKind == JsonValueKind.String ? d.GetString()! : d.GetRawText(), code);
                }
            }
        }
        catch (JsonException)
        {
        }
        return (Head(body), null);
    }

    private static string Head(string text)
    {
        string trimmed = text.Trim();
        if (trimmed.Length == 0) return "(empty body)";
        return trimmed.Length <= 200 ? trimmed : trimmed[..200] + "…";
    }

    private static string Attempts(int n) => n == 1 ? "1 attempt" : $"{n} attempts";

    private string Redact(string text)
    {
        if (!string.IsNullOrEmpty(_options.ApiKey)) text = text.Replace(_options.ApiKey, "***", StringComparison.Ordinal);
        return OpenAiKeyPattern().Replace(text, "sk-***");
    }

    [GeneratedRegex(@"sk-[A-Za-z0-9_\-\*\.]{3,}")]
    private static partial Regex OpenAiKeyPattern();

    private TimeSpan Backoff(int attempt)
    {
        double ms = _options.BackoffBase.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        ms = Math.Min(ms, _options.BackoffCap.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.5 + 0.5 * Random.Shared.NextDouble()));
    }

    /// <summary>The server's <c>retry-after-ms</c> or <c>Retry-After</c> (seconds or an HTTP date) where given, else back-off; never past the cap.</summary>
    private TimeSpan RetryDelay(HttpResponseMessage response, int attempt)
    {
        TimeSpan? said = null;
        if (response.Headers.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out double milliseconds))
            said = TimeSpan.FromMilliseconds(milliseconds);
        else if (response.Headers.RetryAfter is { } retryAfter)
            said = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (said is not { } wait) return Backoff(attempt);
        if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
        return wait > _options.BackoffCap ? _options.BackoffCap : wait;
    }

    /// <summary>Characters as Python counts them (code points): what <c>text_offset</c> counts.</summary>
    internal static int CodePoints(string s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }
        return n;
    }
}
