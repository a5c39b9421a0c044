using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Evaluations.Endpoints;

/// <summary>An endpoint as the API shows it: never its key, only whether it has one.</summary>
public sealed record EndpointView(int Id, string Name, string BaseUrl, string Model, bool HasKey, int MaxConcurrency, int TimeoutSeconds, DateTimeOffset CreatedAt, string? CreatedBy)
{
    public static EndpointView From(EvaluationEndpoint e) => new(e.Id, e.Name, e.BaseUrl, e.Model, e.ProtectedKey is not null, e.MaxConcurrency, e.TimeoutSeconds, e.CreatedAt, e.CreatedBy);
}

/// <summary>
/// Registers or changes an endpoint. <see cref="ApiKey"/> is write-only: on a change, leaving it out keeps the stored
/// key, an empty string or <see cref="ClearKey"/> removes it.
/// </summary>
public sealed record EndpointRequest(string? Name, string? BaseUrl, string? Model, string? ApiKey = null, bool? ClearKey = null, int? MaxConcurrency = null, int? TimeoutSeconds = null);

/// <summary>What a probe of an endpoint found.</summary>
/// <param name="Ok">Whether the endpoint answered its model list with the key and the model is served (or the list could not tell).</param>
/// <param name="Message">What people read: what worked, or what is wrong and what to check.</param>
/// <param name="Status">The HTTP status, when there was an answer.</param>
/// <param name="Models">The model names the endpoint listed (at most 50).</param>
public sealed record EndpointProbe(bool Ok, string Message, int? Status, IReadOnlyList<string> Models);

public sealed record EndpointChange(EndpointView? Endpoint, IReadOnlyDictionary<string, string[]> Errors, bool NotFound = false);

/// <summary>
/// The OpenAI-compatible endpoints evaluations can run against. Keys are encrypted with the portal's data-protection
/// keys under their own purpose, so a copy of the database alone does not reveal them; they are decrypted only to make
/// a call and are never returned or logged.
/// </summary>
public sealed class EndpointRegistry(PortalDbContext db, IDataProtectionProvider protection, IHttpClientFactory http, TimeProvider clock, ILogger<EndpointRegistry> logger)
{
    public const string KeyPurpose = "DeepSeek.Portal.Evaluation.EndpointKey";
    public const string HttpClientName = "evaluation-endpoints";

    private IDataProtector Protector => protection.CreateProtector(KeyPurpose);

    public async Task<IReadOnlyList<EndpointView>> ListAsync(CancellationToken ct) =>
        (await db.EvaluationEndpoints.AsNoTracking().OrderBy(e => e.Name).ToListAsync(ct)).Select(EndpointView.From).ToList();

