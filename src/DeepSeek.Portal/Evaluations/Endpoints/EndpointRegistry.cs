using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

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
public sealed class EndpointRegistry(PortalDbContext db, IDataProtectionProvider protection, IHttpClientFactory http, TimeProvider clock, ILogger<EndpointRegistry> logger,
    IStringLocalizer<SharedResource> l)
{
    /// <summary>A message in the caller's language (the page's, or the API request's: English unless it asks for Chinese).</summary>
    private string L(string key, params object[] args) => l[key, args].Value;

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
            errors["name"] = [L("EpErrNameTaken", request.Name!.Trim())];
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
            errors["name"] = [L("EpErrNameTaken", request.Name.Trim())];
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
            return (true, L("EpErrInUse"));
        if (await db.EvaluationSchedules.Where(s => s.TargetEndpointId == id).Select(s => s.Name).FirstOrDefaultAsync(ct) is { } schedule)
            return (true, L("EpErrScheduled", schedule));
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
            return new EndpointProbe(false, L("EpProbeTimeout", Math.Clamp(endpoint.TimeoutSeconds, 1, 30)), null, []);
        }
        catch (HttpRequestException e)
        {
            return new EndpointProbe(false, L("EpProbeUnreachable", e.Message), null, []);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                return new EndpointProbe(false, key is null ? L("EpProbeNeedsKey") : L("EpProbeKeyRefused"), status, []);
            if (!response.IsSuccessStatusCode)
                return new EndpointProbe(false, L("EpProbeStatus", status, response.ReasonPhrase ?? "", endpoint.BaseUrl.TrimEnd('/')), status, []);
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (mediaType is null || !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
                return new EndpointProbe(false, mediaType is null ? L("EpProbeNoContentType") : L("EpProbeNotJson", mediaType), status, []);
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
                return new EndpointProbe(false, L("EpProbeBadList"), status, []);
            }
            var listed = models.Take(50).ToList();
            return models.Contains(endpoint.Model, StringComparer.Ordinal)
                ? new EndpointProbe(true, L("EpProbeOk", endpoint.Model), status, listed)
                : new EndpointProbe(false, models.Count > 0 ? L("EpProbeModelMissingServes", endpoint.Model, string.Join(", ", listed.Take(10))) : L("EpProbeModelMissing", endpoint.Model), status, listed);
        }
    }

    /// <summary>The URL without a trailing slash.</summary>
    private static string NormaliseUrl(string url) => url.Trim().TrimEnd('/');

    private Dictionary<string, string[]> Validate(EndpointRequest r, bool creating)
    {
        var errors = new Dictionary<string, string[]>();
        if (creating || r.Name is not null)
        {
            if (string.IsNullOrWhiteSpace(r.Name)) errors["name"] = [L("EpErrNameMissing")];
            else if (r.Name.Trim().Length > 200) errors["name"] = [L("EpErrNameLong")];
        }
        if (creating || r.BaseUrl is not null)
        {
            if (string.IsNullOrWhiteSpace(r.BaseUrl) || !Uri.TryCreate(r.BaseUrl.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
                errors["baseUrl"] = [L("EpErrUrl", r.BaseUrl ?? "")];
            else if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
                errors["baseUrl"] = [L("EpErrUrlParts")];
        }
        if (creating || r.Model is not null)
        {
            if (string.IsNullOrWhiteSpace(r.Model)) errors["model"] = [L("EpErrModelMissing")];
            else if (r.Model.Length > 200) errors["model"] = [L("EpErrModelLong")];
        }
        if (r.ApiKey is { Length: > 4096 })
            errors["apiKey"] = [L("EpErrKeyLong")];
        else if (r.ApiKey is not null && r.ApiKey.Any(c => char.IsControl(c) || c == ' '))
            errors["apiKey"] = [L("EpErrKeyChars")];
        if (r.MaxConcurrency is { } c && (c < 1 || c > 64))
            errors["maxConcurrency"] = [L("EpErrConcurrency", c)];
        if (r.TimeoutSeconds is { } t && (t < 1 || t > 3600))
            errors["timeoutSeconds"] = [L("EpErrTimeout", t)];
        return errors;
    }
}
