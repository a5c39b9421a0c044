using DeepSeek.Portal.Evaluations.Endpoints;

namespace DeepSeek.Portal.Planning.Planner;

/// <summary>
/// Registers a model served from the planner's files as an evaluation endpoint, through the evaluation registry (its
/// validation, its uniqueness rule, its key encryption): the planner adds only the <c>/v1</c> a bare server URL lacks.
/// </summary>
public sealed class ServedModelEndpoints(EndpointRegistry endpoints)
{
    public Task<EndpointChange> RegisterAsync(ServedEndpointRequest? request, string? user, CancellationToken ct)
    {
        request ??= new ServedEndpointRequest(null, null, null);
        var baseUrl = request.BaseUrl?.Trim();
        // vLLM and SGLang serve the OpenAI API under /v1: http://10.0.0.5:8000 means http://10.0.0.5:8000/v1.
        if (baseUrl is not null && Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment))
            baseUrl = baseUrl.TrimEnd('/') + "/v1";
        return endpoints.CreateAsync(new EndpointRequest(request.Name, baseUrl, request.ServedName, string.IsNullOrEmpty(request.ApiKey) ? null : request.ApiKey), user, ct);
    }
}
