using DeepSeek.Portal.Accounts;

namespace DeepSeek.Portal.Platform;

public static class OpenApiAccess
{
    /// <summary>
    /// /openapi/v1.json: anonymous in Development (tooling on a laptop), signed-in (any role, cookie or bearer) elsewhere.
    /// The document lists every endpoint and its parameters; a stranger gains a map of the attack surface and nobody
    /// loses anything by signing in first, since a script gets its token from the documented /api/auth/token (README).
    /// </summary>
    public static IEndpointRouteBuilder MapPortalOpenApi(this WebApplication app)
    {
        var openApi = app.MapOpenApi();
        if (app.Environment.IsDevelopment())
            openApi.AllowAnonymous();
        else
            openApi.RequireAuthorization(PortalPolicies.Read);
        return app;
    }
}