    public async Task<EndpointView?> GetAsync(int id, CancellationToken ct) =>
        await db.EvaluationEndpoints.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct) is { } e ? EndpointView.From(e) : null;

    /// <summary>The stored endpoint with its key decrypted, for a call; null when unknown.</summary>
    public async Task<(EvaluationEndpoint Endpoint, string? Key)?> ForCallAsync(int id, CancellationToken ct)
    {
        var endpoint = await db.EvaluationEndpoints.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
        return endpoint is null ? null : (endpoint, Unprotect(endpoint));
    }

    private string? Unprotect(EvaluationEndpoint endpoint)
    {
        if (endpoint.ProtectedKey is null)
            return null;
        try
        {
            return Protector.Unprotect(endpoint.ProtectedKey);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // The data-protection keys changed (a new data directory or machine): the key must be entered again.
            throw new InvalidOperationException($"The stored API key of endpoint \"{endpoint.Name}\" can no longer be decrypted (the portal's data-protection keys changed); enter the key again.");
        }
    }

    public async Task<EndpointChange> CreateAsync(EndpointRequest request, string? user, CancellationToken ct)
    {
        var errors = Validate(request, creating: true);
        if (errors.Count == 0 && await db.EvaluationEndpoints.AnyAsync(e => e.Name == request.Name!.Trim(), ct))
            errors["name"] = [$"An endpoint named \"{request.Name!.Trim()}\" already exists."];
        if (errors.Count > 0)
            return new EndpointChange(null, errors);
        var endpoint = new EvaluationEndpoint
        {
            Name = request.Name!.Trim(),
            BaseUrl = NormaliseUrl(request.BaseUrl!),
            Model = request.Model!.Trim(),
            ProtectedKey = string.IsNullOrEmpty(request.ApiKey) ? null : Protector.Protect(request.ApiKey),
            MaxConcurrency = request.MaxConcurrency ?? 8,
            TimeoutSeconds = request.TimeoutSeconds ?? 120,
            CreatedAt = clock.GetUtcNow(),
            CreatedBy = user,
        };
        db.EvaluationEndpoints.Add(endpoint);
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Endpoint {Id} ({Name}, {Url}, model {Model}) registered by {User}; key: {HasKey}", endpoint.Id, endpoint.Name, endpoint.BaseUrl, endpoint.Model, user, endpoint.ProtectedKey is not null);
        return new EndpointChange(EndpointView.From(endpoint), new Dictionary<string, string[]>());
    }

    public async Task<EndpointChange> UpdateAsync(int id, EndpointRequest request, CancellationToken ct)
    {
        var endpoint = await db.EvaluationEndpoints.FirstOrDefaultAsync(e => e.Id == id, ct);
        if (endpoint is null)
            return new EndpointChange(null, new Dictionary<string, string[]>(), NotFound: true);
        var errors = Validate(request, creating: false);
        if (request.Name is not null && errors.Count == 0 && await db.EvaluationEndpoints.AnyAsync(e => e.Id != id && e.Name == request.Name.Trim(), ct))
            errors["name"] = [$"An endpoint named \"{request.Name.Trim()}\" already exists."];
        if (errors.Count > 0)
            return new EndpointChange(null, errors);
        if (request.Name is not null) endpoint.Name = request.Name.Trim();
        if (request.BaseUrl is not null) endpoint.BaseUrl = NormaliseUrl(request.BaseUrl);
        if (request.Model is not null) endpoint.Model = request.Model.Trim();
        if (request.MaxConcurrency is { } concurrency) endpoint.MaxConcurrency = concurrency;
        if (request.TimeoutSeconds is { } timeout) endpoint.TimeoutSeconds = timeout;
        if (request.ClearKey == true || request.ApiKey == "") endpoint.ProtectedKey = null;
        else if (request.ApiKey is not null) endpoint.ProtectedKey = Protector.Protect(request.ApiKey);
        await db.SaveChangesAsync(ct);
        return new EndpointChange(EndpointView.From(endpoint), new Dictionary<string, string[]>());
    }

    /// <summary>Deletes an endpoint; refused (false, with why) while a queued or running evaluation or a schedule uses it.</summary>
    public async Task<(bool Found, string? Conflict)> DeleteAsync(int id, CancellationToken ct)
    {
        if (!await db.EvaluationEndpoints.AnyAsync(e => e.Id == id, ct))
            return (false, null);
        if (await db.Evaluations.AnyAsync(e => e.TargetEndpointId == id && (e.Status == EvaluationStatus.Queued || e.Status == EvaluationStatus.Running), ct))
            return (true, "An evaluation against this endpoint is queued or running; cancel it first.");
        if (await db.EvaluationSchedules.Where(s => s.TargetEndpointId == id).Select(s => s.Name).FirstOrDefaultAsync(ct) is { } schedule)
            return (true, $"The schedule \"{schedule}\" evaluates this endpoint; delete or change it first.");
        await db.EvaluationEndpoints.Where(e => e.Id == id).ExecuteDeleteAsync(ct);
        return (true, null);
    }

    /// <summary>
    /// Asks the endpoint for its model list (<c>GET {baseUrl}/models</c>) with the stored key: the cheapest call that
    /// shows the URL, the key and the model name are right, without spending tokens.
    /// </summary>
    public async Task<EndpointProbe?> ProbeAsync(int id, CancellationToken ct)
    {
        var endpoint = await db.EvaluationEndpoints.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
        if (endpoint is null)
            return null;
        string? key;
        try { key = Unprotect(endpoint); }
        catch (InvalidOperationException e) { return new EndpointProbe(false, e.Message, null, []); }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Clamp(endpoint.TimeoutSeconds, 1, 30)));
        using var request = new HttpRequestMessage(HttpMethod.Get, endpoint.BaseUrl.TrimEnd('/') + "/models");
        if (key is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new EndpointProbe(false, $"The endpoint did not answer within {Math.Clamp(endpoint.TimeoutSeconds, 1, 30)} s.", null, []);
        }
        catch (HttpRequestException e)
        {
            return new EndpointProbe(false, $"The endpoint could not be reached: {e.Message}", null, []);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                return new EndpointProbe(false, key is null ? "The endpoint needs an API key." : "The endpoint refused the API key.", status, []);
            if (!response.IsSuccessStatusCode)
                return new EndpointProbe(false, $"The endpoint answered {status} {response.ReasonPhrase} to GET {endpoint.BaseUrl.TrimEnd('/')}/models; check the base URL (it ends in /v1).", status, []);
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (mediaType is null || !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
                return new EndpointProbe(false, $"The endpoint answered with {mediaType ?? "no content type"}, not JSON; is the base URL an OpenAI-compatible API (ending in /v1)?", status, []);
            List<string> models;
            try
            {
                using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token), cancellationToken: timeout.Token);
                models = document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
                    ? data.EnumerateArray().Select(m => m.ValueKind == JsonValueKind.Object && m.TryGetProperty("id", out var mid) && mid.ValueKind == JsonValueKind.String ? mid.GetString()! : null)
                        .OfType<string>().ToList()
                    : throw new JsonException("no data array");
            }
            catch (JsonException)
            {
                return new EndpointProbe(false, "The endpoint's model list is not the JSON the OpenAI API prescribes ({\"data\": [{\"id\": …}]}).", status, []);
            }
            var listed = models.Take(50).ToList();
            return models.Contains(endpoint.Model, StringComparer.Ordinal)
                ? new EndpointProbe(true, $"The endpoint answered and serves {endpoint.Model}.", status, listed)
                : new EndpointProbe(false, $"The endpoint answered but does not list the model \"{endpoint.Model}\"" + (models.Count > 0 ? $"; it serves {string.Join(", ", listed.Take(10))}." : "."), status, listed);
        }
    }

    /// <summary>The URL without a trailing slash.</summary>
    private static string NormaliseUrl(string url) => url.Trim().TrimEnd('/');

    private static Dictionary<string, string[]> Validate(EndpointRequest r, bool creating)
    {
        var errors = new Dictionary<string, string[]>();
        if (creating || r.Name is not null)
        {
            if (string.IsNullOrWhiteSpace(r.Name)) errors["name"] = ["Give the endpoint a name."];
            else if (r.Name.Trim().Length > 200) errors["name"] = ["The name is longer than 200 characters."];
        }
        if (creating || r.BaseUrl is not null)
        {
            if (string.IsNullOrWhiteSpace(r.BaseUrl) || !Uri.TryCreate(r.BaseUrl.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
                errors["baseUrl"] = [$"The base URL must be an absolute http or https URL such as http://10.0.0.5:8000/v1 (was '{r.BaseUrl}')."];
            else if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
                errors["baseUrl"] = ["The base URL must not carry a query, fragment or user name; give the key as the API key."];
        }
        if (creating || r.Model is not null)
        {
            if (string.IsNullOrWhiteSpace(r.Model)) errors["model"] = ["Give the model name the endpoint serves (as in its /v1/models list)."];
            else if (r.Model.Length > 200) errors["model"] = ["The model name is longer than 200 characters."];
        }
        if (r.ApiKey is { Length: > 4096 })
            errors["apiKey"] = ["The API key is longer than 4096 characters."];
        else if (r.ApiKey is not null && r.ApiKey.Any(c => char.IsControl(c) || c == ' '))
            errors["apiKey"] = ["The API key contains spaces or control characters."];
        if (r.MaxConcurrency is { } c && (c < 1 || c > 64))
            errors["maxConcurrency"] = [$"Concurrency must be between 1 and 64 (was {c})."];
        if (r.TimeoutSeconds is { } t && (t < 1 || t > 3600))
            errors["timeoutSeconds"] = [$"The timeout must be between 1 and 3600 seconds (was {t})."];
        return errors;
    }
}
