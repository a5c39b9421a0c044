using Microsoft.AspNetCore.Antiforgery;

namespace DeepSeek.Portal.Accounts;

/// <summary>
/// Cross-site request forgery: a browser sends the sign-in cookie with any request to this host, including a form
/// or fetch that a page on another port (same site, so SameSite=Lax does not help) makes it send. Every unsafe request
/// that the cookie authenticates must therefore prove it came from one of the portal's own pages with the antiforgery
/// token those pages carry: header <see cref="HeaderName"/> (scripts read it from the <c>portal-csrf</c> meta tag) or
/// the form field <c>__RequestVerificationToken</c> (HTML forms). Bearer requests are exempt: another site's page
/// cannot attach an Authorization header without a CORS preflight, which the portal never grants.
/// </summary>
public static class CsrfProtection
{
    public const string HeaderName = "X-CSRF-TOKEN";
    public const string MetaName = "portal-csrf";

    public static IServiceCollection AddPortalCsrf(this IServiceCollection services) =>
        services.Configure<AntiforgeryOptions>(o =>
        {
            o.HeaderName = HeaderName;
            o.Cookie.Name = "deepseek.portal.csrf";
        });

    public static IApplicationBuilder UsePortalCsrf(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (IsCrossOriginHubRequest(context))
        {
            // WebSockets are not subject to CORS: another origin's page could open the hub with the user's cookie and
            // read live run updates. The portal's pages never use the hub with the cookie; scripts use bearer tokens.
            await Results.Problem(title: "Cross-origin hub connections must use a bearer token.", statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
            return;
        }
        if (RequiresToken(context) && !await HasValidTokenAsync(context))
        {
            await Results.Problem(
                title: "Missing or invalid antiforgery token.",
                detail: $"Requests signed in with the portal's cookie must send the token of a portal page in the {HeaderName} header or the __RequestVerificationToken form field; scripts can use a bearer token instead.",
                statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    /// <summary>Unsafe methods on the API and account endpoints, unless the caller authenticates with a bearer token.</summary>
    public static bool RequiresToken(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
            return false;
        if (PortalAuthentication.IsBearerRequest(request))
            return false;
        var path = request.Path;
        // Account forms (sign-in, first run, sign-out) always: a forged sign-in would put the victim in the attacker's account.
        if (path.StartsWithSegments("/account") || path.StartsWithSegments("/culture"))
            return true;
        // Anonymous API calls (the token request) carry no cookie worth forging; the rest answer 401 anyway.
        return path.StartsWithSegments("/api") && context.User.Identity?.IsAuthenticated == true;
    }

    /// <summary>A cookie-authenticated request to /hubs whose Origin is not this host.</summary>
    public static bool IsCrossOriginHubRequest(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments("/hubs") || PortalAuthentication.IsBearerRequest(request) || context.User.Identity?.IsAuthenticated != true)
            return false;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
            return false; // not a browser: a browser always sends Origin on WebSocket and cross-origin requests
        return !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || !string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<bool> HasValidTokenAsync(HttpContext context)
    {
        // API calls must use the header: reading a whole multipart upload just to look for a form field is what an
        // attacker's page would make the portal do.
        if (context.Request.Path.StartsWithSegments("/api") && string.IsNullOrEmpty(context.Request.Headers[HeaderName]))
            return false;
        return await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context);
    }
}
